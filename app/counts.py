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

from . import triggers


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


# -- the metadata's create and drop (``app/triggers.py``) ---------------------------------

_TRIGGERS = triggers.TriggerSet(_sqlite_triggers, _pg_functions)
sqlite_create = _TRIGGERS.sqlite_create
sqlite_drop = _TRIGGERS.sqlite_drop
pg_create = _TRIGGERS.pg_create
pg_drop = _TRIGGERS.pg_drop


def count_column():
    """A column declared by ``counted`` (0 for a new row: its counted rows come after)."""
    return triggers.kept_integer()
