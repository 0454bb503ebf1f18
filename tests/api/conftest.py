"""Fixtures for the API-shape tests."""

from __future__ import annotations

import re

import pytest

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@pytest.fixture
def user(make_user):
    """One account: Anaïs Martin, anais@example.org."""
    return make_user(name="Anaïs Martin", email="anais@example.org")


@pytest.fixture
def error_of():
    """``error_of(response, status, code=None)`` checks the documented error shape
    and returns ``body["error"]``."""

    def check(response, status, code=None):
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert set(body) == {"error"}
        error = body["error"]
        assert set(error) == {"code", "message", "fields"}
        assert SNAKE.match(error["code"]), error["code"]
        assert isinstance(error["message"], str) and error["message"].strip()
        assert isinstance(error["fields"], dict)
        assert all(isinstance(v, str) and v for v in error["fields"].values())
        if code is not None:
            assert error["code"] == code
        return error

    return check
