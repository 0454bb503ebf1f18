"""Sign-up page: an account is created, signed in, and sent where it was going."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db

EN = {"Accept-Language": "en"}

PASSWORD = "a sentence I remember"


def _signup(client, next_=None, **overrides):
    data = {
        "name": "Bastien Roux",
        "email": "bastien@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data.update(overrides)
    url = "/signup" + (f"?next={next_}" if next_ is not None else "")
    return client.post(url, data=data, headers=EN)


def _users(app):
    with app.app_context():
        return db.session.scalars(sa.select(User)).all()


def test_page_shows_the_form(client):
    response = client.get("/signup", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Create your account" in html
    for field in ("name", "email", "password", "confirm"):
        assert f'name="{field}"' in html


def test_creates_the_account_signs_in_and_redirects(app, client):
    response = _signup(client, email="Bastien@Example.ORG")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    [user] = _users(app)
    assert user.email == "bastien@example.org"  # stored lower-cased
    assert user.name == "Bastien Roux"
    assert user.handle == "bastien-roux"
    assert user.password_hash != PASSWORD
    # Signed in: the profile page opens instead of redirecting to the sign-in page.
    profile = client.get("/profile", headers=EN)
    assert profile.status_code == 200
    assert "bastien@example.org" in profile.get_data(as_text=True)


def test_email_is_unique_whatever_its_case(app, client, make_user):
    make_user(email="bastien@example.org")
    response = _signup(client, email="  BASTIEN@example.org ")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "An account already uses this email address." in html
    assert 'id="email-error"' in html  # shown next to the email field
    assert len(_users(app)) == 1


def test_short_password_is_refused(app, client):
    response = _signup(client, password="short", confirm="short")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="password-error"' in html
    assert "10" in html.split('id="password-error"', 1)[1].split("</small>", 1)[0]
    assert _users(app) == []


def test_passwords_must_match(app, client):
    response = _signup(client, confirm="another sentence entirely")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The two passwords differ." in html
    assert _users(app) == []


def test_invalid_email_is_refused(app, client):
    response = _signup(client, email="not-an-address")
    assert response.status_code == 200
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert _users(app) == []


def test_next_on_this_site_is_followed(client):
    response = _signup(client, next_="/g/x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/g/x"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "https://evil.example/g/x",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "/\t/evil.example",
        "///evil.example",
    ],
)
def test_next_off_site_is_ignored(client, target):
    from urllib.parse import quote

    response = _signup(client, next_=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_signed_in_person_is_sent_to_the_dashboard(client, auth, user):
    auth.login(user)
    response = client.get("/signup")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_french_page_structure(client):
    response = client.get("/signup", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_accounts_made_from_one_network_are_limited_pages_and_api_together(make_app):
    application = make_app(SIGNUP_RATE_LIMIT="2 per hour")
    client = application.test_client()
    page = client.post(
        "/signup",
        data={
            "name": "Un",
            "email": "un@example.org",
            "password": "long enough password",
            "confirm": "long enough password",
        },
    )
    assert page.status_code == 302
    client.post("/signout")
    api = client.post(
        "/api/v1/users",
        json={"name": "Deux", "email": "deux@example.org", "password": "long enough password"},
    )
    assert api.status_code == 201
    refused = client.post(
        "/api/v1/users",
        json={"name": "Trois", "email": "trois@example.org", "password": "long enough password"},
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Many accounts" in refused.get_json()["error"]["message"]
    refused_page = client.post(
        "/signup",
        data={
            "name": "Quatre",
            "email": "quatre@example.org",
            "password": "long enough password",
            "confirm": "long enough password",
        },
        headers={"Accept-Language": "en"},
    )
    assert refused_page.status_code == 429
    # another network is not held back
    elsewhere = client.post(
        "/api/v1/users",
        json={"name": "Cinq", "email": "cinq@example.org", "password": "long enough password"},
        environ_base={"REMOTE_ADDR": "10.6.0.1"},
    )
    assert elsewhere.status_code == 201
