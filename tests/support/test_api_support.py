"""The support API: asking, answering, releasing, closing, the route with its provenance,
who sees what (404 for everyone else, admins included), the steps time brings on read
and refused-write paths, check-ins, rhythm and support times, the membership switches,
and a fixed number of SQL statements whatever the number of requests."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from fixtures.support_api import EN

from app.extensions import db
from app.timeutil import isoformat_z, utcnow

DESIGN_KEYS = {
    "id",
    "kind",
    "urgent",
    "important",
    "body",
    "body_html",
    "when",
    "channel",
    "requester",
    "supporters",
    "status",
    "created_at",
    "matched_with",
    "matched_at",
    "closed_at",
    "lapsed_at",
    "outcome",
    "overdue",
    "escalated_at",
    "route",
    "responses",
}
#: additions to DESIGN's object, documented in the OpenAPI document
ADDED_KEYS = {"group", "timeline"}


def parse(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def url(request_id, tail=""):
    return f"/api/v1/support-requests/{request_id}{tail}"


def group_url(circle, tail):
    return f"/api/v1/groups/{circle.group.handle}/{tail}"


@pytest.fixture
def eve(make_user, make_group):
    """Eve, who belongs to another group only."""
    person = make_user(name="Eve")
    make_group(person, handle="ailleurs")
    return person


# -- asking -------------------------------------------------------------------------------


def test_a_request_shows_its_route_with_the_agreement_that_set_it(api, support_circle, ask_support):
    alice, bruno, chloe, david = support_circle.people
    body = ask_support(
        alice,
        support_circle.group,
        body="Besoin d'**écoute** ce soir",
        when="ce soir après 20 h",
        channel="Jitsi",
    )
    assert set(body) == DESIGN_KEYS | ADDED_KEYS
    assert body["status"] == "open" and body["supporters"] is None
    assert body["requester"] == {"id": alice.id, "name": "Alice"}
    assert body["body_html"].startswith("<p>Besoin d'<strong>écoute</strong>")
    assert (body["when"], body["channel"], body["group"]) == (
        "ce soir après 20 h",
        "Jitsi",
        support_circle.group.handle,
    )
    route = body["route"]
    assert route["rule"] == "urgent_response_minutes"
    assert route["source"] == {
        "agreement_id": support_circle.agreement_id,
        "version": 1,
        "title": "Nos accords d'écoute",
        "poll_id": support_circle.poll_id,
        "adopted_at": route["source"]["adopted_at"],
    }
    assert parse(route["escalate_at"]) == parse(body["created_at"]) + timedelta(minutes=30)
    assert route["lapse_at"] is None and route["overdue_at"] is None
    assert route["explanation"] == (
        "The available supporters are told at once; without an answer within 30 minutes, "
        "the whole circle is told."
    )
    told = {n["user"]["id"]: n for n in route["notified"]}
    assert set(told) == {bruno.id, chloe.id, david.id}  # never the requester
    assert told[bruno.id]["user"] == {"id": bruno.id, "name": "Bruno"}
    assert told[bruno.id]["why"] == "urgent and important: every available supporter at once"
    assert told[bruno.id]["rule"] == "urgent_response_minutes"
    assert [s["kind"] for s in body["timeline"]][:1] == ["asked"]
    assert body["timeline"][0]["text"] == "Alice asked"

    # The same object on its own.
    again = api(bruno).get(url(body["id"]), headers=EN)
    assert again.status_code == 200
    assert again.get_json() == body


def test_without_an_agreement_the_route_names_the_default(api, thread_circle, ask_support):
    body = ask_support(thread_circle.admin, thread_circle.group)
    assert body["route"]["source"] is None
    created = parse(body["created_at"])
    assert parse(body["route"]["escalate_at"]) == created + timedelta(minutes=60)
    minor = ask_support(thread_circle.admin, thread_circle.group, important=False)
    assert minor["route"]["rule"] == "urgent_minor_lapse_hours"
    assert parse(minor["route"]["lapse_at"]) - parse(minor["created_at"]) == timedelta(hours=12)
    digest = ask_support(thread_circle.admin, thread_circle.group, urgent=False, important=False)
    assert digest["route"]["rule"] is None
    assert digest["route"]["escalate_at"] is None and digest["route"]["source"] is None


def test_bad_fields_are_named(api, support_circle, ask_support, error_of):
    alice, bruno = support_circle.people[:2]
    path = group_url(support_circle, "support-requests")
    client = api(alice)
    cases = [
        ({"kind": "nap"}, {"kind"}),
        ({"body": "x" * 2001}, {"body"}),
        ({"when": "w" * 201}, {"when"}),
        ({"channel": "WhatsApp"}, {"channel"}),  # not an agreed channel
        ({"channel": "c" * 101}, {"channel"}),
        ({"supporters": [999_999]}, {"supporters"}),  # not a member
        ({"supporters": [alice.id]}, {"supporters"}),  # oneself
        ({"supporters": [bruno.id, bruno.id]}, {"supporters"}),
        ({"supporters": []}, {"supporters"}),
        ({"supporters": list(range(1, 52))}, {"supporters"}),
        ({"supporters": [2**31]}, {"supporters.0"}),
        ({"supporters": ["deux"]}, {"supporters.0"}),
        ({"urgent": "sometimes"}, {"urgent"}),
        ({"colour": "blue"}, {"colour"}),
    ]
    for change, fields in cases:
        payload = {"kind": "emotional", "urgent": True, "important": True, **change}
        error = error_of(client.post(path, json=payload, headers=EN), 400)
        assert set(error["fields"]) == fields, (change, error)
    error = error_of(client.post(path, json={"kind": "emotional"}, headers=EN), 400)
    assert set(error["fields"]) == {"urgent", "important"}
    error = error_of(client.post(path, data="{", headers=EN), 400, "invalid_json")


def test_only_a_receiving_member_may_ask(
    api, support_circle, ask_support, error_of, eve, make_group
):
    bruno = support_circle.members[0]
    patch = api(bruno).patch(
        group_url(support_circle, "memberships/me"), json={"receives_support": False}
    )
    assert patch.status_code == 200, patch.get_json()
    refused = ask_support(bruno, support_circle.group, expect=403)
    assert refused["error"]["code"] == "not_receiving"
    # someone else's secret group: 404; an open group one is not a member of: 403
    valid = {"kind": "emotional", "urgent": True, "important": True}
    error_of(api(eve).post(group_url(support_circle, "support-requests"), json=valid), 404)
    open_group = make_group(support_circle.admin, handle="ouvert", privacy="open")
    error = error_of(
        api(eve).post(
            f"/api/v1/groups/{open_group.handle}/support-requests",
            json={"kind": "emotional", "urgent": True, "important": True},
        ),
        403,
        "not_receiving",
    )
    assert error["message"]
    error_of(api(None).post(group_url(support_circle, "support-requests"), json={}), 401)


# -- who sees what --------------------------------------------------------------------------


def test_a_request_is_seen_by_its_requester_and_its_supporters_only(
    api, support_circle, ask_support, error_of, eve
):
    alice, bruno, chloe, david = support_circle.people
    named = ask_support(bruno, support_circle.group, supporters=[chloe.id])
    assert named["supporters"] == [chloe.id]
    assert [n["user"]["id"] for n in named["route"]["notified"]] == [chloe.id]
    for person, status in ((bruno, 200), (chloe, 200), (alice, 404), (david, 404), (eve, 404)):
        response = api(person).get(url(named["id"]))
        assert response.status_code == status, person.name
        if status == 404:
            error_of(response, 404, "not_found")  # admins included: Alice is one
    # 401 before 404, and ids no row can have are 404
    error_of(api(None).get(url(named["id"])), 401)
    error_of(api(None).get(url(2**40)), 401)
    error_of(api(bruno).get(url(2**31)), 404)
    error_of(api(bruno).get(url(999_999)), 404)

    def listed(person):
        response = api(person).get(group_url(support_circle, "support-requests"))
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert listed(bruno) == [named["id"]] and listed(chloe) == [named["id"]]
    assert listed(alice) == [] and listed(david) == []
    error_of(api(eve).get(group_url(support_circle, "support-requests")), 404)

    # A supporter who stops giving support no longer sees what is addressed to them.
    circle_wide = ask_support(alice, support_circle.group)
    stop = api(chloe).patch(
        group_url(support_circle, "memberships/me"), json={"gives_support": False}
    )
    assert stop.status_code == 200, stop.get_json()
    assert listed(chloe) == []
    for request_id in (named["id"], circle_wide["id"]):
        error_of(api(chloe).get(url(request_id)), 404)
        error_of(api(chloe).post(url(request_id, "/responses"), json={"available": True}), 404)


def test_not_now_is_seen_by_the_requester_only(api, support_circle, ask_support):
    alice, bruno, chloe, _david = support_circle.people
    request_id = ask_support(alice, support_circle.group)["id"]
    answer = api(bruno).post(
        url(request_id, "/responses"), json={"available": False, "message": "Pas ce soir"}
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["status"] == "open"
    assert answer.get_json()["response"]["available"] is False

    def seen_by(person):
        body = api(person).get(url(request_id), headers=EN).get_json()
        answers = [(r["supporter"]["id"], r["available"], r["message"]) for r in body["responses"]]
        declined = [s["user"]["id"] for s in body["timeline"] if s["kind"] == "declined"]
        return answers, declined

    assert seen_by(alice) == ([(bruno.id, False, "Pas ce soir")], [bruno.id])
    assert seen_by(bruno) == ([(bruno.id, False, "Pas ce soir")], [bruno.id])  # their own
    assert seen_by(chloe) == ([], [])


# -- answering, releasing, closing -----------------------------------------------------------


def test_answer_release_and_close(api, support_circle, ask_support, error_of, eve, request_row):
    alice, bruno, chloe, david = support_circle.people
    request_id = ask_support(alice, support_circle.group)["id"]
    answers = url(request_id, "/responses")

    matched = api(chloe).post(answers, json={"available": True, "message": "Je t'appelle"})
    assert matched.status_code == 201, matched.get_json()
    assert matched.get_json()["status"] == "matched"
    assert matched.get_json()["response"]["supporter"] == {"id": chloe.id, "name": "Chloé"}
    error_of(api(david).post(answers, json={"available": True}), 409, "request_matched")
    assert api(david).post(answers, json={"available": False}).status_code == 201  # always fine
    error_of(api(alice).post(answers, json={"available": True}), 403, "not_a_supporter")
    error_of(api(eve).post(answers, json={"available": True}), 404)
    error_of(api(None).post(answers, json={"available": True}), 401)
    error = error_of(api(bruno).post(answers, json={"message": "m" * 501}), 400)
    assert set(error["fields"]) == {"available", "message"}

    body = api(alice).get(url(request_id)).get_json()
    assert body["matched_with"] == {"id": chloe.id, "name": "Chloé"}
    assert body["matched_at"] is not None

    release = url(request_id, "/release")
    error_of(api(david).post(release), 409, "not_matched_with_you")
    released = api(chloe).post(release, headers=EN)
    assert released.status_code == 200, released.get_json()
    assert released.get_json()["status"] == "open"
    assert released.get_json()["matched_with"] is None
    error_of(api(chloe).post(release), 409, "request_not_matched")

    close = url(request_id, "/close")
    error = error_of(api(alice).post(close, json={"outcome": "maybe"}), 400)
    assert set(error["fields"]) == {"outcome"}
    error_of(api(alice).post(close, json={}), 400)
    error_of(api(alice).post(close, json={"outcome": "happened"}), 409, "request_not_matched")
    error_of(api(bruno).post(close, json={"outcome": "not_needed"}), 403)

    assert api(bruno).post(answers, json={"available": True}).status_code == 201
    error_of(api(alice).post(close, json={"outcome": "not_needed"}), 409, "request_matched")
    error_of(api(david).post(close, json={"outcome": "happened"}), 403)
    closed = api(alice).post(close, json={"outcome": "happened"})
    assert closed.status_code == 200, closed.get_json()
    assert (closed.get_json()["status"], closed.get_json()["outcome"]) == ("closed", "happened")
    assert closed.get_json()["closed_at"] is not None
    error_of(api(david).post(answers, json={"available": True}), 409, "request_closed")
    error_of(api(david).post(answers, json={"available": False}), 409, "request_closed")
    error_of(api(bruno).post(close, json={"outcome": "happened"}), 409, "request_closed")

    rhythm = api(alice).get(group_url(support_circle, "rhythm")).get_json()
    assert rhythm["weeks"][-1]["count"] == 1  # it happened: a support time this week
    row = request_row(request_id)
    assert [k for k, _u, _a in row.steps if k in ("matched", "released", "closed")] == [
        "matched",
        "released",
        "matched",
        "closed",
    ]


def test_withdrawing_an_open_request(api, support_circle, ask_support, error_of):
    alice = support_circle.admin
    request_id = ask_support(alice, support_circle.group, urgent=False)["id"]
    closed = api(alice).post(url(request_id, "/close"), json={"outcome": "not_needed"})
    assert closed.status_code == 200
    assert closed.get_json()["outcome"] == "not_needed"
    listed = api(alice).get(group_url(support_circle, "support-requests")).get_json()["items"]
    assert listed == []
    everything = api(alice).get(group_url(support_circle, "support-requests?status=closed"))
    assert [i["id"] for i in everything.get_json()["items"]] == [request_id]


# -- what time brings -------------------------------------------------------------------------


def test_reads_take_the_escalation_as_of_its_due_time(
    api, support_circle, ask_support, move_request, request_row
):
    alice, bruno = support_circle.people[:2]
    request_id = ask_support(alice, support_circle.group)["id"]
    due = utcnow() - timedelta(minutes=5)
    move_request(request_id, escalate_at=due)
    body = api(bruno).get(url(request_id), headers=EN).get_json()
    assert parse(body["escalated_at"]) == due
    assert "escalated" in [s["kind"] for s in body["timeline"]]
    assert any("whole circle is told" in n["why"] for n in body["route"]["notified"])
    api(bruno).get(url(request_id))
    api(bruno).get(group_url(support_circle, "support-requests"))
    assert [k for k, _u, _a in request_row(request_id).steps].count("escalated") == 1


def test_the_list_takes_due_steps_too(api, support_circle, ask_support, move_request):
    alice, bruno = support_circle.people[:2]
    request_id = ask_support(alice, support_circle.group, important=False)["id"]
    lapse = utcnow() - timedelta(hours=1)
    move_request(request_id, lapse_at=lapse)
    items = api(bruno).get(group_url(support_circle, "support-requests")).get_json()["items"]
    assert items == []  # lapsed: no longer open
    lapsed = api(bruno).get(group_url(support_circle, "support-requests?status=lapsed"))
    (item,) = lapsed.get_json()["items"]
    assert (item["status"], parse(item["lapsed_at"])) == ("lapsed", lapse)


def test_a_refused_answer_keeps_the_lapse_it_found(
    api, support_circle, ask_support, move_request, request_row, error_of
):
    alice, bruno = support_circle.people[:2]
    request_id = ask_support(alice, support_circle.group, important=False)["id"]
    lapse = utcnow() - timedelta(minutes=1)
    move_request(request_id, lapse_at=lapse)
    error_of(
        api(bruno).post(url(request_id, "/responses"), json={"available": True}),
        409,
        "request_lapsed",
    )
    row = request_row(request_id)  # no read in between: the refusal took the step
    assert (row.status, row.lapsed_at) == ("lapsed", lapse)
    assert [k for k, _u, _a in row.steps].count("lapsed") == 1


def test_an_important_request_shows_overdue(api, support_circle, ask_support, move_request):
    alice, bruno = support_circle.people[:2]
    body = ask_support(alice, support_circle.group, urgent=False)
    assert body["overdue"] is False and body["route"]["rule"] == "important_response_days"
    move_request(body["id"], overdue_at=utcnow() - timedelta(hours=1))
    again = api(bruno).get(url(body["id"]), headers=EN).get_json()
    assert again["overdue"] is True
    assert "overdue" in [s["kind"] for s in again["timeline"]]


# -- lists ------------------------------------------------------------------------------------


def test_the_list_pages_with_a_cursor(api, support_circle, ask_support, error_of):
    alice, bruno = support_circle.people[:2]
    made = [ask_support(alice, support_circle.group, urgent=False)["id"] for _ in range(5)]
    path = group_url(support_circle, "support-requests")
    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api(bruno).get(path + query).get_json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True)
    for query, field in (
        ("?status=pending", "status"),
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?cursor=forged", "cursor"),
        ("?cursor=" + "x" * 201, "cursor"),
    ):
        assert set(error_of(api(bruno).get(path + query), 400)["fields"]) == {field}


def test_a_member_of_an_open_group_only_may_list(api, make_group, support_circle, eve, error_of):
    open_group = make_group(support_circle.admin, handle="ouvert", privacy="open")
    error_of(api(eve).get(f"/api/v1/groups/{open_group.handle}/support-requests"), 403)
    error_of(api(eve).get(f"/api/v1/groups/{open_group.handle}/check-ins"), 403)
    error_of(api(eve).get(f"/api/v1/groups/{open_group.handle}/rhythm"), 403)
    error_of(api(eve).get("/api/v1/groups/nulle-part/support-requests"), 404)
    error_of(api(eve).get("/api/v1/groups/" + "x" * 300 + "/support-requests"), 404)


# -- check-ins, rhythm, support times -----------------------------------------------------------


def test_check_ins_due_claimed_and_recorded(api, support_circle, ask_support, error_of, eve):
    alice, bruno, chloe, david = support_circle.people
    path = group_url(support_circle, "check-ins")
    body = api(bruno).get(path).get_json()
    assert body["rule"]["value"] == 21
    assert body["rule"]["source"]["agreement_id"] == support_circle.agreement_id
    assert {i["member"]["id"] for i in body["items"]} == {p.id for p in support_circle.people}
    first = body["items"][0]
    assert set(first) == {
        "member",
        "last_request_at",
        "last_check_in_at",
        "due_since",
        "since",
        "claimed_by",
    }
    assert first["since"] == "rule" and first["claimed_by"] is None

    claim = group_url(support_circle, "check-ins/claim")
    claimed = api(david).post(claim, json={"member_id": chloe.id})
    assert claimed.status_code == 200, claimed.get_json()
    assert claimed.get_json()["claimed_by"] == {"id": david.id, "name": "David"}
    assert api(david).post(claim, json={"member_id": chloe.id}).status_code == 200  # again: fine
    error_of(api(bruno).post(claim, json={"member_id": chloe.id}), 409, "check_in_claimed")
    error_of(api(chloe).post(claim, json={"member_id": chloe.id}), 403)
    assert set(error_of(api(bruno).post(claim, json={"member_id": eve.id}), 400)["fields"]) == {
        "member_id"
    }
    items = {i["member"]["id"]: i for i in api(bruno).get(path).get_json()["items"]}
    assert items[chloe.id]["claimed_by"] == {"id": david.id, "name": "David"}

    recorded = api(david).post(path, json={"member_id": chloe.id, "note": "On a parlé"})
    assert recorded.status_code == 201, recorded.get_json()
    assert recorded.get_json()["kind"] == "check_in"
    assert recorded.get_json()["member"] == {"id": chloe.id, "name": "Chloé"}
    all_well = api(bruno).post(path, json={"member_id": bruno.id})
    assert all_well.status_code == 201 and all_well.get_json()["kind"] == "all_well"
    ask_support(alice, support_circle.group, urgent=False)  # asking resets her clock too
    due = {i["member"]["id"] for i in api(bruno).get(path).get_json()["items"]}
    assert due == {david.id}
    error_of(api(bruno).post(claim, json={"member_id": chloe.id}), 409, "check_in_not_due")

    # A member who does not give support sees only their own line.
    api(david).patch(group_url(support_circle, "memberships/me"), json={"gives_support": False})
    assert [i["member"]["id"] for i in api(david).get(path).get_json()["items"]] == [david.id]
    error_of(api(david).post(path, json={"member_id": alice.id}), 403)
    later = isoformat_z(utcnow() + timedelta(days=30))
    assert len(api(bruno).get(f"{path}?as_of={later}").get_json()["items"]) == 4

    for payload, field in (
        ({"member_id": "deux"}, "member_id"),
        ({"member_id": 2**31}, "member_id"),
        ({}, "member_id"),
        ({"member_id": eve.id}, "member_id"),
        ({"member_id": chloe.id, "note": "n" * 2001}, "note"),
    ):
        assert set(error_of(api(bruno).post(path, json=payload), 400)["fields"]) == {field}
    error = error_of(api(bruno).get(f"{path}?as_of=2026-05-12T09:30:00"), 400)
    assert set(error["fields"]) == {"as_of"}
    error_of(api(eve).get(path), 404)
    error_of(api(None).get(path), 401)


def test_no_check_ins_without_the_rule(api, thread_circle):
    body = api(thread_circle.members[0]).get(
        f"/api/v1/groups/{thread_circle.group.handle}/check-ins"
    )
    assert body.status_code == 200
    assert body.get_json()["items"] == []
    assert body.get_json()["rule"] == {"key": "relance_after_days", "value": None, "source": None}


def test_my_rhythm_and_support_times(api, support_circle, error_of, eve):
    bruno, chloe = support_circle.members[:2]
    rhythm = api(bruno).get(group_url(support_circle, "rhythm")).get_json()
    assert rhythm["target"] == 2
    assert len(rhythm["weeks"]) == 8
    assert all(w["count"] == 0 for w in rhythm["weeks"])
    assert rhythm["weeks"][-1]["week"] == "{}-W{:02d}".format(*utcnow().isocalendar()[:2])

    path = group_url(support_circle, "support-times")
    logged = api(bruno).post(path, json={"note": "Un café"})
    assert logged.status_code == 201, logged.get_json()
    assert logged.get_json()["note"] == "Un café"
    yesterday = isoformat_z(utcnow() - timedelta(days=1))
    assert api(bruno).post(path, json={"at": yesterday}).status_code == 201
    weeks = api(bruno).get(group_url(support_circle, "rhythm")).get_json()["weeks"]
    assert sum(w["count"] for w in weeks) == 2
    others = api(chloe).get(group_url(support_circle, "rhythm")).get_json()["weeks"]
    assert sum(w["count"] for w in others) == 0  # one's own only

    for at in ("2026-05-12T09:30:00", isoformat_z(utcnow() + timedelta(hours=1)), "hier"):
        assert set(error_of(api(bruno).post(path, json={"at": at}), 400)["fields"]) == {"at"}
    long_ago = isoformat_z(utcnow() - timedelta(days=400))
    assert set(error_of(api(bruno).post(path, json={"at": long_ago}), 400)["fields"]) == {"at"}
    assert set(error_of(api(bruno).post(path, json={"note": "n" * 501}), 400)["fields"]) == {"note"}
    api(chloe).patch(group_url(support_circle, "memberships/me"), json={"receives_support": False})
    error_of(api(chloe).post(path, json={}), 403, "not_receiving")
    error_of(api(eve).post(path, json={}), 404)


# -- availability ---------------------------------------------------------------------------


def test_busy_and_away_supporters_are_asked_only_on_escalation(
    api, support_circle, ask_support, move_request
):
    alice, bruno, chloe, david = support_circle.people
    path = group_url(support_circle, "memberships/me")
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    away = api(chloe).patch(path, json={"availability": "away", "availability_until": tomorrow})
    assert away.status_code == 200, away.get_json()
    assert api(david).patch(path, json={"availability": "busy"}).status_code == 200
    body = ask_support(alice, support_circle.group)
    assert [n["user"]["id"] for n in body["route"]["notified"]] == [bruno.id]
    move_request(body["id"], escalate_at=utcnow() - timedelta(minutes=1))
    escalated = api(bruno).get(url(body["id"]), headers=EN).get_json()
    told = Counter(n["user"]["id"] for n in escalated["route"]["notified"])
    assert told == {bruno.id: 2, chloe.id: 1, david.id: 1}  # then everyone, once


# -- a fixed number of statements ---------------------------------------------------------------


@pytest.fixture
def two_support_groups(make_user, make_group, run):
    """``small``: 2 requests; ``large``: 40 requests, every supporter answering the
    first one ("not now"), each group of five with Asker asking and Reader supporting.
    Made a little in the past, with nothing due."""
    from app.auth.models import User
    from app.groups.models import Group
    from app.support import services
    from app.support.models import SupportRequest

    groups = {}
    for name, count in (("small", 2), ("large", 40)):
        asker = make_user(name=f"Asker {name}")
        reader = make_user(name=f"Reader {name}")
        others = [make_user(name=f"Other {name} {n}") for n in range(3)]
        group = make_group(asker, members=[reader, *others], handle=f"soutien-{name}")
        start = utcnow() - timedelta(minutes=10)

        def make(group=group, asker=asker, others=others, count=count, start=start):
            g = db.session.get(Group, group.id)
            me = db.session.get(User, asker.id)
            made = []
            for n in range(count):
                urgent, important = n % 2 == 0, n % 3 == 0
                named = [others[0].id] if n % 5 == 4 else None
                request = services.create_request(
                    g,
                    me,
                    kind="emotional",
                    urgent=urgent,
                    important=important or not urgent,
                    body=f"Demande {n}",
                    supporters=named,
                    now=start + timedelta(seconds=n),
                )
                made.append(request.id)
            first = db.session.get(SupportRequest, made[0])
            for other in others:
                services.respond(
                    first,
                    db.session.get(User, other.id),
                    available=False,
                    message="Pas maintenant",
                    now=start + timedelta(minutes=1),
                )
            return made

        groups[name] = (group, asker, reader, run(make))
    return groups


@pytest.mark.parametrize("who", ["asker", "reader"])
def test_the_same_number_of_statements_for_2_and_for_40_requests(
    api, count_queries, two_support_groups, who
):
    counts = {}
    for name, (group, asker, reader, made) in two_support_groups.items():
        person = asker if who == "asker" else reader
        client = api(person)
        paths = {
            "list": f"/api/v1/groups/{group.handle}/support-requests?status=all&limit=100",
            "one": f"/api/v1/support-requests/{made[0]}",  # three answers
            "another": f"/api/v1/support-requests/{made[1]}",  # none
        }
        for key, path in paths.items():
            client.get(path)  # warm up
            with count_queries() as queries:
                response = client.get(path, headers=EN)
            assert response.status_code == 200, response.get_json()
            counts[(name, key)] = queries.count
            if key == "list":  # the reader is not among the supporters every fifth names
                visible = len(made) if who == "asker" else len(made) - len(made) // 5
                assert len(response.get_json()["items"]) == visible
    assert counts[("small", "list")] == counts[("large", "list")], counts
    assert counts[("small", "one")] == counts[("large", "one")], counts
    assert counts[("large", "one")] == counts[("large", "another")], counts
    assert counts[("large", "list")] <= 10 and counts[("large", "one")] <= 10, counts


def test_answering_runs_a_bounded_number_of_statements(api, count_queries, two_support_groups):
    counts = {}
    for name, (_group, _asker, reader, made) in two_support_groups.items():
        with count_queries() as queries:
            response = api(reader).post(
                f"/api/v1/support-requests/{made[0]}/responses", json={"available": True}
            )
        assert response.status_code == 201, response.get_json()
        counts[name] = queries.count
    assert counts["small"] == counts["large"], counts
