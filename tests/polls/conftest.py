"""Fixtures for the poll tests: a circle with a thread, polls, and a way to run services."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.timeutil import utcnow


@pytest.fixture
def new_poll(run, thread_circle):
    """``new_poll(kind="proposal", author=None, closing_in=timedelta(hours=1), **settings)``
    → record with ``id``, ``closing_at``, ``now`` (its creation time)."""
    from app.auth.models import User
    from app.polls.services import create_poll
    from app.threads.models import Thread

    def make(kind="proposal", author=None, closing_in=timedelta(hours=1), **kwargs):
        now = utcnow()
        author = author or thread_circle.admin
        if kind != "proposal" and "options" not in kwargs:
            kwargs["options"] = ["Zoom", "Jitsi", "In person"]

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
            return SimpleNamespace(id=poll.id, closing_at=poll.closing_at, now=now)

        return run(create)

    return make


@pytest.fixture
def closed_hook():
    """Register an ``on_poll_closed`` hook for the test; the list of its calls."""
    from app.polls import services

    calls = []

    def hook(poll, closed_at):
        calls.append((poll.id, closed_at))

    services.on_poll_closed.append(hook)
    yield calls
    services.on_poll_closed.remove(hook)


@pytest.fixture
def vote(run):
    """``vote(poll, person, choice, reason="", now=None)`` → the new stance's id."""
    from app.auth.models import User
    from app.polls.models import Poll
    from app.polls.services import cast_stance

    def cast(poll, person, choice, reason="", now=None):
        return run(
            lambda: (
                cast_stance(
                    db.session.get(Poll, poll.id),
                    db.session.get(User, person.id),
                    choice=choice,
                    reason=reason,
                    now=now or utcnow(),
                ).id
            )
        )

    return cast
