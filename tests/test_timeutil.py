"""The one ``end_of_day`` (``app/timeutil.py``): the API's dates and the pages' ``as_of``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.timeutil import end_of_day


def test_the_last_instant_of_a_day_in_a_zone_as_utc():
    assert end_of_day(date(2026, 5, 12)) == datetime(2026, 5, 12, 23, 59, 59, 999999, tzinfo=UTC)
    paris = end_of_day(date(2026, 5, 12), "Europe/Paris")  # summer time, UTC+2
    assert paris == datetime(2026, 5, 12, 21, 59, 59, 999999, tzinfo=UTC)
    assert paris.tzinfo is UTC
    assert end_of_day(date(2026, 1, 12), "Europe/Paris").hour == 22  # winter time, UTC+1


def test_a_day_that_changes_the_clocks_ends_at_its_midnight():
    # 29 March 2026: Paris goes from UTC+1 to UTC+2; the next midnight is UTC+2.
    end = end_of_day(date(2026, 3, 29), "Europe/Paris")
    assert end + timedelta(microseconds=1) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


def test_a_day_is_the_readers_outside_a_request_too(app):
    """The periodic command renders emails (the digest's check-ins: "since <date>") in
    the reader's zone, which it sets as a ``zoneinfo`` zone: a time's day is taken there."""
    from types import SimpleNamespace

    from app.i18n import date_filter
    from app.notifications.emails import for_reader

    evening = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # already 2 December in Kiritimati
    reader = SimpleNamespace(locale="en", timezone="Pacific/Kiritimati")
    with app.app_context(), for_reader(reader):
        assert date_filter(evening) == "Dec 2, 2026"
        assert date_filter(datetime(9999, 12, 31, 23, 0, tzinfo=UTC)) == "Dec 31, 9999"
