"""Real concurrency through HTTP: threads, each with its own test client, send stance
writes, closes and reads of one poll at the same moment (SQLite here; PostgreSQL with
TEST_DATABASE_URL). No 5xx, one current stance per voter, right totals, one close."""

from __future__ import annotations

import random
from collections import Counter

from fixtures.concurrency import headers, race

from app.timeutil import utcnow

WRITES = 6


def summary(responses) -> Counter:
    return Counter(r.status_code for r in responses)


def test_racing_stances_through_http(app, api, thread_circle, start_poll, stances_of):
    poll = start_poll("choice")
    url = f"/api/v1/polls/{poll['id']}/stance"
    keys = ["o1", "o2", "o3"]

    def writer(person, seed):
        token = api(person).token
        rng = random.Random(seed)

        def job(client):
            return [
                client.put(url, json={"key": rng.choice(keys)}, headers=headers(token))
                for _ in range(WRITES)
            ]

        return job

    # two writers for each of the four people: the same voter and different voters at once
    jobs = [
        writer(person, seed * 1000 + person.id)
        for seed in (1, 2)
        for person in thread_circle.people
    ]
    responses = race(app, jobs)
    assert summary(responses) == {200: len(jobs) * WRITES}

    rows = stances_of(poll["id"])
    assert len(rows) == len(jobs) * WRITES  # every change is kept in history
    current = [(voter, choice) for voter, choice, is_current in rows if is_current]
    assert sorted(voter for voter, _c in current) == sorted(p.id for p in thread_circle.people)
    expected = Counter(choice["key"] for _v, choice in current)

    data = api(thread_circle.admin).get(f"/api/v1/polls/{poll['id']}").get_json()
    assert {r["key"]: r["count"] for r in data["results"]} == {k: expected[k] for k in keys}
    assert (data["participants"], data["eligible"], data["undecided"]) == (4, 4, 0)
    for person in thread_circle.people:
        mine = api(person).get(f"/api/v1/polls/{poll['id']}").get_json()["my_stance"]
        assert {"key": mine["key"]} in [c for v, c in current if v == person.id]


def test_racing_stances_and_withdrawals_through_http(
    app, api, thread_circle, start_poll, stances_of
):
    poll = start_poll(anonymous=True)
    url = f"/api/v1/polls/{poll['id']}/stance"

    def writer(person, withdraws):
        token = api(person).token

        def job(client):
            out = []
            for i in range(WRITES):
                if withdraws and i % 2:
                    out.append(client.delete(url, headers=headers(token)))
                else:
                    key = ["agree", "abstain", "disagree"][i % 3]
                    out.append(client.put(url, json={"key": key}, headers=headers(token)))
            return out

        return job

    jobs = [writer(person, w) for w in (False, True) for person in thread_circle.people]
    responses = race(app, jobs)
    assert set(summary(responses)) <= {200, 204}
    current = [voter for voter, _c, is_current in stances_of(poll["id"]) if is_current]
    assert len(current) == len(set(current)) <= 4  # never two current stances for one voter
    data = api(thread_circle.admin).get(f"/api/v1/polls/{poll['id']}").get_json()
    assert data["participants"] == len(current) and data["results"] is None  # open, anonymous
    api(thread_circle.admin).post(f"/api/v1/polls/{poll['id']}/close")
    data = api(thread_circle.admin).get(f"/api/v1/polls/{poll['id']}").get_json()
    assert data["participants"] == len(current) == sum(r["count"] for r in data["results"])


def test_racing_closers_close_once(app, api, thread_circle, start_poll, closed_hook):
    bruno = thread_circle.members[0]
    poll = start_poll("choice", by=bruno)
    close = f"/api/v1/polls/{poll['id']}/close"
    stance = f"/api/v1/polls/{poll['id']}/stance"
    closers = [api(thread_circle.admin).token, api(bruno).token] * 3
    voters = [api(p).token for p in thread_circle.members[1:]]

    def closer(token):
        return lambda client: [client.post(close, headers=headers(token))]

    def voter(token):
        return lambda client: [
            client.put(stance, json={"key": "o1"}, headers=headers(token)) for _ in range(3)
        ]

    responses = race(app, [closer(t) for t in closers] + [voter(t) for t in voters])
    closes = [r for r in responses if r.request.path == close]
    assert sorted(r.status_code for r in closes) == [200] + [409] * (len(closers) - 1)
    refused = [r for r in closes if r.status_code == 409]
    assert all(r.get_json()["error"]["code"] == "poll_closed" for r in refused)
    stances = [r for r in responses if r.request.path == stance]
    assert set(summary(stances)) <= {200, 409}
    assert len(closed_hook) == 1
    data = api(thread_circle.admin).get(f"/api/v1/polls/{poll['id']}").get_json()
    assert data["status"] == "closed"
    accepted = {r.request.headers["Authorization"] for r in stances if r.status_code == 200}
    assert data["participants"] == len(accepted)


def test_readers_and_writers_racing_past_the_closing_time(
    app, api, thread_circle, start_poll, move_closing, closed_hook
):
    poll = start_poll()
    api(thread_circle.members[0]).put(f"/api/v1/polls/{poll['id']}/stance", json={"key": "agree"})
    closing = utcnow()
    move_closing(poll["id"], closing)
    path = f"/api/v1/polls/{poll['id']}"
    tokens = [api(p).token for p in thread_circle.people]

    def reader(token):
        return lambda client: [client.get(path, headers=headers(token)) for _ in range(3)]

    def writer(token):
        return lambda client: [
            client.put(f"{path}/stance", json={"key": "block", "reason": "Trop tard ?"},
                       headers=headers(token))
        ]  # fmt: skip

    def thread_reader(token):
        url = f"/api/v1/threads/{thread_circle.thread.id}"
        return lambda client: [client.get(url, headers=headers(token))]

    jobs = [reader(t) for t in tokens] + [writer(t) for t in tokens]
    jobs += [thread_reader(t) for t in tokens]
    responses = race(app, jobs)
    reads = [r for r in responses if r.request.method == "GET"]
    writes = [r for r in responses if r.request.method == "PUT"]
    assert summary(reads) == {200: len(reads)}
    assert summary(writes) == {409: len(writes)}
    for response in reads:
        body = response.get_json()
        statuses = [p["status"] for p in body["polls"]] if "polls" in body else [body["status"]]
        assert statuses == ["closed"]
    assert closed_hook == [(poll["id"], closing)]  # finalised once, as of its closing time
    data = api(thread_circle.admin).get(path).get_json()
    assert data["participants"] == 1 and data["closed_at"] == data["closing_at"]
