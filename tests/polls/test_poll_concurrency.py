"""Real concurrency: threads, each with its own application context and session,
writing stances and closing the same poll at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.polls.models import Poll, Stance
from app.polls.services import (
    PollClosed,
    cast_stance,
    close_due_polls,
    close_if_due,
    close_poll,
    results_for,
    withdraw_stance,
)
from app.timeutil import utcnow

WRITES = 5


def in_threads(app, jobs) -> list[BaseException]:
    """Start every job at the same moment, each in its own thread, app context and
    session; a job commits its own transactions. Returns the exceptions raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                job()
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
    assert not any(thread.is_alive() for thread in threads), "a writer is stuck"
    return errors


def _current_by_voter(run, poll_id):
    def read():
        rows = db.session.execute(
            sa.select(Stance.voter_id, Stance.id, Stance.choice, Stance.is_current).where(
                Stance.poll_id == poll_id
            )
        ).all()
        return [tuple(r) for r in rows]

    return run(read)


def test_racing_stances_leave_one_current_stance_each_and_right_totals(
    app, run, thread_circle, new_poll
):
    poll = new_poll("choice")
    keys = ["o1", "o2", "o3"]

    def writer(person, seed):
        rng = random.Random(seed)

        def job():
            for _ in range(WRITES):
                stance_poll = db.session.get(Poll, poll.id)
                cast_stance(
                    stance_poll,
                    db.session.get(User, person.id),
                    choice={"key": rng.choice(keys)},
                    now=utcnow(),
                )
                db.session.commit()

        return job

    # two writers for each of the four people: same voter and different voters at once
    jobs = [writer(person, seed) for seed in (1, 2) for person in thread_circle.people]
    assert in_threads(app, jobs) == []

    rows = _current_by_voter(run, poll.id)
    assert len(rows) == len(jobs) * WRITES  # every change kept in history
    current = [r for r in rows if r[3]]
    assert sorted(r[0] for r in current) == sorted(p.id for p in thread_circle.people)
    for person in thread_circle.people:
        latest = max((r for r in rows if r[0] == person.id), key=lambda r: r[1])
        assert latest[3], "the last write of each voter is the current one"

    expected = Counter(r[2]["key"] for r in current)

    def counts():
        seen = results_for(db.session.get(Poll, poll.id), None, utcnow())
        return {r.key: r.count for r in seen.results.rows}, seen.participants

    totals, participants = run(counts)
    assert totals == {k: expected.get(k, 0) for k in keys}
    assert participants == 4


def test_racing_stances_and_withdrawals(app, run, thread_circle, new_poll):
    poll = new_poll("proposal", anonymous=False)

    def writer(person, withdraws):
        def job():
            for i in range(WRITES):
                stance_poll = db.session.get(Poll, poll.id)
                user = db.session.get(User, person.id)
                if withdraws and i % 2:
                    withdraw_stance(stance_poll, user, now=utcnow())
                else:
                    cast_stance(stance_poll, user, choice={"key": "agree"}, now=utcnow())
                db.session.commit()

        return job

    jobs = [writer(p, w) for w in (False, True) for p in thread_circle.people]
    assert in_threads(app, jobs) == []
    current = Counter(
        voter for voter, _id, _c, is_current in _current_by_voter(run, poll.id) if is_current
    )
    assert all(n == 1 for n in current.values())


def test_racing_stances_in_an_anonymous_poll(app, run, thread_circle, new_poll):
    poll = new_poll("proposal", anonymous=True)

    def writer(person, key):
        def job():
            for _ in range(WRITES):
                cast_stance(
                    db.session.get(Poll, poll.id),
                    db.session.get(User, person.id),
                    choice={"key": key},
                    now=utcnow(),
                )
                db.session.commit()

        return job

    jobs = [writer(p, k) for k in ("agree", "abstain") for p in thread_circle.people]
    assert in_threads(app, jobs) == []
    rows = _current_by_voter(run, poll.id)
    assert sorted(r[0] for r in rows) == sorted(p.id for p in thread_circle.people)  # no history
    assert all(r[3] for r in rows)


def test_the_database_refuses_two_current_stances(app, run, thread_circle, new_poll):
    poll = new_poll()

    def insert_two():
        for key in ("agree", "block"):
            db.session.add(
                Stance(
                    poll_id=poll.id, voter_id=thread_circle.admin.id, choice={"key": key}, reason=""
                )
            )
            db.session.flush()

    with pytest.raises(sa.exc.IntegrityError):
        run(insert_two)


def test_three_closers_close_once(app, run, thread_circle, new_poll, closed_hook):
    poll = new_poll()
    now = utcnow()

    def closer():
        close_poll(
            db.session.get(Poll, poll.id),
            actor=db.session.get(User, thread_circle.admin.id),
            now=now,
        )
        db.session.commit()

    errors = in_threads(app, [closer, closer, closer])
    assert len(errors) == 2 and all(isinstance(e, PollClosed) for e in errors)
    assert closed_hook == [(poll.id, now)]
    assert run(lambda: db.session.get(Poll, poll.id).closed_at) == now


def test_author_and_periodic_jobs_close_once(
    app, run, thread_circle, new_poll, cast_choice, closed_hook
):
    """The author closes just before the closing time while two periodic jobs, a
    moment after it, finalise due polls and a reader finalises it too."""
    poll = new_poll()
    cast_choice(poll, thread_circle.members[0], {"key": "agree"})
    before = poll.closing_at - timedelta(seconds=1)
    after = poll.closing_at + timedelta(seconds=1)

    def author():
        close_poll(
            db.session.get(Poll, poll.id),
            actor=db.session.get(User, thread_circle.admin.id),
            now=before,
        )
        db.session.commit()

    def periodic():
        close_due_polls(after)
        db.session.commit()

    def reader():
        close_if_due(db.session.get(Poll, poll.id), after)
        db.session.commit()

    errors = in_threads(app, [author, periodic, periodic, reader])
    assert all(isinstance(e, PollClosed) for e in errors)
    assert len(closed_hook) == 1
    closed_at = run(lambda: db.session.get(Poll, poll.id).closed_at)
    assert closed_at in (before, poll.closing_at)
    assert closed_hook[0] == (poll.id, closed_at)
    assert run(lambda: db.session.get(Poll, poll.id).participants_at_close) == 1


def test_many_due_polls_many_runners(app, run, new_poll, closed_hook):
    polls = [new_poll(closing_in=timedelta(minutes=m + 1)) for m in range(5)]
    later = utcnow() + timedelta(hours=1)

    def periodic():
        close_due_polls(later)
        db.session.commit()

    assert in_threads(app, [periodic] * 3) == []
    assert sorted(poll_id for poll_id, _ in closed_hook) == sorted(p.id for p in polls)
