"""Fixtures of the webhook tests: a circle with private addresses allowed (the receiver is
pytest-httpserver on 127.0.0.1), hooks made through the service, deliveries sent at a
chosen time, and what the database holds of them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app import outbox
from app.extensions import db
from app.timeutil import utcnow

PUBLIC_URL = "https://cercle.example"


@pytest.fixture
def app_config():
    """The receiver runs on the loopback: the operator allowed private addresses."""
    return {"WEBHOOKS_ALLOW_PRIVATE": True, "PUBLIC_URL": PUBLIC_URL}


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver on the IPv4 loopback, on a free port."""
    return ("127.0.0.1", 0)


@pytest.fixture
def make_hook(run, thread_circle):
    """``make_hook(url, kind="slack", events=None, group=None)`` → record with ``id`` and
    ``secret`` (a generic hook's)."""
    from app.auth.models import User
    from app.groups.models import Group
    from app.webhooks import services

    def make(url, kind="slack", events=None, group=None):
        def create():
            hook, secret = services.create_webhook(
                db.session.get(Group, (group or thread_circle.group).id),
                actor=db.session.get(User, thread_circle.admin.id),
                kind=kind,
                url=url,
                events=events,
                allow_private=True,
                now=utcnow(),
            )
            return SimpleNamespace(id=hook.id, secret=secret, kind=kind)

        return run(create)

    return make


@pytest.fixture
def deliver(app):
    """``deliver(now)``: one periodic run of the outbox at ``now`` → its figures."""

    def send(now):
        with app.app_context():
            try:
                return outbox.deliver_due(now)
            finally:
                db.session.remove()

    return send


@pytest.fixture
def deliveries(run):
    """``deliveries(hook_id=None)`` → the webhook deliveries (records), oldest first."""

    def read(hook_id=None):
        def load():
            query = sa.select(outbox.Delivery).where(outbox.Delivery.channel == outbox.WEBHOOK)
            if hook_id is not None:
                query = query.where(outbox.Delivery.webhook_id == hook_id)
            return [
                SimpleNamespace(
                    **{
                        c: getattr(d, c)
                        for c in (
                            "id",
                            "kind",
                            "status",
                            "attempts",
                            "due_at",
                            "last_status",
                            "last_error",
                            "payload",
                            "webhook_id",
                        )
                    }
                )
                for d in db.session.scalars(query.order_by(outbox.Delivery.id))
            ]

        return run(load)

    return read


@pytest.fixture
def hook_state(run):
    """``hook_state(id)`` → the hook's columns as a record (None when deleted)."""
    from app.webhooks.models import Webhook

    def read(hook_id):
        def load():
            hook = db.session.get(Webhook, hook_id)
            if hook is None:
                return None
            return SimpleNamespace(
                active=hook.is_active,
                disabled_reason=hook.disabled_reason,
                disabled_at=hook.disabled_at,
                failing_since=hook.failing_since,
                last_success_at=hook.last_success_at,
                url=hook.url,
            )

        return run(load)

    return read


@pytest.fixture
def new_thread(make_thread, thread_circle):
    """``new_thread(title=..., body=...)``: Alice starts a thread in the circle."""

    def make(title="Une discussion", body="Le contexte."):
        return make_thread(thread_circle.group, thread_circle.admin, title=title, body=body)

    return make
