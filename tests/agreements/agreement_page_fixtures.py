"""Fixtures of the agreement page tests (``from agreement_page_fixtures import *``): the
scene ten days ago (the root ``propose``, ``vote``, ``close`` and ``decide`` then act in
the past), adopting and amending, and reading pages. Kept out of a conftest shared with
the API tests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow


@pytest.fixture
def ten_days_ago(clock, thread_circle, run):
    """The scene of the agreement pages: the proposal helpers' clock goes back ten days
    and the circle's members joined 30 days ago, so that what they adopt is in force
    at the wall clock's now (what the pages show)."""
    from app.groups.models import Membership

    past = utcnow() - timedelta(days=30)

    def backdate():
        for membership in db.session.scalars(
            sa.select(Membership).where(Membership.group_id == thread_circle.group.id)
        ):
            membership.created_at = past

    run(backdate)
    clock.now = utcnow() - timedelta(days=10)


EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}

#: the seed's agreement, as a proposal adopts it
LISTENING = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Pas de réciprocité obligatoire.\n\nOn vérifie la disponibilité.",
    "rules": {
        "reciprocity": "not_required",
        "relance_after_days": 21,
        "rhythm_per_week": 2,
        "availability_check": True,
    },
}


def text_of(html: str) -> str:
    """The page's visible text, tags dropped and spaces squeezed."""
    without = re.sub(r"<[^>]+>", " ", html)
    without = without.replace("&#39;", "'").replace("&amp;", "&").replace("&nbsp;", " ")
    return re.sub(r"\s+", " ", without.replace("\xa0", " ").replace("\u202f", " "))


@pytest.fixture
def adopted(decide):
    """``adopted(change=LISTENING, **kw)`` → the agreement id adopted by a new proposal
    everyone agreed to."""

    def make(change=None, **kwargs):
        poll, outcome = decide(change or LISTENING, **kwargs)
        assert outcome["applied"], outcome
        return outcome["agreement_id"], poll

    return make


@pytest.fixture
def amend(decide):
    """``amend(agreement_id, base_version, **fields)`` → (poll, outcome) of an adopted
    amendment."""

    def make(agreement_id, base_version, votes=None, **fields):
        change = {"action": "amend", "agreement_id": agreement_id, "base_version": base_version}
        change.update(fields)
        return decide(change, votes=votes)

    return make
