"""Correcting an open poll, and deleting one nobody has voted on.

An open poll's title, details and closing time can be edited by its author or an
admin at any time before it closes; every edit is kept as a ``PollVersion`` (the
first edit also keeps the poll as it was made) and sends ``events.poll_edited``
(the voters who already took a stance are told what changed). The features above
edit their own part through ``hooks.poll_edit_extra`` (a proposal's agreement
change: only while nobody has taken a stance).

A poll is deleted only while open and before its first stance (any stance, even one
withdrawn since): afterwards it is part of the record (409 ``poll_has_stances``).

Concurrency: both lock the poll's row first (``lock_poll``), as every stance does,
so an edit or a deletion and a first stance are serialised: whichever comes second
sees the other (an edit of the agreement change after the stance is refused; a
stance after the deletion finds no poll).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ... import events, hooks
from ...auth.models import User
from ...errors import Conflict, ValidationFailed
from ...extensions import db
from ...markdown import render_with_mentions
from ..models import Poll, PollVersion, Stance
from .creating import MAX_DETAILS, MAX_TITLE, closing_at_error
from .stances import ensure_open, lock_poll

#: what an edit may change, in the order a change is told
EDITABLE = ("title", "details", "closing_at")


class PollHasStances(Conflict):
    """Someone has taken a stance: the poll stays (it is part of the record)."""

    code = "poll_has_stances"
    default_message = _l(
        "Someone has already voted on this poll: it can no longer be deleted. "
        "You can still correct it, or close it."
    )


def has_stances(poll: Poll) -> bool:
    """Whether anyone ever took a stance on the poll (withdrawn ones count)."""
    return (
        db.session.scalar(sa.select(Stance.id).where(Stance.poll_id == poll.id).limit(1))
        is not None
    )


def poll_versions(poll: Poll) -> list[PollVersion]:
    """The poll's versions, oldest first (none until its first edit)."""
    return list(
        db.session.scalars(
            sa.select(PollVersion)
            .where(PollVersion.poll_id == poll.id)
            .order_by(PollVersion.number)
        )
    )


def _snapshot(poll: Poll, *, number: int, editor_id: int, at: datetime, changed) -> PollVersion:
    version = PollVersion(
        poll_id=poll.id,
        number=number,
        title=poll.title,
        details=poll.details,
        details_html=poll.details_html,
        closing_at=poll.closing_at,
        extra=hooks.poll_state_extra.first(poll),
        changed=list(changed),
        editor_id=editor_id,
        created_at=at,
    )
    db.session.add(version)
    return version


def _checked(poll: Poll, fields: Mapping[str, Any], now: datetime) -> dict:
    """The new values among ``fields``, checked like at creation (every bad field named)."""
    errors: dict = {}
    new: dict = {}
    if "title" in fields:
        title = (fields["title"] or "").strip()
        if not title:
            errors["title"] = _l("This field is required.")
        elif len(title) > MAX_TITLE:
            errors["title"] = _l("Must be at most %(max)s characters long.", max=MAX_TITLE)
        new["title"] = title
    if "details" in fields:
        details = (fields["details"] or "").strip()
        if len(details) > MAX_DETAILS:
            errors["details"] = _l("Must be at most %(max)s characters long.", max=MAX_DETAILS)
        new["details"] = details
    if "closing_at" in fields:
        error = closing_at_error(fields["closing_at"], now)
        if error is not None:
            errors["closing_at"] = error
        new["closing_at"] = fields["closing_at"]
    if errors:
        raise ValidationFailed(fields=errors)
    return new


def edit_poll(
    poll: Poll,
    *,
    actor: User,
    now: datetime,
    extras: Mapping[str, Any] | None = None,
    **fields,
) -> PollVersion | None:
    """Correct an open poll: ``fields`` among ``title``, ``details`` and ``closing_at``
    (bounded as at creation: in the future, at most ``MAX_CLOSING_AHEAD`` ahead), and
    ``extras`` for the features above (``{"agreement_change": {...}}``).

    Returns the new version, or None when nothing changed (nothing is written).
    ``PollClosed`` (409) once closed; ``ValidationFailed`` (400) naming each bad field;
    what the features above refuse (a proposal's change after the first stance: 409).
    """
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    poll = lock_poll(poll, for_change=True)
    ensure_open(poll, now)
    new = _checked(poll, fields, now)
    before = {name: getattr(poll, name) for name in EDITABLE}
    first = not db.session.scalar(
        sa.select(PollVersion.id).where(PollVersion.poll_id == poll.id).limit(1)
    )
    if first:
        _snapshot(poll, number=1, editor_id=poll.author_id, at=poll.created_at, changed=())
        db.session.flush()
    changed = [name for name in EDITABLE if name in new and new[name] != before[name]]
    for name in changed:
        setattr(poll, name, new[name])
    if "details" in changed:
        poll.details_html = str(render_with_mentions(poll.details))
    if "closing_at" in changed:
        poll.reminder_sent_at = None  # the reminder comes a day before the new time
    for answer in hooks.poll_edit_extra.answers(
        poll, extras=dict(extras or {}), voted=has_stances(poll), now=now
    ):
        changed.extend(answer)
    if not changed:
        if first:  # nothing to keep: no history for an edit that changed nothing
            db.session.execute(sa.delete(PollVersion).where(PollVersion.poll_id == poll.id))
        return None
    number = db.session.scalar(
        sa.select(sa.func.max(PollVersion.number)).where(PollVersion.poll_id == poll.id)
    )
    version = _snapshot(poll, number=(number or 0) + 1, editor_id=actor.id, at=now, changed=changed)
    db.session.flush()
    events.poll_edited.send(poll, actor=actor, changed=list(changed), version=version, now=now)
    return version


def delete_poll(poll: Poll, *, actor: User, now: datetime) -> None:
    """Delete an open poll nobody has voted on (with its options, its versions, the
    features' parts and its notifications). ``PollClosed`` (409) once closed;
    ``PollHasStances`` (409) after the first stance."""
    poll = lock_poll(poll, for_change=True)
    ensure_open(poll, now)
    if has_stances(poll):
        raise PollHasStances()
    events.poll_deleted.send(poll, actor=actor, now=now)
    poll_id = poll.id
    db.session.expunge(poll)
    # The database cascades to options, versions, notifications and the features' rows.
    db.session.execute(sa.delete(Poll).where(Poll.id == poll_id))
    db.session.flush()
