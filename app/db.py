"""Database behaviour shared by every feature: SQLite settings, write locks, and the
unit of work (one commit per request, side effects after the commit).

SQLite runs in WAL mode with a busy timeout. Transactions opened for a write
request (POST, PUT, PATCH, DELETE), by a CLI command or outside any request
start with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two writers
queue behind the busy timeout instead of one failing half-way with "database
is locked". Reads (GET) use deferred transactions and never block.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm
from flask import g, has_request_context, request

SQLITE_BUSY_TIMEOUT_MS = 30_000
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below emit BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _wants_write_lock() -> bool:
    if not has_request_context():
        return True
    if g.get("force_write_lock"):
        return True
    return request.method not in _READ_METHODS


@sa.event.listens_for(sa.engine.Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


# -- the unit of work ---------------------------------------------------------------
#
# One commit per request, in one place (``CercleFlask.dispatch_request`` in
# ``app/__init__.py``): services flush, never commit; a view that returns
# normally is committed, and any exception rolls the session back before an
# error page or JSON error is rendered. Anything that leaves the process
# (an email today, webhooks soon) is handed to ``after_commit``: it runs only
# once the transaction that asked for it has committed, and is dropped if that
# transaction rolls back. The periodic command and the CLI commit through the
# same session, so the same holds there.

_AFTER_COMMIT = "cercle_after_commit"
T = TypeVar("T")
log = logging.getLogger("cercle.db")


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback()`` once the current transaction has committed (never if it rolls
    back). The callback must not touch the database: render what it needs first."""
    from .extensions import db

    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _run_after_commit(session) -> None:
    callbacks = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 - the write is done; a failed send is logged
            log.exception("after commit: %r failed", callback)


@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _drop_after_commit(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_AFTER_COMMIT, None)


def write_before_read(work: Callable[[], T]) -> T:
    """Do ``work()`` in its own short write transaction, in the middle of a read: the
    one write allowed on a read path (closing due polls, taking a support request's due
    step, DESIGN.md). It ends the read transaction (objects loaded so far are expired
    and reload on next access), takes the write lock (``BEGIN IMMEDIATE`` on SQLite),
    runs ``work``, and commits; on error it rolls back and raises. The request must not
    have changed anything before."""
    from .extensions import db

    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("a write before a read must come before the request changes anything")
    db.session.rollback()  # end the read transaction: the write gets its own
    in_request = has_request_context()
    previous = g.get("force_write_lock") if in_request else None
    if in_request:
        g.force_write_lock = True
    try:
        result = work()
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if in_request:
            g.force_write_lock = previous


def commit_unit_of_work(status: int) -> None:
    """End a request's unit of work: commit when it succeeded (``status`` < 400), else
    roll back (a view that answered with an error changed nothing)."""
    from .extensions import db

    if status >= 400:
        db.session.rollback()
    else:
        db.session.commit()


def rollback_unit_of_work() -> None:
    """Roll back after an exception, before anything renders an error (a session in a
    failed transaction would fail the error page itself). A rollback that fails (the
    connection is gone) leaves the session to be discarded at the end of the request."""
    from .extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        log.exception("rollback failed")


# -- keyset pagination -----------------------------------------------------------------


def older_than(time_column, id_column, when, last_id: int):
    """SQL: rows after ``(when, last_id)`` in the order ``time_column DESC, id_column
    DESC`` (the next page of a keyset list). A row comparison, so that an index on
    ``(..., time, id)`` reads the page where it starts, however deep."""
    return sa.tuple_(time_column, id_column) < sa.tuple_(
        sa.bindparam(None, when, type_=time_column.type),
        sa.bindparam(None, last_id, type_=id_column.type),
    )


def newer_than(time_column, id_column, when, last_id: int):
    """SQL: rows before ``(when, last_id)`` in that order (the previous page)."""
    return sa.tuple_(time_column, id_column) > sa.tuple_(
        sa.bindparam(None, when, type_=time_column.type),
        sa.bindparam(None, last_id, type_=id_column.type),
    )


class KeysetPage:
    """One page of a list ordered ``time DESC, id DESC``, read from where it starts:
    ``items`` (newest first), and ``newer`` / ``older``, the items whose positions lead
    to the pages on either side (None when there is no such page)."""

    __slots__ = ("items", "newer", "older")

    def __init__(self, items: list, newer, older):
        self.items = items
        self.newer = newer
        self.older = older


_GENERIC = sa.text("SET LOCAL plan_cache_mode = force_generic_plan")
_DEFAULT = sa.text("SET LOCAL plan_cache_mode = DEFAULT")


@contextmanager
def generic_plan():
    """On PostgreSQL, the statements run inside use their prepared statement's cached
    plan rather than one planned again with each execution's values (the driver
    prepares a statement after a few runs). For a statement of many joins whose plan
    is the same whatever the values, planning is most of its time: PostgreSQL keeps
    planning it again when its generic cost estimate is poor (the notifications list
    of a person with 5,000 notifications: 2 ms of planning for 0.5 ms of execution,
    where a small database's estimate let the cached plan be used). On an error, the
    transaction's rollback resets it."""
    from .extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    db.session.execute(_GENERIC)
    yield
    db.session.execute(_DEFAULT)


def keyset_page(stmt, time_column, id_column, *, limit: int, after=None, before=None):
    """A :class:`KeysetPage` of ``stmt`` (a select of entities, its own order dropped):
    at most ``limit`` rows after the position ``after`` (``(time, id)``: older rows), or
    before ``before`` (newer rows), or from the top. One query, ``limit + 1`` rows, that
    an index on ``(..., time DESC, id DESC)`` reads where the page starts."""
    stmt = stmt.order_by(None)
    if before is not None:
        stmt = stmt.where(newer_than(time_column, id_column, *before))
        stmt = stmt.order_by(time_column, id_column)
    else:
        if after is not None:
            stmt = stmt.where(older_than(time_column, id_column, *after))
        stmt = stmt.order_by(time_column.desc(), id_column.desc())
    from .extensions import db

    rows = list(db.session.scalars(stmt.limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    if before is not None:
        rows.reverse()
        # the page just before ``before`` has older rows (the one at ``before``, at least)
        return KeysetPage(rows, rows[0] if rows and more else None, rows[-1] if rows else None)
    newer = rows[0] if rows and after is not None else None
    return KeysetPage(rows, newer, rows[-1] if rows and more else None)
