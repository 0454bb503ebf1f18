"""Marshmallow's built-in messages, in the caller's language."""

from __future__ import annotations

import re

from flask_babel import gettext as _

_PATTERNS: list[tuple[re.Pattern, object]] = [
    (re.compile(r"^Missing data for required field\.$"), lambda m: _("This field is required.")),
    (re.compile(r"^Unknown field\.$"), lambda m: _("Unknown field.")),
    (re.compile(r"^Field may not be null\.$"), lambda m: _("This field may not be null.")),
    (re.compile(r"^Not a valid string\.$"), lambda m: _("Must be a string.")),
    (re.compile(r"^Not a valid integer\.$"), lambda m: _("Must be a whole number.")),
    (re.compile(r"^Not a valid number\.$"), lambda m: _("Must be a number.")),
    (re.compile(r"^Not a valid boolean\.$"), lambda m: _("Must be true or false.")),
    (re.compile(r"^Not a valid list\.$"), lambda m: _("Must be a list.")),
    (re.compile(r"^Not a valid mapping type\.$"), lambda m: _("Must be an object.")),
    (re.compile(r"^Invalid input type\.$"), lambda m: _("Must be an object.")),
    (re.compile(r"^Not a valid email address\.$"), lambda m: _("Not a valid email address.")),
    (re.compile(r"^Not a valid datetime\.$"), lambda m: _("Not a valid date and time (ISO 8601).")),
    (
        re.compile(r"^Not a valid aware datetime\.$"),
        lambda m: _("Give a time zone (for example 2026-05-12T09:30:00+02:00)."),
    ),
    (re.compile(r"^Not a valid date\.$"), lambda m: _("Not a valid date (YYYY-MM-DD).")),
    (
        re.compile(r"^Must be one of: (.*)\.$"),
        lambda m: _("Must be one of: %(choices)s.", choices=m.group(1)),
    ),
    (
        re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
        lambda m: _("Must be %(min)s to %(max)s characters long.", min=m.group(1), max=m.group(2)),
    ),
    (
        re.compile(r"^Give (\d+) to (\d+) items\.$"),
        lambda m: _("Give %(min)s to %(max)s items.", min=m.group(1), max=m.group(2)),
    ),
    (
        re.compile(r"^Give at least (\d+) items\.$"),
        lambda m: _("Give at least %(min)s items.", min=m.group(1)),
    ),
    (
        re.compile(r"^Give at most (\d+) items\.$"),
        lambda m: _("Give at most %(max)s items.", max=m.group(1)),
    ),
    (
        re.compile(r"^Shorter than minimum length (\d+)\.$"),
        lambda m: _("Must be at least %(min)s characters long.", min=m.group(1)),
    ),
    (
        re.compile(r"^Longer than maximum length (\d+)\.$"),
        lambda m: _("Must be at most %(max)s characters long.", max=m.group(1)),
    ),
    (
        re.compile(
            r"^Must be greater than or equal to (-?[\d.]+) and less than or equal to (-?[\d.]+)\.$"
        ),
        lambda m: _("Must be between %(min)s and %(max)s.", min=m.group(1), max=m.group(2)),
    ),
    (
        re.compile(r"^Must be greater than or equal to (-?[\d.]+)\.$"),
        lambda m: _("Must be at least %(min)s.", min=m.group(1)),
    ),
    (
        re.compile(r"^Must be less than or equal to (-?[\d.]+)\.$"),
        lambda m: _("Must be at most %(max)s.", max=m.group(1)),
    ),
]


def localize_message(message: str) -> str:
    """Translate a marshmallow default message; our own messages pass through."""
    for pattern, make in _PATTERNS:
        match = pattern.match(message)
        if match:
            return make(match)
    return message
