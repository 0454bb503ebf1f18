"""A meeting's time slots: one date and time picker each (``datetime-local``), which
degrades to a plain field taking ISO or French dates («12/12/2026 18:30»), in the
reader's zone; a bad slot is named; "More time slots" works without JavaScript and
keeps what was typed. The closing time takes the same French form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fixtures.poll_pages import EN, text_of

from app.extensions import db
from app.polls.forms import parse_slot
from app.polls.models import Poll
from app.timeutil import utcnow


def _post(client, thread_circle, **data):
    values = {
        "title": "Quand se voir ?",
        "details": "",
        "closing_at": (utcnow() + timedelta(days=2))
        .astimezone(ZoneInfo("Europe/Paris"))
        .strftime("%d/%m/%Y %H:%M"),
        "results_visibility": "always",
        "voters_mode": "all",
    }
    values.update(data)
    return client.post(
        f"/t/{thread_circle.thread.id}/polls/new?kind=meeting", data=values, headers=EN
    )


def test_parse_slot_reads_the_picker_iso_and_french():
    paris = "Europe/Paris"
    expected = datetime(2040, 12, 12, 17, 30, tzinfo=UTC)  # 18:30 in Paris in winter
    for typed in (
        "2040-12-12T18:30",
        "2040-12-12 18:30",
        "12/12/2040 18:30",
        "12/12/2040 à 18h30",
        " 12/12/2040   18h30 ",
    ):
        assert parse_slot(typed, paris) == expected, typed
    assert parse_slot("12/12/2040 18h", paris) == datetime(2040, 12, 12, 17, 0, tzinfo=UTC)
    assert parse_slot("2040-12-12T18:30+00:00", paris) == datetime(2040, 12, 12, 18, 30, tzinfo=UTC)
    for bad in ("mardi soir", "31/02/2040 18:30", "12/12/2040", "2040-13-01 10:00", ""):
        assert parse_slot(bad, paris) is None, bad


def test_slots_from_pickers_and_typed_by_hand(app, client, auth, thread_circle):
    auth.login(thread_circle.admin)
    html = client.get(f"/t/{thread_circle.thread.id}/polls/new?kind=meeting", headers=EN).get_data(
        as_text=True
    )
    assert html.count('type="datetime-local" id="slot-') == 3
    assert '<label for="slot-1">Time slot 1</label>' in html
    response = _post(client, thread_circle, slot=["2040-05-12T18:30", "13/05/2040 19h00", "", ""])
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    with app.app_context():
        poll = db.session.scalars(sa.select(Poll).order_by(Poll.id.desc())).first()
        starts = [o.starts_at for o in poll.options]
    # typed in Europe/Paris (UTC+2 in May)
    assert starts == [
        datetime(2040, 5, 12, 16, 30, tzinfo=UTC),
        datetime(2040, 5, 13, 17, 0, tzinfo=UTC),
    ]


def test_a_bad_slot_is_named_and_what_was_typed_stays(client, auth, thread_circle):
    auth.login(thread_circle.admin)
    response = _post(client, thread_circle, slot=["12/05/2040 18:30", "mardi soir", ""])
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Time slot 2: give a date and time, like 12/05/2026 18:30." in text_of(html)
    assert 'name="slot" value="2040-05-12T18:30">' in html  # shown in the picker's format
    assert 'name="slot" value="mardi soir" aria-invalid="true">' in html


def test_more_time_slots_without_javascript(client, auth, thread_circle):
    auth.login(thread_circle.admin)
    response = _post(
        client,
        thread_circle,
        title="Mon titre",
        slot=["2040-05-12T18:30", "2040-05-13T18:30", "2040-05-14T18:30"],
        more_slots="1",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('type="datetime-local" id="slot-') == 6
    assert 'value="Mon titre"' in html and 'value="2040-05-14T18:30"' in html
    assert "field-error" not in html
