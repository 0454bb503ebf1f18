"""Schemas and fields shared by the API of every feature."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from ..converters import MAX_ID
from ..errors import ValidationFailed
from ..textcheck import INT_MAX, INT_MIN, text_problem, whole_number
from ..timeutil import bounds_problem, isoformat_z


class Integer(fields.Integer):
    """A whole number between ``min`` and ``max`` (a 32-bit column's range by default).

    In a JSON body only a JSON integer is one (``1.5``, ``"1"`` and ``true`` are refused,
    never rounded); in a query string, ASCII digits (``²`` or ``١`` are not digits here).
    """

    def __init__(self, *, min: int = INT_MIN, max: int = INT_MAX, **kwargs):  # noqa: A002
        extra = kwargs.pop("validate", None)
        validators = [validate.Range(min=min, max=max)]
        if extra is not None:
            validators.extend(extra if isinstance(extra, list | tuple) else [extra])
        super().__init__(strict=True, validate=validators, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and self.parent is not None and _from_text(self):
            number = whole_number(value, min=-(10**20), max=10**20)
            if number is None:
                raise self.make_error("invalid", input=value)
            value = number
        return super()._deserialize(value, attr, data, **kwargs)


def _from_text(field) -> bool:
    """Whether ``field`` reads a query string (all text) rather than a JSON body."""
    schema = field.root
    return bool(getattr(schema, "from_query_string", False))


class Id(Integer):
    """A row id: a whole number from 1 that a database column holds (as paths'
    ``IdConverter``); past that it is a 400 naming the field, never the database's 500."""

    def __init__(self, **kwargs):
        super().__init__(min=1, max=MAX_ID, **kwargs)


class Text(fields.String):
    """Text of any length and lines, without NUL, lone surrogates or stray controls."""

    single_line = False

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, single_line=self.single_line)
        if problem:
            raise ValidationError(problem)
        return text


class Line(Text):
    """A name, a title, a handle: one line, no control character at all."""

    single_line = True


class Email(fields.Email):
    """An email address: one line (a CR/LF would reach an email's headers)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            problem = text_problem(value, single_line=True)
            if problem:
                raise ValidationError(problem)
        return super()._deserialize(value, attr, data, **kwargs)


class UTCDateTime(fields.AwareDateTime):
    """Input: ISO 8601 with a zone (a naive time is refused), between 1900 and 2999
    (``0001-01-01T00:00:00+14:00`` is a 400 naming the field, not an overflow).
    Output: ``...Z`` in UTC. ``out_of_range``: the (before, after) messages of a field
    with a narrower rule of its own, said instead of the calendar's range."""

    def __init__(self, *args, out_of_range: tuple | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.out_of_range = out_of_range

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat_z(value)

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = result.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            edge = datetime.min if result.year < 2 else datetime.max
            problem = bounds_problem(edge.replace(tzinfo=UTC), self.out_of_range)
            raise ValidationError(problem) from exc
        problem = bounds_problem(moment, self.out_of_range)
        if problem:
            raise ValidationError(problem)
        return moment


class Date(fields.Date):
    """A day (YYYY-MM-DD) between 1900 and 2999."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        problem = bounds_problem(day)
        if problem:
            raise ValidationError(problem)
        return day


def Items(min: int | None = None, max: int | None = None) -> validate.Length:  # noqa: A002, N802
    """The length of a list, said in items (``validate.Length`` speaks of characters)."""
    if min is not None and max is not None:
        error = "Give {min} to {max} items."
    elif min is not None:
        error = "Give at least {min} items."
    else:
        error = "Give at most {max} items."
    return validate.Length(min=min, max=max, error=error)


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable snake_case word"})
    message = fields.String(required=True, metadata={"description": "in the caller's language"})
    fields = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "each bad field, dotted for nested ones (`{}` when none)"},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class UserRefSchema(Schema):
    """A person as other people see them."""

    id = fields.Integer()
    name = fields.String()
    handle = fields.String()


#: an opaque cursor is short; anything longer is not one of ours
MAX_CURSOR = 200


class QuerySchema(Schema):
    """A query string's schema: its numbers are read from text (ASCII digits)."""

    from_query_string = True


class CursorQuerySchema(QuerySchema):
    """``?cursor=&limit=`` of every list that grows (``{"items", "next"}``)."""

    cursor = Line(
        load_default=None,
        validate=validate.Length(max=MAX_CURSOR),
        metadata={"description": "the previous page's `next`"},
    )
    limit = Integer(
        load_default=20, min=1, max=100, metadata={"description": "1 to 100, default 20"}
    )


def encode_cursor(*values) -> str:
    """An opaque cursor for keyset pagination."""
    payload = [isoformat_z(v) if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, n: int) -> list:
    """The values that ``encode_cursor`` packed; 400 naming ``cursor`` when forged."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != n:
            raise ValueError
        return values
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(fields={"cursor": _("This cursor is not valid.")}) from exc


def decode_time_cursor(cursor: str) -> tuple[datetime, int]:
    """A ``(time, id)`` keyset cursor (``encode_cursor(moment, id)``); 400 naming
    ``cursor`` when forged."""
    moment, last_id = decode_cursor(cursor, 2)
    return _time_and_id(moment, last_id)


def decode_flagged_time_cursor(cursor: str) -> tuple[bool, datetime, int]:
    """A ``(flag, time, id)`` keyset cursor (``encode_cursor(flag, moment, id)``: a list
    ordered by a yes/no first, as pinned threads come first); 400 naming ``cursor``
    when forged."""
    flag, moment, last_id = decode_cursor(cursor, 3)
    if not isinstance(flag, bool):
        raise ValidationFailed(fields={"cursor": _("This cursor is not valid.")})
    return (flag, *_time_and_id(moment, last_id))


def _time_and_id(moment, last_id) -> tuple[datetime, int]:
    try:
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None:
            raise ValueError
        when = when.astimezone(UTC)
        if not isinstance(last_id, int) or isinstance(last_id, bool):
            raise ValueError
        if not 0 <= last_id <= MAX_ID or bounds_problem(when):
            raise ValueError
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationFailed(fields={"cursor": _("This cursor is not valid.")}) from exc
    return when, last_id


def check_limit(limit: int) -> int:
    if not 1 <= limit <= 100:
        raise ValidationFailed(
            fields={"limit": _("Must be between %(min)s and %(max)s.", min=1, max=100)}
        )
    return limit
