"""POST /api/v1/users, POST /api/v1/tokens, DELETE /api/v1/tokens/current."""

from __future__ import annotations

EN = {"Accept-Language": "en"}
PASSWORD = "a sentence I remember"


def test_create_user(client):
    response = client.post(
        "/api/v1/users",
        json={"email": "Bastien@Example.org", "name": "Bastien Roux", "password": PASSWORD},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "bastien@example.org"
    assert body["name"] == "Bastien Roux"
    assert isinstance(body["id"], int)
    assert "password" not in body and "password_hash" not in body


def test_create_user_with_locale_and_time_zone(client):
    response = client.post(
        "/api/v1/users",
        json={
            "email": "b@example.org",
            "name": "B",
            "password": PASSWORD,
            "locale": "en",
            "timezone": "America/Montreal",
        },
    )
    assert response.status_code == 201
    assert response.get_json()["timezone"] == "America/Montreal"
    assert response.get_json()["locale"] == "en"


def test_taken_email_is_409(client, user, error_of):
    response = client.post(
        "/api/v1/users",
        json={"email": "ANAIS@example.org", "name": "Another", "password": PASSWORD},
        headers=EN,
    )
    error = error_of(response, 409, "email_taken")
    assert error["fields"] == {"email": "An account already uses this email address."}


def test_short_password_is_400(client, error_of):
    response = client.post(
        "/api/v1/users", json={"email": "b@example.org", "name": "B", "password": "short"}
    )
    error = error_of(response, 400, "validation_error")
    assert set(error["fields"]) == {"password"}


def test_unknown_time_zone_is_400(client, error_of):
    response = client.post(
        "/api/v1/users",
        json={"email": "b@example.org", "name": "B", "password": PASSWORD, "timezone": "Mars"},
    )
    assert set(error_of(response, 400)["fields"]) == {"timezone"}


def test_token_for_right_password(client, user):
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": user.password})
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert token.startswith("cercle_")
    revoke = client.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {token}"})
    assert revoke.status_code == 204


def test_no_token_for_wrong_password_and_no_hint(client, user, error_of):
    wrong = client.post(
        "/api/v1/tokens", json={"email": user.email, "password": "wrong"}, headers=EN
    )
    unknown = client.post(
        "/api/v1/tokens", json={"email": "nobody@example.org", "password": "wrong"}, headers=EN
    )
    assert error_of(wrong, 401, "invalid_credentials") == error_of(
        unknown, 401, "invalid_credentials"
    )
    assert error_of(wrong, 401)["message"] == "This email and password do not match an account."


def test_revoked_token_is_401(api_as, user, error_of):
    api = api_as(user)
    assert api.delete("/api/v1/tokens/current").status_code == 204
    error_of(api.delete("/api/v1/tokens/current"), 401, "invalid_token")


def test_revoking_one_token_keeps_the_others(api_as, user):
    first, second = api_as(user), api_as(user)
    assert first.delete("/api/v1/tokens/current").status_code == 204
    assert second.delete("/api/v1/tokens/current").status_code == 204
