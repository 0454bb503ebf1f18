"""A proposal that carries an agreement change, from the new-poll page of a thread and
from the agreements pages: the choice of change, one widget per rule, field errors naming
the key, the card showing the change (text and rules, an amendment's diff, a repeal),
warnings while two open proposals touch the same agreement, and the outcome condition by
condition."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fixtures.agreement_pages import EN, text_of

from app.extensions import db

# The proposal helpers act ten days ago: what they adopt is in force now.
pytestmark = pytest.mark.usefixtures("ten_days_ago")


def _new_url(thread_circle, **args):
    query = "&".join(f"{k}={v}" for k, v in {"kind": "proposal", **args}.items())
    return f"/t/{thread_circle.thread.id}/polls/new?{query}"


def _form(closing: str, **extra) -> dict:
    data = {
        "title": "Adoptons nos accords",
        "details": "Voici la proposition.",
        "closing_at": closing,
        "results_visibility": "always",
        "reasons": "required_for_block",
        "voters_mode": "all",
    }
    data.update(extra)
    return data


def _closing() -> str:
    from app.timeutil import utcnow

    return (utcnow() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")


def _rules(**values) -> dict:
    """Rule inputs: each given key set to its value (a bool as yes or no)."""
    data = {}
    for key, value in values.items():
        if value is True or value is False:
            value = "yes" if value else "no"
        data[f"rule-{key}"] = value
    return data


def _change_of(run, poll_id):
    from app.proposals.models import AgreementChange

    def read():
        change = db.session.scalar(
            sa.select(AgreementChange).where(AgreementChange.poll_id == poll_id)
        )
        return (
            None
            if change is None
            else (change.action, change.title, change.rules, change.base_version)
        )

    return run(read)


def test_the_choice_of_change_and_one_widget_per_rule(page, thread_circle, adopted):
    agreement_id, _ = adopted()
    status, html = page(_new_url(thread_circle), user=thread_circle.members[0])
    assert status == 200
    text = text_of(html)
    assert "What does this proposal change?" in text
    for choice in (
        "No agreement change",
        "Adopt a new agreement",
        "Amend “Nos accords d'écoute”",
        "Repeal “Nos accords d'écoute”",
    ):
        assert choice in text
    assert 'name="rule-reciprocity"' not in html  # nothing to fill before choosing
    status, html = page(_new_url(thread_circle, change="adopt"))
    assert status == 200
    assert '<select id="rule-reciprocity" name="rule-reciprocity"' in html
    assert '<select id="rule-availability_check" name="rule-availability_check"' in html
    # a new agreement's rules start empty and unset; the value in force is said
    assert 'name="rule-relance_after_days" value="" min="1" max="365"' in html
    assert 'name="rule-urgent_response_minutes" value="" min="5" max="1440"' in html
    assert 'name="rule-decision_quorum_percent" value="" min="0" max="100"' in html
    assert '<textarea id="rule-channels" name="rule-channels"' in html
    text = text_of(html)
    assert "Number (1 to 365 days) — leave empty for none" in text
    assert (
        "Number (5 to 1440 minutes)" in text
        and "leave empty for none" not in text.split("Number (5 to 1440 minutes)")[1][:30]
    )
    assert "Leave unset: this agreement does not set this rule" in text
    assert "Required: every member both gives and receives support" in text  # the help
    assert "Check-in after — not set (in force: 21 days)" in text  # folded, with its state
    assert "In force today: 21 days." in text
    # a new agreement sets no rule until a value is given: each folded, "Leave unset" ticked
    assert html.count('value="y" data-rule-unset checked') == 9
    assert html.count('<details class="rule-widget"') == 9
    assert '<details class="rule-widget" id="rule-reciprocity-fieldset" open' not in html


def test_adopt_from_the_thread_page(client, auth, thread_circle, run):
    auth.login(thread_circle.members[0])
    data = _form(
        _closing(),
        **{
            "change-title": "Nos accords",
            "change-body": "Le *texte*.",
            "change-change_summary": "",
        },
        **_rules(
            reciprocity="not_required",
            relance_after_days="21",
            availability_check=True,
            channels="téléphone\nJitsi\n\nen personne",
            rhythm_per_week="",
        ),
    )
    data["rule-urgent_response_minutes-unset"] = "y"
    data["rule-urgent_response_minutes"] = ""
    response = client.post(_new_url(thread_circle, change="adopt"), data=data, headers=EN)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    poll_id = int(response.headers["Location"].rsplit("/", 1)[1])
    action, title, rules, _base = _change_of(run, poll_id)
    assert (action, title) == ("adopt", "Nos accords")
    assert rules == {
        "reciprocity": "not_required",
        "availability_check": True,
        "relance_after_days": 21,
        "rhythm_per_week": None,
        "channels": ["téléphone", "Jitsi", "en personne"],
    }
    html = client.get(f"/p/{poll_id}", headers=EN).get_data(as_text=True)
    text = text_of(html)
    assert "Proposed new agreement: Nos accords" in text
    assert "<em>texte</em>" in html
    assert "Reciprocity Not required" in text and "Check-in after 21 days" in text
    assert "Ways of meeting téléphone, Jitsi, en personne" in text
    # and in the thread's timeline too
    thread = client.get(f"/t/{thread_circle.thread.id}", headers=EN).get_data(as_text=True)
    assert "Proposed new agreement: Nos accords" in text_of(thread)


def test_invalid_rule_values_are_refused_naming_the_key(client, auth, thread_circle, run):
    from app.polls.models import Poll

    auth.login(thread_circle.admin)
    data = _form(
        _closing(),
        **{"change-title": "Nos accords", "change-body": "Texte."},
        **_rules(
            relance_after_days="400", urgent_response_minutes="vite", urgent_minor_lapse_hours=""
        ),
    )
    response = client.post(_new_url(thread_circle, change="adopt"), data=data, headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert (
        "Check-in after (relance_after_days): Must be a whole number from 1 to 365, or empty."
        in text
    )
    assert "Urgent response time (urgent_response_minutes): Must be a whole number." in text
    assert "(urgent_minor_lapse_hours): Give a value, or tick “Leave unset”." in text
    assert 'id="rule-relance_after_days-error"' in html
    assert 'name="rule-relance_after_days" value="400"' in html  # kept as typed
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(Poll.id)))) == 0
    # a missing title is named on its field
    data = _form(_closing(), **{"change-title": "", "change-body": "Texte."})
    response = client.post(_new_url(thread_circle, change="adopt"), data=data, headers=EN)
    assert response.status_code == 400
    assert 'id="change-title-error"' in response.get_data(as_text=True)


def test_amend_starts_from_the_current_version(client, auth, page, thread_circle, adopted, run):
    agreement_id, _ = adopted()
    status, html = page(
        _new_url(thread_circle, change="amend", agreement=agreement_id), user=thread_circle.admin
    )
    assert status == 200
    assert 'value="Nos accords d&#39;écoute"' in html  # the title, prefilled
    assert "Pas de réciprocité obligatoire." in html  # the body
    assert (
        '<input id="change-base_version" name="change-base_version" type="hidden" value="1">'
        in html
    )
    assert "The rules below replace the whole set of this agreement" in text_of(html)
    assert '<option value="not_required" selected>' in html  # the rule it sets, shown
    assert 'name="rule-reciprocity-unset" value="y" data-rule-unset>' in html
    assert 'name="rule-channels-unset" value="y" data-rule-unset checked>' in html
    data = _form(
        _closing(),
        **{
            "change-title": "Nos accords d'écoute",
            "change-body": "Pas de réciprocité obligatoire.\n\nNouveau.",
            "change-base_version": "1",
            "change-change_summary": "Urgences",
        },
        **_rules(reciprocity="not_required", relance_after_days="14", urgent_response_minutes="30"),
    )
    response = client.post(
        _new_url(thread_circle, change="amend", agreement=agreement_id), data=data
    )
    assert response.status_code == 302
    poll_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert _change_of(run, poll_id)[0::3] == ("amend", 1)
    text = text_of(client.get(f"/p/{poll_id}", headers=EN).get_data(as_text=True))
    assert "Proposed amendment of “Nos accords d'écoute” (from version 1)" in text
    assert "[insertion start] Nouveau. [insertion end]" in text
    assert "Check-in after 21 days 14 days" in text
    assert "Support rhythm 2 times a week not set" in text
    assert "Urgent response time not set 30 minutes" in text


def test_amend_from_a_stale_version_is_refused(client, auth, thread_circle, adopted, amend):
    agreement_id, _ = adopted()
    amend(agreement_id, 1, rules={"reciprocity": "required"})
    auth.login(thread_circle.admin)
    data = _form(
        _closing(), **{"change-title": "X", "change-body": "Y", "change-base_version": "1"}
    )
    response = client.post(
        _new_url(thread_circle, change="amend", agreement=agreement_id), data=data, headers=EN
    )
    assert response.status_code == 409
    assert "start from its current version" in text_of(response.get_data(as_text=True))


def test_repeal_and_the_warning_of_two_open_proposals(client, auth, thread_circle, adopted, run):
    agreement_id, _ = adopted()
    auth.login(thread_circle.members[1])
    url = _new_url(thread_circle, change="repeal", agreement=agreement_id)
    html = client.get(url, headers=EN).get_data(as_text=True)
    assert "Repeal of “Nos accords d'écoute”" in text_of(html)
    assert 'name="rule-reciprocity"' not in html
    first = client.post(url, data=_form(_closing(), **{"change-base_version": "1"}))
    assert first.status_code == 302
    first_id = int(first.headers["Location"].rsplit("/", 1)[1])
    text = text_of(client.get(f"/p/{first_id}", headers=EN).get_data(as_text=True))
    assert "Proposed repeal of “Nos accords d'écoute” (version 1)" in text
    assert "Another open proposal" not in text
    second = client.post(
        _new_url(thread_circle, change="amend", agreement=agreement_id),
        data=_form(
            _closing(),
            **{
                "change-title": "Nos accords d'écoute",
                "change-body": "Autre.",
                "change-base_version": "1",
            },
        ),
    )
    assert second.status_code == 302
    second_id = int(second.headers["Location"].rsplit("/", 1)[1])
    for this, other in ((first_id, second_id), (second_id, first_id)):
        html = client.get(f"/p/{this}", headers=EN).get_data(as_text=True)
        assert "Another open proposal changes the same agreement" in text_of(html)
        assert f'href="/p/{other}"' in html


def test_the_outcome_condition_by_condition(page, thread_circle, decide, adopted):
    agreement_id, _ = adopted()
    blocked, outcome = decide(
        {
            "action": "amend",
            "agreement_id": agreement_id,
            "base_version": 1,
            "rules": {"reciprocity": "required"},
        },
        votes=[
            (thread_circle.admin, "agree"),
            (thread_circle.members[0], "agree"),
            (thread_circle.members[1], "block"),
        ],
    )
    assert not outcome["adopted"]
    status, html = page(f"/p/{blocked.id}", user=thread_circle.members[2])
    text = text_of(html)
    assert "Decision: not adopted" in text
    assert "✗ fails: 1 person blocked." in text
    assert "✓ holds: More agree (2) than disagree (0)." in text
    assert "✓ holds: Participation 3 of 4 (75%) reached the quorum of 50%." in text
    assert "The change is not applied." in text
    status, html = page(f"/p/{blocked.id}", lang="fr")
    assert status == 200 and 'class="conditions"' in html and '<html lang="fr"' in html


def test_the_applied_outcome_links_to_the_new_version(page, thread_circle, adopted, amend):
    agreement_id, _ = adopted()
    poll, outcome = amend(agreement_id, 1, rules={"reciprocity": "required"})
    status, html = page(f"/p/{poll.id}", user=thread_circle.admin)
    assert "Decision: adopted" in text_of(html) and "The change is applied." in text_of(html)
    assert f'href="/g/{thread_circle.group.handle}/agreements/{agreement_id}#v2"' in html


def test_propose_from_the_agreements_page_in_a_new_thread(
    client, auth, thread_circle, adopted, run
):
    from app.threads.models import Thread

    auth.login(thread_circle.members[0])
    url = f"/g/{thread_circle.group.handle}/agreements/propose?change=adopt"
    html = client.get(url, headers=EN).get_data(as_text=True)
    assert "Where to discuss it" in text_of(html)
    assert '<option selected value="new">' in html
    assert f'<option value="{thread_circle.thread.id}">' in html
    data = _form(_closing(), thread="new", **{"change-title": "Accord", "change-body": "Texte."})
    response = client.post(url, data=data, headers=EN)
    assert response.status_code == 302
    poll_id = int(response.headers["Location"].rsplit("/", 1)[1])
    title = run(
        lambda: db.session.scalar(
            sa.select(Thread.title)
            .join_from(Thread, Thread.group)
            .where(Thread.id != thread_circle.thread.id)
        )
    )
    assert title == "Proposal: Adoptons nos accords"
    assert _change_of(run, poll_id)[0] == "adopt"
    # or in an existing thread
    data = _form(
        _closing(),
        thread=str(thread_circle.thread.id),
        **{"change-title": "Accord 2", "change-body": "Texte."},
    )
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(Thread.id)))) == 2


def test_who_may_propose(client, auth, thread_circle, adopted, make_user, run):
    from app.groups.models import Group

    agreement_id, _ = adopted()
    url = (
        f"/g/{thread_circle.group.handle}/agreements/propose?change=amend&agreement={agreement_id}"
    )
    auth.login(make_user(name="Zoé"))
    assert client.get(url).status_code == 404

    def no_member_proposals():
        db.session.get(Group, thread_circle.group.id).members_can_raise_proposals = False

    run(no_member_proposals)
    auth.login(thread_circle.members[0])
    assert client.get(url).status_code == 403
    auth.login(thread_circle.admin)
    assert client.get(url).status_code == 200
    assert client.get(url.replace(f"agreement={agreement_id}", "agreement=999")).status_code == 404


def test_thread_page_queries_do_not_grow_with_proposals(
    client, auth, thread_circle, adopted, propose, count_queries
):
    agreement_id, _ = adopted()
    auth.login(thread_circle.admin)
    repeal = {"action": "repeal", "agreement_id": agreement_id, "base_version": 1}
    propose(repeal, closing_in=timedelta(days=30))
    client.get(f"/t/{thread_circle.thread.id}")
    fragments = client.application.extensions["fragments"]
    fragments.clear()  # both counts are of a page rendered again, as after a write
    with count_queries() as few:
        client.get(f"/t/{thread_circle.thread.id}")
    for _ in range(3):
        propose(repeal, closing_in=timedelta(days=30))
        propose(
            {"action": "amend", "agreement_id": agreement_id, "base_version": 1, "body": "Autre."},
            closing_in=timedelta(days=30),
        )
    fragments.clear()
    with count_queries() as many:
        html = client.get(f"/t/{thread_circle.thread.id}", headers=EN).get_data(as_text=True)
    assert text_of(html).count("Another open proposal changes the same agreement") == 7
    assert many.count == few.count, many.statements
