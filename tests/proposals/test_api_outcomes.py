"""The ``outcome`` of a closed proposal through HTTP (``GET /polls/{id}`` and
``POST /polls/{id}/close``): the seed's poll, not adopted because of its blocks; a
quorum failure; a stale amendment; a timed close that no job has finalised."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fixtures.proposal_api import EN, FR, LISTENING

from app.agreements.models import Agreement, AgreementVersion
from app.extensions import db
from app.groups.models import Membership
from app.polls.models import Poll
from app.timeutil import isoformat_z, utcnow

OUTCOME_FIELDS = {"adopted", "applied", "explanation", "agreement_id", "version"}


@pytest.fixture
def seed_group(make_user, make_group, make_thread):
    """``(people, group, thread)``: eighteen people, as in the seed's poll (an admin and
    seventeen members), in the group ``seed`` with a thread."""
    admin = make_user(name="Animatrice")
    members = [make_user(name=f"Membre {n}") for n in range(1, 18)]
    group = make_group(admin, members=members, handle="seed")
    thread = make_thread(group, admin, title="Réseau ou système de soutien ?")
    return [admin, *members], group, thread


def test_the_seed_poll_is_not_adopted_because_of_its_blocks(
    api, seed_group, start_proposal, vote_api, close_poll_api, count_rows
):
    people, group, thread = seed_group
    poll = start_proposal(LISTENING, by=people[0], thread=thread).get_json()
    keys = ["agree"] * 5 + ["abstain"] * 8 + ["disagree"] * 3 + ["block"] * 2
    for person, key in zip(people, keys, strict=True):
        vote_api(poll["id"], person, key)

    closed = close_poll_api(poll["id"], by=people[0], headers=EN)
    outcome = closed["outcome"]
    assert set(outcome) == OUTCOME_FIELDS
    assert outcome == {
        "adopted": False,
        "applied": False,
        "explanation": (
            "Not adopted. 2 people blocked. More agree (5) than disagree (3). "
            "Participation 18 of 18 (100%) reached the quorum of 50%."
        ),
        "agreement_id": None,
        "version": None,
    }
    assert closed["poll"]["outcome"] == outcome
    results = {row["key"]: (row["count"], row["percent"]) for row in closed["poll"]["results"]}
    assert results == {
        "agree": (5, 27.8),
        "abstain": (8, 44.4),
        "disagree": (3, 16.7),
        "block": (2, 11.1),
    }
    assert (closed["poll"]["participants"], closed["poll"]["eligible"]) == (18, 18)

    # the same outcome on reading the poll, in the reader's language
    member = api(people[7])
    read = member.get(f"/api/v1/polls/{poll['id']}", headers=EN).get_json()
    assert read["status"] == "closed"
    assert read["outcome"] == outcome
    french = member.get(f"/api/v1/polls/{poll['id']}", headers=FR).get_json()["outcome"]
    assert (french["adopted"], french["applied"]) == (False, False)
    assert french["explanation"]

    # nothing was adopted
    assert count_rows(Agreement) == 0
    agreements = member.get(f"/api/v1/groups/{group.handle}/agreements").get_json()
    assert agreements == {"items": []}
    rules = member.get(f"/api/v1/groups/{group.handle}/rules").get_json()["rules"]
    assert rules["reciprocity"]["default"] is True


def test_an_open_proposal_has_no_outcome(api, thread_circle, start_proposal):
    poll = start_proposal(LISTENING).get_json()
    assert poll["outcome"] is None
    assert (
        api(thread_circle.members[0]).get(f"/api/v1/polls/{poll['id']}").get_json()["outcome"]
        is None
    )


def test_a_quorum_failure(api, thread_circle, start_proposal, vote_api, close_poll_api, count_rows):
    poll = start_proposal(LISTENING).get_json()
    vote_api(poll["id"], thread_circle.members[0], "agree")  # 1 of 4: 25 % < 50 %
    outcome = close_poll_api(poll["id"])["outcome"]
    assert (outcome["adopted"], outcome["applied"]) == (False, False)
    assert outcome["explanation"] == (
        "Not adopted. Participation 1 of 4 (25%) is below the quorum of 50%. "
        "No one blocked. More agree (1) than disagree (0)."
    )
    assert count_rows(Agreement) == 0
    read = api(thread_circle.members[1]).get(f"/api/v1/polls/{poll['id']}", headers=EN).get_json()
    assert read["outcome"] == outcome


def test_the_quorum_the_group_agreed_on_decides(
    api, thread_circle, start_proposal, vote_api, close_poll_api
):
    """The group first agrees on a 100 % quorum; then 3 of 4 agreeing is not enough."""
    quorum = start_proposal(
        {
            "action": "adopt",
            "title": "Nos décisions",
            "body": "Tout le monde participe.",
            "rules": {"decision_quorum_percent": 100},
        }
    ).get_json()
    for person in thread_circle.people:
        vote_api(quorum["id"], person, "agree")
    assert close_poll_api(quorum["id"])["outcome"]["applied"] is True

    poll = start_proposal(LISTENING).get_json()
    for person in thread_circle.people[:3]:
        vote_api(poll["id"], person, "agree")
    outcome = close_poll_api(poll["id"])["outcome"]
    assert outcome["adopted"] is False
    assert "Participation 3 of 4 (75%) is below the quorum of 100%." in outcome["explanation"]


def test_a_stale_amendment_is_adopted_but_not_applied(
    api, thread_circle, start_proposal, vote_api, close_poll_api
):
    """Two amendments start from v2; the first one closed makes v3, the other one then
    changes nothing and says why."""
    agreement = start_proposal(LISTENING).get_json()
    for person in thread_circle.people:
        vote_api(agreement["id"], person, "agree")
    agreement_id = close_poll_api(agreement["id"])["outcome"]["agreement_id"]

    def amend(base, body):
        poll = start_proposal(
            {"action": "amend", "agreement_id": agreement_id, "base_version": base, "body": body}
        ).get_json()
        for person in thread_circle.people:
            vote_api(poll["id"], person, "agree")
        return poll["id"]

    v2 = amend(1, "Deuxième version.")
    assert close_poll_api(v2)["outcome"]["version"] == 2
    first, second = amend(2, "Troisième version."), amend(2, "Une autre troisième version.")
    assert close_poll_api(first)["outcome"]["version"] == 3

    closed = close_poll_api(second, headers=EN)
    outcome = closed["outcome"]
    assert outcome == {
        "adopted": True,
        "applied": False,
        "explanation": (
            "Adopted. No one blocked. More agree (4) than disagree (0). "
            "Participation 4 of 4 (100%) reached the quorum of 50%. "
            "Not applied: the agreement changed from v2 to v3 since this proposal."
        ),
        "agreement_id": None,
        "version": None,
    }
    read = api(thread_circle.members[2]).get(f"/api/v1/polls/{second}", headers=EN).get_json()
    assert read["outcome"] == outcome
    assert read["agreement_change"]["current_version"] == 3
    body = api(thread_circle.admin).get(f"/api/v1/agreements/{agreement_id}").get_json()
    assert [v["version"] for v in body["versions"]] == [1, 2, 3]
    assert body["body"] == "Troisième version."


def test_a_proposal_whose_closing_time_passed_is_decided_on_the_first_read(
    app, api, thread_circle, start_proposal, vote_api
):
    poll = start_proposal(LISTENING).get_json()
    for person in thread_circle.people:
        vote_api(poll["id"], person, "agree")
    closing = utcnow() - timedelta(seconds=2)
    with app.app_context():
        db.session.execute(sa.update(Poll).where(Poll.id == poll["id"]).values(closing_at=closing))
        # the members joined before that closing time
        db.session.execute(sa.update(Membership).values(created_at=utcnow() - timedelta(days=1)))
        db.session.commit()

    read = api(thread_circle.members[0]).get(f"/api/v1/polls/{poll['id']}", headers=EN).get_json()
    assert read["status"] == "closed"
    assert read["closed_at"] == isoformat_z(closing)
    outcome = read["outcome"]
    assert (outcome["adopted"], outcome["applied"], outcome["version"]) == (True, True, 1)
    body = api(thread_circle.admin).get(f"/api/v1/agreements/{outcome['agreement_id']}").get_json()
    assert body["adopted_at"] == isoformat_z(closing)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AgreementVersion.id))) == 1


def test_closing_a_closed_proposal_is_409_and_applies_nothing_more(
    api, thread_circle, start_proposal, vote_api, close_poll_api, error_of, count_rows
):
    poll = start_proposal(LISTENING).get_json()
    for person in thread_circle.people:
        vote_api(poll["id"], person, "agree")
    close_poll_api(poll["id"])
    response = api(thread_circle.admin).post(f"/api/v1/polls/{poll['id']}/close")
    error_of(response, 409, "poll_closed")
    assert count_rows(AgreementVersion) == 1
    reopen = api(thread_circle.admin).post(
        f"/api/v1/polls/{poll['id']}/reopen",
        json={"closing_at": isoformat_z(utcnow() + timedelta(days=1))},
    )
    error_of(reopen, 409)
