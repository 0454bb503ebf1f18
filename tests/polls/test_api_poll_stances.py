"""Polls API: taking, changing and withdrawing a stance, for every kind, and each refusal."""

from __future__ import annotations

import pytest
from fixtures.poll_api import EN


def stance_url(poll):
    return f"/api/v1/polls/{poll['id']}/stance"


def test_take_change_and_withdraw_a_stance(api, thread_circle, start_poll, stances_of):
    poll = start_poll()
    bruno = api(thread_circle.members[0])
    first = bruno.put(stance_url(poll), json={"key": "agree", "reason": "  Bonne idée  "})
    assert first.status_code == 200
    body = first.get_json()
    assert set(body) == {"key", "reason", "created_at"}
    assert (body["key"], body["reason"]) == ("agree", "Bonne idée")
    assert body["created_at"].endswith("Z")

    changed = bruno.put(stance_url(poll), json={"key": "disagree", "reason": "Après réflexion"})
    assert changed.get_json()["key"] == "disagree"
    data = bruno.get(f"/api/v1/polls/{poll['id']}").get_json()
    assert data["my_stance"]["key"] == "disagree"
    assert data["my_stance"]["reason"] == "Après réflexion"
    assert [(r["key"], r["count"]) for r in data["results"] if r["count"]] == [("disagree", 1)]
    assert (data["participants"], data["undecided"], data["participation_percent"]) == (1, 3, 25)
    # the earlier stance stays in history, one is current
    rows = stances_of(poll["id"])
    assert [(c["key"], current) for _v, c, current in rows] == [
        ("agree", False), ("disagree", True)
    ]  # fmt: skip

    withdrawn = bruno.delete(stance_url(poll))
    assert withdrawn.status_code == 204 and withdrawn.get_data() == b""
    data = bruno.get(f"/api/v1/polls/{poll['id']}").get_json()
    assert data["my_stance"] is None and data["participants"] == 0 and data["undecided"] == 4
    assert bruno.delete(stance_url(poll)).status_code == 204  # nothing left to withdraw


@pytest.mark.parametrize(
    ("kind", "settings", "stance", "field"),
    [
        ("proposal", {}, {"key": "maybe"}, "key"),
        ("proposal", {}, {}, "key"),
        ("proposal", {}, {"key": 3}, "key"),
        ("proposal", {}, {"key": "block"}, "reason"),  # a block needs a reason
        ("proposal", {}, {"key": "block", "reason": "Non."}, "reason"),  # of more than 5
        ("proposal", {}, {"key": "agree", "reason": "x" * 501}, "reason"),
        ("proposal", {}, {"key": "agree", "keys": ["agree"]}, "keys"),  # one form only
        ("proposal", {}, {"key": "agree", "extra": 1}, "extra"),
        ("choice", {"reasons": "required"}, {"key": "o1"}, "reason"),
        ("choice", {"reasons": "disabled"}, {"key": "o1", "reason": "Parce que"}, "reason"),
        ("choice", {}, {"key": "o9"}, "key"),
        ("choice", {"max_choices": 2}, {"keys": ["o1", "o2", "o3"]}, "keys"),
        ("choice", {"max_choices": 2}, {"keys": ["o1", "o9"]}, "keys"),
        ("choice", {"min_choices": 2, "max_choices": 3}, {"keys": ["o1"]}, "keys"),
        ("choice", {"max_choices": 2}, {"keys": "o1"}, "keys"),
        ("score", {}, {"scores": {"o1": 6, "o2": 1, "o3": 0}}, "scores.o1"),  # 0..5
        ("score", {}, {"scores": {"o1": 1, "o2": 1}}, "scores.o3"),  # every option
        ("score", {}, {"scores": {"o1": 1, "o2": 1, "o3": 1, "o9": 1}}, "scores.o9"),
        ("score", {}, {"scores": {"o1": "2", "o2": 1, "o3": 0}}, "scores.o1"),
        ("score", {}, {"scores": [1, 2, 3]}, "scores"),
        ("dot", {"dots": 4}, {"scores": {"o1": 3, "o2": 2}}, "scores"),  # over budget
        ("dot", {}, {"scores": {"o1": -1, "o2": 2}}, "scores.o1"),
        ("dot", {}, {"scores": {}}, "scores"),
        ("ranked", {}, {"ranking": ["o1", "o2"]}, "ranking"),  # every option
        ("ranked", {}, {"ranking": ["o1", "o1", "o2"]}, "ranking"),
        ("ranked", {}, {"ranking": ["o1", "o2", "o9"]}, "ranking"),
        ("meeting", {}, {"scores": {"o1": 3}}, "scores.o1"),
    ],
)
def test_bad_stances_name_the_field(
    api, thread_circle, start_poll, error_of, kind, settings, stance, field
):
    if kind == "meeting":
        settings = dict(settings, options=["2030-05-12T09:30:00Z", "2030-05-13T09:30:00Z"])
    poll = start_poll(kind, **settings)
    response = api(thread_circle.members[0]).put(stance_url(poll), json=stance, headers=EN)
    error = error_of(response, 400, "validation_error")
    assert field in error["fields"], error
    assert (
        api(thread_circle.members[0]).get(f"/api/v1/polls/{poll['id']}").get_json()["my_stance"]
        is None
    )


def test_the_messages_say_what_is_wrong(api, thread_circle, start_poll, error_of):
    poll = start_poll()
    bruno = api(thread_circle.members[0])
    unknown = error_of(bruno.put(stance_url(poll), json={"key": "maybe"}, headers=EN), 400)
    assert unknown["fields"]["key"] == "Unknown option: maybe."
    block = error_of(bruno.put(stance_url(poll), json={"key": "block"}, headers=EN), 400)
    assert block["fields"]["reason"] == "A block needs a reason of more than 5 characters."
    fr = error_of(bruno.put(stance_url(poll), json={"key": "block"}, headers={
        "Accept-Language": "fr"}), 400)  # fmt: skip
    assert fr["fields"]["reason"]


def test_each_kind_takes_its_stance_and_shows_its_results(api, thread_circle, start_poll):
    people = [api(p) for p in thread_circle.people]

    multiple = start_poll("choice", max_choices=2)
    people[0].put(stance_url(multiple), json={"keys": ["o3", "o1"]})
    people[1].put(stance_url(multiple), json={"keys": ["o1"]})
    got = people[0].get(f"/api/v1/polls/{multiple['id']}").get_json()
    assert got["my_stance"]["keys"] == ["o1", "o3"]  # in option order
    assert [(r["count"], r["percent"]) for r in got["results"]] == [(2, 100.0), (0, 0.0),
                                                                     (1, 50.0)]  # fmt: skip
    assert "total" not in got["results"][0]

    score = start_poll("score")
    people[0].put(stance_url(score), json={"scores": {"o1": 5, "o2": 2, "o3": 0}})
    people[1].put(stance_url(score), json={"scores": {"o1": 4, "o2": 4, "o3": 1}})
    rows = people[0].get(f"/api/v1/polls/{score['id']}").get_json()["results"]
    assert [(r["total"], r["average"], r["rank"], r["best"]) for r in rows] == [
        (9, 4.5, 1, True), (6, 3.0, 2, False), (1, 0.5, 3, False)
    ]  # fmt: skip

    ranked = start_poll("ranked")
    people[0].put(stance_url(ranked), json={"ranking": ["o2", "o1", "o3"]})
    people[1].put(stance_url(ranked), json={"ranking": ["o1", "o2", "o3"]})
    rows = people[0].get(f"/api/v1/polls/{ranked['id']}").get_json()["results"]
    assert [(r["total"], r["rank"], r["best"]) for r in rows] == [
        (5, 1, True), (5, 1, True), (2, 3, False)
    ]  # fmt: skip
    stance = people[0].get(f"/api/v1/polls/{ranked['id']}").get_json()["my_stance"]
    assert stance["ranking"] == ["o2", "o1", "o3"]

    dot = start_poll("dot", dots=5)
    people[0].put(stance_url(dot), json={"scores": {"o1": 5}})
    people[1].put(stance_url(dot), json={"scores": {"o2": 1, "o3": 4, "o1": 0}})
    got = people[1].get(f"/api/v1/polls/{dot['id']}").get_json()
    assert [(r["total"], r["count"], r["percent"]) for r in got["results"]] == [
        (5, 1, 50.0), (1, 1, 10.0), (4, 1, 40.0)
    ]  # fmt: skip
    assert got["my_stance"]["scores"] == {"o2": 1, "o3": 4}

    meeting = start_poll("meeting", options=["2030-05-12T09:30:00Z", "2030-05-13T09:30:00Z"])
    people[0].put(stance_url(meeting), json={"scores": {"o1": 2, "o2": 1}})
    people[1].put(stance_url(meeting), json={"scores": {"o1": 2}})  # o2 left out: no
    people[2].put(stance_url(meeting), json={"scores": {"o1": 0, "o2": 2}})
    rows = people[0].get(f"/api/v1/polls/{meeting['id']}").get_json()["results"]
    assert [(r["yes"], r["if_need_be"], r["no"], r["total"], r["best"]) for r in rows] == [
        (2, 0, 1, 4, True), (1, 1, 1, 3, False)
    ]  # fmt: skip


def test_a_single_choice_also_takes_keys_with_one_key(api, thread_circle, start_poll):
    poll = start_poll("choice")
    response = api(thread_circle.members[0]).put(stance_url(poll), json={"keys": ["o2"]})
    assert response.status_code == 200 and response.get_json()["key"] == "o2"


def test_who_may_take_a_stance(api, thread_circle, make_user, make_group, make_thread, start_poll,
                               error_of):  # fmt: skip
    bruno, chloe = thread_circle.members[0], thread_circle.members[1]
    limited = start_poll(voters=[bruno.id])
    assert api(bruno).put(stance_url(limited), json={"key": "agree"}).status_code == 200
    refused = api(chloe).put(stance_url(limited), json={"key": "agree"}, headers=EN)
    error = error_of(refused, 403, "not_eligible")
    assert error["message"] == "You are not among the voters of this poll."
    error_of(api(None).put(stance_url(limited), json={"key": "agree"}), 401)
    outsider = make_user(name="Olga")
    error_of(api(outsider).put(stance_url(limited), json={"key": "agree"}), 404, "not_found")
    error_of(api(outsider).delete(stance_url(limited)), 404, "not_found")
    error_of(api(bruno).put("/api/v1/polls/999999/stance", json={"key": "agree"}), 404)

    # an open group's poll: outsiders read it but do not vote
    open_group = make_group(thread_circle.admin, privacy="open", handle="ouvert")
    open_poll = start_poll(thread=make_thread(open_group, thread_circle.admin))
    assert api(outsider).get(f"/api/v1/polls/{open_poll['id']}").status_code == 200
    error_of(api(outsider).put(stance_url(open_poll), json={"key": "agree"}), 403, "not_eligible")


def test_a_closed_poll_takes_no_stance(api, thread_circle, start_poll, error_of):
    poll = start_poll()
    api(thread_circle.members[0]).put(stance_url(poll), json={"key": "agree"})
    api(thread_circle.admin).post(f"/api/v1/polls/{poll['id']}/close")
    error = error_of(
        api(thread_circle.members[1]).put(stance_url(poll), json={"key": "agree"}, headers=EN),
        409,
        "poll_closed",
    )
    assert error["message"].startswith("This poll closed on ")
    error_of(api(thread_circle.members[0]).delete(stance_url(poll)), 409, "poll_closed")
    data = api(thread_circle.members[0]).get(f"/api/v1/polls/{poll['id']}").get_json()
    assert data["my_stance"]["key"] == "agree" and data["participants"] == 1


def test_stance_bodies_must_be_json(api, thread_circle, start_poll, error_of):
    poll = start_poll()
    response = api(thread_circle.members[0]).put(
        stance_url(poll), data="key=agree", headers={"Content-Type": "text/plain"}
    )
    error_of(response, 400, "invalid_json")
