"""An account's email address is confirmed by a link emailed to it (issue 11, item 6
follow-up): until then the account is only a claim on the address (see
tests/groups/test_invitation_squatter.py for what it then does not see)."""

from __future__ import annotations

import re

import pytest

from app.auth.models import User
from app.extensions import db

EN = {"Accept-Language": "en"}
PASSWORD = "a sentence I remember"
UNCONFIRMED = "Your email address is not confirmed yet"
CONFIRMED = "Your email address is confirmed."


def _verified_at(app, email):
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        return user.email_verified_at


def _confirm_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/email/confirm/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def _signup(client, email="bastien@example.org"):
    return client.post(
        "/signup",
        data={"name": "Bastien Roux", "email": email, "password": PASSWORD, "confirm": PASSWORD},
        headers=EN,
    )


def test_signing_up_sends_a_link_that_confirms_the_address(app, client, outbox):
    response = _signup(client)
    assert response.status_code == 302
    assert _verified_at(app, "bastien@example.org") is None
    profile = client.get("/profile", headers=EN).text
    assert UNCONFIRMED in profile
    assert 'action="/profile/email/confirm"' in profile
    [message] = outbox
    assert message.to == ["bastien@example.org"]
    # in the account's language: French unless the person chose another one
    assert message.subject == "Confirmez votre adresse e-mail pour Cercle"
    assert "Bastien Roux" in message.body
    response = client.get(_confirm_path(message), headers=EN)
    assert response.status_code == 302
    assert _verified_at(app, "bastien@example.org") is not None
    profile = client.get("/profile", headers=EN).text
    assert CONFIRMED in profile and UNCONFIRMED not in profile
    assert 'action="/profile/email/confirm"' not in profile


def test_the_link_works_signed_out_too(app, client, outbox):
    _signup(client)
    client.post("/signout")
    response = client.get(_confirm_path(outbox[0]), headers=EN)
    assert response.headers["Location"] == "/signin"
    assert _verified_at(app, "bastien@example.org") is not None


def test_signing_up_by_the_api_sends_the_link_too(app, client, outbox):
    response = client.post(
        "/api/v1/users",
        json={"email": "Zoe@example.org", "name": "Zoé", "password": PASSWORD},
    )
    assert response.status_code == 201, response.json
    [message] = outbox
    assert message.to == ["zoe@example.org"]
    assert _verified_at(app, "zoe@example.org") is None
    assert client.get(_confirm_path(message)).status_code == 302
    assert _verified_at(app, "zoe@example.org") is not None


@pytest.mark.parametrize("case", ["forged", "expired"])
def test_a_forged_or_expired_link_confirms_nothing(app, client, outbox, case):
    _signup(client)
    path = _confirm_path(outbox[0])
    if case == "forged":
        path = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    else:
        app.config["EMAIL_CONFIRM_MAX_AGE"] = -1
    response = client.get(path, headers=EN)
    assert response.status_code == 400
    assert "This link no longer works" in response.text
    assert _verified_at(app, "bastien@example.org") is None


def test_an_email_still_waiting_when_the_address_is_confirmed_is_not_sent(app, client, outbox):
    from app.auth.verify import make_confirmation_token

    _signup(client)  # its email waits in the outbox
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "bastien@example.org"))
        token = make_confirmation_token(user)
    assert client.get(f"/email/confirm/{token}").status_code == 302
    assert list(outbox) == []


def test_resending_from_the_profile(app, client, auth, make_user, outbox):
    person = make_user(email="olga@example.org", verified=False, locale="en")
    auth.login(person)
    response = client.post("/profile/email/confirm", headers=EN, follow_redirects=True)
    assert "We have sent a new confirmation link to olga@example.org." in response.text
    [message] = outbox
    assert message.to == ["olga@example.org"]
    client.get(_confirm_path(message))
    assert _verified_at(app, "olga@example.org") is not None


def test_resending_is_rate_limited(client, auth, make_user, outbox):
    person = make_user(email="olga@example.org", verified=False, locale="en")
    auth.login(person)
    for _ in range(3):
        assert client.post("/profile/email/confirm").status_code == 302
    response = client.post("/profile/email/confirm", headers=EN)
    assert response.status_code == 429
    assert "Too many requests for a confirmation link" in response.text
    assert len(outbox) == 3


def test_completing_a_password_reset_confirms_the_address(app, client, make_user, outbox):
    person = make_user(email="olga@example.org", verified=False, locale="en")
    client.post("/password/reset", data={"email": person.email})
    [message] = outbox
    path = re.search(r"https?://[^/\s]+(/password/reset/\S+)", message.body).group(1)
    assert client.get(path).status_code == 200
    assert _verified_at(app, "olga@example.org") is None  # opening is not completing
    new = "a brand new sentence"
    response = client.post(path, data={"password": new, "confirm": new})
    assert response.status_code == 302
    assert _verified_at(app, "olga@example.org") is not None
