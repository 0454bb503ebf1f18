"""Real concurrency through HTTP: threads, each with its own test client, token and
database session, answer the same request at the same instant, while others read it and
time makes it escalate or lapse (SQLite here; PostgreSQL with TEST_DATABASE_URL).
Exactly one match, the others 409, each step once, never a 5xx."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from fixtures.concurrency import headers, race

from app.timeutil import utcnow

ROUNDS = 3


def statuses(responses) -> Counter:
    return Counter(r.status_code for r in responses)


def codes(responses) -> Counter:
    return Counter(r.get_json()["error"]["code"] for r in responses if r.status_code >= 400)


@pytest.fixture
def five(make_user, make_group):
    """Malik asks; Odile, Bruno, Chloé and David support him (the default rules: everyone
    gives and receives)."""
    malik = make_user(name="Malik")
    supporters = [make_user(name=n) for n in ("Odile", "Bruno", "Chloé", "David")]
    group = make_group(malik, members=supporters, handle="soutien")
    return SimpleNamespace(malik=malik, supporters=supporters, group=group)


def answerer(token, path, at=None):
    """A job: "I am available" (at ``at``, a wall-clock time, when given)."""

    def job(client):
        if at is not None:
            time.sleep(max(0.0, at - time.time()))
        return [client.post(path, json={"available": True}, headers=headers(token))]

    return job


def reader(token, paths):
    def job(client):
        return [client.get(path, headers=headers(token)) for path in paths]

    return job


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_four_supporters_available_at_the_same_instant_match_once(
    app, api, five, ask_support, request_row, round_
):
    request_id = ask_support(five.malik, five.group)["id"]
    path = f"/api/v1/support-requests/{request_id}/responses"
    tokens = {api(s).token: s for s in five.supporters}
    reads = [f"/api/v1/support-requests/{request_id}", "/api/v1/groups/soutien/support-requests"]
    jobs = [answerer(token, path) for token in tokens]
    jobs += [reader(api(five.malik).token, reads), reader(api(five.supporters[0]).token, reads)]
    responses = race(app, jobs)

    answers = [r for r in responses if r.request.method == "POST"]
    assert statuses(answers) == {201: 1, 409: 3}, [r.get_json() for r in answers]
    assert codes(answers) == {"request_matched": 3}
    assert statuses([r for r in responses if r.request.method == "GET"]) == {200: 4}
    winner = next(r for r in answers if r.status_code == 201).get_json()
    assert winner["status"] == "matched"

    row = request_row(request_id)
    assert (row.status, row.matched_with_id) == ("matched", winner["response"]["supporter"]["id"])
    assert [k for k, _u, _a in row.steps].count("matched") == 1
    assert row.responses == [(row.matched_with_id, True)]  # the refused answers left nothing
    body = api(five.malik).get(f"/api/v1/support-requests/{request_id}").get_json()
    assert body["matched_with"]["id"] == row.matched_with_id


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_an_escalation_racing_a_match_is_taken_once_and_one_supporter_matches(
    app, api, five, ask_support, move_request, request_row, round_
):
    request_id = ask_support(five.malik, five.group)["id"]
    due = utcnow()
    move_request(request_id, escalate_at=due)  # due now: every path takes it first
    path = f"/api/v1/support-requests/{request_id}/responses"
    reads = [f"/api/v1/support-requests/{request_id}", "/api/v1/groups/soutien/support-requests"]
    jobs = [answerer(api(s).token, path) for s in five.supporters]
    jobs += [reader(api(person).token, reads) for person in (five.malik, *five.supporters)]
    responses = race(app, jobs)

    answers = [r for r in responses if r.request.method == "POST"]
    assert statuses(answers) == {201: 1, 409: 3}, [r.get_json() for r in answers]
    assert codes(answers) == {"request_matched": 3}
    assert statuses([r for r in responses if r.request.method == "GET"]) == {200: 10}

    row = request_row(request_id)
    kinds = [k for k, _u, _a in row.steps]
    assert kinds.count("escalated") == 1 and kinds.count("matched") == 1
    assert row.escalated_at == due  # as of its due time, whoever took it
    after = row.steps[kinds.index("escalated") :]
    escalated = [u for k, u, at in after if k == "notified" and at == due]
    assert sorted(escalated) == sorted(s.id for s in five.supporters)  # each told once
    assert row.status == "matched"


@pytest.mark.parametrize("shift", [-0.15, -0.08, -0.04, -0.02, 0.0, 0.02])
def test_a_lapse_racing_a_match_leaves_one_outcome(
    app, api, five, ask_support, move_request, request_row, shift
):
    """Answers and reads fire within milliseconds of the lapse time (``shift`` seconds
    around it, give or take 10 ms): whichever comes first wins, and the request is then
    either matched (never lapsed) or lapsed (nobody matched, every answer a 409)."""
    request_id = ask_support(five.malik, five.group, important=False)["id"]
    lapse = utcnow() + timedelta(seconds=2)
    move_request(request_id, lapse_at=lapse)
    path = f"/api/v1/support-requests/{request_id}/responses"
    rng = random.Random(str(shift))
    instant = lapse.timestamp() + shift

    def near():
        return instant + rng.uniform(-0.01, 0.01)

    jobs = [answerer(api(s).token, path, at=near()) for s in five.supporters]
    reads = [f"/api/v1/support-requests/{request_id}"]

    def late_reader(token, at):
        def job(client):
            time.sleep(max(0.0, at - time.time()))
            return [client.get(reads[0], headers=headers(token))]

        return job

    jobs += [late_reader(api(s).token, near()) for s in five.supporters]
    responses = race(app, jobs)

    answers = [r for r in responses if r.request.method == "POST"]
    assert all(r.status_code in (201, 409) for r in answers), [r.get_json() for r in answers]
    assert statuses([r for r in responses if r.request.method == "GET"]) == {200: 4}
    api(five.malik).get(f"/api/v1/support-requests/{request_id}")  # whatever is due, taken
    row = request_row(request_id)
    kinds = [k for k, _u, _a in row.steps]
    matched = [r for r in answers if r.status_code == 201]
    if matched:
        assert len(matched) == 1
        assert row.status == "matched" and "lapsed" not in kinds
        assert set(codes(answers)) <= {"request_matched"}
    else:
        assert row.status == "lapsed" and kinds.count("lapsed") == 1
        assert row.lapsed_at == lapse
        assert codes(answers) == {"request_lapsed": 4}


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_due_lapse_is_taken_once_by_whoever_comes_first(
    app, api, five, ask_support, move_request, request_row, round_
):
    """The lapse time has passed: answers and reads race to take the step; it is taken
    once, as of its time, and no answer matches."""
    request_id = ask_support(five.malik, five.group, important=False)["id"]
    lapse = utcnow()
    move_request(request_id, lapse_at=lapse)
    path = f"/api/v1/support-requests/{request_id}/responses"
    reads = [f"/api/v1/support-requests/{request_id}", "/api/v1/groups/soutien/support-requests"]
    jobs = [answerer(api(s).token, path) for s in five.supporters]
    jobs += [reader(api(person).token, reads) for person in (five.malik, *five.supporters)]
    responses = race(app, jobs)

    answers = [r for r in responses if r.request.method == "POST"]
    assert codes(answers) == {"request_lapsed": 4}, [r.get_json() for r in answers]
    assert statuses([r for r in responses if r.request.method == "GET"]) == {200: 10}
    row = request_row(request_id)
    assert (row.status, row.lapsed_at, row.responses) == ("lapsed", lapse, [])
    assert [k for k, _u, _a in row.steps].count("lapsed") == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_supporters_saying_i_will_do_it_at_once(app, api, support_circle, round_):
    """Everyone is due for a check-in; Bruno and Chloé both say they will check in with
    David, twice each, at the same instant: one of them gets it."""
    _alice, bruno, chloe, david = support_circle.people
    path = f"/api/v1/groups/{support_circle.group.handle}/check-ins/claim"

    def claimer(person):
        token = api(person).token
        return lambda client: [
            client.post(path, json={"member_id": david.id}, headers=headers(token))
            for _ in range(2)
        ]

    responses = race(app, [claimer(bruno), claimer(chloe)])
    assert set(statuses(responses)) <= {200, 409}, [r.get_json() for r in responses]
    winners = {r.get_json()["claimed_by"]["id"] for r in responses if r.status_code == 200}
    assert len(winners) == 1
    assert statuses(responses)[200] == 2 and codes(responses) == {"check_in_claimed": 2}
    due = api(bruno).get(f"/api/v1/groups/{support_circle.group.handle}/check-ins").get_json()
    claimed = {i["member"]["id"]: i["claimed_by"] for i in due["items"]}
    assert claimed[david.id]["id"] in winners
