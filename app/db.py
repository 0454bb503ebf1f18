"""Database behaviour shared by every feature: SQLite settings and write locks.

SQLite runs in WAL mode with a busy timeout. Transactions opened for a write
request (POST, PUT, PATCH, DELETE), by a CLI command or outside any request
start with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two writers
queue behind the busy timeout instead of one failing half-way with "database
is locked". Reads (GET) use deferred transactions and never block.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
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
