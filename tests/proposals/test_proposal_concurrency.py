"""Real concurrency: threads, each with its own application context, session and
connection, closing proposals at once (SQLite and PostgreSQL). Exactly one version
is applied, whatever the race; the schema refuses a second one anyway."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.agreements.models import Agreement, AgreementVersion
from app.auth.models import User
from app.extensions import db
from app.polls.models import Poll
from app.polls.services import PollClosed, close_due_polls, close_if_due, close_poll
from app.proposals.models import ProposalOutcome

LISTENING = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Pas de réciprocité exigée.",
    "rules": {"reciprocity": "not_required", "relance_after_days": 21},
}


def in_threads(app, jobs) -> list[BaseException]:
    """Start every job at the same moment, each in its own thread, app context and
    session; a job commits its own transaction. Returns the exceptions raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                job()
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a closer is stuck"
    return errors


def counts(run, poll_ids):
    def read():
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

    return run(read)


@pytest.mark.parametrize("round_", range(3))
def test_closers_and_finalisers_racing_apply_the_adoption_once(
    app, run, thread_circle, propose, vote, clock, round_
):
    """Two people close early just before the closing time while two periodic jobs and
    a reader, a moment after it, finalise it."""
    poll = propose(LISTENING, closing_in=timedelta(hours=1))
    clock.tick()
    for person in thread_circle.people:
        vote(poll, person, "agree")
    before = poll.closing_at - timedelta(seconds=1)
    after = poll.closing_at + timedelta(seconds=1)

    def closer(person):
        def job():
            try:
                close_poll(
                    db.session.get(Poll, poll.id),
                    actor=db.session.get(User, person.id),
                    now=before,
                )
            except PollClosed:
                pass

        return job

    def reader():
        close_if_due(db.session.get(Poll, poll.id), after)

    def periodic():
        close_due_polls(after)

    errors = in_threads(
        app, [closer(thread_circle.admin), closer(thread_circle.admin), periodic, periodic, reader]
    )
    assert errors == []
    assert counts(run, [poll.id]) == {"agreements": 1, "versions": 1, "outcomes": 1}

    def check():
        closed = db.session.get(Poll, poll.id)
        assert closed.closed_at in (before, poll.closing_at)
        version = db.session.scalar(sa.select(AgreementVersion))
        assert version.poll_id == poll.id and version.version == 1
        assert version.adopted_at == closed.closed_at
        outcome = db.session.scalar(sa.select(ProposalOutcome))
        assert (outcome.adopted, outcome.applied, outcome.version) == (True, True, 1)

    run(check)


def test_two_amendments_of_one_agreement_closing_at_once_apply_one_version(
    app, run, thread_circle, propose, vote, close, clock
):
    adopted = propose(LISTENING)
    for person in thread_circle.people:
        vote(adopted, person, "agree")
    clock.tick()
    agreement_id = close(adopted)["agreement_id"]
    clock.tick()
    amendments = [
        propose(
            {
                "action": "amend",
                "agreement_id": agreement_id,
                "base_version": 1,
                "title": f"Version {n}",
            }
        )
        for n in range(4)
    ]
    clock.tick()
    for poll in amendments:
        for person in thread_circle.people:
            vote(poll, person, "agree")
    clock.tick()
    now = clock.now

    def closer(poll):
        def job():
            close_poll(
                db.session.get(Poll, poll.id),
                actor=db.session.get(User, thread_circle.admin.id),
                now=now,
            )

        return job

    errors = in_threads(app, [closer(poll) for poll in amendments])
    assert errors == []

    def read():
        versions = db.session.execute(
            sa.select(AgreementVersion.version, AgreementVersion.poll_id)
            .where(AgreementVersion.agreement_id == agreement_id)
            .order_by(AgreementVersion.version)
        ).all()
        outcomes = db.session.execute(
            sa.select(
                ProposalOutcome.poll_id,
                ProposalOutcome.adopted,
                ProposalOutcome.applied,
                ProposalOutcome.not_applied_reason,
            ).where(ProposalOutcome.poll_id.in_([p.id for p in amendments]))
        ).all()
        return (
            [tuple(v) for v in versions],
            [tuple(o) for o in outcomes],
            db.session.get(Agreement, agreement_id).current_version,
        )

    versions, outcomes, current = run(read)
    assert [number for number, _poll_id in versions] == [1, 2]
    assert current == 2
    assert len(outcomes) == 4 and all(adopted for _p, adopted, _a, _r in outcomes)
    applied = [poll_id for poll_id, _adopted, was_applied, _r in outcomes if was_applied]
    assert applied == [versions[1][1]]
    reasons = [reason for _p, _adopted, was_applied, reason in outcomes if not was_applied]
    assert reasons == [{"code": "stale", "from": 1, "to": 2}] * 3


def test_the_schema_refuses_a_second_version_for_one_poll_or_number(
    run, thread_circle, propose, vote, close, clock
):
    poll = propose(LISTENING)
    for person in thread_circle.people:
        vote(poll, person, "agree")
    clock.tick()
    agreement_id = close(poll)["agreement_id"]
    other = propose(None)

    def again(**fields):
        def write():
            values = {
                "agreement_id": agreement_id,
                "version": 2,
                "title": "Encore",
                "poll_id": other.id,
                "adopted_at": clock.now,
            }
            values.update(fields)
            db.session.add(AgreementVersion(**values))
            db.session.flush()

        return write

    with pytest.raises(sa.exc.IntegrityError):
        run(again(poll_id=poll.id))  # the same poll applying a second version
    with pytest.raises(sa.exc.IntegrityError):
        run(again(version=1))  # the same number twice
    run(again())  # a new number from another poll is fine
