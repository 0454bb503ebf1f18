"""Fixtures for the notification tests: a circle, a thread, and sending notifications."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow


@pytest.fixture
def run_in_request(app):
    """``run_in_request(fn)``: like ``run``, but ``fn()`` runs inside an English request
    context too."""

    def call(fn):
        with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
            try:
                result = fn()
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise

    return call


@pytest.fixture
def circle_with_outsider(make_user, make_group, make_thread):
    """An admin (Alice), three members (Bruno, Chloé, David) and an outsider (Éric);
    a thread started by Alice."""
    admin = make_user(name="Alice")
    members = [make_user(name=n) for n in ("Bruno", "Chloé", "David")]
    outsider = make_user(name="Éric")
    group = make_group(admin, members=members)
    thread = make_thread(group, admin, title="Nos accords")
    return SimpleNamespace(
        admin=admin,
        members=members,
        people=[admin, *members],
        outsider=outsider,
        group=group,
        thread=thread,
    )


@pytest.fixture
def send(run_in_request, circle_with_outsider):
    """``send(recipients, kind="poll_opened", actor=None, message=None)`` → new ids."""
    from app.notifications.services import notify
    from app.threads.models import Thread

    def call(recipients, kind="mention", actor=None, message=None, **kwargs):
        def go():
            thread = db.session.get(Thread, circle_with_outsider.thread.id)
            created = notify(
                [r.id for r in recipients],
                kind,
                thread=thread,
                actor=actor.id if actor else None,
                message=message,
                now=kwargs.pop("now", None) or utcnow(),
                **kwargs,
            )
            return [n.id for n in created]

        return run_in_request(go)

    return call


@pytest.fixture
def stored(run_in_request):
    """``stored(kind=None)`` → ``[(user_id, kind, thread_id, comment_id, actor_id)]``."""
    from app.notifications.models import Notification

    def read(kind=None):
        def query():
            q = sa.select(
                Notification.user_id,
                Notification.kind,
                Notification.thread_id,
                Notification.comment_id,
                Notification.actor_id,
            ).order_by(Notification.id)
            if kind:
                q = q.where(Notification.kind == kind)
            return [tuple(row) for row in db.session.execute(q)]

        return run_in_request(query)

    return read
