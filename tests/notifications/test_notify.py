"""notify(): members only, never the actor, structured data; reading and marking read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.timeutil import utcnow


def test_notify_skips_the_actor_strangers_and_duplicates(circle_with_outsider, send, stored):
    alice, bruno, chloe, _david = circle_with_outsider.people
    ids = send(
        [alice, bruno, bruno, chloe, circle_with_outsider.outsider], "poll_opened", actor=alice
    )
    assert len(ids) == 2
    assert sorted(row[0] for row in stored()) == sorted([bruno.id, chloe.id])


def test_notify_skips_removed_members(circle_with_outsider, run_in_request, send, stored):
    from app.auth.models import User
    from app.groups.models import Group
    from app.groups.services import current_membership, revoke_membership

    bruno = circle_with_outsider.members[0]

    def remove():
        group = db.session.get(Group, circle_with_outsider.group.id)
        revoke_membership(
            group,
            current_membership(group, bruno.id),
            actor=db.session.get(User, circle_with_outsider.admin.id),
            now=utcnow(),
        )

    run_in_request(remove)
    send(circle_with_outsider.members, "poll_opened")
    assert bruno.id not in {row[0] for row in stored()}
    assert len(stored()) == 2


def test_unknown_kind_is_refused(circle_with_outsider, send):
    with pytest.raises(ValueError):
        send(circle_with_outsider.members, "party")


def test_manual_reminder_keeps_its_message_as_written(circle_with_outsider, run_in_request, send):
    from app.notifications.models import Notification

    message = "Merci de voter <avant> vendredi !"
    send(
        [circle_with_outsider.members[0]],
        "poll_remind",
        actor=circle_with_outsider.admin,
        message=message,
    )
    assert (
        run_in_request(lambda: db.session.scalars(db.select(Notification.message)).one()) == message
    )


def test_list_unread_and_mark_read(circle_with_outsider, run_in_request, send):
    from app.auth.models import User
    from app.notifications import services

    bruno = circle_with_outsider.members[0]
    now = utcnow()
    first = send([bruno], "mention", actor=circle_with_outsider.admin, now=now - timedelta(hours=1))
    second = send([bruno], "mention", actor=circle_with_outsider.admin, now=now)
    send([circle_with_outsider.members[1]], "mention", actor=circle_with_outsider.admin)

    def read():
        def query():
            me = db.session.get(User, bruno.id)
            return services.unread_count(me), [n.id for n in services.page_for(me).items]

        return run_in_request(query)

    assert read() == (2, second + first)  # newest first, only mine
    assert run_in_request(lambda: services.mark_read(bruno.id, first, now=now)) == 1
    assert read()[0] == 1
    # Another person's ids are not mine to mark.
    assert (
        run_in_request(
            lambda: services.mark_read(circle_with_outsider.members[1].id, second, now=now)
        )
        == 0
    )
    assert run_in_request(lambda: services.mark_read(bruno.id, "all", now=now)) == 1
    assert read()[0] == 0


def test_text_is_written_when_read_in_the_readers_language(app, circle_with_outsider, send):
    from app.notifications.models import Notification
    from app.notifications.services import describe

    send([circle_with_outsider.members[0]], "mention", actor=circle_with_outsider.admin)
    with app.app_context():
        n = db.session.scalars(db.select(Notification)).one()
        with app.test_request_context(headers={"Accept-Language": "en"}):
            assert describe(n) == "Alice mentioned you in “Nos accords”."
        with app.test_request_context(headers={"Accept-Language": "fr"}):
            assert "Alice" in describe(n) and "Nos accords" in describe(n)
