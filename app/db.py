"""Database behaviour shared by every feature: SQLite settings and write locks.

SQLite runs in WAL mode with a busy timeout. Transactions opened for a write
request (POST, PUT, PATCH, DELETE), by a CLI command or outside any request
start with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two writers
queue behind the busy timeout instead of one failing half-way with "database
is locked". Reads (GET) use deferred transactions and never block.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import g, has_request_context, request

from .extensions import db

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


@contextmanager
def write_transaction() -> Iterator[sa.orm.Session]:
    """A short, separate write transaction, usable on a read path.

    DESIGN.md allows one write on a read path: finalising a poll whose closing
    time has passed. This opens its own session (so the request's session is
    untouched), takes the write lock on SQLite, commits on success and rolls
    back on error.
    """
    previous = g.get("force_write_lock") if has_request_context() else None
    if has_request_context():
        g.force_write_lock = True
    session = sa.orm.Session(db.engine, expire_on_commit=False)
    try:
        with session.begin():
            yield session
    finally:
        session.close()
        if has_request_context():
            g.force_write_lock = previous
