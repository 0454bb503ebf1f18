"""Fixtures for proposals and agreements with the database: a circle, a clock, and
helpers to propose, vote and close (each call in its own app context and session)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.timeutil import utcnow


class Clock:
    """Test time, ahead of the wall clock (memberships were created before it)."""

    def __init__(self):
        self.now = utcnow() + timedelta(minutes=1)

    def tick(self, **delta) -> object:
        self.now = self.now + timedelta(**delta or {"minutes": 1})
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()
