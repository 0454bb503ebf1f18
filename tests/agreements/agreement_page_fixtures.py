"""Fixtures of the agreement page tests (``from agreement_page_fixtures import *``): a
circle, a clock, helpers to propose, vote and close (each call in its own app context
and session), and to read pages. Kept out of a conftest shared with the API tests."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow


class Clock:
    """Test time, ten days ago: what the pages show (at the wall clock's now) was
    adopted in the past. The circle's memberships start 30 days ago."""

    def __init__(self):
        self.now = utcnow() - timedelta(days=10)

    def tick(self, **delta) -> object:
        self.now = self.now + timedelta(**delta or {"minutes": 1})
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def circle(make_user, make_group, make_thread, run):
    """An admin (Alice) and three members (Bruno, Chloé, David) in a group with a
    thread, all members for 30 days."""
    from app.groups.models import Membership

    admin = make_user(name="Alice")
    members = [make_user(name=n) for n in ("Bruno", "Chloé", "David")]
    group = make_group(admin, members=members)
    thread = make_thread(group, admin)
    past = utcnow() - timedelta(days=30)

    def backdate():
        for membership in db.session.scalars(
            sa.select(Membership).where(Membership.group_id == group.id)
        ):
            membership.created_at = past

    run(backdate)
    return SimpleNamespace(
        admin=admin, members=members, people=[admin, *members], group=group, thread=thread
    )


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
def page(client, auth):
    """``page(url, user=None, lang="en")`` → ``(status, html)`` of a GET (signed in as
    ``user`` when given)."""

    def get(url: str, user=None, lang: str = "en"):
        if user is not None:
            auth.login(user)
        response = client.get(url, headers={"Accept-Language": lang})
        return response.status_code, response.get_data(as_text=True)

    return get


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
