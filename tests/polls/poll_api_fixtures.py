"""Fixtures shared by the polls API tests (``from poll_api_fixtures import *``).

Kept out of ``tests/polls/conftest.py`` so that the API tests and the page tests,
written side by side, do not edit one file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import isoformat_z, utcnow

#: the fixtures, for ``from poll_api_fixtures import *`` in the test modules
__all__ = ["move_closing", "stances_of", "start_poll"]

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def iso(moment: datetime) -> str:
    return isoformat_z(moment)


def in_hours(hours: float) -> str:
    return iso(utcnow() + timedelta(hours=hours))


def parse(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.fixture
def start_poll(api, thread_circle):
    """``start_poll(kind="proposal", by=admin, thread=None, closing_in=24h, **payload)``
    → the poll's JSON, created through the API."""

    def start(kind="proposal", by=None, thread=None, closing_in=24, **payload):
        body = {"kind": kind, "title": payload.pop("title", "Un groupe Zoom ?")}
        body["closing_at"] = in_hours(closing_in)
        if kind not in ("proposal", "meeting") and "options" not in payload:
            payload["options"] = ["Zoom", "Jitsi", "En vrai"]
        body.update(payload)
        thread_id = (thread or thread_circle.thread).id
        response = api(by or thread_circle.admin).post(
            f"/api/v1/threads/{thread_id}/polls", json=body
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return start


@pytest.fixture
def move_closing(run):
    """``move_closing(poll_id, when)``: set the poll's closing time in the database (as if
    time had passed), without finalising anything."""
    from app.polls.models import Poll

    def move(poll_id, when: datetime):
        run(
            lambda: db.session.execute(
                sa.update(Poll).where(Poll.id == poll_id).values(closing_at=when)
            )
        )

    return move


@pytest.fixture
def stances_of(run):
    """``stances_of(poll_id)`` → ``[(voter_id, choice, is_current)]`` from the database."""
    from app.polls.models import Stance

    def read(poll_id):
        rows = run(
            lambda: db.session.execute(
                sa.select(Stance.voter_id, Stance.choice, Stance.is_current)
                .where(Stance.poll_id == poll_id)
                .order_by(Stance.id)
            ).all()
        )
        return [tuple(r) for r in rows]

    return read
