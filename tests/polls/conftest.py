"""Fixtures for the poll tests (``new_poll`` and ``cast_choice`` are in ``fixtures.polls``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def closed_hook():
    """Register an ``on_poll_closed`` hook for the test; the list of its calls."""
    from app.polls import services

    calls = []

    def hook(poll, closed_at):
        calls.append((poll.id, closed_at))

    services.on_poll_closed.append(hook)
    yield calls
    services.on_poll_closed.remove(hook)
