"""Polls API: starting a poll, reading it, the thread's poll list, the seed's results,
hidden results, anonymity, and closing as of ``closing_at``."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fixtures.poll_api import EN, FR, in_hours, iso, parse

from app.extensions import db
from app.timeutil import utcnow

POLL_KEYS = {
    "id", "thread_id", "group", "kind", "title", "details", "details_html", "author",
    "created_at", "status", "closing_at", "closed_at", "anonymous", "results_visibility",
    "reasons", "min_choices", "max_choices", "min_score", "max_score", "dots",
    "shuffle_options", "voters", "options", "results", "undecided", "participants",
    "eligible", "participation_percent", "stances", "my_stance", "outcome", "statement",
    "agreement_change",  # a proposal's change (null here): the agreements API's addition
}  # fmt: skip


def url(thread_id):
    return f"/api/v1/threads/{thread_id}/polls"


# -- creating ----------------------------------------------------------------------


def test_start_a_proposal(api, thread_circle):
    closing = in_hours(48)
    response = api(thread_circle.admin).post(
        url(thread_circle.thread.id),
        json={"kind": "proposal", "title": "Un groupe Zoom ?", "details": "Pour **tous**",
              "closing_at": closing},
    )  # fmt: skip
    assert response.status_code == 201
    poll = response.get_json()
    assert set(poll) == POLL_KEYS
    assert poll["kind"] == "proposal" and poll["status"] == "open"
    assert (
        poll["thread_id"] == thread_circle.thread.id and poll["group"] == thread_circle.group.handle
    )
    assert poll["closing_at"] == closing and poll["closed_at"] is None
    assert "<strong>tous</strong>" in poll["details_html"]
    assert [o["key"] for o in poll["options"]] == ["agree", "abstain", "disagree", "block"]
    assert poll["reasons"] == "required_for_block"
    assert poll["results_visibility"] == "always" and poll["anonymous"] is False
    assert poll["voters"] is None
    assert [(r["key"], r["count"], r["percent"]) for r in poll["results"]] == [
        ("agree", 0, 0.0), ("abstain", 0, 0.0), ("disagree", 0, 0.0), ("block", 0, 0.0)
    ]  # fmt: skip
    assert (poll["participants"], poll["eligible"], poll["undecided"]) == (0, 4, 4)
    assert poll["participation_percent"] == 0
    assert poll["stances"] == [] and poll["my_stance"] is None
    assert poll["outcome"] is None and poll["statement"] is None
    assert poll["author"]["name"] == "Alice"


def test_start_other_kinds_gives_keys_and_settings(start_poll):
    choice = start_poll("choice", options=["Zoom", "Jitsi", "En vrai"], max_choices=2)
    assert [(o["key"], o["name"]) for o in choice["options"]] == [
        ("o1", "Zoom"), ("o2", "Jitsi"), ("o3", "En vrai")
    ]  # fmt: skip
    assert (choice["min_choices"], choice["max_choices"], choice["reasons"]) == (1, 2, "optional")
    score = start_poll("score", min_score=1, max_score=10, shuffle_options=True)
    assert (score["min_score"], score["max_score"], score["shuffle_options"]) == (1, 10, True)
    assert sorted(o["key"] for o in score["options"]) == ["o1", "o2", "o3"]
    assert start_poll("dot", dots=12)["dots"] == 12
    assert start_poll("ranked")["kind"] == "ranked"


def test_a_meeting_poll_takes_time_slots_in_time_order(start_poll):
    poll = start_poll("meeting", options=["2030-05-12T18:00:00+02:00", "2030-05-11T09:30:00-01:00"])
    assert poll["options"] == [
        {"key": "o1", "name": "2030-05-11T10:30:00Z", "starts_at": "2030-05-11T10:30:00Z"},
        {"key": "o2", "name": "2030-05-12T16:00:00Z", "starts_at": "2030-05-12T16:00:00Z"},
    ]


def test_named_voters(api, thread_circle, start_poll, error_of):
    bruno, chloe = thread_circle.members[0], thread_circle.members[1]
    poll = start_poll("proposal", voters=[bruno.id, chloe.id])
    assert sorted(poll["voters"]) == sorted([bruno.id, chloe.id])
    assert poll["eligible"] == 2
    stranger = api(thread_circle.admin).post(
        url(thread_circle.thread.id),
        json={"kind": "proposal", "title": "T", "closing_at": in_hours(2), "voters": [99999]},
    )
    assert "voters" in error_of(stranger, 400, "validation_error")["fields"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"closing_at": "2030-05-12T09:30:00"}, "closing_at"),  # no zone
        ({"closing_at": "2020-05-12T09:30:00Z"}, "closing_at"),  # in the past
        ({"closing_at": "demain"}, "closing_at"),
        ({"kind": "vote"}, "kind"),
        ({"title": ""}, "title"),
        ({"options": ["Oui", "Non"]}, "options"),  # a proposal's options are fixed
        ({"agreement_change": {"action": "adopt"}}, "agreement_change.title"),  # no title
        ({"min_score": 1}, "min_score"),  # not a proposal's setting
        ({"shuffle_options": True}, "shuffle_options"),
        ({"reasons": "sometimes"}, "reasons"),
        ({"results_visibility": "never"}, "results_visibility"),
        ({"anonymous": "maybe"}, "anonymous"),
        ({"voters": [True]}, "voters.0"),
    ],
)
def test_bad_proposal_fields_are_named(api, thread_circle, error_of, payload, field):
    body = {"kind": "proposal", "title": "Un groupe Zoom ?", "closing_at": in_hours(24)}
    body.update(payload)
    response = api(thread_circle.admin).post(url(thread_circle.thread.id), json=body, headers=EN)
    error = error_of(response, 400, "validation_error")
    assert field in error["fields"], error


def test_naive_closing_time_message_asks_for_a_zone(api, thread_circle, error_of):
    body = {"kind": "proposal", "title": "T", "closing_at": "2030-05-12T09:30:00"}
    error = error_of(
        api(thread_circle.admin).post(url(thread_circle.thread.id), json=body, headers=EN), 400
    )
    assert "zone" in error["fields"]["closing_at"]
    past = dict(body, closing_at="2020-05-12T09:30:00+02:00")
    error = error_of(
        api(thread_circle.admin).post(url(thread_circle.thread.id), json=past, headers=EN), 400
    )
    assert error["fields"]["closing_at"] == "Must be in the future."


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [
        ("choice", {"options": ["Seul"]}, "options"),
        ("choice", {"options": None}, "options"),
        ("choice", {"options": ["Zoom", "zoom"]}, "options.1"),
        ("choice", {"options": ["Zoom", ""]}, "options.1"),
        ("choice", {"min_choices": 3, "max_choices": 2}, "min_choices"),
        ("choice", {"max_choices": 4}, "max_choices"),
        ("choice", {"dots": 4}, "dots"),
        ("score", {"min_score": 5, "max_score": 5}, "max_score"),
        ("score", {"max_choices": 2}, "max_choices"),
        ("dot", {"dots": 0}, "dots"),
        ("meeting", {"options": ["2030-05-12T09:30:00", "2030-05-13T09:30:00Z"]}, "options.0"),
        ("meeting", {"shuffle_options": True}, "shuffle_options"),
        ("ranked", {"reasons": "required_for_block"}, "reasons"),
    ],
)
def test_bad_fields_of_other_kinds_are_named(api, thread_circle, error_of, kind, payload, field):
    body = {"kind": kind, "title": "T", "closing_at": in_hours(24),
            "options": ["Zoom", "Jitsi", "En vrai"]}  # fmt: skip
    if kind == "meeting":
        body["options"] = ["2030-05-12T09:30:00Z", "2030-05-13T09:30:00Z"]
    body.update(payload)
    error = error_of(api(thread_circle.admin).post(url(thread_circle.thread.id), json=body), 400)
    assert field in error["fields"], error


def test_who_may_start_a_poll(
    api, thread_circle, make_user, make_group, make_thread, run, error_of
):
    from app.groups.models import Group
    from app.threads.models import Thread

    body = {"kind": "proposal", "title": "T", "closing_at": in_hours(24)}
    bruno = thread_circle.members[0]
    assert api(bruno).post(url(thread_circle.thread.id), json=body).status_code == 201
    error_of(api(None).post(url(thread_circle.thread.id), json=body), 401)
    outsider = make_user(name="Olga")
    error_of(api(outsider).post(url(thread_circle.thread.id), json=body), 404, "not_found")
    error_of(api(bruno).post(url(999999), json=body), 404, "not_found")

    # members may not raise proposals there: other kinds yes, proposals admins only
    run(
        lambda: db.session.execute(
            sa.update(Group)
            .where(Group.id == thread_circle.group.id)
            .values(members_can_raise_proposals=False)
        )
    )
    error_of(api(bruno).post(url(thread_circle.thread.id), json=body), 403, "forbidden")
    choice = dict(body, kind="choice", options=["A", "B"])
    assert api(bruno).post(url(thread_circle.thread.id), json=choice).status_code == 201
    assert api(thread_circle.admin).post(url(thread_circle.thread.id), json=body).status_code == 201

    # an open group: readable by outsiders, who may not start a poll
    open_group = make_group(thread_circle.admin, privacy="open", handle="ouvert")
    open_thread = make_thread(open_group, thread_circle.admin)
    error_of(api(outsider).post(url(open_thread.id), json=body), 403, "forbidden")

    # a closed thread takes no poll
    run(lambda: setattr(db.session.get(Thread, thread_circle.thread.id), "closed_at", utcnow()))
    error_of(
        api(thread_circle.admin).post(url(thread_circle.thread.id), json=body), 409, "thread_closed"
    )


# -- reading --------------------------------------------------------------------------


def test_get_a_poll_and_who_may(api, thread_circle, make_user, start_poll, error_of):
    poll = start_poll("choice")
    got = api(thread_circle.members[2]).get(f"/api/v1/polls/{poll['id']}")
    assert got.status_code == 200
    data = got.get_json()
    assert set(data) == POLL_KEYS
    assert data["options"] == poll["options"] and data["title"] == "Un groupe Zoom ?"
    error_of(api(None).get(f"/api/v1/polls/{poll['id']}"), 401)
    error_of(api(make_user()).get(f"/api/v1/polls/{poll['id']}"), 404, "not_found")
    error_of(api(thread_circle.admin).get("/api/v1/polls/999999"), 404, "not_found")


def test_proposal_option_names_follow_the_callers_language(api, thread_circle, start_poll):
    poll = start_poll()
    en = api(thread_circle.admin).get(f"/api/v1/polls/{poll['id']}", headers=EN).get_json()
    assert [o["name"] for o in en["options"]] == ["Agree", "Abstain", "Disagree", "Block"]
    fr = api(thread_circle.admin).get(f"/api/v1/polls/{poll['id']}", headers=FR)
    assert fr.status_code == 200
    assert [o["key"] for o in fr.get_json()["options"]] == ["agree", "abstain", "disagree", "block"]
    assert [r["key"] for r in fr.get_json()["results"]] == ["agree", "abstain", "disagree", "block"]


@pytest.fixture
def eighteen(app, thread_circle, make_user):
    """The seed's circle: 18 members (Alice, Bruno, Chloé, David and 14 more)."""
    from fixtures.memberships import admit

    from app.auth.models import User
    from app.groups.models import Group

    more = [make_user(name=f"Membre {i:02d}") for i in range(14)]
    with app.app_context():
        group = db.session.get(Group, thread_circle.group.id)
        admin = db.session.get(User, thread_circle.admin.id)
        for person in more:
            admit(group, db.session.get(User, person.id), actor=admin, now=utcnow())
        db.session.commit()
    return [*thread_circle.people, *more]


SEED_VOTES = ["agree"] * 5 + ["abstain"] * 8 + ["disagree"] * 3 + ["block"] * 2


@pytest.mark.parametrize("anonymous", [True, False])
def test_the_seeds_poll_through_the_api(api, thread_circle, eighteen, start_poll, anonymous):
    poll = start_poll(anonymous=anonymous)
    for person, key in zip(eighteen, SEED_VOTES, strict=True):
        reason = "Je ne possède pas les outils numériques." if key == "block" else ""
        response = api(person).put(
            f"/api/v1/polls/{poll['id']}/stance", json={"key": key, "reason": reason}
        )
        assert response.status_code == 200, response.get_json()
    if anonymous:  # no result while open; the seed's table once closed
        data = api(thread_circle.admin).get(f"/api/v1/polls/{poll['id']}").get_json()
        assert data["results"] is None and data["stances"] is None
        assert data["my_stance"]["key"] == "agree"
        api(thread_circle.admin).post(f"/api/v1/polls/{poll['id']}/close")
    data = api(thread_circle.admin).get(f"/api/v1/polls/{poll['id']}", headers=EN).get_json()
    assert [(r["name"], r["count"], r["percent"]) for r in data["results"]] == [
        ("Agree", 5, 27.8), ("Abstain", 8, 44.4), ("Disagree", 3, 16.7), ("Block", 2, 11.1)
    ]  # fmt: skip
    assert (data["participants"], data["eligible"], data["undecided"]) == (18, 18, 0)
    assert data["participation_percent"] == 100
    assert len(data["stances"]) == 18
    assert data["my_stance"] is None if anonymous else data["my_stance"]["key"] == "agree"
    voters = [s["voter"] for s in data["stances"]]
    if anonymous:
        assert voters == [None] * 18
        assert all(s["created_at"] is None for s in data["stances"])
    else:
        assert sorted(v["name"] for v in voters) == sorted(p.name for p in eighteen)
        blockers = [s["voter"]["id"] for s in data["stances"] if s["key"] == "block"]
        assert blockers == [eighteen[16].id, eighteen[17].id]
    reasons = [s["reason"] for s in data["stances"] if s["key"] == "block"]
    assert reasons == ["Je ne possède pas les outils numériques."] * 2


def test_an_anonymous_poll_erases_voters_at_close(api, thread_circle, start_poll, stances_of):
    poll = start_poll(anonymous=True)
    for person, key in zip(
        thread_circle.people, ["agree", "abstain", "agree", "disagree"], strict=True
    ):
        api(person).put(f"/api/v1/polls/{poll['id']}/stance", json={"key": key})
    before = api(thread_circle.members[0]).get(f"/api/v1/polls/{poll['id']}").get_json()
    assert before["my_stance"]["key"] == "abstain"
    assert before["results"] is None and before["stances"] is None  # nothing while open
    assert {v for v, _c, _cur in stances_of(poll["id"])} == {p.id for p in thread_circle.people}

    closed = api(thread_circle.admin).post(f"/api/v1/polls/{poll['id']}/close").get_json()["poll"]
    assert closed["status"] == "closed"
    assert [v for v, _c, _cur in stances_of(poll["id"])] == [None] * 4  # the link is gone
    after = api(thread_circle.members[0]).get(f"/api/v1/polls/{poll['id']}").get_json()
    assert [(r["key"], r["count"]) for r in after["results"]] == [
        ("agree", 2), ("abstain", 1), ("disagree", 1), ("block", 0)
    ]  # fmt: skip
    assert after["my_stance"] is None  # nobody's stance is theirs any more
    assert all(s["voter"] is None for s in after["stances"]) and len(after["stances"]) == 4
    assert (after["participants"], after["eligible"]) == (4, 4)


@pytest.mark.parametrize("visibility", ["after_vote", "after_close"])
def test_hidden_results_are_null(api, thread_circle, start_poll, visibility):
    poll = start_poll(results_visibility=visibility)
    path = f"/api/v1/polls/{poll['id']}"
    assert poll["results"] is None and poll["stances"] is None
    bruno, chloe = thread_circle.members[0], thread_circle.members[1]
    api(bruno).put(f"{path}/stance", json={"key": "agree"})
    for viewer in (thread_circle.admin, chloe):  # no stance yet
        data = api(viewer).get(path).get_json()
        assert data["results"] is None and data["stances"] is None
        assert (data["participants"], data["eligible"], data["undecided"]) == (1, 4, 3)
        assert data["participation_percent"] == 25
    mine = api(bruno).get(path).get_json()
    assert mine["my_stance"]["key"] == "agree"
    if visibility == "after_vote":
        assert mine["results"][0]["count"] == 1 and len(mine["stances"]) == 1
    else:
        assert mine["results"] is None and mine["stances"] is None
    api(thread_circle.admin).post(f"{path}/close")
    data = api(chloe).get(path).get_json()
    assert data["results"][0]["count"] == 1
    assert data["stances"][0]["voter"]["id"] == bruno.id


def test_a_stance_after_closing_time_is_refused_and_the_poll_shows_closed(
    api, thread_circle, start_poll, move_closing, error_of, closed_hook
):
    poll = start_poll()
    path = f"/api/v1/polls/{poll['id']}"
    api(thread_circle.members[0]).put(f"{path}/stance", json={"key": "agree"})
    # now: everyone was a member by then (membership history counts as of the close),
    # and a stance at or after closing_at is refused
    closing = utcnow()
    move_closing(poll["id"], closing)

    refused = api(thread_circle.members[1]).put(f"{path}/stance", json={"key": "agree"}, headers=EN)
    error = error_of(refused, 409, "poll_closed")
    assert "closed" in error["message"] and str(closing.year) in error["message"]
    # the refusal finalised the poll, once, as of its closing time
    assert closed_hook == [(poll["id"], closing)]
    data = api(thread_circle.admin).get(path).get_json()
    assert data["status"] == "closed"
    assert data["closed_at"] == data["closing_at"] == iso(closing)
    assert data["participants"] == 1
    error_of(api(thread_circle.members[0]).delete(f"{path}/stance"), 409, "poll_closed")
    assert closed_hook == [(poll["id"], closing)]


def test_a_read_finalises_a_due_poll(api, thread_circle, start_poll, move_closing, closed_hook):
    poll = start_poll("choice")
    closing = utcnow() - timedelta(hours=1)
    move_closing(poll["id"], closing)
    data = api(thread_circle.members[0]).get(f"/api/v1/polls/{poll['id']}").get_json()
    assert data["status"] == "closed" and parse(data["closed_at"]) == closing
    assert closed_hook == [(poll["id"], closing)]
    api(thread_circle.members[0]).get(f"/api/v1/polls/{poll['id']}")
    assert len(closed_hook) == 1


# -- the thread's polls --------------------------------------------------------------


def test_the_thread_lists_its_polls(api, thread_circle, start_poll, move_closing, closed_hook):
    first = start_poll(title="Premier")
    second = start_poll("ranked", title="Second")
    move_closing(first["id"], utcnow() - timedelta(minutes=1))
    data = (
        api(thread_circle.members[0]).get(f"/api/v1/threads/{thread_circle.thread.id}").get_json()
    )
    assert data["polls"] == [
        {"id": first["id"], "kind": "proposal", "title": "Premier", "status": "closed"},
        {"id": second["id"], "kind": "ranked", "title": "Second", "status": "open"},
    ]
    assert [poll_id for poll_id, _when in closed_hook] == [first["id"]]


def test_the_thread_api_runs_the_same_statements_whatever_its_polls(
    api, thread_circle, start_poll, make_thread, count_queries
):
    from app.threads.models import Thread  # noqa: F401 - loaded before counting

    empty = make_thread(thread_circle.group, thread_circle.admin, comments=2)
    busy = make_thread(thread_circle.group, thread_circle.admin, comments=2)
    for i in range(3):
        start_poll(thread=busy, title=f"Sondage {i}")
    reader = api(thread_circle.members[0])
    reader.get(f"/api/v1/threads/{empty.id}")  # warm up
    counts = []
    for thread in (empty, busy):
        with count_queries() as q:
            response = reader.get(f"/api/v1/threads/{thread.id}")
        assert response.status_code == 200
        counts.append(q.count)
    assert len(response.get_json()["polls"]) == 3
    assert counts[0] == counts[1], counts
