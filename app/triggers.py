"""Triggers generated from declarations, for SQLite and PostgreSQL alike.

``app/revisions.py`` (revisions bumped by writes) and ``app/counts.py`` (counts kept by
writes) each describe their triggers as plain values; this module turns them into the
statements that create and drop them on each dialect, and attaches those to the
metadata so that ``db.create_all()`` and ``db.drop_all()`` build and drop them (the
migrations copy the same statements, and tests compare them).

- SQLite: ``(name, body)`` pairs, ``body`` being what follows ``CREATE TRIGGER name``.
- PostgreSQL: ``(function name, PL/pgSQL body, trigger clause)``: one function per
  trigger, named as it, and a ``FOR EACH ROW`` trigger on the clause's table.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm

from .extensions import db

SqliteTriggers = Callable[[], list[tuple[str, str]]]
PgFunctions = Callable[[], list[tuple[str, str, str]]]


class TriggerSet:
    """The statements of one module's triggers, created and dropped with the metadata."""

    def __init__(self, sqlite_triggers: SqliteTriggers, pg_functions: PgFunctions):
        self._sqlite = sqlite_triggers
        self._pg = pg_functions
        sa.event.listen(db.metadata, "after_create", self._after_create)
        sa.event.listen(db.metadata, "before_drop", self._before_drop)

    def sqlite_create(self) -> list[str]:
        return [f"CREATE TRIGGER IF NOT EXISTS {name} {body}" for name, body in self._sqlite()]

    def sqlite_drop(self) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {name}" for name, _body in self._sqlite()]

    def pg_create(self) -> list[str]:
        statements = []
        for name, body, clause in self._pg():
            statements.append(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body} END $$"
            )
            statements.append(f"DROP TRIGGER IF EXISTS {name} ON {clause.rsplit(' ON ', 1)[1]}")
            statements.append(
                f"CREATE TRIGGER {name} {clause} FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        return statements

    def pg_drop(self) -> list[str]:
        return [f"DROP FUNCTION IF EXISTS {name}() CASCADE" for name, _b, _c in self._pg()]

    def _run(self, connection, sqlite: Callable, postgresql: Callable) -> None:
        statements = {"sqlite": sqlite, "postgresql": postgresql}.get(connection.dialect.name)
        for statement in statements() if statements else []:
            connection.exec_driver_sql(statement)

    def _after_create(self, target, connection, **kw) -> None:
        self._run(connection, self.sqlite_create, self.pg_create)

    def _before_drop(self, target, connection, **kw) -> None:
        self._run(connection, self.sqlite_drop, self.pg_drop)


def kept_integer():
    """An integer column that triggers keep (0 for a new row)."""
    return sa.orm.mapped_column(sa.Integer, nullable=False, server_default=sa.text("0"))
