"""Notification emails through a real SMTP server (aiosmtpd on 127.0.0.1): what a
member's mail client receives, in their language, threaded; one-click unsubscribe;
the volume settings; discreet support emails; quiet hours; retries and refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from fixtures.smtp import SITE, parts

from app.extensions import db
from app.timeutil import utcnow


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


def subject(message) -> str:
    """The subject as a mail client shows it (Python's parser keeps the space that
    folding puts before a long encoded subject)."""
    return str(message["Subject"]).strip()


def unsubscribe_path(message) -> str:
    link = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"].strip()).group(1)
    assert link.startswith("https://cercle.example.org/")
    return urlsplit(link).path


def test_a_mention_arrives_threaded_with_both_alternatives_in_french(
    thread_circle, write_comment, deliver, smtp
):
    alice, bruno = thread_circle.admin, thread_circle.members[0]
    thread, group = thread_circle.thread, thread_circle.group
    comment_id = write_comment(alice, thread, f"@{bruno.handle} c'est **bien** ainsi")

    deliver()

    [message] = smtp.to(bruno.email)
    assert subject(message) == (
        f"[{group.handle}] Alice vous mentionne dans la discussion «\u00a0{thread.title}\u00a0»."
    )
    assert re.fullmatch(rf"<thread/{thread.id}/n\d+@{re.escape(SITE)}>", message["Message-ID"])
    assert message["In-Reply-To"] == f"<thread/{thread.id}@{SITE}>"
    assert message["References"] == f"<thread/{thread.id}@{SITE}>"
    assert message["List-Id"] == f'"{group.name}" <{group.handle}.{SITE}>'
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_path(message).startswith("/unsubscribe/")
    assert message.get_content_type() == "multipart/alternative"
    assert list(parts(message)) == ["text/plain", "text/html"]
    text, html = parts(message).values()
    # The comment as written (Markdown) in the text, as rendered in the HTML.
    assert "c'est **bien** ainsi" in text
    assert "<strong>bien</strong>" in html
    assert f"https://cercle.example.org/t/{thread.id}#comment-{comment_id}" in text
    assert "Vous recevez ce courriel parce que vous êtes membre de" in text
    assert 'lang="fr"' in html
    assert "Vos réglages de notifications" in html
    assert "<img" not in html  # no image, no tracking pixel


def test_an_english_reader_gets_english(thread_circle, set_user, write_comment, deliver, smtp):
    alice, bruno = thread_circle.admin, thread_circle.members[0]
    set_user(bruno, locale="en")
    write_comment(alice, thread_circle.thread, f"Thanks @{bruno.handle}")
    deliver()
    [message] = smtp.to(bruno.email)
    assert subject(message) == (
        f"[{thread_circle.group.handle}] Alice mentioned you in “{thread_circle.thread.title}”."
    )
    text, html = parts(message).values()
    assert "Alice wrote:" in text
    assert "You receive this email because you are a member of" in text
    assert 'lang="en"' in html
    assert "Your notification settings" in html


def test_a_thread_and_a_poll_keep_one_thread_each_in_mail_clients(
    run_in_request, thread_circle, new_poll, write_comment, deliver, smtp
):
    from app.notifications.services import notify

    alice, bruno = thread_circle.admin, thread_circle.members[0]
    thread = thread_circle.thread
    write_comment(alice, thread, f"@{bruno.handle} un")
    write_comment(alice, thread, f"@{bruno.handle} deux")
    poll = new_poll(closing_in=timedelta(days=2), title="On se voit jeudi ?")
    for _ in range(2):
        run_in_request(
            lambda: notify([bruno.id], "poll_remind", poll=poll.id, actor=alice.id, now=utcnow())
        )
    deliver()

    messages = smtp.to(bruno.email)
    assert len(messages) == 5  # the poll's opening is told too
    about_thread = [m for m in messages if m["In-Reply-To"] == f"<thread/{thread.id}@{SITE}>"]
    about_poll = [m for m in messages if m["In-Reply-To"] == f"<poll/{poll.id}@{SITE}>"]
    assert (len(about_thread), len(about_poll)) == (2, 3)
    assert len({m["Message-ID"] for m in messages}) == 5
    for message in about_poll:
        assert message["References"] == f"<poll/{poll.id}@{SITE}>"
        text, html = parts(message).values()
        assert "On se voit jeudi ?" in text
        assert f"https://cercle.example.org/p/{poll.id}" in text
        assert f'href="https://cercle.example.org/p/{poll.id}"' in html


def test_a_poll_closing_time_is_in_the_readers_time_zone(
    run_in_request, thread_circle, set_user, new_poll, deliver, smtp
):
    from app.notifications.services import notify

    bruno, chloe = thread_circle.members[0], thread_circle.members[1]
    set_user(bruno, locale="en", timezone="America/New_York")
    set_user(chloe, locale="en", timezone="Asia/Tokyo")
    poll = new_poll(closing_in=timedelta(days=3))
    run_in_request(lambda: notify([bruno.id, chloe.id], "poll_opened", poll=poll.id, now=utcnow()))
    deliver()

    for person, zone in ((bruno, "America/New_York"), (chloe, "Asia/Tokyo")):
        from zoneinfo import ZoneInfo

        local = poll.closing_at.astimezone(ZoneInfo(zone))
        message = smtp.to(person.email)[-1]  # after the opening, the reminder
        text = parts(message)["text/plain"]
        assert f"{local:%B} {local.day}, {local.year}" in text
        assert local.strftime("%-I:%M") in text, text


def test_one_click_unsubscribe_mutes_the_thread_without_a_session_or_csrf(
    app, thread_circle, write_comment, deliver, smtp
):
    alice, bruno = thread_circle.admin, thread_circle.members[0]
    write_comment(alice, thread_circle.thread, f"@{bruno.handle} premier")
    deliver()
    [message] = smtp.to(bruno.email)
    path = unsubscribe_path(message)
    browser = app.test_client()  # no cookie, no CSRF token

    # A mail scanner's GET shows the button and changes nothing.
    page = browser.get(path)
    assert page.status_code == 200
    assert b"<form" in page.data
    write_comment(alice, thread_circle.thread, f"@{bruno.handle} deuxième")
    deliver()
    assert len(smtp.to(bruno.email)) == 2

    # The mail client's one-click POST (RFC 8058) mutes the thread at once.
    mail_client = app.test_client()  # a fresh one: no session cookie, no CSRF token
    done = mail_client.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert done.status_code == 200
    write_comment(alice, thread_circle.thread, f"@{bruno.handle} troisième")
    deliver()
    assert len(smtp.to(bruno.email)) == 2

    # The rest of the circle still emails.
    other = thread_circle.admin
    write_comment(bruno, thread_circle.thread, f"@{other.handle} merci")
    deliver()
    assert len(smtp.to(other.email)) == 1


def test_a_forged_or_foreign_unsubscribe_link_is_404(app, thread_circle, run):
    from itsdangerous import URLSafeSerializer

    from app.notifications import unsubscribe

    bruno = thread_circle.members[0]
    foreign = URLSafeSerializer("another-site-key", salt=unsubscribe.SALT).dumps([bruno.id, "all"])
    browser = app.test_client()
    for token in ("forged", foreign, "x" * 400):
        response = browser.post(
            f"/unsubscribe/{token}",
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 404
    from app.auth.models import User

    assert run(lambda: db.session.get(User, bruno.id).email_off) is False


@pytest.mark.parametrize(
    ("group_volume", "thread_volume", "plan"),
    [
        ("all", None, "now"),
        ("digest", None, "digest"),
        ("mute", None, None),
        ("mute", "all", "now"),
        ("all", "mute", None),
        ("all", "digest", "digest"),
    ],
)
def test_volume_and_thread_override_decide_the_email(
    run,
    thread_circle,
    set_membership,
    write_comment,
    deliver,
    smtp,
    group_volume,
    thread_volume,
    plan,
):
    from app.notifications.models import Notification
    from app.notifications.unsubscribe import set_thread_volume

    alice, bruno = thread_circle.admin, thread_circle.members[0]
    set_membership(bruno, thread_circle.group, volume=group_volume)
    if thread_volume:
        run(
            lambda: set_thread_volume(
                bruno.id, thread_circle.thread.id, thread_volume, now=utcnow()
            )
        )
    write_comment(alice, thread_circle.thread, f"@{bruno.handle} tu en penses quoi ?")
    deliver()

    assert len(smtp.to(bruno.email)) == (1 if plan == "now" else 0)
    stored = run(
        lambda: db.session.scalar(
            sa.select(Notification.email).where(Notification.user_id == bruno.id)
        )
    )
    assert stored == plan  # the digest keeps what is not sent now


def test_email_off_sends_nothing(thread_circle, set_user, write_comment, deliver, smtp):
    alice, bruno = thread_circle.admin, thread_circle.members[0]
    set_user(bruno, email_off=True)
    write_comment(alice, thread_circle.thread, f"@{bruno.handle} coucou")
    deliver()
    assert smtp.to(bruno.email) == []


def test_email_off_after_writing_cancels_the_waiting_email(
    thread_circle, set_user, write_comment, deliver, smtp, run
):
    from app.outbox import Delivery

    alice, bruno = thread_circle.admin, thread_circle.members[0]
    write_comment(alice, thread_circle.thread, f"@{bruno.handle} coucou")
    set_user(bruno, email_off=True)
    deliver()
    assert smtp.to(bruno.email) == []
    assert run(lambda: db.session.scalar(sa.select(Delivery.status))) == "cancelled"


def ask(run, requester, group, **fields):
    """A support request created the way the page does."""
    from app.auth.models import User
    from app.groups.models import Group
    from app.support.services import create_request

    values = {"kind": "emotional", "urgent": True, "important": True, **fields}
    return run(
        lambda: (
            create_request(
                db.session.get(Group, group.id),
                db.session.get(User, requester.id),
                now=utcnow(),
                **values,
            ).id
        )
    )


def test_a_support_request_email_tells_the_request(run, thread_circle, set_user, deliver, smtp):
    bruno, chloe, david = thread_circle.members
    set_user(david, locale="en")
    request_id = ask(
        run,
        bruno,
        thread_circle.group,
        body="J'ai besoin de **parler** ce soir.",
        when="ce soir après 20 h",
    )
    deliver()

    [message] = smtp.to(chloe.email)
    assert message["In-Reply-To"] == f"<support/{request_id}@{SITE}>"
    assert subject(message).startswith(f"[{thread_circle.group.handle}] Bruno")
    text, html = parts(message).values()
    assert "J'ai besoin de **parler** ce soir." in text
    assert "<strong>parler</strong>" in html
    assert "ce soir après 20 h" in text
    assert f"https://cercle.example.org/s/{request_id}" in text

    [english] = smtp.to(david.email)
    text = parts(english)["text/plain"]
    assert "Urgent: yes" in text and "Important: yes" in text
    assert "When: ce soir après 20 h" in text


def test_discreet_support_emails_carry_no_message(run, thread_circle, set_user, deliver, smtp):
    bruno, chloe, david = thread_circle.members
    set_user(chloe, email_discreet=True, locale="en")
    ask(run, bruno, thread_circle.group, body="Un secret bien gardé.")
    deliver()

    [discreet] = smtp.to(chloe.email)
    for body in parts(discreet).values():
        assert "secret" not in body
    assert "open Cercle to read the message" in parts(discreet)["text/plain"]
    [plain] = smtp.to(david.email)
    assert "Un secret bien gardé." in parts(plain)["text/plain"]


def test_quiet_hours_delay_an_email_until_they_end(
    app, run, thread_circle, set_user, write_comment, smtp
):
    """Bruno's quiet hours are 22:00–07:00 in Paris: a mention at 23:30 waits for 07:00
    (the periodic command at 06:59 sends nothing, at 07:00 it sends)."""
    alice, bruno = thread_circle.admin, thread_circle.members[0]
    set_user(bruno, quiet_from=time(22, 0), quiet_until=time(7, 0), digest_days="")
    set_user(alice, digest_days="")
    paris = datetime(2031, 1, 14, 22, 30, tzinfo=UTC)  # 23:30 in Paris (winter)
    write_comment(alice, thread_circle.thread, f"@{bruno.handle} tard", now=paris)
    runner = app.test_cli_runner()

    def jobs(at):
        result = runner.invoke(args=["jobs", "run", "--now", at.isoformat()])
        assert result.exit_code == 0, result.output

    jobs(paris + timedelta(minutes=5))
    jobs(datetime(2031, 1, 15, 5, 59, tzinfo=UTC))  # 06:59 in Paris
    assert smtp.to(bruno.email) == []
    jobs(datetime(2031, 1, 15, 6, 0, tzinfo=UTC))  # 07:00 in Paris
    assert len(smtp.to(bruno.email)) == 1


def delivery_of(run):
    from app.outbox import Delivery

    return run(
        lambda: db.session.execute(
            sa.select(Delivery.status, Delivery.attempts, Delivery.last_status, Delivery.due_at)
        ).one()
    )


def test_a_4xx_reply_is_retried_after_the_backoff(run, thread_circle, write_comment, deliver, smtp):
    alice, bruno = thread_circle.admin, thread_circle.members[0]
    write_comment(alice, thread_circle.thread, f"@{bruno.handle} essai")
    smtp.refuse_next("451 4.3.0 Try again later")
    start = utcnow()

    figures = deliver(start)
    assert (figures.sent, figures.retried) == (0, 1)
    status, attempts, code, due_at = delivery_of(run)
    assert (status, attempts, code) == ("pending", 1, 451)
    assert start + timedelta(seconds=4) <= due_at <= start + timedelta(seconds=6)

    assert deliver(start + timedelta(seconds=3)).sent == 0  # before the backoff
    assert smtp.to(bruno.email) == []
    assert deliver(start + timedelta(seconds=7)).sent == 1
    assert len(smtp.to(bruno.email)) == 1
    assert delivery_of(run)[:3] == ("sent", 2, 250)


def test_a_5xx_reply_fails_for_good(run, thread_circle, write_comment, deliver, smtp):
    alice, bruno = thread_circle.admin, thread_circle.members[0]
    write_comment(alice, thread_circle.thread, f"@{bruno.handle} essai")
    smtp.refuse_next("550 5.1.1 No such mailbox")
    start = utcnow()

    assert deliver(start).failed == 1
    assert delivery_of(run)[:3] == ("failed", 1, 550)
    assert deliver(start + timedelta(days=4)).sent == 0
    assert smtp.to(bruno.email) == []
