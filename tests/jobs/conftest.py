"""Fixtures for the periodic jobs: running them, and reading what they did to polls and
which notifications came out (``new_poll`` and ``cast_choice`` are in ``fixtures.polls``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db


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
