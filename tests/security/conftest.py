"""Fixtures for the security tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def user(make_user):
    """One account: Anaïs Martin, anais@example.org."""
    return make_user(name="Anaïs Martin", email="anais@example.org")


@pytest.fixture
def signin(client):
    """``signin(email, password, remember=False)`` posts the sign-in form."""

    def post(email, password, *, remember=False):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return client.post("/signin", data=data, headers={"Accept-Language": "en"})

    return post
