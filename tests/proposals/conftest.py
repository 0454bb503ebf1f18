"""Fixtures for proposals and agreements with the database: a circle, a clock, and
helpers to propose, vote and close (each call in its own app context and session)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.timeutil import utcnow


class Clock:
    """Test time, ahead of the wall clock (memberships were created before it)."""

    def __init__(self):
        self.now = utcnow() + timedelta(minutes=1)

    def tick(self, **delta) -> object:
        self.now = self.now + timedelta(**delta or {"minutes": 1})
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def propose(run, circle, clock):
    """``propose(change=None, author=None, closing_in=timedelta(days=1), thread=None)`` →
    a new proposal created now (``clock.now``), carrying ``change``: record with ``id``,
    ``closing_at``, ``change_id``."""
    from app.auth.models import User
    from app.polls.services import create_poll
    from app.proposals.services import attach_agreement_change
    from app.threads.models import Thread

    def make(change=None, *, author=None, closing_in=timedelta(days=1), thread=None):
        now = clock.now
        author = author or circle.admin

        def create():
            poll = create_poll(
                db.session.get(Thread, (thread or circle.thread).id),
                author=db.session.get(User, author.id),
                kind="proposal",
                title="Une proposition",
                closing_at=now + closing_in,
                now=now,
            )
            record = None
            if change is not None:
                record = attach_agreement_change(poll, change, now=now)
            return SimpleNamespace(
                id=poll.id, closing_at=poll.closing_at, change_id=getattr(record, "id", None)
            )

        return run(create)

    return make


@pytest.fixture
def vote(run, clock):
    """``vote(poll, person, key, reason=...)`` at ``clock.now`` (a block gets a reason)."""
    from app.auth.models import User
    from app.polls.models import Poll
    from app.polls.services import cast_stance

    def cast(poll, person, key, reason=None):
        if reason is None:
            reason = "Je bloque parce que…" if key == "block" else ""
        now = clock.now
        return run(
            lambda: (
                cast_stance(
                    db.session.get(Poll, poll.id),
                    db.session.get(User, person.id),
                    choice={"key": key},
                    reason=reason,
                    now=now,
                ).id
            )
        )

    return cast


@pytest.fixture
def close(run, circle, clock):
    """``close(poll, actor=None)``: close early at ``clock.now`` → the outcome as the API
    shows it (English)."""
    from app.auth.models import User
    from app.polls.models import Poll
    from app.polls.services import close_poll
    from app.proposals.services import outcome_json

    def do(poll, actor=None):
        now = clock.now

        def closing():
            closed = close_poll(
                db.session.get(Poll, poll.id),
                actor=db.session.get(User, (actor or circle.admin).id),
                now=now,
            )
            return outcome_json(closed, "en")

        return run(closing)

    return do


@pytest.fixture
def decide(propose, vote, close, circle, clock):
    """``decide(change, votes=None)``: propose, vote (``[(person, key)]``, default: everyone
    agrees), close, a minute apart → (poll record, outcome)."""

    def make(change, votes=None, **kwargs):
        poll = propose(change, **kwargs)
        clock.tick()
        for person, key in votes if votes is not None else [(p, "agree") for p in circle.people]:
            vote(poll, person, key)
        clock.tick()
        outcome = close(poll)
        clock.tick()
        return poll, outcome

    return make


@pytest.fixture(autouse=True)
def _proposal_hooks():
    """The proposals' poll hooks are registered at import; make sure a test elsewhere
    that cleared the polls' hook lists has not removed them."""
    from app.polls import services as polls
    from app.proposals import services as proposals

    if proposals.decide not in polls.on_poll_closed:
        polls.on_poll_closed.insert(0, proposals.decide)
    if proposals.changed_no_agreement not in polls.can_reopen:
        polls.can_reopen.append(proposals.changed_no_agreement)
    yield
