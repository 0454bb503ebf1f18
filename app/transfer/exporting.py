"""Writing a group's document (``format.py``) as a stream of text chunks.

Rows are read section by section from one read-only snapshot (REPEATABLE READ on
PostgreSQL, one SQLite read transaction) with streamed cursors, and written as they
come: memory stays flat however large the circle (``bench/export.py`` measures it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from ..extensions import db
from .format import FORMAT, GROUP, SECTIONS, USERS, VERSION, Section, scope, user_ids

#: rows fetched from the database at a time
BATCH = 1000
#: text gathered before a chunk is handed on (bytes of a response, writes to a file)
CHUNK = 64 * 1024


def encode(value):
    """A column's value as JSON: times in UTC with ``Z``, dates and local times in ISO."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def _dumps(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


@contextmanager
def snapshot() -> Iterator[sa.Connection]:
    """A connection in one read transaction: every section sees the same moment."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with connection.begin():
            yield connection


def _rows(connection: sa.Connection, section: Section, where) -> Iterator[dict]:
    columns = [section.table.c[name] for name in section.fields]
    statement = sa.select(*columns).where(where).order_by(section.table.c.id)
    result = connection.execution_options(yield_per=BATCH).execute(statement)
    for row in result:
        yield {name: encode(value) for name, value in zip(section.fields, row, strict=True)}


def stream_group(group_id: int, *, now: datetime) -> Iterator[str]:
    """The document of the group, in chunks of text (``now`` is ``exported_at``)."""
    with snapshot() as connection:
        group = next(_rows(connection, GROUP, GROUP.table.c.id == group_id), None)
        if group is None:
            raise LookupError(group_id)
        header = {"format": FORMAT, "version": VERSION, "exported_at": encode(now)}
        buffer: list[str] = [_dumps(header)[:-1], ',\n"group":', _dumps(group)]
        size = 0
        users = USERS.table.c.id.in_(user_ids(group_id))
        for section, where in [(USERS, users)] + [(s, scope(s, group_id)) for s in SECTIONS]:
            buffer.append(f',\n"{section.name}":[')
            first = True
            for row in _rows(connection, section, where):
                text = _dumps(row)
                buffer.append(("\n" if first else ",\n") + text)
                first = False
                size += len(text)
                if size >= CHUNK:
                    yield "".join(buffer)
                    buffer, size = [], 0
            buffer.append("]")
        buffer.append("}\n")
        yield "".join(buffer)


def group_filename(handle: str, now: datetime) -> str:
    """``cercle-<handle>-<YYYY-MM-DD>.json``."""
    return f"cercle-{handle}-{now.astimezone(UTC).date().isoformat()}.json"
