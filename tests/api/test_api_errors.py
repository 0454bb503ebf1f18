"""Every kind of API error has the shape {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import pytest
from marshmallow import Schema

from app.api import Blueprint
from app.api.schemas import UTCDateTime
from app.errors import ValidationFailed

EN = {"Accept-Language": "en"}
PASSWORD = "a sentence I remember"


def _post_user(client, body, **kw):
    return client.post("/api/v1/users", headers=EN, **({"json": body} if body is not None else kw))


# -- 400 -----------------------------------------------------------------------------


def test_missing_field(client, error_of):
    error = error_of(_post_user(client, {"email": "b@example.org", "name": "B"}), 400)
    assert error["code"] == "validation_error"
    assert error["fields"] == {"password": "This field is required."}


def test_unknown_field(client, error_of):
    body = {"email": "b@example.org", "name": "B", "password": PASSWORD, "admin": True}
    error = error_of(_post_user(client, body), 400, "validation_error")
    assert error["fields"] == {"admin": "Unknown field."}


def test_wrong_type(client, error_of):
    body = {"email": "b@example.org", "name": 12, "password": PASSWORD}
    error = error_of(_post_user(client, body), 400, "validation_error")
    assert error["fields"] == {"name": "Must be a string."}


def test_invalid_email(client, error_of):
    body = {"email": "not an address", "name": "B", "password": PASSWORD}
    error = error_of(_post_user(client, body), 400, "validation_error")
    assert error["fields"] == {"email": "Not a valid email address."}


def test_several_bad_fields_are_all_named(client, error_of):
    error = error_of(_post_user(client, {"name": 3}), 400, "validation_error")
    assert set(error["fields"]) == {"email", "name", "password"}


def test_body_not_json(client, error_of):
    response = client.post(
        "/api/v1/users", data="email=b@example.org", content_type="text/plain", headers=EN
    )
    error_of(response, 400, "invalid_json")


def test_body_broken_json(client, error_of):
    response = client.post(
        "/api/v1/users", data='{"email": ', content_type="application/json", headers=EN
    )
    error_of(response, 400, "invalid_json")


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "12"])
def test_body_not_an_object(client, error_of, body):
    response = client.post("/api/v1/users", data=body, content_type="application/json", headers=EN)
    error_of(response, 400)


def test_naive_datetime_is_refused(app, error_of):
    """A time without a zone is 400 naming the field (UTCDateTime, shared by every API)."""

    class WhenSchema(Schema):
        closing_at = UTCDateTime(required=True)

    parser = Blueprint.ARGUMENTS_PARSER
    with app.test_request_context(
        "/api/v1/x", method="POST", json={"closing_at": "2026-05-12T09:30:00"}, headers=EN
    ):
        with pytest.raises(ValidationFailed) as caught:
            parser.parse(WhenSchema(), location="json")
    assert caught.value.fields == {
        "closing_at": "Give a time zone (for example 2026-05-12T09:30:00+02:00)."
    }
    with app.test_request_context(
        "/api/v1/x", method="POST", json={"closing_at": "2026-05-12T09:30:00+02:00"}
    ):
        parsed = parser.parse(WhenSchema(), location="json")
    assert parsed["closing_at"].isoformat() == "2026-05-12T07:30:00+00:00"


# -- 401 -----------------------------------------------------------------------------


def test_no_token_is_401(client, error_of):
    response = client.delete("/api/v1/tokens/current", headers=EN)
    error = error_of(response, 401, "unauthorized")
    assert "token" in error["message"].lower()


def test_bad_token_is_401(client, error_of):
    response = client.delete(
        "/api/v1/tokens/current", headers={"Authorization": "Bearer cercle_nope", **EN}
    )
    error_of(response, 401, "invalid_token")


@pytest.mark.parametrize("header", ["Basic YTpi", "Bearer", "Bearer ", "cercle_x", "Token x"])
def test_malformed_authorization_is_401(client, error_of, header):
    response = client.delete("/api/v1/tokens/current", headers={"Authorization": header})
    error_of(response, 401)


def test_401_comes_before_404(client, error_of):
    error_of(client.get("/api/v1/groups/nope"), 401, "unauthorized")
    error_of(client.get("/api/v1/no/such/path"), 401, "unauthorized")
    error_of(
        client.get("/api/v1/no/such/path", headers={"Authorization": "Bearer bad"}),
        401,
        "invalid_token",
    )


# -- 404, 405, 409, 429 ---------------------------------------------------------------


def test_unknown_path_with_a_token_is_404_json(api_as, user, error_of):
    api = api_as(user)
    error_of(api.get("/api/v1/no/such/path", headers=EN), 404, "not_found")
    error_of(api.get("/api/v1/", headers=EN), 404, "not_found")


def test_unknown_path_outside_v1_is_json_too(client, error_of):
    error_of(client.get("/api/v2/users", headers=EN), 404, "not_found")


def test_wrong_method_is_405(api_as, user, error_of):
    api = api_as(user)
    response = api.get("/api/v1/tokens", headers=EN)
    error_of(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    error_of(api.put("/api/v1/tokens/current", json={}), 405, "method_not_allowed")


def test_taken_email_is_409(client, user, error_of):
    body = {"email": user.email, "name": "B", "password": PASSWORD}
    error = error_of(_post_user(client, body), 409, "email_taken")
    assert set(error["fields"]) == {"email"}


class TestRateLimited:
    @pytest.fixture
    def app_config(self):
        """Two failed sign-ins a minute."""
        return {"SIGNIN_RATE_LIMIT": "2 per minute"}

    def test_429(self, client, user, error_of):
        body = {"email": user.email, "password": "wrong"}
        for _ in range(2):
            error_of(client.post("/api/v1/tokens", json=body, headers=EN), 401)
        response = client.post("/api/v1/tokens", json=body, headers=EN)
        error = error_of(response, 429, "rate_limited")
        assert error["message"] == (
            "Too many failed sign-ins. Please wait a minute before trying again."
        )
        assert int(response.headers["Retry-After"]) > 0


def test_pages_are_not_json(client):
    """Outside /api/, errors are pages for people."""
    response = client.get("/nowhere", headers=EN)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Page not found" in response.get_data(as_text=True)


class TestServerError:
    @pytest.fixture
    def app_config(self):
        """Errors become 500 responses instead of reaching the test."""
        return {"PROPAGATE_EXCEPTIONS": False}

    @pytest.fixture
    def boom(self, app):
        """``/api/v1/boom`` and ``/boom``: routes that raise an unexpected error."""

        def fail():
            raise RuntimeError("secret detail")

        app.add_url_rule("/api/v1/boom", "api_boom", fail)
        app.add_url_rule("/boom", "page_boom", fail)

    def test_api_500_has_the_error_shape(self, boom, api_as, user, error_of):
        response = api_as(user).get("/api/v1/boom", headers=EN)
        error = error_of(response, 500, "server_error")
        assert "secret detail" not in response.get_data(as_text=True)
        assert error["message"] == (
            "Something went wrong on our side. Please try again in a moment."
        )

    def test_page_500_is_a_page(self, boom, client):
        response = client.get("/boom", headers=EN)
        assert response.status_code == 500
        html = response.get_data(as_text=True)
        assert "Something went wrong on our side" in html
        assert "secret detail" not in html and "Traceback" not in html


def test_abort_messages_are_translated_not_werkzeug_prose(app, api_as, user, error_of):
    response = api_as(user).get("/api/v1/no/such/path", headers=EN)
    assert "requested URL was not found" not in error_of(response, 404)["message"]


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "Give 1 to 100 items."), ("fr", "Donnez de 1 à 100 éléments.")],
)
def test_a_list_of_the_wrong_length_is_told_in_items_not_characters(
    api_as, make_user, error_of, lang, said
):
    user = make_user(name="Lise Liste")
    response = api_as(user).post(
        "/api/v1/notifications/read", json={"ids": []}, headers={"Accept-Language": lang}
    )
    assert error_of(response, 400)["fields"] == {"ids": said}
