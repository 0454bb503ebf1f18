"""Taking, changing and withdrawing a stance (one current stance per voter)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ... import events, hooks
from ...auth.models import User
from ...errors import ValidationFailed
from ...extensions import db
from ...threads.models import Thread
from .. import tally
from ..models import Poll, Stance
from .errors import NotEligible, PollClosed, translated
from .voters import is_eligible


def lock_poll(poll: Poll, *, for_change: bool = False) -> Poll:
    """Lock the poll's row, then its thread's (PostgreSQL), and reload the poll: its
    state is now current. ``for_change`` (closing, editing, reopening, deleting): the
    features above lock the rows of theirs the write will update too
    (``hooks.poll_write_locks``: a proposal's agreement). The thread's row is taken
    before anything is written: a write to a proposal may bump its circle's revision
    before its thread's, and the order of row locks is thread, agreement, circle
    (``app/revisions.py``)."""
    locked = db.session.scalars(
        sa.select(Poll)
        .where(Poll.id == poll.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.select(Thread.id)
            .where(Thread.id == locked.thread_id)
            .with_for_update(key_share=True)
        )
        if for_change:
            hooks.poll_write_locks.answers(locked)
    return locked


def ensure_open(poll: Poll, now: datetime) -> None:
    if poll.closed_at is not None:
        raise PollClosed(poll.closed_at)
    if now >= poll.closing_at:
        raise PollClosed(poll.closing_at)


def current_stance(poll: Poll, voter_id: int) -> Stance | None:
    return db.session.scalar(
        sa.select(Stance).where(
            Stance.poll_id == poll.id, Stance.voter_id == voter_id, Stance.is_current.is_(True)
        )
    )


def check_stance(poll: Poll, choice, reason: str | None) -> dict:
    """The stored form of a stance's choice; ``ValidationFailed`` naming each bad field."""
    keys = poll.option_keys
    errors = tally.validate_choice(poll.kind, poll.choice_settings, keys, choice)
    if not errors:
        errors = tally.validate_reason(poll.reasons, reason, choice)
    if errors:
        raise ValidationFailed(fields=translated(errors))
    return tally.clean_choice(poll.kind, poll.choice_settings, keys, choice)


def cast_stance(
    poll: Poll, voter: User, *, choice, reason: str | None = "", now: datetime
) -> Stance:
    """Take or change a stance: the new one is current, the previous stays in history
    (anonymous polls keep no history: the current stance is replaced).

    ``PollClosed`` (409) at or after ``closing_at`` or once closed; ``NotEligible``
    (403) for someone who is not among the voters; ``ValidationFailed`` (400).
    """
    poll = lock_poll(poll)
    ensure_open(poll, now)
    if not is_eligible(poll, voter.id):
        raise NotEligible()
    clean = check_stance(poll, choice, reason)
    reason = (reason or "").strip()
    previous = current_stance(poll, voter.id)
    if previous is not None and poll.anonymous:
        previous.choice = clean
        previous.reason = reason
        previous.created_at = now
        stance = previous
    else:
        if previous is not None:
            previous.is_current = False
            db.session.flush()  # before the insert: one current stance per voter
        stance = Stance(
            poll_id=poll.id, voter_id=voter.id, choice=clean, reason=reason, created_at=now
        )
        db.session.add(stance)
    db.session.flush()
    events.stance_cast.send(stance, poll=poll, voter=voter, now=now)
    return stance


def withdraw_stance(poll: Poll, voter: User, *, now: datetime) -> Stance | None:
    """Be undecided again. The withdrawn stance stays in history (anonymous: deleted).
    Returns it, or None when there was none."""
    poll = lock_poll(poll)
    ensure_open(poll, now)
    previous = current_stance(poll, voter.id)
    if previous is None:
        return None
    if poll.anonymous:
        db.session.delete(previous)
    else:
        previous.is_current = False
        previous.withdrawn_at = now
    db.session.flush()
    events.stance_withdrawn.send(poll, voter=voter, now=now)
    return previous


def stance_history(poll: Poll, voter_id: int) -> list[Stance]:
    """A voter's stances, newest first (anonymous polls keep only the current one)."""
    return list(
        db.session.scalars(
            sa.select(Stance)
            .where(Stance.poll_id == poll.id, Stance.voter_id == voter_id)
            .order_by(Stance.created_at.desc(), Stance.id.desc())
        )
    )
