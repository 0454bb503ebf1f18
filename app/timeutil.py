"""Time helpers: aware UTC in the database, the reader's zone on screen."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

#: the first and last instants a datetime can hold, aware: what an overflowing date
#: computation stops at (a time at the edge of the calendar stays a time, not a 500)
FAR_PAST = datetime.min.replace(tzinfo=UTC)
FAR_FUTURE = datetime.max.replace(microsecond=0, tzinfo=UTC)


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, held within ``FAR_PAST``..``FAR_FUTURE`` (a stored
    9999-12-31 plus a day is still 9999-12-31, not an ``OverflowError``)."""
    try:
        return moment + delta
    except OverflowError:
        return FAR_FUTURE if delta > timedelta(0) else FAR_PAST


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` in ``zone``; at the edge of the calendar, where the zone's local time
    does not exist (9999-12-31 23:00 UTC in Paris), ``moment`` as it is, in UTC."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC (microseconds dropped for stable output)."""
    return datetime.now(UTC).replace(microsecond=0)


def isoformat_z(value: datetime | None) -> str | None:
    """``2026-05-12T09:32:00Z`` for an aware time, None for None."""
    if value is None:
        return None
    # not strftime: "%Y" writes year 1 as "1", which no ISO 8601 reader takes
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def is_valid_timezone(name: str) -> bool:
    """True when ``name`` is an IANA zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@functools.cache
def timezone_choices() -> list[str]:
    """The zones people pick from, sorted: those tzdata lists by country
    (``zone.tab`` and ``zone1970.tab``: Europe/Luxembourg yes, obsolete aliases
    such as America/Atka no), plus UTC."""
    try:
        folder = resources.files("tzdata.zoneinfo")
        tables = [folder.joinpath(name).read_text() for name in ("zone.tab", "zone1970.tab")]
    except (ModuleNotFoundError, FileNotFoundError):  # no tzdata package: the system's zones
        return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    zones = {
        line.split("\t")[2]
        for table in tables
        for line in table.splitlines()
        if line and not line.startswith("#") and line.count("\t") >= 2
    }
    return sorted(zones) + ["UTC"]


#: the days and instants the app accepts: any that a circle can mean, and far enough
#: from the calendar's ends (years 1 and 9999) that adding a year or showing the time
#: in any zone never overflows
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def in_bounds(moment: datetime | date) -> bool:
    """Whether a day, an aware instant or a naive local time is within the app's range."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            return EARLIEST_DAY <= moment.date() <= LATEST_DAY
        return EARLIEST <= moment < LATEST
    return EARLIEST_DAY <= moment <= LATEST_DAY


def is_too_early(moment: datetime | date) -> bool:
    """Whether an out-of-range day or instant lies before the range (else after it)."""
    if isinstance(moment, datetime):
        return (moment.date() if moment.tzinfo is None else moment) < (
            EARLIEST_DAY if moment.tzinfo is None else EARLIEST
        )
    return moment < EARLIEST_DAY


def bounds_problem(moment: datetime | date, messages: tuple | None = None) -> str | None:
    """Why a day or instant is out of the app's range, in the reader's language, or None.

    ``messages`` (before, after) replaces the general wording where a field has a
    narrower rule of its own (a closing time: "in the future", "at most a year ahead")."""
    if in_bounds(moment):
        return None
    if messages:
        return str(messages[0] if is_too_early(moment) else messages[1])
    from flask_babel import gettext as _

    return _(
        "Must be between %(min)s and %(max)s.",
        min=EARLIEST_DAY.isoformat(),
        max=LATEST_DAY.isoformat(),
    )


def to_utc_or_none(moment: datetime) -> datetime | None:
    """An aware time in UTC, or None when it falls off the calendar (year 1 at +14:00)."""
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def end_of_day(day: date, zone: str = "UTC") -> datetime:
    """The last instant of ``day`` in ``zone``, as aware UTC (``FAR_FUTURE`` for the
    calendar's last days, whose end is past what a datetime holds)."""
    try:
        local = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(zone))
        return (local - timedelta(microseconds=1)).astimezone(UTC)
    except OverflowError:
        return FAR_FUTURE


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC on every database.

    SQLite keeps no zone, so values are stored naive in UTC and read back aware.
    A naive value is refused on the way in: it is always a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
