"""Restoring a group's document (``format.py``) into this instance.

The whole file is checked before anything is written (its format and version, every
section, field, type, length and reference, the handle), and every row is then
written in the caller's one transaction: a refused or failing import leaves nothing.
People are matched by email (as stored: lower-case); the missing ones are created
without a password (they set one with "forgot password"). Rows get new ids and the
references between them follow; times are kept as they are. Each Markdown text is
rendered to HTML again here: a file never brings HTML in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import force_locale

from .. import limits
from ..auth.models import User
from ..auth.services import (
    deleted_placeholders,
    is_reserved_email,
    normalise_email,
    unique_user_handle,
)
from ..extensions import db
from ..groups.models import Group
from ..groups.services import HANDLE_RE, RESERVED_HANDLES
from ..markdown import people, render_with_mentions
from ..textcheck import text_problem
from ..timeutil import UTCDateTime
from .format import (
    BY_NAME,
    FORMAT,
    GROUP,
    REFERENCED,
    SECTIONS,
    USERS,
    VERSION,
    Section,
    remap_nested,
)

#: rows written at a time
BATCH = 500
#: the longest text a file may hold in a column without a length of its own
MAX_TEXT = limits.DOCUMENT
#: texts whose HTML is kept during an import (a comment's first version is its text)
RENDER_CACHE = 32_768
#: a password hash no password matches: the person sets one by a reset link
NO_PASSWORD = ""


class ImportRefused(Exception):
    """The file cannot be imported; the message names what is wrong."""


@dataclass
class Imported:
    """What an import wrote."""

    group_id: int
    handle: str
    rows: dict[str, int]
    people_created: list[str]
    people_matched: list[str]


def read_document(stream: IO[bytes] | IO[str]) -> dict:
    """The parsed file, or ``ImportRefused`` saying why it is not a JSON object."""
    try:
        document = json.load(stream)
    except json.JSONDecodeError as error:
        raise ImportRefused(f"The file is not valid JSON: {error}.") from error
    except UnicodeDecodeError as error:
        raise ImportRefused("The file is not UTF-8 text.") from error
    if not isinstance(document, dict):
        raise ImportRefused("The file is not a Cercle group export: it is not a JSON object.")
    return document


# -- checking ------------------------------------------------------------------------


def _check_value(column: sa.Column, value: Any, where: str) -> Any:
    """The value a column gets from the file's ``value``, or ``ImportRefused``."""
    if value is None:
        if column.nullable and not column.primary_key:
            return None
        raise ImportRefused(f"{where}: a value is required.")
    kind = column.type
    if isinstance(kind, UTCDateTime):
        parsed = _parse(datetime.fromisoformat, value, where, "a time like 2026-05-12T09:32:00Z")
        if parsed.tzinfo is None:
            raise ImportRefused(f"{where}: the time has no zone ({value!r}).")
        return parsed
    if isinstance(kind, sa.Boolean):
        if not isinstance(value, bool):
            raise ImportRefused(f"{where}: must be true or false, not {value!r}.")
        return value
    if isinstance(kind, sa.Integer):
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**31:
            raise ImportRefused(f"{where}: must be a whole number, not {value!r}.")
        return value
    if isinstance(kind, sa.Date):
        return _parse(date.fromisoformat, value, where, "a date like 2026-05-12")
    if isinstance(kind, sa.Time):
        return _parse(time.fromisoformat, value, where, "a time of day like 22:00:00")
    if isinstance(kind, sa.JSON):
        if not isinstance(value, dict | list):
            raise ImportRefused(f"{where}: must be a JSON object or list.")
        return value
    if isinstance(kind, sa.String):  # Text too
        if not isinstance(value, str):
            raise ImportRefused(f"{where}: must be a text, not {value!r}.")
        longest = kind.length or MAX_TEXT
        if len(value) > longest:
            raise ImportRefused(f"{where}: longer than {longest} characters.")
        single_line = kind.length is not None and kind.length <= 254
        if text_problem(value, single_line=single_line):
            with force_locale("en"):  # the command's messages are in English
                raise ImportRefused(f"{where}: {text_problem(value, single_line=single_line)}")
        return value
    raise AssertionError(f"no check for {column}")  # pragma: no cover - a new column type


def _parse(parser: Callable, value: Any, where: str, expected: str):
    if not isinstance(value, str):
        raise ImportRefused(f"{where}: must be {expected}, not {value!r}.")
    try:
        return parser(value)
    except ValueError as error:
        raise ImportRefused(f"{where}: must be {expected}, not {value!r}.") from error


def _rows_of(document: dict, section: Section) -> list:
    rows = document.get(section.name)
    if rows is None:
        raise ImportRefused(f'The file has no "{section.name}" section.')
    if section is GROUP:
        if not isinstance(rows, dict):
            raise ImportRefused('"group" must be a JSON object.')
        return [rows]
    if not isinstance(rows, list):
        raise ImportRefused(f'"{section.name}" must be a list.')
    return rows


def _check_header(document: dict) -> None:
    if document.get("format") != FORMAT:
        raise ImportRefused(
            f'The file is not a Cercle group export ("format" is {document.get("format")!r}, '
            f'not "{FORMAT}").'
        )
    version = document.get("version")
    if version != VERSION:
        raise ImportRefused(
            f"The file's format version is {version!r}; this Cercle reads version {VERSION} "
            "only. Import it with the version of Cercle that exported it, or a newer one."
        )
    known = {"format", "version", "exported_at", *BY_NAME}
    unknown = sorted(set(document) - known)
    if unknown:
        raise ImportRefused(f"The file has sections this version does not know: {unknown}.")


def check(document: dict) -> dict[str, list[dict]]:
    """Every section's rows converted to column values, or ``ImportRefused`` naming the
    first problem (``comments[12].thread_id: …``). Writes nothing."""
    _check_header(document)
    checked: dict[str, list[dict]] = {}
    ids: dict[str, set[int]] = {}
    for section in (GROUP, USERS, *SECTIONS):
        rows = _rows_of(document, section)
        expected = set(section.fields)
        out = []
        seen: set[int] = set()
        for n, row in enumerate(rows):
            where = section.name if section is GROUP else f"{section.name}[{n}]"
            if not isinstance(row, dict):
                raise ImportRefused(f"{where}: must be a JSON object.")
            if set(row) != expected:
                missing, extra = sorted(expected - set(row)), sorted(set(row) - expected)
                raise ImportRefused(
                    f"{where}: "
                    + "; ".join(
                        part
                        for part in (
                            f"missing fields {missing}" if missing else "",
                            f"unknown fields {extra}" if extra else "",
                        )
                        if part
                    )
                    + "."
                )
            values = {
                name: _check_value(section.table.c[name], row[name], f"{where}.{name}")
                for name in section.fields
            }
            if values["id"] in seen:
                raise ImportRefused(f"{where}.id: {values['id']} appears twice.")
            seen.add(values["id"])
            out.append(values)
        ids[section.name] = seen
        checked[section.name] = out
    for section in (GROUP, USERS, *SECTIONS):
        earlier: set[int] = set()
        for n, row in enumerate(checked[section.name]):
            where = section.name if section is GROUP else f"{section.name}[{n}]"
            for column, target in section.refs.items():
                value = row[column]
                if value is None:
                    continue
                if value not in ids[target]:
                    raise ImportRefused(
                        f"{where}.{column}: {value} is no id of the file's {target}."
                    )
                if target == section.name and value not in earlier:
                    raise ImportRefused(f"{where}.{column}: {value} must come before this row.")
            earlier.add(row["id"])
            if section.nested is not None:
                column = section.nested.column
                for holder in section.nested.holders(row[column]):
                    for key, target in section.nested.refs.items():
                        value = holder.get(key)
                        if value is None:
                            continue
                        if (
                            isinstance(value, bool)
                            or not isinstance(value, int)
                            or value not in ids[target]
                        ):
                            raise ImportRefused(
                                f"{where}.{column}: the {key} {value!r} in it is no id of "
                                f"the file's {target}."
                            )
    return checked


def check_handle(handle: str) -> str:
    """The handle the group will have here, or ``ImportRefused``."""
    handle = (handle or "").strip().lower()
    if not HANDLE_RE.match(handle) or handle in RESERVED_HANDLES:
        raise ImportRefused(
            f"The handle {handle!r} is not valid: use 3 to 40 lower-case letters, digits or "
            "hyphens, starting and ending with a letter or digit."
        )
    if db.session.scalar(sa.select(Group.id).where(Group.handle == handle)) is not None:
        raise ImportRefused(
            f"The handle {handle!r} is already taken on this instance. "
            "Choose another with --handle."
        )
    return handle


# -- writing -------------------------------------------------------------------------


def import_group(document: dict, *, handle: str | None = None) -> Imported:
    """Check the document, then write the group and all its rows (flushed, not
    committed: the caller commits, or rolls back on any error)."""
    checked = check(document)
    group_row = checked["group"][0]
    handle = check_handle(handle or group_row["handle"])
    render = _Renderer()
    maps: dict[str, dict[int, int]] = {name: {} for name in REFERENCED}
    try:
        created, matched = _import_users(checked["users"], maps["users"])
        with _remembered_handles():
            group_id, counts = _import_rows(checked, handle, maps, render)
    except sa.exc.IntegrityError as error:
        # a row the file gets wrong, or the same handle or person written meanwhile by
        # another import or a sign-up (then importing again finds them)
        raise ImportRefused(f"The file breaks a rule of the database: {error.orig}") from error
    return Imported(group_id, handle, counts, created, matched)


class _Renderer:
    """Markdown → HTML as the app writes it: ``@handle`` mentions, and once the group
    exists (``scope``), its members by display name, as they were when the texts were
    written in the circle (memberships come before the texts in the file). A text
    repeated (a comment and its first version) is rendered once."""

    def __init__(self) -> None:
        self.scope: int | None = None
        self._cached = lru_cache(maxsize=RENDER_CACHE)(self._render)

    @staticmethod
    def _render(text: str, scope: int | None) -> str:
        return str(render_with_mentions(text, scope)) if text else ""

    def __call__(self, text: str) -> str:
        return self._cached(text, self.scope)


def _import_rows(checked: dict, handle: str, maps: dict, render) -> tuple[int, dict[str, int]]:
    """The group's row, then every section's."""
    group_values = _values(GROUP, checked["group"][0], maps, render)
    group_values["handle"] = handle
    group_id = db.session.execute(
        sa.insert(GROUP.table).returning(GROUP.table.c.id), group_values
    ).scalar_one()
    render.scope = group_id  # from here, members are named by their name too
    counts = {"users": len(checked["users"])}
    for section in SECTIONS:
        counts[section.name] = _import_section(
            section, checked[section.name], group_id, maps, render
        )
    return group_id, counts


@contextmanager
def _remembered_handles() -> Iterator[None]:
    """Which ``@handles`` name people, asked of the database once per handle while the
    import renders its texts (no one else writes people meanwhile: it holds the write
    lock on SQLite, and runs from the command line)."""
    original = people.known_handles
    known: dict[str, bool] = {}

    def remembered(handles: set[str]) -> list[str]:
        missing = set(handles) - known.keys()
        if missing:
            found = set(original(missing))
            known.update({handle: handle in found for handle in missing})
        return [handle for handle in handles if known[handle]]

    people.known_handles = remembered
    try:
        yield
    finally:
        people.known_handles = original


def _import_users(rows: list[dict], mapping: dict[int, int]) -> tuple[list[str], list[str]]:
    """Match each person by email, or create them without a password. A former member
    (an account deleted on the source) is matched to no one: a new placeholder of its
    own, so that two deleted people never become one and no one's address is taken."""
    created, matched = [], []
    for row in rows:
        email = normalise_email(row["email"])
        if row.get("deleted_at") is not None:
            values = {name: row[name] for name in USERS.fields if name != "id"}
            values["email"], values["handle"] = deleted_placeholders()
            values["password_hash"] = ""
            values["session_epoch"] = 0
            mapping[row["id"]] = db.session.execute(
                sa.insert(USERS.table).returning(USERS.table.c.id), values
            ).scalar_one()
            continue
        if is_reserved_email(email):
            raise ImportRefused(
                f"users: {email} is a deleted account's address, yet its deleted_at is "
                "empty. Nothing was imported."
            )
        existing = db.session.scalar(sa.select(User.id).where(User.email == email))
        if existing is not None:
            mapping[row["id"]] = existing
            matched.append(email)
            continue
        values = {name: row[name] for name in USERS.fields if name != "id"}
        values["email"] = email
        free = db.session.scalar(sa.select(User.id).where(User.handle == row["handle"])) is None
        values["handle"] = row["handle"] if free else unique_user_handle(row["name"])
        values["password_hash"] = NO_PASSWORD
        values["session_epoch"] = 0
        mapping[row["id"]] = db.session.execute(
            sa.insert(USERS.table).returning(USERS.table.c.id), values
        ).scalar_one()
        created.append(email)
    return created, matched


def _values(section: Section, row: dict, maps: dict, render) -> dict:
    values = {name: row[name] for name in section.fields if name != "id"}
    for column, target in section.refs.items():
        if values[column] is not None:
            values[column] = maps[target][values[column]]
    for source, html in section.rendered.items():
        values[html] = render(values[source]) if values[source] is not None else None
    if section.nested is not None:
        column = section.nested.column
        values[column] = remap_nested(section.nested, values[column], maps)
    return values


def _import_section(section: Section, rows: list[dict], group_id: int, maps, render) -> int:
    """Write a section's rows in batches; keep the new ids of a referenced section."""
    table = section.table
    keep = maps.get(section.name)
    self_refs = [c for c, target in section.refs.items() if target == section.name]
    batch: list[dict] = []
    old_ids: list[int] = []

    def flush() -> None:
        if not batch:
            return
        if keep is None:
            db.session.execute(sa.insert(table), batch)
        else:
            statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
            new_ids = db.session.execute(statement, batch).scalars().all()
            keep.update(zip(old_ids, new_ids, strict=True))
        batch.clear()
        old_ids.clear()

    for row in rows:
        # a reply's top comment must have its new id before the reply is written
        if any(row[c] is not None and row[c] not in keep for c in self_refs):
            flush()
        values = _values(section, row, maps, render)
        if section.parent is None:
            values["group_id"] = group_id
        batch.append(values)
        old_ids.append(row["id"])
        if len(batch) >= BATCH:
            flush()
    flush()
    return len(rows)
