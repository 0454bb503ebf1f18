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
    stack = [(prefix, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                found[path or "body"] = problem
        elif isinstance(item, dict):
            for key, inner in item.items():
                name = f"{path}.{key}" if path else str(key)
                problem = text_problem(str(key))
                if problem:
                    # the key itself cannot be shown: name where it stands
                    found[path or "body"] = problem
                    continue
                stack.append((name, inner))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), inner) for i, inner in enumerate(item))
    return found


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
