"""Schemas and fields shared by the API of every feature."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from flask_babel import gettext as _
from marshmallow import Schema, fields

from ..errors import ValidationFailed
from ..timeutil import isoformat_z


class UTCDateTime(fields.AwareDateTime):
    """Input: ISO 8601 with a zone (a naive time is refused). Output: ``...Z`` in UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat_z(value)

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        return result.astimezone(UTC)


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


class CursorQuerySchema(Schema):
    cursor = fields.String(load_default=None, metadata={"description": "the previous page's next"})
    limit = fields.Integer(load_default=20, metadata={"description": "1 to 100, default 20"})


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
    try:
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise ValueError
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(fields={"cursor": _("This cursor is not valid.")}) from exc
    return when, last_id


def check_limit(limit: int) -> int:
    if not 1 <= limit <= 100:
        raise ValidationFailed(
            fields={"limit": _("Must be between %(min)s and %(max)s.", min=1, max=100)}
        )
    return limit
