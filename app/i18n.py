"""Language and time zone of the reader, and the filters that use them."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta, tzinfo

from babel import Locale
from babel.core import get_global
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import (
    format_timedelta,
    get_date_format,
    get_datetime_format,
    get_time_format,
    get_timezone_location,
)
from flask import current_app, g, has_request_context, request, session
from flask_babel import force_locale, format_date, get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from .fragments import in_fragment, mark
from .timeutil import utcnow

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


#: the two ways a time is written on pages and in emails, never with seconds:
#: ``short`` ("12 mai 2026, 09:32") in lists and beside names, ``long`` ("mardi 12 mai
#: 2026, 09:32") where the moment matters (a closing time, a version). Any other style
#: a template asks for ("medium", "full") is the long one.
SHORT, LONG = "short", "long"


def _moment_pattern(style: str, locale) -> str:
    """The CLDR pattern of ``style`` in ``locale``: the locale's date (medium or full),
    its short time (no seconds, no zone), joined as the locale joins them."""
    locale = Locale.parse(locale)
    date_style = "medium" if style == SHORT else "full"
    glue = get_datetime_format("medium", locale=locale)
    return glue.replace("{0}", get_time_format("short", locale=locale).pattern).replace(
        "{1}", get_date_format(date_style, locale=locale).pattern
    )


def moment_text(value: datetime, style: str, *, locale, zone: tzinfo) -> str:
    """``value`` in ``zone`` and ``locale``, short or long (see ``SHORT``) or in a CLDR
    pattern given as ``style``; a time at the
    edge of the calendar (a stored 9999-12-31, 0001-01-01) that has no equivalent in the
    zone is shown as it is, in UTC, rather than failing the page."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if style in (SHORT, LONG, "medium", "full"):
        pattern = _moment_pattern(SHORT if style == SHORT else LONG, locale)
    else:  # a CLDR pattern of the caller's (a meeting slot on a chart's bar)
        pattern = style
    try:
        return babel_format_datetime(moment, pattern, tzinfo=zone, locale=locale)
    except (OverflowError, ValueError):
        return f"{babel_format_datetime(moment, pattern, tzinfo=UTC, locale=locale)} UTC"


#: Babel's units for ``format_timedelta`` (largest first), and the threshold used here
_UNITS = (
    ("year", 3600 * 24 * 365),
    ("month", 3600 * 24 * 30),
    ("week", 3600 * 24 * 7),
    ("day", 3600 * 24),
    ("hour", 3600),
    ("minute", 60),
    ("second", 1),
)
_THRESHOLD = 1.1
#: the phrases already made: «il y a 3 jours» is the same for every comment of that day
_RELATIVE: dict[tuple, str] = {}
_RELATIVE_MAX = 4096


def _relative_key(seconds: float) -> tuple[str, int, bool]:
    """What ``format_timedelta(threshold=1.1)`` writes depends on only this: the unit
    it picks, the rounded count of it, the direction (Babel's own choice, repeated)."""
    for unit, size in _UNITS:
        value = abs(seconds) / size
        if value >= _THRESHOLD or unit == "second":
            if unit == "second" and value > 0:
                value = max(1, value)
            return unit, int(round(value)), seconds >= 0
    raise AssertionError("unreachable")


def relative_key(delta: timedelta) -> tuple:
    """What ``relative_text`` writes for ``value - now == delta`` depends on only this."""
    seconds = delta.total_seconds()
    if abs(seconds) < 60:
        return ("now",)
    return _relative_key(seconds)


def relative_text(value: datetime, now: datetime, *, locale) -> str:
    """``value`` seen from ``now``: «il y a 3 heures», «dans 2 jours», «à l'instant»
    (within a minute), in ``locale``. Each phrase is made once per process."""
    delta = value - now
    if abs(delta.total_seconds()) < 60:
        with force_locale(str(locale)):
            return _("just now")
    key = (str(locale), *_relative_key(delta.total_seconds()))
    text = _RELATIVE.get(key)
    if text is None:
        text = format_timedelta(delta, add_direction=True, threshold=_THRESHOLD, locale=locale)
        if len(_RELATIVE) < _RELATIVE_MAX:
            _RELATIVE[key] = text
    return text


def format_moment(value: datetime, style: str = SHORT) -> str:
    """``value`` in the reader's zone and language, short or long (see ``SHORT``)."""
    return moment_text(value, style, locale=get_locale() or "fr", zone=get_timezone())


def format_relative(value: datetime, now: datetime) -> str:
    """``value`` seen from ``now`` in the reader's language («il y a 3 heures»)."""
    return relative_text(value, now, locale=get_locale() or "fr")


def format_day(value: date | datetime, style: str = SHORT) -> str:
    """``value``'s date in the reader's language (and zone, for a time): short
    («12 mai 2026») or long («mardi 12 mai 2026»); as ``format_moment``, the UTC date
    at the edge of the calendar.

    A time is moved to the reader's zone here, not by Flask-Babel's ``format_date``,
    whose ``to_user_timezone`` needs a pytz zone (the periodic command renders emails
    with a ``zoneinfo`` one: ``app.notifications.emails.for_reader``)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        try:
            value = moment.astimezone(get_timezone()).date()
        except (OverflowError, ValueError):
            value = moment.astimezone(UTC).date()
    return format_date(value, "medium" if style in (SHORT, "medium") else "full")


def datetime_filter(value: datetime | None, style: str = LONG) -> str:
    """A time in the reader's zone and language (``|datetime``, ``|datetime('short')``)."""
    if value is None:
        return ""
    return format_moment(value, style)


def date_filter(value: date | datetime | None, style: str = SHORT) -> str:
    """A date in the reader's language (``|date``)."""
    if value is None:
        return ""
    return format_day(value, style)


def iso_filter(value: datetime | None) -> str:
    """A machine-readable time for ``<time datetime="...">``."""
    if value is None:
        return ""
    return value.isoformat()


def render_now() -> datetime:
    """The instant a page (or an email) is rendered from: read once per request or
    app context and kept on ``g``."""
    if "render_now" not in g:
        g.render_now = utcnow()
    return g.render_now


def ago_filter(value: datetime | None, now: datetime) -> str:
    """``|ago(now)``: the relative phrase alone («dans 2 jours»)."""
    if value is None:
        return ""
    return format_relative(value, now)


def moment_filter(value: datetime | None, now: datetime) -> Markup:
    """``|moment(now)``: a relative time people read at a glance («il y a 3 heures»)
    in a ``<time>`` whose ``datetime`` is the instant and whose ``title`` is the long
    absolute time (shown on hover, read by screen readers that announce titles).

    Computed at render from the request's ``now``; in a fragment, a placeholder for it."""
    if value is None:
        return Markup("")
    if in_fragment():  # the relative text is the request's (app/fragments.py)
        relative = mark("R", value.isoformat())
    else:
        relative = format_relative(value, now)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        iso_filter(value), format_moment(value, LONG), relative
    )


def request_translations():
    """Flask-Babel's translations of the moment, looked up once per request and
    language: templates ask for hundreds of strings, and each of Flask-Babel's own
    lookups walks its context (a language forced for an email is followed: the
    cache holds while the same locale object is current)."""
    from flask_babel import get_translations

    locale = get_locale()
    cached = g.get("_i18n_translations")
    if cached is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    g._i18n_translations = (locale, translations)
    return translations


def install_template_gettext(app) -> None:
    """Templates' ``_``, ``ngettext``, ``pgettext`` through ``request_translations``."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )


def html_lang() -> str:
    """The ``lang`` attribute of the page."""
    return str(get_locale() or "fr")


#: where a zone's first IANA part puts it: a CLDR region code (its name comes from
#: Babel in the reader's language), or an ocean's name
_REGIONS = {
    "Europe": "150",
    "Arctic": "150",
    "America": "019",
    "Africa": "002",
    "Asia": "142",
    "Australia": "009",
    "Pacific": "009",
    "Antarctica": "AQ",
}
_OCEANS = {"Atlantic": _l("Atlantic Ocean"), "Indian": _l("Indian Ocean")}
#: the zone most readers of a language live in, offered first
LIKELY_ZONES = {"fr": "Europe/Paris", "en": "Europe/London"}


def _sort_key(text: str) -> str:
    """Accented names among the others («Équateur» with E), case ignored."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def zone_label(zone: str, locale) -> str:
    """A zone as people know it, in ``locale``: «Paris (France)», «Buenos Aires
    (Argentine)», «Coordinated Universal Time (UTC)» for UTC."""
    locale = Locale.parse(locale)
    if zone == "UTC":
        return f"{_('Coordinated Universal Time')} (UTC)"
    city = get_timezone_location(zone, locale=locale, return_city=True)
    territory = get_global("zone_territories").get(zone)
    country = locale.territories.get(territory) if territory else None
    if country and country != city:
        return f"{city} ({country})"
    return city


def grouped_zone_choices(zones: list[str], locale, first: list[str]) -> dict[str, list]:
    """``zones`` as a select's option groups in ``locale``: the zones of ``first`` (the
    likely ones, kept in that order) under «Suggested», then each region's zones sorted
    by their names, regions by name; values stay IANA names."""
    locale = Locale.parse(locale)
    groups: dict[str, list] = {}
    for zone in zones:
        prefix = zone.split("/", 1)[0]
        if prefix in _OCEANS:
            region = str(_OCEANS[prefix])
        elif prefix in _REGIONS:
            region = locale.territories.get(_REGIONS[prefix], prefix)
        else:
            region = str(_l("Other"))
        groups.setdefault(region, []).append((zone, zone_label(zone, locale)))
    suggested = [(z, zone_label(z, locale)) for z in dict.fromkeys(first) if z in zones]
    ordered = {str(_l("Suggested")): suggested} if suggested else {}
    for region in sorted(groups, key=_sort_key):
        ordered[region] = sorted(groups[region], key=lambda pair: _sort_key(pair[1]))
    return ordered
