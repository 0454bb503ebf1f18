"""Language and time zone of the reader, and the filters that use them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app, g, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale, get_timezone
from flask_login import current_user

LOCALE_NAMES = {"fr": "Français", "en": "English"}


def _reader():
    if not has_request_context():
        return None
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user
    if current_user and current_user.is_authenticated:
        return current_user
    return None


def select_locale() -> str:
    """The profile's language, else the browser's, else French."""
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        forced = g.get("locale")
        if forced in languages:
            return forced
    user = _reader()
    if user is not None and user.locale in languages:
        return user.locale
    if has_request_context():
        chosen = session.get("locale")
        if chosen in languages:
            return chosen
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """The profile's time zone, else the configured default."""
    user = _reader()
    if user is not None and user.timezone:
        return user.timezone
    return current_app.config["DEFAULT_USER_TIMEZONE"]


def format_moment(value: datetime, style: str = "medium") -> str:
    """``value`` in the reader's zone and language; a time at the edge of the calendar
    (a stored 9999-12-31, 0001-01-01) that has no equivalent in their zone is shown as
    it is, in UTC, rather than failing the page."""
    try:
        return format_datetime(value, style)
    except OverflowError:
        return f"{format_datetime(value, style, rebase=False)} UTC"


def format_day(value: date | datetime, style: str = "medium") -> str:
    """``value``'s date in the reader's language (and zone, for a time): as
    ``format_moment``, the UTC date at the edge of the calendar.

    A time is moved to the reader's zone here, not by Flask-Babel's ``format_date``,
    whose ``to_user_timezone`` needs a pytz zone (the periodic command renders emails
    with a ``zoneinfo`` one: ``app.notifications.emails.for_reader``)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        try:
            value = moment.astimezone(get_timezone()).date()
        except (OverflowError, ValueError):
            value = moment.astimezone(UTC).date()
    return format_date(value, style)


def datetime_filter(value: datetime | None, style: str = "medium") -> str:
    """A time in the reader's zone and language (``|datetime``)."""
    if value is None:
        return ""
    return format_moment(value, style)


def date_filter(value: date | datetime | None, style: str = "medium") -> str:
    """A date in the reader's language (``|date``)."""
    if value is None:
        return ""
    return format_day(value, style)


def iso_filter(value: datetime | None) -> str:
    """A machine-readable time for ``<time datetime="...">``."""
    if value is None:
        return ""
    return value.isoformat()


def html_lang() -> str:
    """The ``lang`` attribute of the page."""
    return str(get_locale() or "fr")
