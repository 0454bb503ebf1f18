"""Fixtures for the poll tests (``new_poll`` and ``cast_choice`` are in ``fixtures.polls``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def closed_hook():
    """Subscribe to ``events.poll_closed`` for the test; the list of its calls."""
    from app import events

    calls = []

    def receiver(poll, *, now, **_):
        calls.append((poll.id, now))

    events.poll_closed.connect(receiver)
    yield calls
    events.poll_closed.disconnect(receiver)
