"""Dates and time zones as readers see them: one short and one long way to write a
time, never with seconds, in the reader's zone and language; relative times where
people expect them («il y a 3 heures»), with the absolute time at hand; time zones by
city and country names in the reader's language, grouped, the likely one first."""

from __future__ import annotations

import html as html_text
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.i18n import LONG, SHORT, grouped_zone_choices, moment_text, relative_text, zone_label
from app.timeutil import timezone_choices, utcnow

PARIS = ZoneInfo("Europe/Paris")
MOMENT = datetime(2026, 5, 12, 7, 32, 45, tzinfo=UTC)  # 09:32:45 in Paris
#: a clock time with seconds, as people would read it on a page
SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")


@pytest.mark.parametrize(
    ("locale", "style", "expected"),
    [
        ("fr", SHORT, "12 mai 2026, 09:32"),
        ("fr", LONG, "mardi 12 mai 2026, 09:32"),
        ("en", SHORT, "May 12, 2026, 9:32\u202fAM"),
        ("en", LONG, "Tuesday, May 12, 2026, 9:32\u202fAM"),
        # what templates written before asked for is the long way, without seconds
        ("fr", "medium", "mardi 12 mai 2026, 09:32"),
        ("fr", "full", "mardi 12 mai 2026, 09:32"),
    ],
)
def test_two_ways_to_write_a_time_in_the_readers_zone_without_seconds(locale, style, expected):
    assert moment_text(MOMENT, style, locale=locale, zone=PARIS) == expected


def test_a_time_at_the_calendars_edge_is_written_in_utc():
    edge = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    assert moment_text(edge, SHORT, locale="fr", zone=PARIS) == "31 déc. 9999, 23:30 UTC"


@pytest.mark.parametrize(
    ("locale", "delta", "expected"),
    [
        ("fr", timedelta(hours=-3), "il y a 3 heures"),
        ("fr", timedelta(days=2, hours=3), "dans 2 jours"),
        ("fr", timedelta(minutes=-5), "il y a 5 minutes"),
        ("en", timedelta(hours=-3), "3 hours ago"),
        ("en", timedelta(days=2, hours=3), "in 2 days"),
        ("en", timedelta(seconds=-20), "just now"),
    ],
)
def test_relative_times_are_measured_from_the_given_now(app, locale, delta, expected):
    with app.app_context():
        assert relative_text(MOMENT + delta, MOMENT, locale=locale) == expected


def test_zones_are_named_by_city_and_country_in_the_readers_language():
    assert zone_label("Europe/Paris", "fr") == "Paris (France)"
    assert zone_label("America/New_York", "fr") == "New York (États-Unis)"
    assert zone_label("America/New_York", "en") == "New York (United States)"
    assert zone_label("Asia/Tokyo", "fr") == "Tokyo (Japon)"


def test_zones_are_grouped_by_region_with_the_likely_ones_first(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        groups = grouped_zone_choices(timezone_choices(), "fr", ["Europe/Paris"])
    names = list(groups)
    assert names[1:] == sorted(names[1:], key=lambda n: n.casefold())
    assert groups[names[0]] == [("Europe/Paris", "Paris (France)")]
    assert {"Europe", "Afrique", "Amériques", "Asie", "Océanie", "Antarctique"} <= set(names)
    europe = dict(groups["Europe"])
    assert europe["Europe/Berlin"] == "Berlin (Allemagne)"
    assert all("_" not in label for label in europe.values())
    # every zone is offered once outside the suggestions: the values stay IANA names
    offered = [zone for name in names[1:] for zone, _label in groups[name]]
    assert sorted(offered) == sorted(timezone_choices())


def test_the_profile_offers_zones_by_name_grouped_and_keeps_iana_values(client, auth, make_user):
    user = make_user(name="Élise", locale="fr")
    auth.login(user)
    html = client.get("/profile").get_data(as_text=True)
    start = html.rindex("<select", 0, html.index('id="profile-timezone"'))
    select = html[start : html.index("</select>", start)]
    assert "data-zone-suggest" in select
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert groups[1:] and "Europe" in groups and "Amériques" in groups
    first_group = select[select.index("<optgroup") : select.index("</optgroup>")]
    assert re.search(
        r'<option selected value="Europe/Paris">Paris \(France\)</option>', first_group
    )
    assert (
        '<option value="America/Argentina/Buenos_Aires">Buenos Aires (Argentine)</option>' in select
    )
    response = client.post(
        "/profile",
        data={
            "profile-name": "Élise",
            "profile-handle": "elise",
            "profile-locale": "",
            "profile-timezone": "Asia/Tokyo",
        },
    )
    assert response.status_code == 302
    english = client.get("/profile", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # the browser's language now: English names, the saved zone first and chosen
    assert re.search(r'<option selected value="Asia/Tokyo">Tokyo \(Japan\)</option>', english)


def _visible(html: str) -> str:
    """The text a reader sees (tags and their attributes, such as a ``<time>``'s
    machine-readable ``datetime``, removed)."""
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_page_shows_seconds(
    client, auth, thread_circle, new_poll, cast_choice, make_thread, lang
):
    """The main pages, with comments, a poll and a vote: dates everywhere, no seconds."""
    admin, member = thread_circle.admin, thread_circle.members[0]
    poll = new_poll(closing_in=timedelta(days=2, hours=3))
    cast_choice(poll, member, {"key": "agree"})
    make_thread(thread_circle.group, member, title="Une autre", comments=2)
    auth.login(admin)
    urls = [
        "/",
        f"/t/{thread_circle.thread.id}",
        f"/p/{poll.id}",
        "/notifications",
        "/profile",
    ]
    from app.extensions import db
    from app.groups.models import Group

    with client.application.app_context():
        group_handle = db.session.get(Group, thread_circle.group.id).handle
    urls += [f"/g/{group_handle}", f"/g/{group_handle}/agreements", f"/g/{group_handle}/members"]
    for url in urls:
        response = client.get(url, headers={"Accept-Language": lang})
        assert response.status_code == 200, url
        text = _visible(response.get_data(as_text=True))
        assert not SECONDS.search(text), (url, SECONDS.search(text))


def test_threads_say_how_long_ago_with_the_time_at_hand(client, auth, thread_circle, make_thread):
    """Comments and a thread list's last activity read «il y a …»; the absolute time is
    the ``<time>``'s title and ``datetime``."""
    admin = thread_circle.admin
    thread = make_thread(thread_circle.group, admin, title="Le fil", comments=1)
    auth.login(admin)
    html = client.get(f"/t/{thread.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    time = re.search(
        r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>',
        html[html.index('class="permalink"') :],
    )
    assert time is not None
    at = datetime.fromisoformat(time.group(1))
    assert abs(at - utcnow()) < timedelta(minutes=1)
    assert html_text.unescape(time.group(3)) == "à l'instant"
    assert re.fullmatch(r"\w+ \d{1,2} \w+\.? \d{4}, \d{2}:\d{2}", time.group(2))


def test_a_poll_card_says_when_it_closes_relative_and_absolute(
    client, auth, thread_circle, new_poll
):
    poll = new_poll(closing_in=timedelta(days=2, hours=3))
    auth.login(thread_circle.admin)
    html = client.get(f"/p/{poll.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    closing = html[html.index('class="poll-closing"') :]
    closing = closing[: closing.index("</p>")]
    assert "dans 2 jours" in closing
    local = poll.closing_at.astimezone(PARIS)
    assert f"{local:%H:%M}" in closing and not SECONDS.search(_visible(closing))
