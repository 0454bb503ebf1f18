"""A person's notification settings: what reaches them by email, and when.

Per circle (``memberships.volume`` / ``support_volume``, set through the groups
service that the API's ``PATCH memberships/me`` uses too), per thread as an override
(``unsubscribe.set_thread_volume``, the same upsert as one-click unsubscribe), and for
the person (``users.digest_hour`` / ``digest_days`` / ``email_discreet`` /
``email_off``). Quiet hours belong to the profile (``auth``); the settings page reuses
its form. Services flush, never commit; a bad value is a ``ValidationFailed`` naming
its field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from .. import outbox
from ..auth.models import User
from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from ..groups.models import Membership
from ..groups.services import my_memberships, set_volumes, volume_errors
from ..threads.models import Thread
from . import preferences, unsubscribe
from .models import ThreadPreference

#: ISO weekdays, Monday (1) to Sunday (7), as ``users.digest_days`` stores them
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)
HOURS = range(24)
DEFAULT_DIGEST_HOUR = 7
#: the periodic command is meant to run every 30 seconds: past this, emails are late
JOBS_LATE_AFTER = timedelta(minutes=10)


def circles(user: User) -> list[Membership]:
    """My current memberships with their groups, by group name (one query)."""
    return my_memberships(user)


@dataclass(frozen=True)
class ThreadOverride:
    """One thread where I chose another volume than my circle's."""

    thread: Thread
    volume: str
    group_volume: str


def thread_overrides(user: User) -> list[ThreadOverride]:
    """My per-thread overrides in the circles I still belong to, by circle then thread
    title (one query)."""
    rows = db.session.execute(
        sa.select(ThreadPreference.volume, Thread, Membership.volume)
        .join(Thread, Thread.id == ThreadPreference.thread_id)
        .join(
            Membership,
            sa.and_(
                Membership.group_id == Thread.group_id,
                Membership.user_id == user.id,
                Membership.revoked_at.is_(None),
            ),
        )
        .where(ThreadPreference.user_id == user.id)
        .options(joinedload(Thread.group))
        .order_by(Thread.group_id, Thread.title, Thread.id)
    )
    return [ThreadOverride(thread, volume, group_volume) for volume, thread, group_volume in rows]


_THREAD_VOLUME: list = []


def thread_volume(user: User, thread: Thread) -> str | None:
    """My override for this thread (None: I follow my circle's volume)."""
    if not _THREAD_VOLUME:  # built once (its cache key is kept with it)
        _THREAD_VOLUME.append(
            sa.select(ThreadPreference.volume).where(
                ThreadPreference.user_id == sa.bindparam("user_id"),
                ThreadPreference.thread_id == sa.bindparam("thread_id"),
            )
        )
    return db.session.scalar(_THREAD_VOLUME[0], {"user_id": user.id, "thread_id": thread.id})


def thread_volume_column(thread_model, *, reader, **_kw) -> tuple[str, sa.ScalarSelect]:
    """``thread_volume`` read with the thread page's first statement
    (``hooks.thread_reader_columns``): the reader's override for the thread."""
    volume = (
        sa.select(ThreadPreference.volume)
        .where(ThreadPreference.user_id == reader, ThreadPreference.thread_id == thread_model.id)
        .scalar_subquery()
    )
    return "thread_volume", volume


def _current_membership(user: User, group_id: int) -> Membership | None:
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user.id,
            Membership.group_id == group_id,
            Membership.revoked_at.is_(None),
        )
    )


def set_thread_override(user: User, thread: Thread, volume: str | None, *, now: datetime) -> None:
    """My volume for one thread (None: follow my circle's again), flushed. Only a
    current member of the thread's group has one (403 otherwise)."""
    if _current_membership(user, thread.group_id) is None:
        raise Forbidden(_l("Only members of the circle choose emails for its discussions."))
    if volume is not None and volume not in preferences.VOLUMES:
        raise ValidationFailed(fields={"volume": _l("Must be one of: all, digest, mute.")})
    unsubscribe.set_thread_volume(user.id, thread.id, volume, now=now)


def remove_thread_override(user: User, thread_id: int, *, now: datetime) -> bool:
    """Forget my override for a thread (flushed); False when I had none."""
    had = db.session.scalar(
        sa.select(ThreadPreference.id).where(
            ThreadPreference.user_id == user.id, ThreadPreference.thread_id == thread_id
        )
    )
    if had is None:
        return False
    unsubscribe.set_thread_volume(user.id, thread_id, None, now=now)
    return True


def set_circle_volumes(
    user: User, choices: Mapping[int, Mapping[str, str]], *, now: datetime
) -> list[Membership]:
    """My volumes for several circles at once: ``{group_id: {"volume", "support_volume"}}``
    (either key may be left out). Groups I do not belong to are ignored; a bad value is
    400 naming ``<group_id>.volume`` or ``<group_id>.support_volume``, and nothing
    changes. Returns the memberships changed (flushed)."""
    mine = {m.group_id: m for m in circles(user)}
    wanted = {gid: values for gid, values in choices.items() if gid in mine}
    errors = {}
    for group_id, values in wanted.items():
        for name, message in volume_errors(
            values.get("volume"), values.get("support_volume")
        ).items():
            errors[f"{group_id}.{name}"] = message
    if errors:
        raise ValidationFailed(fields=errors)
    return [
        set_volumes(
            mine[group_id],
            volume=values.get("volume"),
            support_volume=values.get("support_volume"),
        )
        for group_id, values in wanted.items()
    ]


def days_text(days: Iterable[int]) -> str:
    """ISO weekdays as ``users.digest_days`` stores them (``"135"``), sorted, unique."""
    return "".join(str(d) for d in sorted(set(days)))


def digest_days(user: User) -> list[int]:
    """The ISO weekdays of my digest (empty: never)."""
    return [int(c) for c in user.digest_days or "" if c in "1234567" and int(c) in WEEKDAYS]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def update_user_settings(
    user: User,
    *,
    now: datetime,
    digest_hour: int | None = None,
    digest_days: Iterable[int] | None = None,
    email_discreet: bool | None = None,
    email_off: bool | None = None,
) -> User:
    """My own email settings (None leaves one unchanged), flushed: the digest's local
    hour (0–23) and weekdays (ISO 1 Monday … 7 Sunday; none: never), discreet support
    emails (no message text), and no notification email at all. A bad value is 400
    naming its field, and nothing changes."""
    errors = {}
    if digest_hour is not None and (not _is_int(digest_hour) or digest_hour not in HOURS):
        errors["digest_hour"] = _l("Must be a whole hour from 0 to 23.")
    days = None
    if digest_days is not None:
        days = list(digest_days)
        if len(days) > 7 * 4 or any(not _is_int(d) or d not in WEEKDAYS for d in days):
            errors["digest_days"] = _l("Must be days from 1 (Monday) to 7 (Sunday).")
    for name, value in (("email_discreet", email_discreet), ("email_off", email_off)):
        if value is not None and not isinstance(value, bool):
            errors[name] = _l("Must be true or false.")
    if errors:
        raise ValidationFailed(fields=errors)
    if digest_hour is not None:
        user.digest_hour = digest_hour
    if days is not None:
        user.digest_days = days_text(days)
    if email_discreet is not None:
        user.email_discreet = email_discreet
    if email_off is not None:
        user.email_off = email_off
    db.session.flush()
    return user


@dataclass(frozen=True)
class JobsState:
    """When the periodic command that sends emails last ran (None: never)."""

    last_run_at: datetime | None
    late: bool


def jobs_state(*, now: datetime) -> JobsState:
    """Whether emails may be waiting because the periodic command has not run lately
    (``outbox.last_beat``): late past ``JOBS_LATE_AFTER``, or when it never ran."""
    heartbeat = outbox.last_beat()
    if heartbeat is None:
        return JobsState(None, True)
    return JobsState(heartbeat.last_run_at, now - heartbeat.last_run_at > JOBS_LATE_AFTER)
