"""Several ``jobs run`` at once (threads with their own app contexts; OS processes
running ``flask --app wsgi jobs run`` against the same database): every poll is
closed once and every reminder sent once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_circle(thread_circle, new_poll, cast_choice):
    """Six polls due to close and six due a reminder (Bruno voted in each)."""
    due = [new_poll(closing_in=timedelta(minutes=30 + i)) for i in range(6)]
    soon = [new_poll(closing_in=timedelta(hours=10 + i)) for i in range(6)]
    for poll in soon:
        cast_choice(poll, thread_circle.members[0], {"key": "agree"})
    now = max(p.closing_at for p in due) + timedelta(minutes=1)
    return due, soon, now


def _check_once(thread_circle, due, soon, notifications, poll_state):
    for poll in due:
        assert poll_state(poll).closed_at == poll.closing_at
    closed = Counter(notifications("proposal_outcome"))  # a proposal's close, with its verdict
    assert set(closed.values()) == {1}
    assert {poll_id for _u, _k, poll_id in closed} == {p.id for p in due}
    assert len(closed) == len(due) * len(thread_circle.people)
    reminders = Counter(notifications("poll_reminder"))
    assert set(reminders.values()) == {1}
    assert len(reminders) == len(soon) * 3  # everyone but Bruno, once per poll
    assert {poll_id for _u, _k, poll_id in reminders} == {p.id for p in soon}


def test_concurrent_runs_in_threads_do_everything_once(
    app, thread_circle, busy_circle, notifications, poll_state
):
    from app.jobs.tasks import run_once

    due, soon, now = busy_circle
    start = threading.Barrier(3)
    figures, errors = [], []

    def worker():
        try:
            with app.app_context():
                start.wait(timeout=10)
                figures.append(run_once(now))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert all(not f.failures for f in figures)
    assert sum(f.closed_polls for f in figures) == len(due)
    assert sum(f.reminded_polls for f in figures) == len(soon)
    assert sum(f.reminders for f in figures) == len(soon) * 3
    _check_once(thread_circle, due, soon, notifications, poll_state)


def test_concurrent_runs_in_processes_do_everything_once(
    database_url, thread_circle, busy_circle, notifications, poll_state
):
    """Three ``flask --app wsgi jobs run`` processes on the same database (on SQLite,
    the same file; on PostgreSQL, the same server)."""
    due, soon, now = busy_circle
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "a-long-random-value-for-the-job-processes",
        "PUBLIC_URL": "https://cercle.example.org",
        "FLASK_DEBUG": "0",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run"]
    processes = [
        subprocess.Popen(  # noqa: S603 - our own command
            [*flask, "--now", now.isoformat()],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, (out, err)
    closed = sum(int(out.split("closed ")[1].split(" ")[0]) for out, _ in outputs)
    sent = sum(int(out.split("sent ")[1].split(" ")[0]) for out, _ in outputs)
    assert closed == len(due)
    assert sent == len(soon) * 3
    _check_once(thread_circle, due, soon, notifications, poll_state)


def test_a_closer_racing_the_job_closes_once(
    app, thread_circle, new_poll, notifications, poll_state
):
    """The author closes early while several job runs finalise due polls."""
    from app.auth.models import User
    from app.jobs.tasks import run_once
    from app.polls.models import Poll
    from app.polls.services import PollClosed, close_poll

    polls = [new_poll(closing_in=timedelta(minutes=5)) for _ in range(4)]
    now = max(p.closing_at for p in polls) - timedelta(seconds=1)
    # Just before the last closing time: the author closes the last poll early while the
    # job finalises the others (and the last one is not due).
    start = threading.Barrier(3)
    errors = []

    def job():
        try:
            with app.app_context():
                start.wait(timeout=10)
                run_once(now + timedelta(minutes=1))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    def author():
        try:
            with app.app_context():
                start.wait(timeout=10)
                try:
                    close_poll(
                        db.session.get(Poll, polls[-1].id),
                        actor=db.session.get(User, thread_circle.admin.id),
                        now=now,
                    )
                    db.session.commit()
                except PollClosed:
                    db.session.rollback()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=job), threading.Thread(target=job)]
    threads.append(threading.Thread(target=author))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    for poll in polls:
        assert poll_state(poll).closed_at is not None
    closed = Counter(notifications("proposal_outcome"))  # a proposal's close, with its verdict
    assert set(closed.values()) == {1}
    assert {poll_id for _u, _k, poll_id in closed} == {p.id for p in polls}
