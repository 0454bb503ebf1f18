"""The proposal form as a facilitator meets it: a value typed in a rule sets the rule
(never silently dropped), "Leave unset" is the one way to leave it unset, both at once
is an error on the rule; the change type is chosen inside the form without losing what
was typed; «Proposer» sits next to «Lancer un sondage»; the thread's choice reads whole."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fixtures.agreement_pages import EN, text_of

from app.extensions import db

pytestmark = pytest.mark.usefixtures("ten_days_ago")


def _closing() -> str:
    from app.timeutil import utcnow

    return (utcnow() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")


def _base(**extra) -> dict:
    data = {
        "title": "Adoptons nos accords",
        "details": "Voici.",
        "closing_at": _closing(),
        "results_visibility": "always",
        "reasons": "required_for_block",
        "voters_mode": "all",
    }
    data.update(extra)
    return data


def _all_unset(**values) -> dict:
    """What a browser sends for a fresh adopt form: every rule's value empty and
    "Leave unset" ticked; then ``values`` as typed (their box left as it was)."""
    from app.agreements.rules import RULE_KEYS

    data = {}
    for key in RULE_KEYS:
        data[f"rule-{key}"] = ""
        data[f"rule-{key}-unset"] = "y"
    for key, value in values.items():
        data[f"rule-{key}"] = value
    return data


def _rules_of(run, poll_id):
    from app.proposals.models import AgreementChange

    return run(
        lambda: db.session.scalar(
            sa.select(AgreementChange.rules).where(AgreementChange.poll_id == poll_id)
        )
    )


def _url(thread_circle, **args):
    query = "&".join(f"{k}={v}" for k, v in {"kind": "proposal", **args}.items())
    return f"/t/{thread_circle.thread.id}/polls/new?{query}"


def test_a_value_typed_with_leave_unset_ticked_is_an_error_on_the_rule(
    client, auth, thread_circle, run
):
    """The issue's case: «Non obligatoire» and 21 typed, the rule's box still saying
    "Leave unset" (no JavaScript to untick it): refused, named on the rule, kept."""
    from app.polls.models import Poll

    auth.login(thread_circle.admin)
    data = _base(
        **{"change_choice": "adopt", "change_shown": "adopt"},
        **{"change-title": "Nos accords", "change-body": "Texte."},
        **_all_unset(reciprocity="not_required", rhythm_per_week="21"),
    )
    response = client.post(_url(thread_circle), data=data, headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert "Support rhythm (rhythm_per_week): You gave a value and ticked “Leave unset”" in text
    assert "Reciprocity (reciprocity): You gave a value and ticked “Leave unset”" in text
    assert 'name="rule-rhythm_per_week" value="21"' in html  # kept as typed
    assert '<details class="rule-widget" id="rule-rhythm_per_week-fieldset" open>' in html
    # the long form says so at its top, where the person lands, and in the title
    top = html.index('class="error-summary"')
    summary = html[top : html.index("rule-rhythm_per_week-fieldset")]
    assert "You gave a value and ticked" in summary and "autofocus" in summary
    assert "<title>Error: New proposal" in html
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(Poll.id)))) == 0


def test_a_value_typed_sets_the_rule(client, auth, thread_circle, run):
    """Untick "Leave unset" (JavaScript does it as one types) and the value is the rule;
    an empty nullable rule whose box is unticked is set to "none"; the rest stay unset."""
    auth.login(thread_circle.admin)
    data = _base(
        **{"change_choice": "adopt", "change_shown": "adopt"},
        **{"change-title": "Nos accords", "change-body": "Texte."},
        **_all_unset(reciprocity="not_required", rhythm_per_week="21", availability_check="no"),
    )
    for key in ("reciprocity", "rhythm_per_week", "availability_check", "relance_after_days"):
        del data[f"rule-{key}-unset"]
    response = client.post(_url(thread_circle), data=data, headers=EN)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    poll_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert _rules_of(run, poll_id) == {
        "reciprocity": "not_required",
        "availability_check": False,
        "relance_after_days": None,
        "rhythm_per_week": 21,
    }
    text = text_of(client.get(f"/p/{poll_id}", headers=EN).get_data(as_text=True))
    assert "Support rhythm 21 times a week" in text
    assert "sets no rule" not in text


def test_an_empty_rule_without_leave_unset_asks_for_a_value(client, auth, thread_circle):
    auth.login(thread_circle.admin)
    data = _base(
        **{"change_choice": "adopt", "change_shown": "adopt"},
        **{"change-title": "Nos accords", "change-body": "Texte."},
        **_all_unset(),
    )
    del data["rule-urgent_response_minutes-unset"]
    response = client.post(_url(thread_circle), data=data, headers=EN)
    assert response.status_code == 400
    text = text_of(response.get_data(as_text=True))
    assert "(urgent_response_minutes): Give a value, or tick “Leave unset”." in text


def test_changing_the_type_keeps_what_was_typed(client, auth, thread_circle, adopted):
    """The change type is a radio group of the same form: its button draws the page
    again with the new choice's fields and everything typed so far."""
    agreement_id, _ = adopted()
    auth.login(thread_circle.admin)
    html = client.get(_url(thread_circle), headers=EN).get_data(as_text=True)
    assert 'name="change_choice" value="" checked' in html
    assert 'name="choose_change"' in html
    data = _base(
        title="Mon titre tapé",
        details="Mes détails tapés",
        change_choice="adopt",
        change_shown="",
        choose_change="1",
    )
    response = client.post(_url(thread_circle), data=data, headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="Mon titre tapé"' in html and "Mes détails tapés" in html
    assert 'name="change_choice" value="adopt" checked' in html
    assert 'name="change-title"' in html and 'name="rule-reciprocity"' in html
    assert "field-error" not in html  # drawn again, not judged
    # then to an amendment: its fields start from the current version, the poll's stay
    data.update(
        {
            "change_choice": f"amend:{agreement_id}",
            "change_shown": "adopt",
            "change-title": "Brouillon",
        }
    )
    html = client.post(_url(thread_circle), data=data, headers=EN).get_data(as_text=True)
    assert 'value="Mon titre tapé"' in html
    assert 'value="Nos accords d&#39;écoute"' in html  # the base version's title
    assert f'value="amend:{agreement_id}" checked' in html
    # choosing another type and pressing "Make the proposal" also only redraws
    data.update({"change_choice": "adopt", "change_shown": f"amend:{agreement_id}"})
    del data["choose_change"]
    response = client.post(_url(thread_circle), data=data, headers=EN)
    assert response.status_code == 200
    assert 'name="change_choice" value="adopt" checked' in response.get_data(as_text=True)


def test_propose_sits_next_to_start_a_poll(page, thread_circle):
    status, html = page(f"/t/{thread_circle.thread.id}", user=thread_circle.members[0])
    assert status == 200
    assert f'href="/t/{thread_circle.thread.id}/polls/new?kind=proposal">Propose</a>' in html
    status, html = page(f"/g/{thread_circle.group.handle}")
    assert f'href="/g/{thread_circle.group.handle}/agreements/propose">Propose</a>' in html
    status, html = page(f"/g/{thread_circle.group.handle}/agreements/propose")
    assert status == 200 and "What does this proposal change?" in text_of(html)


def test_the_new_thread_choice_reads_whole(page, thread_circle):
    """A placeholder in the option's text was taken for an HTML tag and vanished."""
    status, html = page(
        f"/g/{thread_circle.group.handle}/agreements/propose", user=thread_circle.admin
    )
    assert status == 200
    assert ">A new thread, with the proposal&#39;s title</option>" in html


def test_read_rule_decides_from_what_was_entered(app):
    """A value entered sets the rule, "Leave unset" alone leaves it unset, both is an
    error; empty without "Leave unset" is "none" where none means something."""
    from app.proposals.forms import ERROR, SET, UNSET, read_rule

    with app.test_request_context():
        assert read_rule("rhythm_per_week", "21", False) == (SET, 21, None)
        assert read_rule("rhythm_per_week", "", True) == (UNSET, None, None)
        assert read_rule("rhythm_per_week", "21", True)[0] == ERROR
        assert read_rule("rhythm_per_week", "", False) == (SET, None, None)
        assert read_rule("channels", "", False) == (SET, [], None)
        assert read_rule("channels", "Jitsi\n\n téléphone ", False) == (
            SET,
            ["Jitsi", "téléphone"],
            None,
        )
        assert read_rule("urgent_response_minutes", "", False)[0] == ERROR
        assert read_rule("urgent_response_minutes", "vite", False)[0] == ERROR
        assert read_rule("availability_check", "no", False) == (SET, False, None)
        assert read_rule("reciprocity", "not_required", False) == (SET, "not_required", None)
        assert read_rule("reciprocity", "bof", False)[0] == ERROR
