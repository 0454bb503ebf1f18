"""What text the app accepts, in one place: the API's fields, the pages' forms and the
request guard all ask ``text_problem``.

No text may hold a NUL (PostgreSQL refuses it: a 500) or a lone surrogate (it cannot
be encoded: a 500 on every database). A single-line text (a name, a title, a handle,
an email address) holds no control character either: a CR/LF in a group's name
would end up in an email's headers. Multi-line text keeps tabs and line breaks.
"""

from __future__ import annotations

import re

from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _

#: C0 and C1 controls, DEL, and the Unicode line/paragraph separators
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: what multi-line text refuses: NUL and the controls no one types (tab, LF and CR pass)
_BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: anything ``text_problem`` refuses in multi-line text, in one search
_BAD_ANYWHERE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
#: how deep a JSON body may nest (the deepest real one, a poll's agreement change
#: with its rules, is 3)
MAX_JSON_DEPTH = 32


def text_problem(value: str, *, single_line: bool = False) -> str | None:
    """Why ``value`` cannot be accepted as text, in the reader's language, or None."""
    if _SURROGATE.search(value):
        return _("Contains a character that is not valid text.")
    if "\x00" in value:
        return _("Contains a NUL character.")
    if single_line and _CONTROL.search(value):
        return _("Must be a single line, without control characters.")
    if _BAD_IN_TEXT.search(value):
        return _("Contains a control character.")
    return None


def find_text_problems(value, prefix: str = "") -> dict[str, str]:
    """``{dotted.path: problem}`` for every string (and key) of a parsed JSON value that
    no field may hold (NUL, lone surrogates, controls other than tab and line breaks)."""
    found: dict[str, str] = {}
    # a path is a linked list (parent, key), made a dotted name only for a problem found;
    # only containers are stacked, strings are looked at where they stand
    if isinstance(value, str):
        problem = text_problem(value)
        return {prefix or "body": problem} if problem else {}
    stack: list = [(None, value)]
    while stack:
        node, item = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, inner in pairs:
            if isinstance(key, str) and _BAD_ANYWHERE.search(key):
                # the key itself cannot be shown: name where it stands
                found[_dotted(node, prefix)] = text_problem(key)
            elif isinstance(inner, str):
                if _BAD_ANYWHERE.search(inner):
                    found[_dotted((node, key), prefix)] = text_problem(inner)
            elif isinstance(inner, dict | list):
                stack.append(((node, key), inner))
    return found


def _dotted(node, prefix: str) -> str:
    keys = []
    while node is not None:
        node, key = node
        keys.append(str(key))
    name = ".".join(reversed(keys))
    return ".".join(part for part in (prefix, name) if part) or "body"


#: what, in a JSON document's text, can become a string ``text_problem`` refuses: an
#: escaped control or surrogate (JSON forbids raw controls in strings), or a raw DEL
_SUSPECT_JSON = re.compile(r"\\u(?:00[01][0-9a-fA-F]|007[fF]|[dD][89a-fA-F])|\x7f")


def json_may_hold_bad_text(text: str | bytes) -> bool:
    """A cheap look at a JSON document's text before walking what it parses to."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return _SUSPECT_JSON.search(text) is not None


_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")


def json_too_deep(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON document nests arrays and objects deeper than ``limit``, found
    without parsing it (parsing a deep one recurses until Python gives up)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for char in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing (as invalid JSON, a ``ValueError``) a document nested
    deeper than ``MAX_JSON_DEPTH`` before parsing it: ``request.get_json()`` then
    answers 400, or None when ``silent``, instead of a ``RecursionError``."""

    def loads(self, s, **kwargs):
        if json_too_deep(s):
            raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
        return super().loads(s, **kwargs)


def refuse_bad_request_text() -> None:
    """Before any view: a query string or form value (or name) no field may hold is a 400
    naming it, on pages and in the API (JSON bodies are checked as they are parsed)."""
    from flask import request

    from .errors import ValidationFailed

    found: dict[str, str] = {}
    sources = [("query", request.args)]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sources.append(("form", request.form))
    for where, source in sources:
        for key, values in source.lists():
            problem = text_problem(key)
            if problem:
                found[where] = problem
                continue
            for value in values:
                problem = text_problem(value)
                if problem:
                    found[key] = problem
                    break
    if found:
        raise ValidationFailed(fields=found)


#: a whole number a 32-bit INTEGER column holds (PostgreSQL's ``integer``)
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_ASCII_WHOLE = re.compile(r"-?[0-9]{1,20}")


def whole_number(text: str | None, *, min: int = INT_MIN, max: int = INT_MAX) -> int | None:  # noqa: A002
    """``text`` as a whole number in ASCII digits between ``min`` and ``max``, else None
    (``str.isdigit`` takes ``²``, which ``int`` refuses, and ``int`` takes ``١٢``)."""
    if not isinstance(text, str) or not _ASCII_WHOLE.fullmatch(text.strip()):
        return None
    value = int(text.strip())
    return value if min <= value <= max else None


def one_line(text: str) -> str:
    """``text`` with each run of control characters (CR/LF among them) made one space: for
    an email's subject and headers, built from names stored before they were checked."""
    return _CONTROL_RUN.sub(" ", text)


_CONTROL_RUN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
