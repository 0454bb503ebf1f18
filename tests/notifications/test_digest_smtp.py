"""The daily digest through a real SMTP server: what it tells, at the reader's local
hour, once a day, on their weekdays, never empty, stopped by its one-click link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fixtures.smtp import SITE, parts

from app.extensions import db
from app.timeutil import utcnow

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


def paris(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    """A time on the Paris clock, ``days_ahead`` days after today there, in UTC."""
    day = (utcnow().astimezone(PARIS) + timedelta(days=days_ahead)).date()
    return datetime.combine(day, time(hour, minute), PARIS).astimezone(UTC)


@pytest.fixture
def jobs(app):
    """``jobs(at)``: ``flask jobs run --now at`` (the periodic command), checked."""
    runner = app.test_cli_runner()

    def invoke(at):
        result = runner.invoke(args=["jobs", "run", "--now", at.isoformat()])
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


@pytest.fixture
def only_bruno_digests(thread_circle, set_user):
    """Everyone but Bruno has turned the digest off; Bruno reads English in Paris,
    digest at 07:00 every day."""
    for person in thread_circle.people:
        set_user(person, digest_days="")
    bruno = thread_circle.members[0]
    set_user(bruno, digest_days="1234567", digest_hour=7, locale="en", timezone="Europe/Paris")
    return bruno


def digests_to(smtp, person):
    return [m for m in smtp.to(person.email) if m["Message-ID"].startswith("<digest/")]


def ask(run, requester, group, **fields):
    from app.auth.models import User
    from app.groups.models import Group
    from app.support.services import create_request

    return run(
        lambda: (
            create_request(
                db.session.get(Group, group.id),
                db.session.get(User, requester.id),
                now=utcnow(),
                **fields,
            ).id
        )
    )


def test_the_digest_tells_what_waits_once_a_day_at_the_local_hour(
    run,
    thread_circle,
    only_bruno_digests,
    set_membership,
    new_poll,
    write_comment,
    jobs,
    smtp,
):
    alice, bruno, chloe, david = thread_circle.people
    thread = thread_circle.thread
    set_membership(bruno, thread_circle.group, volume="digest")
    morning = paris(1, 7, 30)
    soon = new_poll(
        title="Jeudi ou vendredi ?", closing_in=morning - utcnow() + timedelta(hours=10)
    )
    later = new_poll(title="Le lieu de l'été", closing_in=timedelta(days=6))
    write_comment(chloe, thread, "Je propose *jeudi* soir.")
    write_comment(alice, thread, f"@{bruno.handle} qu'en dis-tu ?")
    write_comment(bruno, thread, "Mon propre commentaire")
    request_id = ask(
        run,
        david,
        thread_circle.group,
        kind="companionship",
        urgent=False,
        important=False,
        body="Quelqu'un pour une balade ?",
        when="samedi",
    )

    jobs(paris(1, 6, 59))
    assert digests_to(smtp, bruno) == []
    jobs(morning)
    [digest] = digests_to(smtp, bruno)

    # requests, 2 polls, the mention, the thread = 5 (the request's own notification is
    # not told twice)
    assert (
        str(digest["Subject"]).strip()
        == f"[{thread_circle.group.handle}] Your daily email — 5 things"
    )
    assert digest["Auto-Submitted"] == "auto-generated"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    day = morning.astimezone(PARIS).date().isoformat()
    assert digest["Message-ID"] == f"<digest/{bruno.id}/{day}@{SITE}>"
    assert list(parts(digest)) == ["text/plain", "text/html"]
    text, html = parts(digest).values()
    assert "David asks for support" in text
    assert "Quelqu'un pour une balade ?" in text and "samedi" in text
    assert f"https://cercle.example.org/s/{request_id}" in text
    assert text.index("Jeudi ou vendredi ?") < text.index("Le lieu de l'été")
    assert "closes soon" in text
    assert f"https://cercle.example.org/p/{soon.id}" in html
    assert f"https://cercle.example.org/p/{later.id}" in html
    assert "Alice mentioned you in" in text, text
    assert "2 new comments" in text  # Chloé's and Alice's, not Bruno's own
    assert "Chloé" in text and "Je propose *jeudi* soir." in text
    assert "Mon propre commentaire" not in text
    assert 'lang="en"' in html and "<img" not in html
    assert "Your notification settings" in html

    # Once a day: later the same morning, nothing more.
    jobs(paris(1, 9, 0))
    assert len(digests_to(smtp, bruno)) == 1

    # The next day: before the hour nothing; at the hour what still waits, and only
    # the new activity since the previous digest.
    jobs(paris(2, 6, 0))
    assert len(digests_to(smtp, bruno)) == 1
    jobs(paris(2, 7, 5))
    [_first, second] = digests_to(smtp, bruno)
    text = parts(second)["text/plain"]
    assert "Le lieu de l'été" in text
    assert "new comment" not in text
    assert "Alice mentioned you" not in text


def test_no_digest_when_there_is_nothing_but_the_day_is_claimed(
    run, make_user, make_group, set_user, jobs, smtp
):
    from app.auth.models import User

    loner = make_user(name="Éric")
    make_group(loner)
    set_user(loner, digest_hour=7, digest_days="1234567", timezone="Europe/Paris")
    jobs(paris(1, 7, 30))
    assert smtp.messages == []
    done_on = run(lambda: db.session.get(User, loner.id).digest_done_on)
    assert done_on == paris(1, 7, 30).astimezone(PARIS).date()


def test_the_digest_comes_on_the_chosen_weekdays_only(
    run, thread_circle, only_bruno_digests, set_user, write_comment, jobs, smtp
):
    from app.auth.models import User

    bruno = only_bruno_digests
    morning = paris(1, 7, 30)
    other_days = "".join(d for d in "1234567" if d != str(morning.astimezone(PARIS).isoweekday()))
    set_user(bruno, digest_days=other_days)
    write_comment(thread_circle.members[1], thread_circle.thread, "Du nouveau")
    jobs(morning)
    assert digests_to(smtp, bruno) == []
    assert run(lambda: db.session.get(User, bruno.id).digest_done_on) is None


def test_each_reader_at_their_own_local_hour(
    thread_circle, only_bruno_digests, set_user, write_comment, jobs, smtp
):
    """At 06:30 in Paris it is 14:30 in Tokyo: Chloé in Tokyo gets hers, Bruno waits."""
    bruno, chloe = thread_circle.members[0], thread_circle.members[1]
    set_user(chloe, digest_days="1234567", digest_hour=7, timezone="Asia/Tokyo")
    write_comment(thread_circle.members[2], thread_circle.thread, "Du nouveau pour tous")
    jobs(paris(1, 6, 30))
    assert len(digests_to(smtp, chloe)) == 1
    assert digests_to(smtp, bruno) == []
    jobs(paris(1, 7, 0))
    assert len(digests_to(smtp, bruno)) == 1
    assert len(digests_to(smtp, chloe)) == 1


def test_muted_threads_stay_out_of_the_digest(
    run, thread_circle, only_bruno_digests, set_membership, write_comment, jobs, smtp
):
    from app.notifications.unsubscribe import set_thread_volume

    bruno = only_bruno_digests
    thread_id = thread_circle.thread.id
    run(lambda: set_thread_volume(bruno.id, thread_id, "mute", now=utcnow()))
    write_comment(thread_circle.members[1], thread_circle.thread, "Chut")
    jobs(paris(1, 7, 30))
    assert digests_to(smtp, bruno) == []


def test_the_digest_link_stops_the_digest(
    app, run, thread_circle, only_bruno_digests, write_comment, jobs, smtp
):
    from app.auth.models import User

    bruno = only_bruno_digests
    write_comment(thread_circle.members[1], thread_circle.thread, "Du nouveau")
    jobs(paris(1, 7, 30))
    [digest] = digests_to(smtp, bruno)
    link = re.fullmatch(r"<(.+)>", digest["List-Unsubscribe"].strip()).group(1)
    scanner = app.test_client().get(urlsplit(link).path)
    assert scanner.status_code == 200
    assert "Ne plus recevoir le courriel du jour" in scanner.get_data(as_text=True)
    assert run(lambda: db.session.get(User, bruno.id).digest_days) == "1234567"
    response = app.test_client().post(
        urlsplit(link).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert run(lambda: db.session.get(User, bruno.id).digest_days) == ""
    write_comment(thread_circle.members[1], thread_circle.thread, "Encore du nouveau")
    jobs(paris(2, 7, 30))
    assert len(digests_to(smtp, bruno)) == 1


def test_a_digest_costs_a_bounded_number_of_queries(
    app, thread_circle, only_bruno_digests, new_poll, write_comment, count_queries
):
    """Five times more to tell costs no more queries."""
    from app.notifications import digest

    def queries_for(day):
        morning = paris(day, 7, 30)
        with count_queries() as q, app.app_context():
            [(user_id, today)] = digest.due_readers(morning)
            assert digest.write(user_id, today, morning)
            db.session.commit()
        return q.count

    write_comment(thread_circle.members[1], thread_circle.thread, "Un")
    new_poll(closing_in=timedelta(days=5))
    few = queries_for(1)
    for i in range(5):
        write_comment(thread_circle.members[1 + i % 2], thread_circle.thread, f"Deux {i}")
        new_poll(closing_in=timedelta(days=5))
    many = queries_for(2)
    assert many <= few


def test_a_digest_waits_for_quiet_hours_and_is_dropped_if_turned_off_meanwhile(
    run, thread_circle, only_bruno_digests, set_user, write_comment, jobs, smtp
):
    from app.notifications import unsubscribe
    from app.outbox import Delivery

    bruno = only_bruno_digests
    set_user(bruno, quiet_from=time(6, 0), quiet_until=time(8, 0))
    write_comment(thread_circle.members[1], thread_circle.thread, "Du nouveau")
    jobs(paris(1, 7, 0))
    assert digests_to(smtp, bruno) == []  # written, waiting for 08:00
    run(lambda: unsubscribe.apply(bruno.id, unsubscribe.DIGEST, now=utcnow()))
    jobs(paris(1, 8, 5))
    assert digests_to(smtp, bruno) == []
    assert run(lambda: db.session.scalar(sa.select(Delivery.status))) == "cancelled"
