"""Small helpers shared by the page views of every feature (HTTP only, no rules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user

from .errors import DomainError, ValidationFailed
from .textcheck import whole_number


def me():
    """The signed-in person as a model instance (not Flask-Login's proxy)."""
    return current_user._get_current_object()


def require(allowed: bool) -> None:
    """403 unless ``allowed``: views call it with a named permission predicate."""
    if not allowed:
        abort(403)


#: the last page number a list may be asked for (a circle's lists are far shorter)
MAX_PAGE = 100_000


def page_number(name: str = "page") -> int:
    """``?page=`` (1 when absent): ASCII digits from 1 to ``MAX_PAGE``, else a 400 page
    naming it (a page past 2^63 overflowed the database's OFFSET)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return 1
    number = whole_number(raw, min=1, max=MAX_PAGE)
    if number is None:
        problem = _("Must be a whole number between %(min)s and %(max)s.", min=1, max=MAX_PAGE)
        raise ValidationFailed(fields={name: problem})
    return number


def safe_next(target: str | None, default: str) -> str:
    """Follow ``next`` only when it stays on this site (a path, no scheme or host)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


def show_domain_error(
    form, error: DomainError, *, describe: Callable[[str, str], str] | None = None
) -> None:
    """Put a service's field errors next to the form's fields, else flash them.

    A form may map the service's field names (``rules.relance_after_days``) to
    its own fields with a ``field_for(name)`` method; ``describe(name, text)``
    may reword a message for the page ("Option 2: ...").
    """
    for name, message in error.fields.items():
        text = describe(name, str(message)) if describe else str(message)
        if hasattr(form, "field_for"):
            field = form.field_for(name)
        else:
            field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, text]
        else:
            flash(text, "error")
    if not error.fields:
        flash(str(error.message), "error")


class LazyContext(dict):
    """A section's context whose costly values (a form) are made when a template first
    reads them: a page kept in the fragment cache does not read them at all."""

    def __init__(self, values: dict, **makers):
        super().__init__(values)
        self._makers = makers

    def __missing__(self, key):
        make = self._makers.get(key)
        if make is None:
            raise KeyError(key)
        value = self[key] = make()
        return value


@dataclass(frozen=True)
class PageSection:
    """A part of a page that another feature adds (``app/hooks.py``): the template
    to include, and what it reads (as ``context``)."""

    template: str
    context: dict = field(default_factory=dict)
    #: where it goes among the others (smaller first; equal ones in connection order)
    order: int = 0
    #: what it shows that changes, for the page's validator (``app/caching.py``);
    #: None: the page is not revalidated
    state: object = None
