"""Fixtures for the account tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def signin(client):
    """``signin(email, password, ip=..., remember=..., next_=...)`` posts the sign-in form."""

    def post(email, password, *, ip="127.0.0.1", remember=False, next_=None, lang="en", c=None):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        url = "/signin" + (f"?next={next_}" if next_ else "")
        return (c or client).post(
            url,
            data=data,
            headers={"Accept-Language": lang},
            environ_base={"REMOTE_ADDR": ip},
        )

    return post


@pytest.fixture
def user(make_user):
    """One account: Anaïs Martin, anais@example.org."""
    return make_user(name="Anaïs Martin", email="anais@example.org")


