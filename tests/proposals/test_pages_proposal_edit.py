"""Correcting a proposal from its page (a typo, the closing time, a forgotten rule),
its versions, and deleting a mistaken one before anyone voted, without JavaScript."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fixtures.agreement_pages import EN, text_of
from fixtures.proposal_api import in_hours

from app.extensions import db

ADOPT = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Pas de réciprocité exigée.",
    "rules": {"reciprocity": "not_required"},
}


def _local(hours: float) -> str:
    from zoneinfo import ZoneInfo

    from app.timeutil import utcnow

    moment = utcnow() + timedelta(hours=hours)
    return moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def _edit_data(html_title="Adoptons nos accords", closing=None, **extra) -> dict:
    from app.agreements.rules import RULE_KEYS

    data = {
        "title": html_title,
        "details": "Voici.",
        "closing_at": closing or _local(30),
        "change-title": "Nos accords d'écoute",
        "change-body": "Pas de réciprocité exigée.",
    }
    for key in RULE_KEYS:
        data[f"rule-{key}"] = ""
        data[f"rule-{key}-unset"] = "y"
    data.pop("rule-reciprocity-unset")
    data["rule-reciprocity"] = "not_required"
    data.update(extra)
    return data


def test_correct_a_typo_and_add_a_forgotten_rule_before_anyone_voted(
    client, auth, thread_circle, start_proposal, run
):
    from app.proposals.models import AgreementChange

    poll = start_proposal(ADOPT, title="Adoptons nos acords").get_json()
    auth.login(thread_circle.admin)
    html = client.get(f"/p/{poll['id']}", headers=EN).get_data(as_text=True)
    assert f'href="/p/{poll["id"]}/edit">Correct it</a>' in html
    html = client.get(f"/p/{poll['id']}/edit", headers=EN).get_data(as_text=True)
    assert 'value="Adoptons nos acords"' in html
    assert '<option value="not_required" selected>' in html  # the change, as proposed
    assert "Delete it (nobody has voted yet)" in text_of(html)
    data = _edit_data(**{"rule-rhythm_per_week": "2"})
    del data["rule-rhythm_per_week-unset"]
    response = client.post(f"/p/{poll['id']}/edit", data=data, headers=EN)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    rules = run(
        lambda: db.session.scalar(
            sa.select(AgreementChange.rules).where(AgreementChange.poll_id == poll["id"])
        )
    )
    assert rules == {"reciprocity": "not_required", "rhythm_per_week": 2}
    text = text_of(client.get(f"/p/{poll['id']}", headers=EN).get_data(as_text=True))
    assert "Adoptons nos accords" in text
    assert "Corrected once: see the earlier version" in text
    text = text_of(client.get(f"/p/{poll['id']}/versions", headers=EN).get_data(as_text=True))
    assert "Version 2" in text and "Version 1" in text
    assert "Changed: title, details, closing time, agreement change." in text
    assert "Adoptons nos acords" in text  # as it was made


def test_after_a_vote_the_change_is_frozen_and_said_so(
    client, auth, thread_circle, start_proposal, vote_api
):
    poll = start_proposal(ADOPT).get_json()
    vote_api(poll["id"], thread_circle.members[0], "agree")
    auth.login(thread_circle.admin)
    html = client.get(f"/p/{poll['id']}/edit", headers=EN).get_data(as_text=True)
    text = text_of(html)
    assert "Someone has already voted: the agreement change stays as it was" in text
    assert 'name="rule-reciprocity"' not in html
    assert "Delete it" not in text
    assert "will be told what changed" in text
    # a closing time beyond a year is refused on its field, as at creation
    response = client.post(
        f"/p/{poll['id']}/edit",
        data={"title": "T", "details": "", "closing_at": _local(24 * 400)},
        headers=EN,
    )
    assert response.status_code == 400
    assert "Must be at most 366 days from now." in text_of(response.get_data(as_text=True))
    response = client.post(
        f"/p/{poll['id']}/edit",
        data={"title": "Nouveau titre", "details": "", "closing_at": _local(48)},
        headers=EN,
    )
    assert response.status_code == 302
    # deleting is refused, with the reason
    response = client.post(f"/p/{poll['id']}/delete", headers=EN)
    assert response.status_code == 409
    assert "can no longer be deleted" in text_of(response.get_data(as_text=True))


def test_delete_a_mistaken_proposal(client, auth, thread_circle, start_proposal, run):
    from app.polls.models import Poll

    poll = start_proposal(ADOPT).get_json()
    auth.login(thread_circle.members[1])  # neither its author nor an admin
    assert client.get(f"/p/{poll['id']}/edit").status_code == 403
    assert client.post(f"/p/{poll['id']}/delete").status_code == 403
    auth.login(thread_circle.admin)
    html = client.get(f"/p/{poll['id']}/delete", headers=EN).get_data(as_text=True)
    assert "Nobody has voted yet" in text_of(html)
    response = client.post(f"/p/{poll['id']}/delete", headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{thread_circle.thread.id}")
    assert run(lambda: db.session.get(Poll, poll["id"])) is None
    assert client.get(f"/p/{poll['id']}").status_code == 404


def test_a_closed_poll_cannot_be_corrected(client, auth, thread_circle, start_proposal):
    poll = start_proposal(ADOPT, closing_at=in_hours(24)).get_json()
    auth.login(thread_circle.admin)
    client.post(f"/p/{poll['id']}/close")
    response = client.get(f"/p/{poll['id']}/edit", headers=EN)
    assert response.status_code == 409
    html = client.get(f"/p/{poll['id']}", headers=EN).get_data(as_text=True)
    assert "Correct it" not in html
