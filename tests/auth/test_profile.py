"""Profile: name, handle, language, time zone, password, API tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from app.auth.models import ApiToken, User
from app.extensions import db
from app.timeutil import utcnow

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def _save_profile(client, headers=EN, **changes):
    data = {
        "profile-name": "Anaïs Martin",
        "profile-handle": "anais-martin",
        "profile-locale": "",
        "profile-timezone": "Europe/Paris",
    }
    data.update({f"profile-{k}": v for k, v in changes.items()})
    return client.post("/profile", data=data, headers=headers)


def _get_user(app, user_id) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_profile_needs_sign_in(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin")


def test_profile_page_shows_the_forms(client, auth, user):
    auth.login(user)
    html = client.get("/profile", headers=EN).get_data(as_text=True)
    assert "Your profile" in html
    assert 'name="profile-handle"' in html and 'value="anais-martin"' in html
    assert 'name="password-current_password"' in html
    assert "You have no API token." in html


def test_change_name_handle_language_and_time_zone(app, client, auth, user):
    auth.login(user)
    response = _save_profile(
        client, name="Anaïs M.", handle="Anais", locale="en", timezone="America/New_York"
    )
    assert response.status_code == 302
    saved = _get_user(app, user.id)
    assert (saved.name, saved.handle, saved.locale, saved.timezone) == (
        "Anaïs M.",
        "anais",
        "en",
        "America/New_York",
    )
    page = client.get("/profile", headers=EN).get_data(as_text=True)
    assert "Your profile is saved." in page


def test_handle_must_be_free(app, client, auth, user, make_user):
    other = make_user(name="Bastien")
    auth.login(user)
    response = _save_profile(client, handle=other.handle)
    assert response.status_code == 200
    assert "This handle is already taken." in response.get_data(as_text=True)
    assert _get_user(app, user.id).handle == "anais-martin"


def test_handle_format_is_checked(app, client, auth, user):
    auth.login(user)
    response = _save_profile(client, handle="no spaces!")
    assert 'id="profile-handle-error"' in response.get_data(as_text=True)
    assert _get_user(app, user.id).handle == "anais-martin"


def test_unknown_time_zone_is_refused(app, client, auth, user):
    auth.login(user)
    response = _save_profile(client, timezone="Mars/Olympus_Mons")
    assert 'id="profile-timezone-error"' in response.get_data(as_text=True)
    assert _get_user(app, user.id).timezone == "Europe/Paris"


def test_the_language_choice_changes_the_pages(client, auth, user):
    auth.login(user)
    assert '<html lang="fr">' in client.get("/profile", headers=FR).get_data(as_text=True)
    _save_profile(client, headers=FR, locale="en")
    # The profile's language beats the browser's.
    html = client.get("/profile", headers=FR).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Your profile" in html
    _save_profile(client, headers=FR, locale="fr")
    assert '<html lang="fr">' in client.get("/profile", headers=EN).get_data(as_text=True)
    # "Same as my browser" follows the browser again.
    _save_profile(client, locale="")
    assert '<html lang="en">' in client.get("/profile", headers=EN).get_data(as_text=True)
    assert '<html lang="fr">' in client.get("/profile", headers=FR).get_data(as_text=True)


def _token_created_at(app, user, when):
    from app.auth.services import create_api_token

    with app.app_context():
        token, _secret = create_api_token(db.session.get(User, user.id), "phone", now=utcnow())
        token.created_at = when
        db.session.commit()


def _shown_time(html: str) -> str:
    """How the token's creation (2026-01-15, in the «Advanced» section) is shown."""
    match = re.search(r"<time datetime=\"2026-01-15T[^\"]+\">([^<]+)</time>", html)
    assert match, "no <time> of the token in the page"
    return match.group(1)


def test_the_time_zone_changes_how_times_are_shown(app, client, auth, user):
    _token_created_at(app, user, datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    auth.login(user)
    _save_profile(client, locale="en", timezone="Europe/Paris")
    paris = _shown_time(client.get("/profile").get_data(as_text=True))
    _save_profile(client, locale="en", timezone="America/New_York")
    new_york = _shown_time(client.get("/profile").get_data(as_text=True))
    assert "1:00" in paris and "PM" in paris  # 12:00 UTC is 13:00 in Paris
    assert "7:00" in new_york and "AM" in new_york  # and 07:00 in New York
    html = client.get("/profile").get_data(as_text=True)
    assert '<time datetime="2026-01-15T12:00:00+00:00">' in html


def _change_password(client, current, new, confirm=None):
    return client.post(
        "/profile/password",
        data={
            "password-current_password": current,
            "password-password": new,
            "password-confirm": confirm or new,
        },
        headers=EN,
    )


def test_change_password(app, client, signin, user):
    other_browser = app.test_client()
    signin(user.email, user.password, c=other_browser)
    signin(user.email, user.password)
    response = _change_password(client, user.password, "a brand new sentence")
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200  # this session goes on
    assert other_browser.get("/profile").status_code == 302  # the others end
    client.post("/signout")
    assert signin(user.email, "a brand new sentence").status_code == 302


def test_wrong_current_password_is_refused(app, client, auth, user):
    auth.login(user)
    response = _change_password(client, "not my password", "a brand new sentence")
    assert response.status_code == 400
    assert "This is not your current password." in response.get_data(as_text=True)
    with app.app_context():
        from app.auth.services import check_password

        assert check_password(db.session.get(User, user.id), user.password)


def test_new_password_rules(client, auth, user):
    auth.login(user)
    short = _change_password(client, user.password, "short")
    assert short.status_code == 400
    assert 'id="password-password-error"' in short.get_data(as_text=True)
    differ = _change_password(client, user.password, "a brand new sentence", "another one")
    assert "The two passwords differ." in differ.get_data(as_text=True)


def _create_token(client, name="phone"):
    return client.post("/profile/tokens", data={"token-name": name}, headers=EN)


def test_token_is_shown_once_and_works_until_revoked(app, client, auth, user):
    auth.login(user)
    response = _create_token(client)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    secret = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
    assert secret.startswith("cercle_")
    # Shown once: the next visit lists it by its prefix only.
    again = client.get("/profile", headers=EN).get_data(as_text=True)
    assert secret not in again
    assert secret[:13] in again and "phone" in again
    with app.app_context():
        stored = db.session.scalars(sa.select(ApiToken)).one()
        assert secret not in (stored.token_hash, stored.prefix)
        token_id = stored.id

    api_client = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}", **EN}
    # The token works: revoking "current" needs it.
    revoke = client.post(f"/profile/tokens/{token_id}/revoke", headers=EN)
    assert revoke.status_code == 302
    assert "The token is revoked" in client.get("/profile", headers=EN).get_data(as_text=True)
    after = api_client.delete("/api/v1/tokens/current", headers=bearer)
    assert after.status_code == 401
    assert after.get_json()["error"]["code"] == "invalid_token"


def test_token_works_with_the_api(app, client, auth, user):
    auth.login(user)
    html = _create_token(client).get_data(as_text=True)
    secret = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
    api_client = app.test_client()
    response = api_client.delete(
        "/api/v1/tokens/current", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 204


def test_cannot_revoke_someone_elses_token(app, client, auth, user, make_user):
    from app.auth.services import create_api_token

    other = make_user()
    with app.app_context():
        token, _secret = create_api_token(db.session.get(User, other.id), "theirs", now=utcnow())
        db.session.commit()
        token_id = token.id
    auth.login(user)
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id) is not None


def test_the_time_zone_list_has_no_obsolete_names_but_keeps_mine(app, client, auth, user):
    auth.login(user)
    html = client.get("/profile").get_data(as_text=True)
    assert 'value="Europe/Paris"' in html and 'value="America/Montreal"' not in html
    assert 'value="Africa/Asmera"' not in html and 'value="America/Atka"' not in html
    with app.app_context():
        from app.auth.models import User
        from app.extensions import db

        db.session.get(User, user.id).timezone = "America/Montreal"  # an alias of Toronto
        db.session.commit()
    html = client.get("/profile").get_data(as_text=True)
    assert '<option selected value="America/Montreal">' in html
