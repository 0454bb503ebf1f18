"""Closing times are bounded (in the future, at most ``MAX_CLOSING_AHEAD`` ahead) on
creation and reopening, pages and API; and a row already holding a time at the edge of
the calendar (year 9999, year 1) still renders its thread, poll, close and remind pages
in every reader's zone, lets an admin close it, and runs the periodic jobs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fixtures.poll_api import in_hours, iso
from fixtures.poll_pages import EN, main_of, text_of

from app.extensions import db
from app.polls.models import Poll, PollOption
from app.polls.services import MAX_CLOSING_AHEAD
from app.timeutil import FAR_FUTURE, end_of_day, in_zone, shifted, utcnow

LAST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
FIRST = datetime(1, 1, 1, 0, 0, 0, tzinfo=UTC)
#: a zone ahead of UTC (9999-12-31 23:59 UTC is past the calendar's end in Kiritimati)
#: and one behind it (0001-01-01 00:00 UTC is before its start in Los Angeles)
ZONES = ["Pacific/Kiritimati", "America/Los_Angeles"]
TOO_FAR = "Must be at most 366 days from now."


def _error_next_to(html: str, field_id: str) -> str:
    marker = f'id="{field_id}-error"'
    assert marker in html, f"no error next to {field_id}"
    return html.split(marker, 1)[1].split(">", 1)[1].split("<", 1)[0]


# -- the bounds: API ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "closing_at",
    [
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59+14:00",
        iso(utcnow() + MAX_CLOSING_AHEAD + timedelta(hours=1)),
    ],
)
def test_the_api_refuses_a_closing_time_more_than_a_year_ahead(
    api, thread_circle, error_of, closing_at
):
    response = api(thread_circle.admin).post(
        f"/api/v1/threads/{thread_circle.thread.id}/polls",
        json={"kind": "proposal", "title": "Dans mille ans ?", "closing_at": closing_at},
        headers=EN,
    )
    error = error_of(response, 400, "validation_error")
    assert error["fields"] == {"closing_at": TOO_FAR}


def test_the_api_takes_a_closing_time_within_a_year(api, thread_circle, error_of):
    url = f"/api/v1/threads/{thread_circle.thread.id}/polls"
    body = {"kind": "proposal", "title": "Dans un an"}
    within = iso(utcnow() + MAX_CLOSING_AHEAD - timedelta(hours=1))
    response = api(thread_circle.admin).post(url, json={**body, "closing_at": within})
    assert response.status_code == 201 and response.get_json()["closing_at"] == within
    past = api(thread_circle.admin).post(url, json={**body, "closing_at": in_hours(-1)}, headers=EN)
    assert error_of(past, 400)["fields"] == {"closing_at": "Must be in the future."}


def test_the_api_reopens_within_a_year_only(api, thread_circle, start_poll, error_of):
    poll = start_poll("choice")
    admin = api(thread_circle.admin)
    assert admin.post(f"/api/v1/polls/{poll['id']}/close").status_code == 200
    for far in ("9999-12-31T23:59:59Z", iso(utcnow() + timedelta(days=400))):
        refused = admin.post(
            f"/api/v1/polls/{poll['id']}/reopen", json={"closing_at": far}, headers=EN
        )
        assert error_of(refused, 400, "validation_error")["fields"] == {"closing_at": TOO_FAR}
    again = admin.post(f"/api/v1/polls/{poll['id']}/reopen", json={"closing_at": in_hours(48)})
    assert again.status_code == 200 and again.get_json()["status"] == "open"


# -- the bounds: pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "typed"),
    [
        ("America/New_York", "9999-12-31T23:59"),  # past the calendar's end in UTC
        ("Europe/Paris", "9999-12-31T23:59"),
        ("Europe/Paris", "2900-01-01T00:00"),
    ],
)
def test_the_new_poll_page_refuses_a_closing_time_more_than_a_year_ahead(
    run, client, auth, thread_circle, set_timezone, zone, typed
):
    set_timezone(thread_circle.admin, zone)
    auth.login(thread_circle.admin)
    response = client.post(
        f"/t/{thread_circle.thread.id}/polls/new?kind=proposal",
        data={
            "title": "Dans mille ans ?",
            "closing_at": typed,
            "results_visibility": "always",
            "voters_mode": "all",
        },
        headers=EN,
    )
    assert response.status_code == 400
    assert _error_next_to(response.get_data(as_text=True), "closing_at") == TOO_FAR
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(Poll.id)))) == 0


def test_the_reopen_page_refuses_a_closing_time_more_than_a_year_ahead(
    client, auth, thread_circle, past_poll, set_timezone
):
    poll = past_poll("choice", finalise=True)
    set_timezone(thread_circle.admin, "America/New_York")
    auth.login(thread_circle.admin)
    for typed in ("9999-12-31T23:59", "0001-01-01T00:00"):
        response = client.post(f"/p/{poll.id}/reopen", data={"closing_at": typed}, headers=EN)
        assert response.status_code == 400
        error = _error_next_to(response.get_data(as_text=True), "closing_at")
        assert error == (TOO_FAR if typed.startswith("9999") else "Must be in the future.")
    later = (utcnow() + timedelta(days=30)).astimezone(ZoneInfo("America/New_York"))
    response = client.post(
        f"/p/{poll.id}/reopen", data={"closing_at": later.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302


# -- rows already at the calendar's edge -----------------------------------------------------


@pytest.fixture
def stored(run):
    """``stored(poll_id, closing_at, slot=None)``: write the poll's closing time (and its
    first option's start) straight into the database, as an old row could hold them."""

    def write(poll_id, closing_at, slot=None):
        def change():
            db.session.execute(
                sa.update(Poll).where(Poll.id == poll_id).values(closing_at=closing_at)
            )
            if slot is not None:
                first = db.session.scalar(
                    sa.select(PollOption.id).where(PollOption.poll_id == poll_id).limit(1)
                )
                db.session.execute(
                    sa.update(PollOption).where(PollOption.id == first).values(starts_at=slot)
                )

        run(change)

    return write


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_poll_closing_in_9999_renders_and_an_admin_closes_it(
    app, client, auth, thread_circle, new_poll, stored, set_timezone, page, api, zone, lang
):
    poll = new_poll()
    meeting = new_poll(kind="meeting", options=["2030-05-12T18:30:00Z", "2030-05-13T18:30:00Z"])
    stored(poll.id, LAST)
    stored(meeting.id, LAST, slot=LAST)
    for person in thread_circle.people:
        set_timezone(person, zone)
    thread_url = f"/t/{thread_circle.thread.id}"
    for person in (thread_circle.members[0], thread_circle.admin):
        for url in (thread_url, f"/p/{poll.id}", f"/p/{meeting.id}", "/"):
            status, html = page(url, user=person, lang=lang)
            assert status == 200, url
        assert "9999" in text_of(main_of(page(f"/p/{poll.id}", user=person, lang=lang)[1]))
        data = api(person).get(f"/api/v1/polls/{poll.id}").get_json()
        assert data["closing_at"] == "9999-12-31T23:59:59Z" and data["status"] == "open"
    # the interface repairs it: the admin's close page, then the close
    for url in (f"/p/{poll.id}/close", f"/p/{poll.id}/remind"):
        assert page(url, user=thread_circle.admin, lang=lang)[0] == 200
    assert client.post(f"/p/{poll.id}/close").status_code == 302
    status, html = page(f"/p/{poll.id}", user=thread_circle.admin, lang=lang)
    assert status == 200 and f'action="/p/{poll.id}/stance"' not in html
    assert api(thread_circle.admin).get(f"/api/v1/polls/{poll.id}").get_json()["status"] == (
        "closed"
    )


@pytest.mark.parametrize("zone", ZONES)
def test_a_poll_that_closed_in_year_1_renders(
    client, auth, thread_circle, new_poll, stored, set_timezone, page, api, zone
):
    poll = new_poll(kind="choice")
    stored(poll.id, FIRST)
    set_timezone(thread_circle.admin, zone)
    for url in (f"/t/{thread_circle.thread.id}", f"/p/{poll.id}", f"/p/{poll.id}/statement"):
        assert page(url, user=thread_circle.admin)[0] == 200, url
    assert page(f"/p/{poll.id}/close", user=thread_circle.admin)[0] == 409  # closed, said so
    data = api(thread_circle.admin).get(f"/api/v1/polls/{poll.id}").get_json()
    assert data["status"] == "closed" and data["closed_at"] == "0001-01-01T00:00:00Z"
    reopened = client.post(f"/p/{poll.id}/reopen", data={"closing_at": "2000-01-01T00:00"})
    assert reopened.status_code == 400  # in the past: refused by name, not a 500


def test_the_periodic_jobs_run_over_polls_at_the_calendars_edge(
    run, thread_circle, new_poll, stored
):
    from app.jobs.tasks import run_once

    late = new_poll()
    early = new_poll(kind="choice")
    stored(late.id, LAST)
    stored(early.id, FIRST)
    figures = run(lambda: run_once(utcnow()))
    assert figures is not None
    closed = run(
        lambda: dict(db.session.execute(sa.select(Poll.id, Poll.closed_at)).tuples().all())
    )
    assert closed[late.id] is None and closed[early.id] == FIRST


# -- the helpers ------------------------------------------------------------------------------


def test_date_helpers_hold_at_the_calendars_edge():
    from app.support.routing import away_ends_at

    assert shifted(LAST, timedelta(days=1)) == FAR_FUTURE
    assert shifted(FIRST, -timedelta(days=1)).year == 1
    assert shifted(LAST, -timedelta(days=1)) == LAST - timedelta(days=1)
    assert in_zone(LAST, ZoneInfo("Pacific/Kiritimati")) == LAST
    assert in_zone(LAST, ZoneInfo("America/Los_Angeles")).hour == 15
    assert end_of_day(date.max, "America/New_York") == FAR_FUTURE
    assert end_of_day(date(2030, 5, 12), "UTC") == datetime(
        2030, 5, 12, 23, 59, 59, 999999, tzinfo=UTC
    )
    assert away_ends_at(date.max, "Europe/Paris") == FAR_FUTURE


def test_support_deadlines_hold_at_the_calendars_edge():
    """Support's deadlines are computed from stored times: one at the calendar's end
    gives a deadline there, not an ``OverflowError`` in the periodic run."""
    from app.support.routing import MATCHED, check_in_due_since, followup_due

    now = utcnow()
    assert followup_due(MATCHED, LAST, None, now) is None  # due at FAR_FUTURE: not yet
    due = check_in_due_since(365, rule_set_at=None, receives_since=LAST, last_check_in_at=LAST)
    assert due == FAR_FUTURE


@pytest.mark.parametrize("zone", ZONES)
def test_the_digest_tells_a_poll_closing_in_9999(
    app, run, thread_circle, new_poll, stored, set_timezone, zone
):
    from app import outbox
    from app.notifications import digest

    poll = new_poll()
    stored(poll.id, LAST)
    bruno = thread_circle.members[0]
    set_timezone(bruno, zone)
    now = utcnow()
    assert run(lambda: digest.write(bruno.id, now.date(), now))
    payloads = run(
        lambda: [
            str(row.payload)
            for row in db.session.scalars(sa.select(outbox.Delivery))
            if row.user_id == bruno.id
        ]
    )
    assert any("9999" in text for text in payloads)
