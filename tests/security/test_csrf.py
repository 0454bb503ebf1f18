"""CSRF: every form POST needs the token; the Bearer API does not."""

from __future__ import annotations

import re

import pytest
from fixtures.accounts import session_user_id

from app.auth.models import User
from app.extensions import db

EN = {"Accept-Language": "en"}
FRIENDLY = "The form expired or was sent from elsewhere. Go back, reload the page and try again."
PASSWORD = "correct horse battery"


@pytest.fixture
def person(csrf_app):
    """An account in the CSRF-protected application."""
    from app.auth.services import create_user

    with csrf_app.app_context():
        user = create_user(email="anais@example.org", name="Anaïs", password=PASSWORD)
        db.session.commit()
        return user.id


@pytest.fixture
def csrf_client(csrf_app):
    """A test client of the CSRF-protected application."""
    return csrf_app.test_client()


def _token(client, path) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _login(client, user_id):
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(client.application, user_id)
        session["_fresh"] = True


def _assert_refused(response):
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert FRIENDLY in response.get_data(as_text=True)


def test_signin_without_token_is_refused(csrf_client, person):
    response = csrf_client.post(
        "/signin", data={"email": "anais@example.org", "password": PASSWORD}, headers=EN
    )
    _assert_refused(response)
    assert csrf_client.get("/profile").status_code == 302  # not signed in


def test_signin_with_token_works(csrf_client, person):
    token = _token(csrf_client, "/signin")
    response = csrf_client.post(
        "/signin",
        data={"email": "anais@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


def test_signup_without_token_is_refused(csrf_app, csrf_client):
    data = {"name": "B", "email": "b@example.org", "password": PASSWORD, "confirm": PASSWORD}
    _assert_refused(csrf_client.post("/signup", data=data, headers=EN))
    with csrf_app.app_context():
        assert db.session.scalar(db.select(User).where(User.email == "b@example.org")) is None


def test_signup_with_a_forged_token_is_refused(csrf_client):
    data = {"name": "B", "email": "b@example.org", "password": PASSWORD, "confirm": PASSWORD}
    data["csrf_token"] = "forged"
    _assert_refused(csrf_client.post("/signup", data=data, headers=EN))


def test_profile_without_token_is_refused(csrf_app, csrf_client, person):
    _login(csrf_client, person)
    data = {
        "profile-name": "Mallory",
        "profile-handle": "mallory",
        "profile-locale": "",
        "profile-timezone": "Europe/Paris",
    }
    _assert_refused(csrf_client.post("/profile", data=data, headers=EN))
    with csrf_app.app_context():
        assert db.session.get(User, person).name == "Anaïs"


def test_profile_with_token_works(csrf_app, csrf_client, person):
    _login(csrf_client, person)
    token = _token(csrf_client, "/profile")
    data = {
        "profile-csrf_token": token,
        "csrf_token": token,
        "profile-name": "Anaïs M.",
        "profile-handle": "anais",
        "profile-locale": "",
        "profile-timezone": "Europe/Paris",
    }
    assert csrf_client.post("/profile", data=data).status_code == 302
    with csrf_app.app_context():
        assert db.session.get(User, person).name == "Anaïs M."


@pytest.mark.parametrize(
    "path", ["/signout", "/profile/password", "/profile/tokens", "/password/reset", "/language"]
)
def test_other_forms_without_token_are_refused(csrf_client, person, path):
    _login(csrf_client, person)
    _assert_refused(csrf_client.post(path, data={"locale": "en"}, headers=EN))


def test_csrf_page_in_french_is_a_page(csrf_client):
    response = csrf_client.post("/signin", data={}, headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_api_needs_no_csrf_token(csrf_app, csrf_client, person):
    created = csrf_client.post(
        "/api/v1/users",
        json={"email": "c@example.org", "name": "C", "password": PASSWORD},
    )
    assert created.status_code == 201
    token = csrf_client.post(
        "/api/v1/tokens", json={"email": "c@example.org", "password": PASSWORD}
    )
    assert token.status_code == 201
    secret = token.get_json()["token"]
    revoked = csrf_client.delete(
        "/api/v1/tokens/current", headers={"Authorization": f"Bearer {secret}"}
    )
    assert revoked.status_code == 204


def test_api_ignores_the_session_cookie(csrf_client, person):
    """A signed-in browser is not an API client: without a token, the API says 401."""
    _login(csrf_client, person)
    response = csrf_client.delete("/api/v1/tokens/current")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
