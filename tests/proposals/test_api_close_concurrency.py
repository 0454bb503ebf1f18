"""Real concurrency through HTTP: threads, each with its own test client, close the same
proposal at once, or close two amendments of the same version at once, while others
read the agreements (SQLite here; PostgreSQL with TEST_DATABASE_URL). One version is
applied, the other closers get 409, nobody gets a 5xx."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from fixtures.proposal_api import LISTENING

from app.agreements.models import Agreement, AgreementVersion
from app.extensions import db
from app.proposals.models import ProposalOutcome
from app.timeutil import utcnow


def race(app, jobs) -> list:
    """Run every job at once, each in its own thread with its own test client:
    ``job(client)`` returns a response. Returns the responses in job order."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list[BaseException] = []

    def worker(index, job):
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            results[index] = job(client)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request is stuck"
    assert errors == []
    return results


def headers(token):
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "Accept-Language": "en",
    }


def rows(app, poll_ids):
    with app.app_context():
        return {
            "agreements": db.session.scalar(sa.select(sa.func.count(Agreement.id))),
            "versions": db.session.scalar(
                sa.select(sa.func.count(AgreementVersion.id)).where(
                    AgreementVersion.poll_id.in_(poll_ids)
                )
            ),
            "outcomes": db.session.scalar(
                sa.select(sa.func.count(ProposalOutcome.id)).where(
                    ProposalOutcome.poll_id.in_(poll_ids)
                )
            ),
        }


@pytest.mark.parametrize("round_", range(3))
def test_two_clients_closing_the_same_proposal_apply_it_once(
    app, api, thread_circle, start_proposal, vote_api, round_
):
    poll = start_proposal(LISTENING).get_json()
    for person in thread_circle.people:
        vote_api(poll["id"], person, "agree")
    url = f"/api/v1/polls/{poll['id']}/close"
    # the admin on two devices: two closers, each with its own client, token and session
    closers = [api(thread_circle.admin).token, api_token_of(app, thread_circle.admin)]
    responses = race(app, [lambda c, t=t: c.post(url, headers=headers(t)) for t in closers])
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: 1}, [r.get_json() for r in responses]
    winner = next(r for r in responses if r.status_code == 200).get_json()
    assert winner["outcome"]["applied"] is True
    assert winner["outcome"]["version"] == 1
    loser = next(r for r in responses if r.status_code == 409).get_json()
    assert loser["error"]["code"] == "poll_closed"
    assert rows(app, [poll["id"]]) == {"agreements": 1, "versions": 1, "outcomes": 1}


def api_token_of(app, person) -> str:
    """A second token of the same person (another device)."""
    from app.auth.models import User
    from app.auth.services import create_api_token

    with app.app_context():
        _token, secret = create_api_token(
            db.session.get(User, person.id), "second device", now=utcnow()
        )
        db.session.commit()
    return secret


@pytest.mark.parametrize("round_", range(3))
def test_racing_amendments_of_the_same_version_leave_one_v2(
    app, api, thread_circle, start_proposal, vote_api, close_poll_api, round_
):
    adopted = start_proposal(LISTENING).get_json()
    for person in thread_circle.people:
        vote_api(adopted["id"], person, "agree")
    agreement_id = close_poll_api(adopted["id"])["outcome"]["agreement_id"]

    amendments = []
    for n in range(3):
        poll = start_proposal(
            {
                "action": "amend",
                "agreement_id": agreement_id,
                "base_version": 1,
                "body": f"Version {n}",
            }
        ).get_json()
        for person in thread_circle.people:
            vote_api(poll["id"], person, "agree")
        amendments.append(poll["id"])

    token = api(thread_circle.admin).token
    reader = api(thread_circle.members[0]).token
    jobs = [
        lambda c, p=p: c.post(f"/api/v1/polls/{p}/close", headers=headers(token))
        for p in amendments
    ]
    jobs += [
        lambda c: c.get(
            f"/api/v1/groups/{thread_circle.group.handle}/rules", headers=headers(reader)
        ),
        lambda c: c.get(f"/api/v1/agreements/{agreement_id}", headers=headers(reader)),
    ]
    responses = race(app, jobs)
    assert all(r.status_code == 200 for r in responses), [r.get_json() for r in responses]
    outcomes = [r.get_json()["outcome"] for r in responses[: len(amendments)]]
    assert all(o["adopted"] for o in outcomes)
    applied = [o for o in outcomes if o["applied"]]
    assert len(applied) == 1 and applied[0]["version"] == 2
    stale = [o for o in outcomes if not o["applied"]]
    assert len(stale) == 2
    assert all("from v1 to v2" in o["explanation"] for o in stale), stale

    body = api(thread_circle.admin).get(f"/api/v1/agreements/{agreement_id}").get_json()
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert rows(app, amendments) == {"agreements": 1, "versions": 1, "outcomes": 3}
