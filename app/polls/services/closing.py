"""Closing a poll: early, by time (as of ``closing_at``, in closing order), before a
read; reopening; the outcome statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ... import events, hooks
from ...auth.models import User
from ...db import write_before_read
from ...errors import ValidationFailed
from ...extensions import db
from ...markdown import render_with_mentions
from .. import tally
from ..models import Poll, Stance
from .creating import MAX_STATEMENT, closing_at_error
from .errors import PollClosed, PollNotReopenable, PollOpen
from .results import count, load_facts
from .stances import ensure_open, lock_poll


def _after_close(poll: Poll, closed_at: datetime) -> None:
    """What the winner of a close does: freeze the participation line (and, for an
    anonymous poll, the counts, then erase voters), then run the hooks."""
    counting = count(poll, load_facts([poll])[poll.id], at=closed_at)
    poll.eligible_at_close = len(counting.eligible)
    poll.participants_at_close = len(counting.counted)
    if poll.anonymous:
        poll.frozen_results = tally.results_to_json(counting.results)
        counted = [s.id for s in counting.counted]
        # Stances that stopped counting (removed members) leave no trace either.
        db.session.execute(
            sa.update(Stance)
            .where(Stance.poll_id == poll.id, Stance.id.not_in(counted))
            .values(is_current=False)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            sa.update(Stance)
            .where(Stance.poll_id == poll.id)
            # the time of each stance could tell who cast it: keep only the close's
            .values(voter_id=None, created_at=closed_at)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    events.poll_closed.send(poll, closed_by=poll.closed_by_id, now=closed_at)
    db.session.flush()


def close_poll(poll: Poll, *, actor: User, now: datetime) -> Poll:
    """Close early (the author or an admin: see ``can_close_poll``). 409 ``poll_closed``
    when it is closed already, or its closing time has passed (it closed by itself).

    Polls that were due before ``now`` close first, each as of its own closing
    time: closing order decides outcomes (an adopted quorum, a stale amendment)."""
    close_due_polls(now, before=poll)
    poll = lock_poll(poll, for_change=True)
    ensure_open(poll, now)
    claimed = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.closed_at.is_(None), Poll.closing_at > now)
        .values(closed_at=now, closed_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(poll)
        raise PollClosed(poll.closed_at or poll.closing_at)
    db.session.refresh(poll)
    _after_close(poll, now)
    return poll


def close_if_due(poll: Poll, now: datetime) -> bool:
    """Close a poll whose closing time has passed, as of that closing time.

    Idempotent and safe under concurrency: the close is claimed by an UPDATE
    that only one caller wins. Returns True when this call closed it.
    """
    if poll.closed_at is not None or now < poll.closing_at:
        return False
    if db.session.get_bind().dialect.name == "postgresql":
        lock_poll(poll, for_change=True)  # the rows the close writes, in order
    claimed = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.closed_at.is_(None), Poll.closing_at <= now)
        .values(closed_at=Poll.closing_at, closed_by_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(poll)
    if claimed != 1:
        return False
    _after_close(poll, poll.closed_at)
    return True


def due_poll_ids(now: datetime) -> list[int]:
    """Open polls whose closing time has passed, in closing order."""
    return list(
        db.session.scalars(
            sa.select(Poll.id)
            .where(Poll.closed_at.is_(None), Poll.closing_at <= now)
            .order_by(Poll.closing_at, Poll.id)
        )
    )


def close_due_polls(now: datetime, *, before: Poll | None = None) -> list[Poll]:
    """Close every due poll, in closing order; returns those this call closed.
    With ``before``, only the other polls that were due before it."""
    closed = []
    for poll_id in due_poll_ids(now):
        if before is not None and poll_id == before.id:
            break
        poll = db.session.get(Poll, poll_id)
        if poll is not None and close_if_due(poll, now):
            closed.append(poll)
    return closed


def close_due_polls_before_read(
    *,
    poll_ids: Sequence[int] | None = None,
    thread_id: int | None = None,
    group_id: int | None = None,
    now: datetime,
) -> list[int]:
    """Close the due polls a read is about to show, in their own short transaction.

    The one write allowed on a read path (DESIGN.md): a page or a GET that shows
    polls calls this first, narrowed to what it shows (``poll_ids``, a thread's
    or a group's polls; nothing narrows it to every due poll). When nothing is
    due it only runs one query and leaves the read transaction alone. Otherwise
    it ends the read transaction (``rollback``: loaded objects are expired and
    reload on next access), takes the write lock (``BEGIN IMMEDIATE`` on SQLite,
    see ``app/db.py``), closes due polls as of their closing times, in
    closing order, and commits. Safe against concurrent closers: see
    ``close_if_due``. Returns the ids of the polls this call closed.

    Closing order is global: a proposal's outcome depends on what closed
    before it (an adopted quorum rule, an amendment that makes another stale),
    so every poll due at or before the latest one in scope is closed too,
    earliest first, whatever it belongs to.
    """
    query = sa.select(Poll.id).where(Poll.closed_at.is_(None), Poll.closing_at <= now)
    if poll_ids is not None:
        if not poll_ids:
            return []
        query = query.where(Poll.id.in_(list(poll_ids)))
    if thread_id is not None:
        query = query.where(Poll.thread_id == thread_id)
    if group_id is not None:
        query = query.where(Poll.group_id == group_id)
    latest = db.session.scalar(query.with_only_columns(sa.func.max(Poll.closing_at)))
    if latest is None:
        return []
    due = sa.select(Poll.id).where(Poll.closed_at.is_(None), Poll.closing_at <= latest)

    def close_in_order() -> list[int]:
        closed: list[int] = []
        for poll_id in db.session.scalars(due.order_by(Poll.closing_at, Poll.id)).all():
            poll = db.session.get(Poll, poll_id)
            if poll is not None and close_if_due(poll, now):
                closed.append(poll_id)
        return closed

    return write_before_read(close_in_order)


def reopen_refusal(poll: Poll, now: datetime):
    """Why this poll may not be reopened now, in words (None when it may): still open,
    anonymous, or its closing changed an agreement (``hooks.poll_reopen_veto``). Pages
    offer «Reopen» only when this is None; ``reopen_poll`` raises it."""
    if not poll.is_closed(now):
        return PollOpen.default_message
    if poll.anonymous:
        return _l("An anonymous poll cannot be reopened.")
    return hooks.poll_reopen_veto.first(poll)


def reopen_poll(
    poll: Poll, *, closing_at: datetime | None, now: datetime, actor: User | None = None
) -> Poll:
    """Open a closed poll again until a new closing time (not an anonymous poll, nor
    one whose closing changed an agreement: ``can_reopen``)."""
    poll = lock_poll(poll, for_change=True)
    close_if_due(poll, now)
    if poll.closed_at is None:
        raise PollOpen()
    refusal = reopen_refusal(poll, now)
    if refusal is not None:
        raise PollNotReopenable(refusal)
    closing_error = closing_at_error(closing_at, now)
    if closing_error is not None:
        raise ValidationFailed(fields={"closing_at": closing_error})
    poll.closing_at = closing_at
    poll.closed_at = None
    poll.closed_by_id = None
    poll.eligible_at_close = None
    poll.participants_at_close = None
    poll.reminder_sent_at = None
    # The statement spoke of the previous close: a new one comes after the next.
    poll.statement = poll.statement_html = None
    poll.statement_review_on = poll.statement_by_id = poll.statement_at = None
    db.session.flush()
    events.poll_reopened.send(poll, actor=actor, now=now)
    return poll


def set_statement(
    poll: Poll, *, author: User, text: str, review_on: date | None = None, now: datetime
) -> Poll:
    """The outcome statement of a closed poll, with an optional review date."""
    close_if_due(poll, now)
    if poll.closed_at is None:
        raise PollOpen(_l("Write the statement once the poll has closed."))
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(fields={"text": _l("This field is required.")})
    if len(text) > MAX_STATEMENT:
        raise ValidationFailed(
            fields={"text": _l("Must be at most %(max)s characters long.", max=MAX_STATEMENT)}
        )
    if review_on is not None and review_on <= now.date():
        raise ValidationFailed(fields={"review_on": _l("Must be in the future.")})
    poll.statement = text
    poll.statement_html = str(render_with_mentions(text, poll.group_id))
    poll.statement_review_on = review_on
    poll.statement_by_id = author.id
    poll.statement_at = now
    db.session.flush()
    return poll
