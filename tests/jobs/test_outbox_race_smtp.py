"""Exactly once: periodic commands racing over the same outbox deliver every email
once — real ``flask --app wsgi jobs run`` processes, and threads each with its own
app and session — on this run's database (SQLite or PostgreSQL); the SMTP server
counts the Message-IDs it receives."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fixtures.smtp import PUBLIC_URL

from app.extensions import db
from app.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[2]
COMMENTS = 6


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


@pytest.fixture
def busy_outbox(thread_circle, set_user, write_comment):
    """Alice names Bruno, Chloé and David in six comments (18 emails waiting); every
    member's digest is due at any hour (up to four digests more, written by the race)."""
    alice, *members = thread_circle.people
    for person in thread_circle.people:
        set_user(person, digest_hour=0, digest_days="1234567")
    names = " ".join(f"@{m.handle}" for m in members)
    for i in range(COMMENTS):
        write_comment(alice, thread_circle.thread, f"{names} point {i}")
    return COMMENTS * len(members)


def check_exactly_once(run, smtp, mentions: int) -> None:
    from app.outbox import Delivery

    counts = smtp.message_ids()
    assert counts, "nothing was sent"
    assert set(counts.values()) == {1}, [mid for mid, n in counts.items() if n > 1]
    assert sum(1 for mid in counts if mid.startswith("<thread/")) == mentions
    statuses = run(
        lambda: db.session.execute(
            sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)
        ).all()
    )
    assert dict(statuses) == {"sent": len(counts)}


def test_two_jobs_processes_deliver_every_email_once(database_url, smtp_server, run, busy_outbox):
    env = {
        **os.environ,
        **smtp_server.environment,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-of-the-job-processes-0123456789",
        "PUBLIC_URL": PUBLIC_URL,
        "FLASK_DEBUG": "0",
    }
    now = (utcnow() + timedelta(minutes=1)).isoformat()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run", "--now", now]
    processes = [
        subprocess.Popen(  # noqa: S603 - our own command
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180) for p in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, (out, err)
    sent = sum(int(out.split("outbox: ")[1].split(" sent")[0]) for out, _err in outputs)
    assert sent == len(smtp_server.mailbox.messages)
    check_exactly_once(run, smtp_server.mailbox, busy_outbox)


def test_jobs_in_threads_deliver_every_email_once(
    make_app, smtp, run, busy_outbox, mail_app_config
):
    from app.jobs.tasks import run_once

    now = utcnow() + timedelta(minutes=1)
    start = threading.Barrier(3)
    errors = []

    # One app each (its own engine, so its own connections and sessions), built
    # before the race: building apps is not what races.
    apps = [make_app(**mail_app_config) for _ in range(3)]

    def worker(own):
        try:
            with own.app_context():
                start.wait(timeout=10)
                run_once(now)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(own,)) for own in apps]
    for worker_thread in workers:
        worker_thread.start()
    for worker_thread in workers:
        worker_thread.join(timeout=120)
    for own in apps:
        with own.app_context():
            db.engine.dispose()
    assert errors == []
    check_exactly_once(run, smtp, busy_outbox)
