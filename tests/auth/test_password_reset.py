"""Password reset by emailed link: single use, expiring, no account enumeration."""

from __future__ import annotations

import logging
import re
import time

import pytest
from itsdangerous import TimestampSigner

from app.auth.models import User
from app.extensions import db

EN = {"Accept-Language": "en"}
NEW_PASSWORD = "a brand new sentence"
SENT = "If an account uses this address, we have sent it a link"


def _request_link(client, email, lang="en"):
    return client.post(
        "/password/reset",
        data={"email": email},
        headers={"Accept-Language": lang},
        follow_redirects=True,
    )


def _link_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/password/reset/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def _choose(client, path, password=NEW_PASSWORD, confirm=None):
    return client.post(
        path, data={"password": password, "confirm": confirm or password}, headers=EN
    )


def test_request_sends_an_email_with_a_link(client, outbox, user):
    response = _request_link(client, "ANAIS@example.org ")
    assert response.status_code == 200
    assert SENT in response.get_data(as_text=True)
    [message] = outbox
    assert message.to == ["anais@example.org"]
    assert "Anaïs Martin" in message.body
    path = _link_path(message)
    page = client.get(path, headers=EN)
    assert page.status_code == 200
    assert "Choose a new password" in page.get_data(as_text=True)


def test_email_follows_the_account_language(client, outbox, make_user):
    person = make_user(email="en@example.org", locale="en")
    _request_link(client, person.email, lang="fr")
    [message] = outbox
    assert message.subject == "Reset your Cercle password"
    assert "The link works once" in message.body


def test_same_answer_whether_or_not_the_address_exists(client, outbox, user):
    known = _request_link(client, user.email)
    unknown = _request_link(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200

    def main(response):
        html = response.get_data(as_text=True)
        return html[html.index("<main") : html.index("</main>")]

    assert main(known) == main(unknown)
    assert len(outbox) == 1  # only the real account gets mail


def test_the_link_sets_the_password_and_signs_in(app, client, outbox, signin, user):
    _request_link(client, user.email)
    path = _link_path(outbox[0])
    response = _choose(client, path)
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    client.post("/signout")
    assert signin(user.email, user.password).status_code == 401
    assert signin(user.email, NEW_PASSWORD).status_code == 302


def test_the_link_works_once(client, outbox, user):
    _request_link(client, user.email)
    path = _link_path(outbox[0])
    assert _choose(client, path).status_code == 302
    client.post("/signout")
    again = client.get(path, headers=EN)
    assert again.status_code == 400
    assert "This link no longer works" in again.get_data(as_text=True)
    assert _choose(client, path, "yet another sentence").status_code == 400


def test_short_or_mismatched_new_password_is_refused(client, outbox, user):
    _request_link(client, user.email)
    path = _link_path(outbox[0])
    short = _choose(client, path, "short")
    assert short.status_code == 200
    assert 'id="password-error"' in short.get_data(as_text=True)
    differ = _choose(client, path, NEW_PASSWORD, "something different")
    assert "The two passwords differ." in differ.get_data(as_text=True)
    assert client.get(path).status_code == 200  # the link still works


def test_a_tampered_link_does_not_work(client, outbox, user):
    _request_link(client, user.email)
    path = _link_path(outbox[0])
    response = client.get(path[:-3] + "abc", headers=EN)
    assert response.status_code == 400
    assert "This link no longer works" in response.get_data(as_text=True)


def _old_link(app, user, age_seconds):
    """A reset link signed ``age_seconds`` ago."""
    from app.auth.reset import make_reset_token

    real = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: int(time.time()) - age_seconds
    try:
        with app.test_request_context():
            token = make_reset_token(db.session.get(User, user.id))
    finally:
        TimestampSigner.get_timestamp = real
    return f"/password/reset/{token}"


def test_the_link_expires(app, client, user):
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    assert client.get(_old_link(app, user, max_age - 60)).status_code == 200
    expired = client.get(_old_link(app, user, max_age + 1), headers=EN)
    assert expired.status_code == 400
    assert "This link no longer works" in expired.get_data(as_text=True)


class TestShortLifetime:
    @pytest.fixture
    def app_config(self):
        """Reset links that last two minutes."""
        return {"PASSWORD_RESET_MAX_AGE": 120}

    def test_lifetime_comes_from_the_config(self, app, client, outbox, user):
        _request_link(client, user.email)
        assert "2 minutes" in outbox[0].body
        assert client.get(_old_link(app, user, 150)).status_code == 400


def test_a_reset_signs_out_other_sessions(app, client, outbox, user, signin):
    other_browser = app.test_client()
    signin(user.email, user.password, c=other_browser)
    assert other_browser.get("/profile").status_code == 200
    _request_link(client, user.email)
    _choose(client, _link_path(outbox[0]))
    assert client.get("/profile").status_code == 200  # the browser that reset
    assert other_browser.get("/profile").status_code == 302  # signed out


def test_a_reset_revokes_api_tokens(client, outbox, user, api_as):
    """A reset is how people recover an account: a token someone took dies with it."""
    api = api_as(user)
    assert api.get("/api/v1/groups").status_code == 200
    _request_link(client, user.email)
    _choose(client, _link_path(outbox[0]))
    response = api.get("/api/v1/groups")
    assert response.status_code == 401


def test_without_mail_server_the_email_goes_to_the_log(make_app, caplog, user):
    application = make_app(MAIL_BACKEND="app.mail.LogEmailBackend")
    client = application.test_client()
    _request_link(client, user.email)
    assert "/password/reset/" not in caplog.text, "nothing is sent from the request"
    with caplog.at_level(logging.WARNING, logger="cercle.mail"):
        result = application.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "outbox: 1 sent" in result.output
    assert "/password/reset/" in caplog.text
    assert "To: anais@example.org" in caplog.text


def test_reset_requests_are_limited_per_network(client, outbox, user, make_user):
    others = [make_user(name=f"Autre {n}", email=f"autre{n}@example.org") for n in range(4)]
    for person in [user, *others]:
        client.post("/password/reset", data={"email": person.email})
    response = client.post("/password/reset", data={"email": user.email}, headers=EN)
    assert response.status_code == 429
    assert "Too many requests for a reset link" in response.get_data(as_text=True)
    assert len(outbox) == 5


def test_reset_links_for_one_address_are_limited_from_anywhere(client, outbox, user):
    """Many machines cannot flood one mailbox: three links an hour per address."""
    for n in range(3):
        sent = client.post(
            "/password/reset",
            data={"email": user.email},
            environ_base={"REMOTE_ADDR": f"10.5.{n}.1"},
        )
        assert sent.status_code == 302
    refused = client.post(
        "/password/reset",
        data={"email": user.email.upper()},
        headers=EN,
        environ_base={"REMOTE_ADDR": "10.5.9.1"},
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert len(outbox) == 3


def test_the_link_is_built_from_the_public_url_never_from_the_request(make_app, user):
    """A reset asked with a forged X-Forwarded-Host header still emails a link to the real
    site (a forged Host is refused: tests/security/test_hosts.py)."""
    from fixtures.outbox import SentMail

    application = make_app(PUBLIC_URL="https://cercle.example.org", SERVER_NAME=None)
    sent = SentMail(application)
    application.test_client().post(
        "/password/reset",
        data={"email": user.email},
        base_url="http://cercle.example.org",
        headers={"X-Forwarded-Host": "evil.example"},
    )
    assert len(sent) == 1
    assert "https://cercle.example.org/password/reset/" in sent[0].body
    assert "evil.example" not in sent[0].body
