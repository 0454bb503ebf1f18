"""Asking for a password reset costs the same whether or not the address has an
account: the request writes one outbox row and looks nothing up, never waits for the
mail server; ``jobs run`` composes and sends the email, or drops the row when no
account uses the address (bench/reset_timing.py measures both paths)."""

from __future__ import annotations

import smtplib

import pytest
from fixtures.smtp import PUBLIC_URL

EN = {"Accept-Language": "en"}


@pytest.fixture
def app_config(smtp_server):
    """An app that sends through the test SMTP server."""
    return {**smtp_server.config, "PUBLIC_URL": PUBLIC_URL, "SERVER_NAME": None}


@pytest.fixture
def connections(monkeypatch):
    """The SMTP connections opened so far (host, port)."""
    opened = []
    connect = smtplib.SMTP.connect

    def recording(self, host="localhost", port=0, source_address=None):
        opened.append((host, port))
        return connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", recording)
    return opened


def test_a_reset_is_asked_at_the_same_cost_with_or_without_an_account(
    app, client, make_user, smtp, connections, deliver
):
    user = make_user(email="anais@example.org")
    answers = []
    for email in (user.email, "nobody@example.org"):
        response = client.post(
            "/password/reset", data={"email": email}, base_url=PUBLIC_URL, headers=EN
        )
        assert connections == []  # neither request talked to the mail server
        assert smtp.messages == []
        page = client.get(response.headers["Location"], base_url=PUBLIC_URL, headers=EN).text
        flash = page[page.index('class="flash') :].split("</p>")[0]
        answers.append((response.status_code, response.headers["Location"], flash))
    assert answers[0] == answers[1]  # the same answer and message for both
    assert answers[0][0] == 302 and "If an account uses this address" in answers[0][2]
    assert _deliveries(app) == [("password_reset", "pending")] * 2  # the same write
    deliver()
    assert len(connections) == 1  # the periodic command sends the one email
    [message] = smtp.messages
    assert message["To"] == user.email
    assert f"{PUBLIC_URL}/password/reset/" in message.get_body(("plain",)).get_content()
    assert sorted(_deliveries(app)) == [("password_reset", "cancelled"), ("password_reset", "sent")]


def _deliveries(app) -> list[tuple[str, str]]:
    import sqlalchemy as sa

    from app.extensions import db
    from app.outbox import Delivery

    with app.app_context():
        rows = db.session.execute(sa.select(Delivery.kind, Delivery.status).order_by(Delivery.id))
        return [tuple(row) for row in rows]
