"""Page language: French by default, the browser's, the chosen one, the profile's."""

from __future__ import annotations

import pytest
from flask_babel import get_locale


def _lang(response) -> str:
    html = response.get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_french_by_default(client):
    assert _lang(client.get("/signin")) == "fr"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-CA,fr;q=0.9,en;q=0.5", "fr"),
        ("de-DE,en;q=0.5", "en"),
        ("de-DE", "fr"),
    ],
)
def test_follows_the_browser(client, header, lang):
    assert _lang(client.get("/signin", headers={"Accept-Language": header})) == lang


def test_english_page_is_in_english(client):
    html = client.get("/signin", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Forgot your password?" in html
    assert "Skip to content" in html


def test_language_switch_for_visitors(client):
    response = client.post("/language", data={"locale": "en", "next": "/signup"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/signup"
    assert _lang(client.get("/signin", headers={"Accept-Language": "fr"})) == "en"
    client.post("/language", data={"locale": "fr"})
    assert _lang(client.get("/signin", headers={"Accept-Language": "en"})) == "fr"


def test_language_switch_does_not_leave_the_site(client):
    response = client.post("/language", data={"locale": "en", "next": "https://evil.example"})
    assert response.headers["Location"] == "/"


def test_language_switch_refuses_unknown_languages(client):
    assert client.post("/language", data={"locale": "xx"}).status_code == 400


def test_visitor_choice_is_kept_at_sign_up(app, client):
    from app.auth.models import User
    from app.extensions import db

    client.post("/language", data={"locale": "en"})
    password = "a sentence I remember"
    client.post(
        "/signup",
        data={"name": "B", "email": "b@example.org", "password": password, "confirm": password},
    )
    with app.app_context():
        assert db.session.scalar(db.select(User.locale)) == "en"


def test_profile_language_beats_the_browser(client, auth, make_user):
    person = make_user(locale="en")
    auth.login(person)
    assert _lang(client.get("/profile", headers={"Accept-Language": "fr"})) == "en"


def test_profile_without_language_follows_the_browser(client, auth, make_user):
    person = make_user(locale=None)
    auth.login(person)
    assert _lang(client.get("/profile", headers={"Accept-Language": "en"})) == "en"
    assert _lang(client.get("/profile", headers={"Accept-Language": "fr"})) == "fr"


def test_signed_in_language_switch_saves_the_profile(app, client, auth, make_user):
    from app.auth.models import User
    from app.extensions import db

    person = make_user(locale="fr")
    auth.login(person)
    client.post("/language", data={"locale": "en"})
    with app.app_context():
        assert db.session.get(User, person.id).locale == "en"


def test_locale_selection_inside_a_request(app, make_user):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(get_locale()) == "en"
    with app.test_request_context("/"):
        assert str(get_locale()) == "fr"
