"""The outbox: what leaves the app (emails, webhook posts), written as rows in the
transaction of the act that caused it, and sent later by ``flask jobs run``.

Nothing is sent from a web request. A ``Delivery`` is written with the act (so it
exists if and only if the act committed); the periodic command *claims* due
deliveries, sends them outside any transaction, and records the result:

- **claiming** is one short transaction: the due rows are selected (on PostgreSQL
  ``FOR UPDATE SKIP LOCKED``, so two machines take different rows; on SQLite the
  command's ``BEGIN IMMEDIATE`` serialises writers) and marked ``sending`` with this
  run's claim token and a lease; only rows still ``pending`` (or whose lease ran out)
  are taken, so a delivery is never claimed twice;
- **sending** happens after that commit, through the channel's sender (a feature
  registers one per channel: ``register_sender``);
- **recording** updates the row only if it still carries this run's token: ``sent``,
  or ``pending`` again at the next attempt (exponential backoff with jitter, never
  sooner than the receiver's ``Retry-After``), or ``failed`` after the last attempt
  (about three days) or at once for a permanent refusal.

If a process dies between sending and recording, its lease runs out and the delivery
is sent again: the receiver can tell (the same ``Message-ID`` for an email, the same
``webhook-id`` for a signed hook). That is the only way one delivery goes out twice.

This module is shared: it names no feature. Features write rows with ``enqueue`` and
register how a channel sends.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .timeutil import UTCDateTime, utcnow

log = logging.getLogger("cercle.outbox")

EMAIL = "email"
WEBHOOK = "webhook"
CHANNELS = (EMAIL, WEBHOOK)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"  # gave up: the last attempt failed, or the receiver refused for good
CANCELLED = "cancelled"  # no longer worth sending (a hook disabled, a request answered)
STATUSES = (PENDING, SENDING, SENT, FAILED, CANCELLED)

#: the wait after the n-th failed attempt (Standard Webhooks' example schedule): about
#: three days in all, then the delivery is given up
BACKOFF = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
#: the longest ``Retry-After`` honoured
MAX_RETRY_AFTER = timedelta(hours=24)
#: how long a claim holds: a sender that has not recorded by then is presumed dead
LEASE = timedelta(minutes=15)
#: how many deliveries one claim takes
BATCH = 10


class Delivery(db.Model):
    """One email or webhook post to send, with its attempts' outcome."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``email`` or ``webhook``
    channel: Mapped[str] = mapped_column(sa.String(10))
    #: what it is, for the sender and the logs: a notification kind, ``digest``,
    #: ``account`` (a reset or an invitation), a webhook event type, ``test``
    kind: Mapped[str] = mapped_column(sa.String(40))
    #: an email's recipient, when it is a user
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: the notification an email tells (rendered when sent, in the reader's language)
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    #: the chat connection a webhook post goes to
    webhook_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    #: what the sender needs that is fixed when written: a rendered email (account
    #: emails, digests), a webhook's body
    payload: Mapped[dict | None] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING)
    #: not before this time (quiet hours, backoff)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    claim: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the last attempt: HTTP status or SMTP code, a short error, how long it took
    last_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_duration_ms: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("channel in ('email', 'webhook')", name="channel"),
        sa.CheckConstraint(
            "status in ('pending', 'sending', 'sent', 'failed', 'cancelled')", name="status"
        ),
        # The periodic command's question: what is due?
        sa.Index("ix_deliveries_status_due_at", "status", "due_at"),
    )

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.channel} {self.kind} {self.status}>"


class Heartbeat(db.Model):
    """When a periodic command last finished a run (admins see it)."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the machine that ran it, and what it did
    host: Mapped[str] = mapped_column(sa.String(255), default="")
    summary: Mapped[str] = mapped_column(sa.String(500), default="")


# -- writing ------------------------------------------------------------------------


def enqueue(
    channel: str,
    kind: str,
    *,
    now: datetime,
    due_at: datetime | None = None,
    user_id: int | None = None,
    notification_id: int | None = None,
    webhook_id: int | None = None,
    payload: dict | None = None,
) -> Delivery:
    """Write one delivery in the current transaction (flushed, never committed)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel: {channel!r}")
    delivery = Delivery(
        channel=channel,
        kind=kind,
        user_id=user_id,
        notification_id=notification_id,
        webhook_id=webhook_id,
        payload=payload,
        status=PENDING,
        due_at=max(due_at or now, now),
        attempts=0,
        created_at=now,
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery


def cancel_pending(where, *, now: datetime, reason: str) -> int:
    """Cancel the pending deliveries matching ``where`` (a SQL condition); how many."""
    return db.session.execute(
        sa.update(Delivery)
        .where(where, Delivery.status == PENDING)
        .values(status=CANCELLED, last_error=reason[:500], last_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


# -- sending ------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What one attempt gave."""

    ok: bool
    #: HTTP status or SMTP reply code, when there was one
    status: int | None = None
    error: str | None = None
    #: the receiver asked us to wait this long (``Retry-After``)
    retry_after: timedelta | None = None
    #: no point in trying again (an address refused for good, a hook gone: 410)
    permanent: bool = False
    #: nothing to send any more (what it told was undone): cancelled, not failed
    cancelled: bool = False


#: ``channel -> sender(delivery, now) -> Result``, registered by the features
_SENDERS: dict[str, Callable[[Delivery, datetime], Result]] = {}
#: ``channel -> after(delivery, result, now)``: run in the recording transaction
_AFTER: dict[str, Callable[[Delivery, Result, datetime], None]] = {}


def register_sender(
    channel: str,
    send: Callable[[Delivery, datetime], Result],
    after: Callable[[Delivery, Result, datetime], None] | None = None,
) -> None:
    """How ``channel``'s deliveries are sent; ``after`` runs when a result is recorded
    (e.g. disabling a hook that answers 410), in the same transaction."""
    _SENDERS[channel] = send
    if after is not None:
        _AFTER[channel] = after


def next_attempt_at(
    attempts: int, now: datetime, retry_after: timedelta | None = None, rng=random
) -> datetime | None:
    """When to try again after ``attempts`` failed attempts; None: give up.

    The wait follows ``BACKOFF`` with ±20 % jitter (so that many failures do not come
    back together), and is never shorter than ``retry_after`` (capped at a day)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait = BACKOFF[attempts - 1] * rng.uniform(0.8, 1.2)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
    return now + wait


def _claimable(now: datetime):
    return sa.or_(
        sa.and_(Delivery.status == PENDING, Delivery.due_at <= now),
        sa.and_(Delivery.status == SENDING, Delivery.claimed_until < now),
    )


def claim_due(now: datetime, limit: int = BATCH, clock=utcnow) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due deliveries and commit; (this claim's token, their ids).

    The lease runs from the moment of the claim (the wall clock, or ``now`` when that is
    later), not from the start of the run: a long run's later batches get a full lease."""
    token = secrets.token_hex(16)
    lease_from = max(now, clock())
    ids = list(
        db.session.scalars(
            sa.select(Delivery.id)
            .where(_claimable(now))
            .order_by(Delivery.due_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_(ids), _claimable(now))
            .values(
                status=SENDING,
                claim=token,
                claimed_until=lease_from + LEASE,
                attempts=Delivery.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        ids = list(
            db.session.scalars(
                sa.select(Delivery.id).where(Delivery.claim == token).order_by(Delivery.id)
            )
        )
    db.session.commit()
    return token, ids


def record(delivery_id: int, token: str, result: Result, now: datetime, duration_ms: int) -> bool:
    """Record an attempt's result, if the claim still holds; True when recorded."""
    delivery = db.session.scalar(
        sa.select(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claim == token, Delivery.status == SENDING)
        .with_for_update()
    )
    if delivery is None:
        db.session.rollback()
        return False
    delivery.last_status = result.status
    delivery.last_error = (result.error or "")[:500] or None
    delivery.last_attempt_at = now
    delivery.last_duration_ms = duration_ms
    delivery.claim = None
    delivery.claimed_until = None
    if result.ok:
        delivery.status = SENT
        delivery.sent_at = now
    elif result.cancelled:
        delivery.status = CANCELLED
    else:
        retry_at = (
            None
            if result.permanent
            else next_attempt_at(delivery.attempts, now, result.retry_after)
        )
        if retry_at is None:
            delivery.status = FAILED
        else:
            delivery.status = PENDING
            delivery.due_at = retry_at
    after = _AFTER.get(delivery.channel)
    if after is not None:
        after(delivery, result, now)
    db.session.commit()
    return True


def send_one(delivery_id: int, token: str, now: datetime, clock=utcnow) -> Result | None:
    """Send one claimed delivery and record the result; None if the claim was lost."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.claim != token:
        db.session.rollback()
        return None
    sender = _SENDERS.get(delivery.channel)
    started = clock()
    if sender is None:
        result = Result(ok=False, error=f"no sender for {delivery.channel}")
    else:
        try:
            result = sender(delivery, now)
        except Exception as exc:  # noqa: BLE001 - recorded, retried later
            log.exception("delivery %s failed", delivery_id)
            result = Result(ok=False, error=f"{exc.__class__.__name__}: {exc}")
    # The sender reads what it needs; no transaction stays open while it waits.
    db.session.rollback()
    elapsed = int((clock() - started).total_seconds() * 1000)
    record(delivery_id, token, result, now, max(elapsed, 0))
    return result


@dataclass
class DeliveryFigures:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0


def deliver_due(now: datetime, *, max_batches: int = 100, clock=utcnow) -> DeliveryFigures:
    """Send what is due, claim by claim, until nothing is left (or ``max_batches``, or
    half a lease of wall-clock time: the next run goes on, and no claim outlives its
    lease while this one is still sending)."""
    figures = DeliveryFigures()
    started = clock()
    for _ in range(max_batches):
        if clock() - started > LEASE / 2:
            break
        token, ids = claim_due(now, clock=clock)
        if not ids:
            break
        for delivery_id in ids:
            result = send_one(delivery_id, token, now)
            if result is None:
                continue
            if result.ok:
                figures.sent += 1
            elif result.cancelled:
                figures.cancelled += 1
            elif result.permanent:
                figures.failed += 1
            else:
                figures.retried += 1
    return figures


def beat(name: str, now: datetime, host: str, summary: str) -> None:
    """Record that ``name`` finished a run (its own short transaction)."""
    values = {"last_run_at": now, "host": host[:255], "summary": summary[:500]}
    updated = db.session.execute(
        sa.update(Heartbeat).where(Heartbeat.name == name).values(**values)
    ).rowcount
    if not updated:
        try:
            db.session.add(Heartbeat(name=name, **values))
            db.session.flush()
        except sa.exc.IntegrityError:  # another machine wrote the first beat meanwhile
            db.session.rollback()
            db.session.execute(sa.update(Heartbeat).where(Heartbeat.name == name).values(**values))
    db.session.commit()


def last_beat(name: str = "jobs") -> Heartbeat | None:
    """When the periodic command last finished a run (None: never)."""
    return db.session.get(Heartbeat, name)
