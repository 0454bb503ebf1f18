"""Correcting an open proposal through the API (PATCH), its versions, the voters told
what changed, and deleting a mistaken one before anyone voted (DELETE); an edit of the
agreement change racing a first stance, for real, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fixtures.concurrency import headers, race
from fixtures.proposal_api import EN, in_hours

from app.extensions import db

ADOPT = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Pas de réciprocité exigée.",
    "rules": {"reciprocity": "not_required"},
}


def _notifications(run, poll_id):
    from app.notifications.models import Notification

    return run(
        lambda: sorted(
            (n.user_id, n.kind)
            for n in db.session.scalars(
                sa.select(Notification).where(
                    Notification.poll_id == poll_id, Notification.kind == "poll_edited"
                )
            )
        )
    )


def test_correct_an_open_proposal_and_keep_every_version(
    api, thread_circle, start_proposal, vote_api, run
):
    poll = start_proposal(ADOPT, title="Adoptons nos acords").get_json()
    admin = api(thread_circle.admin)
    url = f"/api/v1/polls/{poll['id']}"
    # before anyone voted: the title, and a forgotten rule in the agreement change
    response = admin.patch(
        url,
        json={
            "title": "Adoptons nos accords",
            "agreement_change": {"rules": {"reciprocity": "not_required", "rhythm_per_week": 2}},
        },
    )
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["title"] == "Adoptons nos accords"
    assert data["agreement_change"]["rules"] == {
        "reciprocity": "not_required",
        "rhythm_per_week": 2,
    }
    assert data["agreement_change"]["title"] == "Nos accords d'écoute"  # kept
    # a vote, then the closing time moves: the voter is told; the change is frozen
    bruno = thread_circle.members[0]
    vote_api(poll["id"], bruno, "agree")
    later = in_hours(24 * 10)
    response = admin.patch(url, json={"closing_at": later})
    assert response.status_code == 200
    assert response.get_json()["closing_at"] == later
    assert _notifications(run, poll["id"]) == [(bruno.id, "poll_edited")]
    text = api(bruno).get("/api/v1/notifications", headers=EN).get_json()["items"][0]["text"]
    assert "corrected the proposal “Adoptons nos accords”, which you voted on" in text
    assert "Changed: the closing time (now" in text
    response = admin.patch(url, json={"agreement_change": {"body": "Autre texte."}}, headers=EN)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "agreement_change_frozen"
    assert "Someone has already voted on this proposal" in error["message"]
    # the same change as now is no change: accepted, nothing written
    same = {"agreement_change": {"title": "Nos accords d'écoute"}}
    assert admin.patch(url, json=same).status_code == 200
    versions = admin.get(f"{url}/versions").get_json()["items"]
    assert [v["number"] for v in versions] == [1, 2, 3]
    assert versions[0]["title"] == "Adoptons nos acords"  # as it was made
    assert versions[0]["agreement_change"]["rules"] == {"reciprocity": "not_required"}
    assert versions[1]["changed"] == ["title", "agreement_change"]
    assert versions[2]["changed"] == ["closing_at"]
    assert versions[2]["editor"]["id"] == thread_circle.admin.id


def test_edits_are_bounded_and_checked_like_creation(
    api, thread_circle, start_proposal, close_poll_api
):
    poll = start_proposal(ADOPT).get_json()
    admin = api(thread_circle.admin)
    url = f"/api/v1/polls/{poll['id']}"
    cases = [
        ({"closing_at": in_hours(-1)}, "closing_at", "Must be in the future."),
        ({"closing_at": in_hours(24 * 400)}, "closing_at", "at most 366 days"),
        ({"title": ""}, "title", None),
        ({"agreement_change": {"rules": {"rhythm_per_week": 50}}}, "rules.rhythm_per_week", None),
        ({"agreement_change": {"action": "repeal"}}, "agreement_change.action", None),
    ]
    for body, field, words in cases:
        response = admin.patch(url, json=body, headers=EN)
        assert response.status_code == 400, (body, response.get_json())
        fields = response.get_json()["error"]["fields"]
        assert field in fields, fields
        if words:
            assert words in str(fields[field])
    # someone else than the author or an admin: 403; a closed poll: 409
    assert api(thread_circle.members[1]).patch(url, json={"title": "X"}).status_code == 403
    close_poll_api(poll["id"])
    response = admin.patch(url, json={"title": "X"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "poll_closed"


def test_delete_before_the_first_stance_only(api, thread_circle, start_proposal, vote_api, run):
    from app.polls.models import Poll
    from app.proposals.models import AgreementChange

    admin = api(thread_circle.admin)
    mistaken = start_proposal(ADOPT).get_json()
    assert api(thread_circle.members[1]).delete(f"/api/v1/polls/{mistaken['id']}").status_code in (
        403,
    )
    assert admin.delete(f"/api/v1/polls/{mistaken['id']}").status_code == 204
    assert admin.get(f"/api/v1/polls/{mistaken['id']}").status_code == 404
    assert run(lambda: db.session.get(Poll, mistaken["id"])) is None
    assert (
        run(lambda: db.session.scalar(sa.select(sa.func.count(AgreementChange.id)))) == 0
    )  # its change went with it
    voted = start_proposal(ADOPT).get_json()
    vote_api(voted["id"], thread_circle.members[0], "agree")
    # a withdrawn stance still counts: someone took part
    api(thread_circle.members[0]).delete(f"/api/v1/polls/{voted['id']}/stance")
    response = admin.delete(f"/api/v1/polls/{voted['id']}", headers=EN)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "poll_has_stances"
    assert "can no longer be deleted" in error["message"]


def test_an_edit_of_the_change_racing_the_first_stance(
    app, api, thread_circle, start_proposal, run
):
    """Rules editable only before the first stance: an edit and a first stance sent at
    once are serialised on the poll. Either the edit came first (applied, and the
    stance is about the edited rules) or the stance did (the edit is refused, 409):
    never a stance about rules changed after it."""
    from app.polls.models import PollVersion, Stance

    outcomes = set()
    for attempt in range(4):
        poll = start_proposal(ADOPT, title=f"Essai {attempt}").get_json()
        url = f"/api/v1/polls/{poll['id']}"
        editor = api(thread_circle.admin).token
        voter = api(thread_circle.members[0]).token
        edit = {"agreement_change": {"rules": {"reciprocity": "required"}}}

        def editing(client, url=url, editor=editor, edit=edit):
            return [("edit", client.patch(url, json=edit, headers=headers(editor)))]

        def voting(client, url=url, voter=voter):
            return [
                ("vote", client.put(f"{url}/stance", json={"key": "agree"}, headers=headers(voter)))
            ]

        results = dict((kind, r.status_code) for kind, r in race(app, [editing, voting]))
        assert results["vote"] == 200
        assert results["edit"] in (200, 409)

        def facts(poll_id=poll["id"]):
            stance = db.session.scalar(sa.select(Stance).where(Stance.poll_id == poll_id))
            edit_at = db.session.scalar(
                sa.select(PollVersion.created_at).where(
                    PollVersion.poll_id == poll_id, PollVersion.number == 2
                )
            )
            return stance.created_at, edit_at

        stance_at, edit_at = run(facts)
        if results["edit"] == 200:
            assert edit_at is not None and edit_at <= stance_at
        else:
            assert edit_at is None
        outcomes.add(results["edit"])
    assert outcomes <= {200, 409}


def test_openapi_documents_the_choice(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = spec["paths"]["/api/v1/polls/{poll_id}"]
    assert {"get", "patch", "delete"} <= set(operations)
    assert "only before the first stance" in operations["patch"]["description"]
    assert "409" in operations["delete"]["responses"]
    assert "/api/v1/polls/{poll_id}/versions" in spec["paths"]


def test_move_the_closing_time_resets_the_reminder(api, thread_circle, start_proposal, run):
    from app.polls.models import Poll
    from app.timeutil import utcnow

    poll = start_proposal(ADOPT).get_json()

    def remind():
        db.session.get(Poll, poll["id"]).reminder_sent_at = utcnow() - timedelta(minutes=1)

    run(remind)
    response = api(thread_circle.admin).patch(
        f"/api/v1/polls/{poll['id']}", json={"closing_at": in_hours(72)}
    )
    assert response.status_code == 200
    assert run(lambda: db.session.get(Poll, poll["id"]).reminder_sent_at) is None
