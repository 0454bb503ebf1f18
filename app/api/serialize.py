"""Plain serialisation shared by the API's read paths.

The heavy reads (a thread with its comments, the agreements, the rules, a poll, the
cursor lists) build their JSON with plain functions instead of dumping through
marshmallow, whose per-field machinery cost about a third of such a request. The
marshmallow schemas stay the one documented shape (the OpenAPI document) and validate
input; each feature's tests compare its functions' output with the schema's
``dump()`` on a rich data set, so that the two cannot drift apart.

The functions here return what a schema's ``dump()`` returns: times as ``...Z``
strings (``UTCDateTime``), days as ISO dates, nested people as ``UserRefSchema``'s
``{id, name, handle}``.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from flask import Response, current_app

from ..timeutil import isoformat_z

#: a time as ``UTCDateTime`` dumps it
utc = isoformat_z


class UserRef(TypedDict):
    """``UserRefSchema``: a person as other people see them."""

    id: int
    name: str
    handle: str


def user_ref(user) -> UserRef | None:
    """A ``User`` (or None) as ``UserRefSchema`` dumps it."""
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "handle": user.handle}


def day(value: date | None) -> str | None:
    """A day as ``fields.Date`` dumps it."""
    return None if value is None else value.isoformat()


def json_response(body: dict, status: int = 200) -> Response:
    """``body`` (already in its JSON shape) as the response flask-smorest would send after
    dumping it: the views that build their JSON themselves return this, and
    ``@blp.response`` keeps only documenting the schema."""
    response = current_app.json.response(body)
    response.status_code = status
    return response
