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


@pytest.fixture
def run(app):
    """``run(fn)``: call ``fn()`` in a fresh app context and session, commit, return its result."""

    def call(fn):
        with app.app_context():
            try:
                result = fn()
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise

    return call


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


@pytest.fixture
def propose(run, circle, clock):
    """``propose(change=None, author=None, closing_in=timedelta(days=1), thread=None)`` →
    a new proposal created now (``clock.now``), carrying ``change``: record with ``id``,
    ``closing_at``, ``change_id``."""
    from app.auth.models import User
    from app.polls.services import create_poll
    from app.proposals.services import attach_agreement_change
    from app.threads.models import Thread

    def make(change=None, *, author=None, closing_in=timedelta(days=1), thread=None):
        now = clock.now
        author = author or circle.admin

        def create():
            poll = create_poll(
                db.session.get(Thread, (thread or circle.thread).id),
                author=db.session.get(User, author.id),
                kind="proposal",
                title="Une proposition",
                closing_at=now + closing_in,
                now=now,
            )
            record = None
            if change is not None:
                record = attach_agreement_change(poll, change, now=now)
            return SimpleNamespace(
                id=poll.id, closing_at=poll.closing_at, change_id=getattr(record, "id", None)
            )

        return run(create)

    return make


@pytest.fixture
def vote(run, clock):
    """``vote(poll, person, key, reason=...)`` at ``clock.now`` (a block gets a reason)."""
    from app.auth.models import User
    from app.polls.models import Poll
    from app.polls.services import cast_stance

    def cast(poll, person, key, reason=None):
        if reason is None:
            reason = "Je bloque parce que…" if key == "block" else ""
        now = clock.now
        return run(
            lambda: (
                cast_stance(
                    db.session.get(Poll, poll.id),
                    db.session.get(User, person.id),
                    choice={"key": key},
                    reason=reason,
                    now=now,
                ).id
            )
        )

    return cast


@pytest.fixture
def close(run, circle, clock):
    """``close(poll, actor=None)``: close early at ``clock.now`` → the outcome as the API
    shows it (English)."""
    from app.auth.models import User
    from app.polls.models import Poll
    from app.polls.services import close_poll
    from app.proposals.services import outcome_json

    def do(poll, actor=None):
        now = clock.now

        def closing():
            closed = close_poll(
                db.session.get(Poll, poll.id),
                actor=db.session.get(User, (actor or circle.admin).id),
                now=now,
            )
            return outcome_json(closed, "en")

        return run(closing)

    return do


@pytest.fixture
def decide(propose, vote, close, circle, clock):
    """``decide(change, votes=None)``: propose, vote (``[(person, key)]``, default: everyone
    agrees), close, a minute apart → (poll record, outcome)."""

    def make(change, votes=None, **kwargs):
        poll = propose(change, **kwargs)
        clock.tick()
        for person, key in votes if votes is not None else [(p, "agree") for p in circle.people]:
            vote(poll, person, key)
        clock.tick()
        outcome = close(poll)
        clock.tick()
        return poll, outcome

    return make


@pytest.fixture(autouse=True)
def _proposal_hooks():
    """The proposals' poll hooks are registered at import; make sure a test elsewhere
    that cleared the polls' hook lists has not removed them."""
    from app.polls import services as polls
    from app.proposals import services as proposals

    if proposals.decide not in polls.on_poll_closed:
        polls.on_poll_closed.insert(0, proposals.decide)
    if proposals.changed_no_agreement not in polls.can_reopen:
        polls.can_reopen.append(proposals.changed_no_agreement)
    yield


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
