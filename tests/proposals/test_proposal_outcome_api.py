"""The proposal's outcome as the polls API returns it on close (the provider this
feature registers), in the caller's language."""

from __future__ import annotations

LISTENING = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Pas de réciprocité exigée.",
    "rules": {"reciprocity": "not_required", "relance_after_days": 21},
}


def test_closing_through_the_api_returns_the_outcome(api_as, thread_circle, propose, vote, clock):
    poll = propose(LISTENING)
    for person in thread_circle.people:
        vote(poll, person, "agree")
    response = api_as(thread_circle.admin).post(
        f"/api/v1/polls/{poll.id}/close", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200, response.get_json()
    outcome = response.get_json()["outcome"]
    assert outcome["adopted"] is True
    assert outcome["applied"] is True
    assert outcome["version"] == 1
    assert isinstance(outcome["agreement_id"], int)
    assert outcome["explanation"].startswith("Adopted. No one blocked.")


def test_the_seed_like_verdict_through_the_api_in_french(api_as, thread_circle, propose, vote):
    poll = propose(LISTENING)
    admin, bruno, chloe, david = thread_circle.people
    vote(poll, admin, "agree")
    vote(poll, bruno, "abstain")
    vote(poll, chloe, "disagree")
    vote(poll, david, "block")
    response = api_as(thread_circle.admin).post(
        f"/api/v1/polls/{poll.id}/close", headers={"Accept-Language": "fr"}
    )
    assert response.status_code == 200
    outcome = response.get_json()["outcome"]
    assert (outcome["adopted"], outcome["applied"]) == (False, False)
    assert (outcome["agreement_id"], outcome["version"]) == (None, None)
    assert outcome["explanation"]
