"""Counts kept by the database: a number on a row that follows how many rows of another
table belong to it (a thread's comments not deleted).

A list that shows such a number for each of its rows (the group page, the API's thread
list) reads it from the row instead of counting at every request, which grows with the
length of what is counted. Like the revisions (``app/revisions.py``), the counts are kept
by triggers, not by the services: every write path (the ORM, Core statements, the
transfer import, a migration) moves them in the same transaction, and a rolled-back
write leaves them as they were.

Each feature declares its counts next to its models (``counted``); the DDL for both
dialects is generated here and attached to the metadata, so ``db.create_all()`` and
``db.drop_all()`` build and drop it; the migration copies the statements, and
``backfill`` counts everything again (the migration, ``bench/bigdata.py``'s load with the
triggers off).

A row counts while ``where`` holds for it. An insert of a counted row adds one to its
target, a delete takes one away, an update of the key or of the columns ``where`` reads
moves the row out of its old target and into its new one as ``where`` says.
"""

# ruff: noqa: S608 - SQL built only from the features' constant declarations
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm

from .extensions import db


@dataclass(frozen=True)
class Count:
    """``target.column`` counts the rows of ``table`` whose ``key`` names it and for which
    ``where`` (SQL with ``{row}``: ``new`` or ``old``) holds; ``columns`` are the
    columns ``where`` reads."""

    name: str
    table: str
    target: str
    column: str
    key: str
    where: str
    columns: tuple[str, ...]

    def holds(self, row: str) -> str:
        return f"({self.where.format(row=row)})"

    def add(self, row: str, step: str) -> str:
        return (
            f"UPDATE {self.target} SET {self.column} = {self.column} {step} 1 "
            f"WHERE id = {row}.{self.key}"
        )


_COUNTS: list[Count] = []


def counted(
    name: str,
    table: str,
    target: str,
    *,
    column: str,
    key: str,
    where: str,
    columns: tuple[str, ...],
) -> None:
    """Declare that ``target.column`` counts ``table``'s rows (see ``Count``)."""
    declared = Count(name, table, target, column, key, where, columns)
    if all(c.name != name for c in _COUNTS):
        _COUNTS.append(declared)


# -- SQLite -----------------------------------------------------------------------------


def _sqlite_triggers() -> list[tuple[str, str]]:
    triggers = []
    for c in _COUNTS:
        of = ", ".join((c.key, *c.columns))
        triggers += [
            (
                f"cnt_{c.name}_ai",
                f"AFTER INSERT ON {c.table} FOR EACH ROW WHEN {c.holds('new')} "
                f"BEGIN {c.add('new', '+')}; END",
            ),
            (
                f"cnt_{c.name}_au",
                f"AFTER UPDATE OF {of} ON {c.table} FOR EACH ROW "
                f"WHEN new.{c.key} IS NOT old.{c.key} OR {c.holds('new')} IS NOT {c.holds('old')} "
                f"BEGIN {c.add('old', '-')} AND {c.holds('old')}; "
                f"{c.add('new', '+')} AND {c.holds('new')}; END",
            ),
            (
                f"cnt_{c.name}_ad",
                f"AFTER DELETE ON {c.table} FOR EACH ROW WHEN {c.holds('old')} "
                f"BEGIN {c.add('old', '-')}; END",
            ),
        ]
    return triggers


def sqlite_create() -> list[str]:
    return [f"CREATE TRIGGER IF NOT EXISTS {name} {body}" for name, body in _sqlite_triggers()]


def sqlite_drop() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name, _body in _sqlite_triggers()]


# -- PostgreSQL ---------------------------------------------------------------------------


def _pg_functions() -> list[tuple[str, str, str]]:
    """(function name, body, trigger clause) of each trigger."""
    functions = []
    for c in _COUNTS:
        of = ", ".join((c.key, *c.columns))
        functions.append(
            (
                f"cnt_{c.name}",
                f"IF TG_OP = 'UPDATE' THEN "
                f"IF NEW.{c.key} IS NOT DISTINCT FROM OLD.{c.key} "
                f"AND {c.holds('NEW')} = {c.holds('OLD')} THEN RETURN NULL; END IF; END IF; "
                f"IF TG_OP <> 'INSERT' THEN IF {c.holds('OLD')} THEN {c.add('OLD', '-')}; "
                f"END IF; END IF; "
                f"IF TG_OP <> 'DELETE' THEN IF {c.holds('NEW')} THEN {c.add('NEW', '+')}; "
                f"END IF; END IF; RETURN NULL;",
                f"AFTER INSERT OR DELETE OR UPDATE OF {of} ON {c.table}",
            )
        )
    return functions


def pg_create() -> list[str]:
    statements = []
    for name, body, clause in _pg_functions():
        statements.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} END $$"
        )
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {clause.rsplit(' ON ', 1)[1]}")
        statements.append(f"CREATE TRIGGER {name} {clause} FOR EACH ROW EXECUTE FUNCTION {name}()")
    return statements


def pg_drop() -> list[str]:
    return [f"DROP FUNCTION IF EXISTS {name}() CASCADE" for name, _b, _c in _pg_functions()]


# -- counting everything again -------------------------------------------------------------


def backfill() -> list[str]:
    """Statements that set every count from the rows (both dialects: SQLite ≥ 3.33)."""
    statements = []
    for c in _COUNTS:
        statements += [
            f"UPDATE {c.target} SET {c.column} = 0 WHERE {c.column} <> 0",
            f"UPDATE {c.target} SET {c.column} = x.n FROM (SELECT {c.key} AS ref, count(*) AS n "
            f"FROM {c.table} WHERE {c.holds(c.table)} GROUP BY {c.key}) AS x "
            f"WHERE x.ref = {c.target}.id",
        ]
    return statements


# -- the metadata's create and drop ------------------------------------------------------


def _after_create(target, connection, **kw) -> None:
    statements = {"sqlite": sqlite_create, "postgresql": pg_create}.get(connection.dialect.name)
    for statement in statements() if statements else []:
        connection.exec_driver_sql(statement)


def _before_drop(target, connection, **kw) -> None:
    statements = {"sqlite": sqlite_drop, "postgresql": pg_drop}.get(connection.dialect.name)
    for statement in statements() if statements else []:
        connection.exec_driver_sql(statement)


sa.event.listen(db.metadata, "after_create", _after_create)
sa.event.listen(db.metadata, "before_drop", _before_drop)


def count_column():
    """A column declared by ``counted`` (0 for a new row: its counted rows come after)."""
    return sa.orm.mapped_column(sa.Integer, nullable=False, server_default=sa.text("0"))
