"""Revisions kept by the database: a number on a row that every write it shows bumps.

A page that shows a thread (its comments, reactions, polls, stances…) or things shared
by a whole circle (its name, its members' names and roles, its agreements) can be
rendered once and reused for as long as the revisions it was rendered from stay the
same (``app/fragments.py``). The revisions are kept by triggers, not by the services:
every write path (the ORM, Core ``update``/``delete`` statements, imports, the periodic
jobs, a migration's backfill) bumps them in the same transaction, and a rolled-back
write leaves them as they were.

Each feature declares, next to its models, which of its tables bump which revision
(``bump``) and which tables carry one (``revised``); the DDL for both dialects is
generated here and attached to the metadata, so ``db.create_all()`` and
``db.drop_all()`` build and drop it; the migration copies the statements.

- A table with a revision bumps itself on any update of its row (on PostgreSQL a BEFORE
  UPDATE trigger sets ``NEW.revision``; on SQLite an AFTER UPDATE trigger, with
  recursive triggers off as they are by default) unless the update already moved it.
- Another table bumps the row(s) its ``key`` names: after an insert (the new row), a
  delete (the old row) and an update (both, unless the key never changes).

Row locks (PostgreSQL). A bump is an ``UPDATE``: it holds the bumped row until the
commit, and two transactions that lock two rows in opposite orders deadlock (one is
aborted). The order every write keeps is: a poll's row, its thread's, an agreement's,
its circle's. The triggers alone do not keep it (a proposal's agreement change bumps
its circle before its thread; a close bumps the circle before it applies the change to
the agreement), so the services that write to a poll lock the poll, its thread and
the features' rows first (``polls.services.lock_poll``, ``hooks.poll_write_locks``).
``tests/test_revision_locks.py`` races each such pair of writes.
"""

# ruff: noqa: S608 - SQL built only from the features' constant declarations
from __future__ import annotations

from dataclasses import dataclass

from . import triggers

COLUMN = "revision"


@dataclass(frozen=True)
class Bump:
    """``table``'s writes bump ``target``'s revision.

    ``key`` is an SQL expression with ``{row}`` (``new`` or ``old``): the one id of the
    ``target`` row the written row belongs to (``{row}.thread_id``, or a scalar
    subquery). ``keys`` instead is a subquery returning several ids (a person's circles).
    ``columns``: an update of only these columns bumps (None: any column).
    """

    name: str
    table: str
    target: str
    key: str | None = None
    keys: str | None = None
    columns: tuple[str, ...] | None = None
    #: the key cannot change on update: only the new row's target is bumped
    stable: bool = False

    def where(self, row: str) -> str:
        if self.keys is not None:
            return f"id IN ({self.keys.format(row=row)})"
        return f"id = {self.key.format(row=row)}"

    def where_update(self) -> str:
        if self.stable or self.keys is not None:
            return self.where("new")
        return f"{self.where('new')} OR {self.where('old')}"


_BUMPS: list[Bump] = []
_REVISED: list[str] = []


def revised(table: str) -> None:
    """``table`` has a ``revision`` column, bumped by any update of its own row."""
    if table not in _REVISED:
        _REVISED.append(table)


def bump(
    name: str,
    table: str,
    target: str,
    *,
    key: str | None = None,
    keys: str | None = None,
    columns: tuple[str, ...] | None = None,
    stable: bool = False,
) -> None:
    """Declare that writes to ``table`` bump ``target``'s revision (see ``Bump``)."""
    if (key is None) == (keys is None):
        raise ValueError("give key or keys")
    declared = Bump(name, table, target, key, keys, columns, stable)
    if all(b.name != name for b in _BUMPS):
        _BUMPS.append(declared)


def _set(target: str) -> str:
    return f"UPDATE {target} SET {COLUMN} = {COLUMN} + 1 WHERE"


# -- SQLite -----------------------------------------------------------------------------


def _sqlite_triggers() -> list[tuple[str, str]]:
    triggers = []
    for table in _REVISED:
        triggers.append(
            (
                f"rev_{table}_self",
                f"AFTER UPDATE ON {table} FOR EACH ROW "
                f"WHEN new.{COLUMN} = old.{COLUMN} "
                f"BEGIN {_set(table)} id = new.id; END",
            )
        )
    for b in _BUMPS:
        of = f"OF {', '.join(b.columns)} " if b.columns else ""
        triggers += [
            (
                f"rev_{b.name}_ai",
                f"AFTER INSERT ON {b.table} FOR EACH ROW "
                f"BEGIN {_set(b.target)} {b.where('new')}; END",
            ),
            (
                f"rev_{b.name}_au",
                f"AFTER UPDATE {of}ON {b.table} FOR EACH ROW "
                f"BEGIN {_set(b.target)} {b.where_update()}; END",
            ),
            (
                f"rev_{b.name}_ad",
                f"AFTER DELETE ON {b.table} FOR EACH ROW "
                f"BEGIN {_set(b.target)} {b.where('old')}; END",
            ),
        ]
    return triggers


# -- PostgreSQL ---------------------------------------------------------------------------


def _pg_functions() -> list[tuple[str, str, str]]:
    """(function name, body, trigger clause) of each trigger."""
    functions = []
    for table in _REVISED:
        functions.append(
            (
                f"rev_{table}_self",
                f"IF NEW.{COLUMN} = OLD.{COLUMN} THEN "
                f"NEW.{COLUMN} := OLD.{COLUMN} + 1; END IF; RETURN NEW;",
                f"BEFORE UPDATE ON {table}",
            )
        )
    for b in _BUMPS:
        of = f" OF {', '.join(b.columns)}" if b.columns else ""
        functions.append(
            (
                f"rev_{b.name}",
                f"IF TG_OP = 'INSERT' THEN {_set(b.target)} {b.where('NEW')}; "
                f"ELSIF TG_OP = 'UPDATE' THEN {_set(b.target)} {_pg_rows(b.where_update())}; "
                f"ELSE {_set(b.target)} {b.where('OLD')}; END IF; RETURN NULL;",
                f"AFTER INSERT OR DELETE OR UPDATE{of} ON {b.table}",
            )
        )
    return functions


def _pg_rows(sql: str) -> str:
    return sql.replace("new.", "NEW.").replace("old.", "OLD.")


# -- the metadata's create and drop (``app/triggers.py``) ---------------------------------

_TRIGGERS = triggers.TriggerSet(_sqlite_triggers, _pg_functions)
sqlite_create = _TRIGGERS.sqlite_create
sqlite_drop = _TRIGGERS.sqlite_drop
pg_create = _TRIGGERS.pg_create
pg_drop = _TRIGGERS.pg_drop


def revision_column():
    """The ``revision`` column of a table declared ``revised``."""
    return triggers.kept_integer()
