"""Fixtures for the periodic jobs: a circle with a thread, polls, stances, and a way
to read the notifications that came out."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow


@pytest.fixture
def new_poll(run, thread_circle):
    """``new_poll(closing_in=timedelta(hours=1), kind="proposal", **settings)`` → record
    with ``id`` and ``closing_at``."""
    from app.auth.models import User
    from app.polls.services import create_poll
    from app.threads.models import Thread

    def make(closing_in=timedelta(hours=1), kind="proposal", author=None, **kwargs):
        now = utcnow()
        author = author or thread_circle.admin

        def create():
            poll = create_poll(
                db.session.get(Thread, thread_circle.thread.id),
                author=db.session.get(User, author.id),
                kind=kind,
                title=kwargs.pop("title", "Un groupe Zoom ?"),
                closing_at=now + closing_in,
                now=now,
                **kwargs,
            )
            return SimpleNamespace(id=poll.id, closing_at=poll.closing_at)

        return run(create)

    return make


@pytest.fixture
def vote(run):
    """``vote(poll, person, choice, reason="")`` → the stance's id."""
    from app.auth.models import User
    from app.polls.models import Poll
    from app.polls.services import cast_stance

    def cast(poll, person, choice, reason=""):
        return run(
            lambda: (
                cast_stance(
                    db.session.get(Poll, poll.id),
                    db.session.get(User, person.id),
                    choice=choice,
                    reason=reason,
                    now=utcnow(),
                ).id
            )
        )

    return cast


@pytest.fixture
def notifications(run):
    """``notifications(kind=None, poll=None)`` → ``[(user_id, kind, poll_id)]`` sorted."""
    from app.notifications.models import Notification

    def read(kind=None, poll=None):
        def query():
            q = sa.select(Notification.user_id, Notification.kind, Notification.poll_id)
            if kind:
                q = q.where(Notification.kind == kind)
            if poll:
                q = q.where(Notification.poll_id == poll.id)
            return sorted(tuple(row) for row in db.session.execute(q))

        return run(query)

    return read


@pytest.fixture
def poll_state(run):
    """``poll_state(poll)`` → record with ``closed_at``, ``reminder_sent_at``…"""
    from app.polls.models import Poll

    def read(poll):
        def query():
            p = db.session.get(Poll, poll.id)
            return SimpleNamespace(
                closed_at=p.closed_at,
                closed_by_id=p.closed_by_id,
                reminder_sent_at=p.reminder_sent_at,
                closing_at=p.closing_at,
            )

        return run(query)

    return read


def iso(moment) -> str:
    return moment.isoformat()


@pytest.fixture
def jobs(runner):
    """``jobs(now=None, *extra)`` → the ``flask jobs run`` result (exit code checked)."""

    def invoke(now=None, *extra, expect_ok=True):
        args = ["jobs", "run", *extra]
        if now is not None:
            args += ["--now", iso(now)]
        result = runner.invoke(args=args)
        if expect_ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return invoke
