"""Closing early, reopening, the outcome statement and reminders from the pages:
who may (403 for the others), and what they do."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from fixtures.poll_pages import EN, main_of, text_of

from app.extensions import db
from app.polls.models import Poll
from app.timeutil import utcnow


def _poll(app, poll_id) -> Poll:
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        db.session.expunge(poll)
        return poll


def _local(moment) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def test_close_early_asks_then_closes(app, client, auth, thread_circle, new_poll, page):
    poll = new_poll(author=thread_circle.members[0])
    auth.login(thread_circle.members[1])
    assert "/close" not in main_of(page(f"/p/{poll.id}")[1])
    assert page(f"/p/{poll.id}/close")[0] == 403
    assert client.post(f"/p/{poll.id}/close").status_code == 403
    auth.login(thread_circle.members[0])  # the author
    assert f"/p/{poll.id}/close" in page(f"/p/{poll.id}")[1]
    status, html = page(f"/p/{poll.id}/close")
    assert status == 200 and "Close the poll now" in html and "Keep it open" in html
    assert _poll(app, poll.id).closed_at is None  # asking changes nothing
    response = client.post(f"/p/{poll.id}/close")
    assert response.status_code == 302
    closed = _poll(app, poll.id)
    assert closed.closed_at is not None and closed.closed_by_id == thread_circle.members[0].id
    assert client.post(f"/p/{poll.id}/close", headers=EN).status_code == 409
    html = page(f"/p/{poll.id}")[1]
    assert "Closed" in html and f'action="/p/{poll.id}/stance"' not in html


def test_an_admin_closes_anyones_poll(app, client, auth, thread_circle, new_poll):
    poll = new_poll(author=thread_circle.members[0])
    auth.login(thread_circle.admin)
    assert client.post(f"/p/{poll.id}/close").status_code == 302


def test_reopen_with_a_new_closing_time(app, client, auth, thread_circle, past_poll, page):
    poll = past_poll()
    auth.login(thread_circle.members[0])
    assert page(f"/p/{poll.id}/reopen")[0] == 403
    auth.login(thread_circle.admin)
    status, html = page(f"/p/{poll.id}/reopen")
    assert status == 200 and 'type="datetime-local"' in html
    response = client.post(
        f"/p/{poll.id}/reopen",
        data={"closing_at": _local(utcnow() - timedelta(hours=2))},
        headers=EN,
    )
    assert response.status_code == 400 and "Must be in the future." in response.get_data(
        as_text=True
    )
    later = (utcnow() + timedelta(days=2)).replace(second=0)
    response = client.post(f"/p/{poll.id}/reopen", data={"closing_at": _local(later)})
    assert response.status_code == 302
    reopened = _poll(app, poll.id)
    assert reopened.closed_at is None and reopened.closing_at == later
    html = page(f"/p/{poll.id}")[1]
    assert "Open" in html and f'action="/p/{poll.id}/stance"' in html  # voting again
    assert (
        client.post(f"/p/{poll.id}/reopen", data={"closing_at": _local(later)}).status_code == 409
    )


def test_an_anonymous_poll_cannot_be_reopened(app, client, auth, thread_circle, past_poll, page):
    poll = past_poll(anonymous=True, finalise=True)
    auth.login(thread_circle.admin)
    assert "/reopen" not in main_of(page(f"/p/{poll.id}")[1])
    later = _local(utcnow() + timedelta(days=2))
    response = client.post(f"/p/{poll.id}/reopen", data={"closing_at": later}, headers=EN)
    assert response.status_code == 409
    assert "An anonymous poll cannot be reopened." in response.get_data(as_text=True)


def test_the_outcome_statement(app, client, auth, thread_circle, new_poll, past_poll, page):
    open_poll = new_poll()
    poll = past_poll()
    auth.login(thread_circle.members[0])
    assert page(f"/p/{poll.id}/statement")[0] == 403
    data = {"text": "Nous gardons **les rencontres en vrai**.", "review_on": "2031-03-01"}
    assert client.post(f"/p/{poll.id}/statement", data=data).status_code == 403
    auth.login(thread_circle.admin)
    assert client.post(f"/p/{open_poll.id}/statement", data=data).status_code == 409
    assert page(f"/p/{poll.id}/statement")[0] == 200
    response = client.post(f"/p/{poll.id}/statement", data={"text": ""}, headers=EN)
    assert response.status_code == 400 and 'id="text-error"' in response.get_data(as_text=True)
    response = client.post(f"/p/{poll.id}/statement", data=data)
    assert response.status_code == 302
    saved = _poll(app, poll.id)
    assert saved.statement_review_on == date(2031, 3, 1)
    html = page(f"/p/{poll.id}")[1]
    assert "<strong>les rencontres en vrai</strong>" in html
    assert "Outcome" in html and "Edit the outcome statement" in html
    thread = page(f"/t/{thread_circle.thread.id}")[1]
    assert "<strong>les rencontres en vrai</strong>" in thread


def test_remind_those_who_have_not_voted(
    app, client, auth, thread_circle, new_poll, cast_choice, page
):
    from app.notifications.models import Notification

    poll = new_poll()
    cast_choice(poll, thread_circle.members[0], {"key": "agree"})
    auth.login(thread_circle.members[1])
    assert page(f"/p/{poll.id}/remind")[0] == 403
    assert client.post(f"/p/{poll.id}/remind", data={"message": "Hop"}).status_code == 403
    auth.login(thread_circle.admin)
    status, html = page(f"/p/{poll.id}/remind")
    assert status == 200
    text = text_of(main_of(html))
    # Not the sender, who has not voted either: they are not reminded.
    assert "2 people have not voted yet" in text and "Chloé" in text and "Bruno" not in text
    assert "Alice" not in text.split("not voted yet", 1)[1]
    response = client.post(f"/p/{poll.id}/remind", data={"message": "Il reste deux jours !"})
    assert response.status_code == 302
    with app.app_context():
        sent = db.session.scalars(
            sa.select(Notification).where(
                Notification.poll_id == poll.id, Notification.kind == "poll_remind"
            )
        ).all()
        # Those without a stance, except the one who sends the reminder.
        assert sorted(n.user_id for n in sent) == sorted(p.id for p in thread_circle.members[1:])
        assert {n.message for n in sent} == {"Il reste deux jours !"}


def test_remind_is_for_open_polls(client, auth, thread_circle, past_poll):
    poll = past_poll()
    auth.login(thread_circle.admin)
    assert client.post(f"/p/{poll.id}/remind", data={"message": "Trop tard"}).status_code == 409
