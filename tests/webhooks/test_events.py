"""Which events become posts: support requests with their kind, urgency and link only;
polls, outcomes and agreements to the hooks that chose them."""

from __future__ import annotations

import json

from app.timeutil import utcnow

EN = {"Accept-Language": "en"}
SECRET = "SECRET-MESSAGE-4242 j'ai besoin de parler de mon frère"


def test_a_support_request_is_posted_without_its_message_nor_any_name(
    httpserver, make_hook, thread_circle, ask_support, api, deliver, deliveries
):
    alice, bruno, chloe, _david = thread_circle.people
    generic = make_hook(httpserver.url_for("/signed"), kind="generic")
    make_hook(httpserver.url_for("/chat"), kind="matrix")
    httpserver.expect_request("/signed").respond_with_data("ok")
    httpserver.expect_request("/chat").respond_with_data("ok")

    asked = ask_support(bruno, thread_circle.group, body=SECRET, when="ce soir après 20 h")
    answer = api(chloe).post(
        f"/api/v1/support-requests/{asked['id']}/responses",
        json={"available": True, "message": "J'arrive, Chloé"},
        headers=EN,
    )
    assert answer.status_code == 201, answer.get_json()
    closed = api(bruno).post(
        f"/api/v1/support-requests/{asked['id']}/close", json={"outcome": "happened"}, headers=EN
    )
    assert closed.status_code == 200, closed.get_json()
    # Addressed to one named supporter: it stays between them, no post at all.
    ask_support(bruno, thread_circle.group, supporters=[chloe.id], body=SECRET)

    assert [d.kind for d in deliveries(generic.id)] == [
        "support_request.requested",
        "support_request.matched",
        "support_request.closed",
    ]
    assert deliver(utcnow()).sent >= 6
    raw = [req.get_data(as_text=True) for req, _ in httpserver.log]
    assert len(raw) == 6
    for text in raw:
        readable = json.dumps(json.loads(text), ensure_ascii=False)
        for secret in ("SECRET-MESSAGE", "frère", "ce soir", "J'arrive", "Bruno", "Chloé"):
            assert secret not in readable, (secret, readable)
        assert f"https://cercle.example/s/{asked['id']}" in readable
    signed = [json.loads(t) for t in raw if '"type"' in t]
    request = signed[0]["data"]["support_request"]
    assert request == {
        "id": asked["id"],
        "kind": "emotional",
        "urgent": True,
        "important": True,
        "url": f"https://cercle.example/s/{asked['id']}",
    }
    assert signed[-1]["data"]["support_request"]["outcome"] == "happened"


def test_polls_outcomes_and_agreements_go_to_the_hooks_that_chose_them(
    make_hook, decide, deliveries
):
    polls = make_hook("http://127.0.0.1:9/polls", events=["poll"])
    decisions = make_hook("http://127.0.0.1:9/decisions", events=["outcome", "agreement"])
    everything = make_hook("http://127.0.0.1:9/all", kind="discord")
    decide(
        {
            "action": "adopt",
            "title": "Nos accords d'écoute",
            "body": "Deux temps d'écoute par semaine.",
            "rules": {"rhythm_per_week": 2},
        }
    )
    assert [d.kind for d in deliveries(polls.id)] == ["poll.opened", "poll.closed"]
    assert sorted(d.kind for d in deliveries(decisions.id)) == [
        "agreement.adopted",
        "outcome.decided",
    ]
    # A hook that wants outcomes hears of a proposal's close once, with its verdict.
    kinds = sorted(d.kind for d in deliveries(everything.id))
    assert kinds == ["agreement.adopted", "outcome.decided", "poll.opened"]
    outcome = next(d for d in deliveries(everything.id) if d.kind == "outcome.decided")
    assert "Une proposition" in outcome.payload["body"]["content"]
    assert outcome.payload["body"]["allowed_mentions"] == {"parse": []}
