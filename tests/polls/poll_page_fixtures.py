"""Fixtures shared by the poll page tests (``from poll_page_fixtures import *``).

Kept out of ``tests/polls/conftest.py``, which the API and core tests share.
"""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow

__all__ = ["past_poll", "seed_circle", "set_timezone"]

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def text_of(html: str) -> str:
    """The page's visible text, tags dropped and spaces squeezed (for phrases split by tags)."""
    without = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", without.replace("\xa0", " ").replace("\u202f", " "))


def main_of(html: str) -> str:
    """The ``<main>`` element's HTML (no header, no flash-free footer noise)."""
    start = html.find("<main")
    return html[start : html.find("</main>", start)]


@pytest.fixture
def set_timezone(run):
    """``set_timezone(person, "America/New_York")``: the profile's time zone."""
    from app.auth.models import User

    def change(person, zone: str, locale: str | None = None):
        def write():
            user = db.session.get(User, person.id)
            user.timezone = zone
            if locale:
                user.locale = locale

        run(write)

    return change


@pytest.fixture
def past_poll(run, thread_circle):
    """``past_poll(kind="proposal", stances=[(person, choice, reason)], finalise=False,
    **settings)``: a poll started three hours ago whose closing time passed an hour ago,
    with stances cast two hours ago. Left due (not finalised) unless ``finalise``."""
    from app.auth.models import User
    from app.groups.models import Membership
    from app.polls.models import Poll
    from app.polls.services import cast_stance, create_poll, finalise_if_due
    from app.threads.models import Thread

    def make(kind="proposal", stances=(), finalise=False, **settings):
        now = utcnow()
        started, voted, closing = (
            now - timedelta(hours=3),
            now - timedelta(hours=2),
            now - timedelta(hours=1),
        )
        if kind != "proposal" and "options" not in settings:
            settings["options"] = ["Zoom", "Jitsi", "In person"]

        def create():
            # The members joined before the poll started (eligibility is as of the close).
            db.session.execute(
                sa.update(Membership)
                .where(Membership.group_id == thread_circle.group.id)
                .values(created_at=now - timedelta(days=1))
            )
            poll = create_poll(
                db.session.get(Thread, thread_circle.thread.id),
                author=db.session.get(User, thread_circle.admin.id),
                kind=kind,
                title=settings.pop("title", "Une proposition passée"),
                closing_at=closing,
                now=started,
                **settings,
            )
            for i, (person, choice, reason) in enumerate(stances):
                cast_stance(
                    poll,
                    db.session.get(User, person.id),
                    choice=choice,
                    reason=reason,
                    now=voted + timedelta(minutes=i),
                )
            if finalise:
                finalise_if_due(db.session.get(Poll, poll.id), now)
            return SimpleNamespace(id=poll.id, closing_at=closing, started=started)

        return run(create)

    return make


@pytest.fixture
def seed_circle(make_user, make_group, make_thread):
    """The seed's poll: 18 members, 5 agree, 8 abstain, 3 disagree, 2 block."""
    admin = make_user(name="Isa Rêvolutopiste")
    others = [make_user(name=f"Membre {i:02d}") for i in range(1, 18)]
    group = make_group(admin, members=others)
    thread = make_thread(group, admin, title="Un groupe pour se retrouver ?")
    people = [admin, *others]
    keys = ["agree"] * 5 + ["abstain"] * 8 + ["disagree"] * 3 + ["block"] * 2
    return SimpleNamespace(admin=admin, people=people, group=group, thread=thread, keys=keys)
