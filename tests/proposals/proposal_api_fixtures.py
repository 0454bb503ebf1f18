"""Fixtures for the proposals' HTTP tests (``from proposal_api_fixtures import *``): a
proposal made, voted on and closed through the API, at the wall clock's time.

Kept out of ``conftest.py`` so that these tests and the proposal page tests, written
side by side, do not edit one file.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import isoformat_z, utcnow

__all__ = ["close_poll_api", "count_rows", "start_proposal", "vote_api"]

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}

LISTENING = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Pas de réciprocité exigée.",
    "rules": {"reciprocity": "not_required", "relance_after_days": 21, "rhythm_per_week": 2},
}


def in_hours(hours: float) -> str:
    return isoformat_z(utcnow() + timedelta(hours=hours))


@pytest.fixture
def start_proposal(api, thread_circle):
    """``start_proposal(change, by=admin, thread=None, kind="proposal", expect=201,
    headers=None, **payload)`` → the response's JSON (the poll, or the error)."""

    def start(
        change=None, *, by=None, thread=None, kind="proposal", expect=201, headers=None, **payload
    ):
        body = {"kind": kind, "title": payload.pop("title", "Nos accords d'écoute")}
        body["closing_at"] = payload.pop("closing_at", in_hours(24))
        if kind not in ("proposal", "meeting"):
            body["options"] = ["Zoom", "Jitsi"]
        if change is not None:
            body["agreement_change"] = change
        body.update(payload)
        response = api(by or thread_circle.admin).post(
            f"/api/v1/threads/{(thread or thread_circle.thread).id}/polls",
            json=body,
            headers=headers,
        )
        assert response.status_code == expect, response.get_json()
        return response

    return start


@pytest.fixture
def vote_api(api):
    """``vote_api(poll_id, person, key, reason=None)``: PUT the stance (a block gets a
    reason)."""

    def vote(poll_id, person, key, reason=None):
        if reason is None:
            reason = "Je bloque parce que…" if key == "block" else ""
        response = api(person).put(
            f"/api/v1/polls/{poll_id}/stance", json={"key": key, "reason": reason}
        )
        assert response.status_code == 200, response.get_json()

    return vote


@pytest.fixture
def close_poll_api(api, thread_circle):
    """``close_poll_api(poll_id, by=admin, headers=EN)`` → the close's JSON."""

    def close(poll_id, by=None, headers=None):
        response = api(by or thread_circle.admin).post(
            f"/api/v1/polls/{poll_id}/close", headers=headers or EN
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return close


@pytest.fixture
def count_rows(app):
    """``count_rows(Model, *where)`` → how many rows, read in a fresh session."""

    def count(model, *where):
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    return count
