"""Rate limits kept in the application's database, so that every worker counts together.

Flask-Limiter's ``memory://`` storage counts per process: behind ``gunicorn -w 4``
each worker allowed its own five failed sign-ins. The database is always there,
so it is the default storage (``RATELIMIT_STORAGE_URI=database://``); a Redis URL
replaces it where Redis is run.

``DatabaseStorage`` is a ``limits`` storage: one row per counted hit, the moving
window counted with an index on (key, time). Each operation runs in its own short
transaction on its own connection, outside the request's unit of work: a failed
sign-in is answered with an error status (the request rolls back) and must still
count, at once, for the other workers.
"""

from __future__ import annotations

import hashlib
import random
import time

import sqlalchemy as sa
from flask import has_app_context, has_request_context
from limits.storage import MovingWindowSupport, Storage
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

#: share of hits that also delete every expired row (the others prune their own key)
_PRUNE_ALL_ONE_IN = 100


class RateLimitHit(db.Model):
    """One counted hit of a rate limit (a failed sign-in, a reset request…)."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (sa.Index("ix_rate_limit_hits_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    #: the limit and whom it counts (address, account…), as Flask-Limiter names it
    key: Mapped[str] = mapped_column(sa.String(255))
    #: when, in seconds since the epoch (the unit ``limits`` works in)
    at: Mapped[float] = mapped_column(sa.Float)
    #: when the hit stops counting; rows past it are deleted
    expires_at: Mapped[float] = mapped_column(sa.Float, index=True)


def release_write_lock() -> None:
    """Before working on a connection of its own during a request, on SQLite: a write
    request's transaction holds the write lock from its first read (``BEGIN IMMEDIATE``,
    app/db.py), and the other connection would wait for it until the busy timeout. A
    transaction that has changed nothing yet (a token or an account looked up) is ended
    first; its objects reload on next access, as after ``write_before_read``."""
    if not has_request_context():
        return
    session = db.session()  # the request's own Session (the scoped proxy has no in_transaction)
    if not session.in_transaction() or session.get_bind().dialect.name != "sqlite":
        return
    if not (session.new or session.dirty or session.deleted):
        session.rollback()


def count_or_refuse(setting: str, scope: str, key: str, message: str) -> None:
    """Count one act of ``key`` against the limits in the setting ``setting`` (e.g.
    ``"20 per hour; 100 per day"``), shared by the pages and the API that do it; past one
    of them, a 429 saying ``message`` with ``Retry-After``. For acts that cost someone
    else (emails sent to addresses), counted where the view knows who acts."""
    from flask import current_app
    from limits import parse_many
    from werkzeug.exceptions import TooManyRequests

    from .extensions import limiter

    release_write_lock()
    strategy = limiter.limiter
    for item in parse_many(current_app.config[setting]):
        if not strategy.hit(item, scope, key):
            reset_at = strategy.get_window_stats(item, scope, key).reset_time
            wait = max(1, int(reset_at - time.time()) + 1)
            raise TooManyRequests(description=message, retry_after=wait)


def _short(key: str) -> str:
    """Keys fit the column: a long one keeps its start and a digest of the whole."""
    if len(key) <= 255:
        return key
    return key[:190] + "#" + hashlib.sha256(key.encode()).hexdigest()


def _lock_id(key: str) -> int:
    """A PostgreSQL advisory lock number for ``key`` (a signed 64-bit integer)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


class DatabaseStorage(Storage, MovingWindowSupport):
    """``database://``: the limits in the app's own database (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return sa.exc.SQLAlchemyError

    # -- the moving window (the app's strategy) -------------------------------------

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Count ``amount`` hits unless that would exceed ``limit`` within ``expiry`` s.

        The rows are written first, then counted: on SQLite the write lock makes the
        check and the insert one step; on PostgreSQL an advisory lock on the key does."""
        if amount > limit:
            return False
        key = _short(key)
        table = RateLimitHit.__table__
        release_write_lock()
        with db.engine.connect() as conn:
            with conn.begin() as transaction:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_id(key))))
                now = time.time()
                conn.execute(
                    table.insert(), [{"key": key, "at": now, "expires_at": now + expiry}] * amount
                )
                count = conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(table.c.key == key, table.c.at > now - expiry)
                )
                if count > limit:
                    transaction.rollback()
                    return False
                self._prune(conn, key, now)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The oldest hit still in the window (or now), and how many there are."""
        table = RateLimitHit.__table__
        release_write_lock()
        now = time.time()
        with db.engine.connect() as conn:
            oldest, count = conn.execute(
                sa.select(sa.func.min(table.c.at), sa.func.count()).where(
                    table.c.key == _short(key), table.c.at > now - expiry
                )
            ).one()
        return (oldest if oldest is not None else now), count

    def _prune(self, conn, key: str, now: float) -> None:
        table = RateLimitHit.__table__
        expired = table.c.expires_at < now
        if random.randrange(_PRUNE_ALL_ONE_IN):  # noqa: S311 - housekeeping, not security
            expired = expired & (table.c.key == key)
        conn.execute(table.delete().where(expired))

    # -- fixed windows (other strategies) and housekeeping -----------------------------

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the current fixed window of ``key`` (a new one when none)."""
        key = _short(key)
        table = RateLimitHit.__table__
        release_write_lock()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_id(key))))
            now = time.time()
            ends = conn.scalar(
                sa.select(sa.func.max(table.c.expires_at)).where(
                    table.c.key == key, table.c.expires_at > now
                )
            )
            ends = ends if ends is not None else now + expiry
            conn.execute(table.insert(), [{"key": key, "at": now, "expires_at": ends}] * amount)
            self._prune(conn, key, now)
            return conn.scalar(
                sa.select(sa.func.count()).where(table.c.key == key, table.c.expires_at > now)
            )

    def get(self, key: str) -> int:
        table = RateLimitHit.__table__
        with db.engine.connect() as conn:
            return conn.scalar(
                sa.select(sa.func.count()).where(
                    table.c.key == _short(key), table.c.expires_at > time.time()
                )
            )

    def get_expiry(self, key: str) -> float:
        table = RateLimitHit.__table__
        now = time.time()
        with db.engine.connect() as conn:
            ends = conn.scalar(
                sa.select(sa.func.max(table.c.expires_at)).where(
                    table.c.key == _short(key), table.c.expires_at > now
                )
            )
        return ends if ends is not None else now

    def check(self) -> bool:
        with db.engine.connect() as conn:
            conn.scalar(sa.select(1))
        return True

    def reset(self) -> int | None:
        """Forget every count (outside an application there is no database to reach)."""
        if not has_app_context():
            return None
        with db.engine.begin() as conn:
            return conn.execute(RateLimitHit.__table__.delete()).rowcount

    def clear(self, key: str) -> None:
        table = RateLimitHit.__table__
        release_write_lock()
        with db.engine.begin() as conn:
            conn.execute(table.delete().where(table.c.key == _short(key)))
