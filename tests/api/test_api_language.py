"""API messages follow the token owner's language, else Accept-Language, else French."""

from __future__ import annotations

import os

import pytest
from babel.support import Translations
from flask_babel import get_locale

import app as app_package

TRANSLATIONS = os.path.join(os.path.dirname(app_package.__file__), "translations")
REQUIRED = "This field is required."


def french(message: str) -> str:
    """The French catalog's translation (the English text while it is untranslated)."""
    return Translations.load(TRANSLATIONS, ["fr"]).gettext(message)


def _missing_password(client, headers):
    response = client.post(
        "/api/v1/users", json={"email": "b@example.org", "name": "B"}, headers=headers
    )
    assert response.status_code == 400
    return response.get_json()["error"]["fields"]["password"]


def test_english_with_accept_language(client):
    assert _missing_password(client, {"Accept-Language": "en"}) == REQUIRED


def test_french_by_default_and_with_accept_language(client):
    assert _missing_password(client, {}) == french(REQUIRED)
    assert _missing_password(client, {"Accept-Language": "fr"}) == french(REQUIRED)


@pytest.mark.parametrize(("locale", "header", "expected"), [("fr", "en", "fr"), ("en", "fr", "en")])
def test_token_owner_language_beats_accept_language(
    app, api_as, make_user, locale, header, expected
):
    person = make_user(locale=locale)
    api = api_as(person)
    with app.test_request_context(
        "/api/v1/tokens/current",
        method="DELETE",
        headers={"Authorization": f"Bearer {api.token}", "Accept-Language": header},
    ):
        assert app.preprocess_request() is None  # the token is accepted
        assert str(get_locale()) == expected

    response = api.get("/api/v1/no/such/path", headers={"Accept-Language": header})
    message = response.get_json()["error"]["message"]
    assert message == (french("Not found.") if expected == "fr" else "Not found.")


def test_token_owner_without_language_follows_accept_language(app, api_as, make_user):
    person = make_user(locale=None)
    api = api_as(person)
    for header in ("en", "fr"):
        with app.test_request_context(
            "/api/v1/tokens/current",
            headers={"Authorization": f"Bearer {api.token}", "Accept-Language": header},
        ):
            app.preprocess_request()
            assert str(get_locale()) == header
    response = api.get("/api/v1/no/such/path", headers={"Accept-Language": "en"})
    assert response.get_json()["error"]["message"] == "Not found."


def test_error_codes_do_not_change_with_the_language(client):
    codes = set()
    for header in ("en", "fr"):
        response = client.delete("/api/v1/tokens/current", headers={"Accept-Language": header})
        codes.add(response.get_json()["error"]["code"])
    assert codes == {"unauthorized"}
