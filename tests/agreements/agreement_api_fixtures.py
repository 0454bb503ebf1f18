"""Fixtures shared by the agreements API tests (``from agreement_api_fixtures import *``).

Kept out of a ``conftest.py`` so that the API tests and the page tests of agreements,
written side by side, do not edit one file.

``history`` makes agreements the way the product does (a proposal, stances, its
closing), through the services and in the past: the group's memberships are
back-dated a month and the clock starts ten days ago, so that what was adopted is
in force *now* for the API's default ``as_of``.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow

__all__ = ["circle_and_other_group", "history", "make_history"]

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


@pytest.fixture
def circle_and_other_group(make_user, make_group, make_thread):
    """An admin (Alice) and three members (Bruno, Chloé, David) of the secret group
    ``entraide``, with a thread; and Eve, who belongs to another group."""
    admin = make_user(name="Alice")
    members = [make_user(name=n) for n in ("Bruno", "Chloé", "David")]
    group = make_group(admin, members=members, handle="entraide")
    thread = make_thread(group, admin)
    outsider = make_user(name="Eve")
    other_group = make_group(outsider, handle="ailleurs")
    other_thread = make_thread(other_group, outsider)
    return SimpleNamespace(
        admin=admin,
        members=members,
        people=[admin, *members],
        group=group,
        thread=thread,
        outsider=outsider,
        other_group=other_group,
        other_thread=other_thread,
    )


class History:
    """Adopt, amend and repeal agreements of a group through proposals, in the past.

    Each change is a proposal made at ``now``, every member agreeing a minute later
    (or ``votes``), closed a minute after that. Returns ``SimpleNamespace(poll_id,
    agreement_id, version, adopted, applied, closed_at)``.
    """

    def __init__(self, app, group, thread, people, start):
        self.app = app
        self.group = group
        self.thread = thread
        self.people = people
        self.now = start

    def tick(self, minutes: int = 1):
        self.now = self.now + timedelta(minutes=minutes)
        return self.now

    def _decide(self, change, votes=None):
        from app.auth.models import User
        from app.polls.models import Poll
        from app.polls.services import cast_stance, close_poll, create_poll
        from app.proposals.services import attach_agreement_change, outcome_for
        from app.threads.models import Thread

        with self.app.app_context():
            author = db.session.get(User, self.people[0].id)
            poll = create_poll(
                db.session.get(Thread, self.thread.id),
                author=author,
                kind="proposal",
                title="Une proposition",
                closing_at=self.now + timedelta(days=1),
                now=self.now,
            )
            attach_agreement_change(poll, change, now=self.now)
            self.tick()
            for person, key in votes or [(p, "agree") for p in self.people]:
                reason = "Je bloque parce que…" if key == "block" else ""
                cast_stance(
                    poll,
                    db.session.get(User, person.id),
                    choice={"key": key},
                    reason=reason,
                    now=self.now,
                )
            self.tick()
            closed = close_poll(db.session.get(Poll, poll.id), actor=author, now=self.now)
            outcome = outcome_for(closed)
            result = SimpleNamespace(
                poll_id=poll.id,
                agreement_id=outcome.agreement_id,
                version=outcome.version,
                adopted=outcome.adopted,
                applied=outcome.applied,
                closed_at=closed.closed_at,
            )
            db.session.commit()
        self.tick()
        return result

    def adopt(
        self,
        title="Nos accords d'écoute",
        body="Pas de réciprocité exigée.",
        rules=None,
        votes=None,
        **extra,
    ):
        change = {"action": "adopt", "title": title, "body": body, "rules": rules or {}, **extra}
        return self._decide(change, votes)

    def amend(self, agreement_id, base_version, votes=None, **fields):
        change = {
            "action": "amend",
            "agreement_id": agreement_id,
            "base_version": base_version,
            **fields,
        }
        return self._decide(change, votes)

    def repeal(self, agreement_id, base_version, votes=None):
        change = {"action": "repeal", "agreement_id": agreement_id, "base_version": base_version}
        return self._decide(change, votes)


def _backdate_memberships(app, group_id: int, days: int = 30) -> None:
    from app.groups.models import Membership

    with app.app_context():
        db.session.execute(
            sa.update(Membership)
            .where(Membership.group_id == group_id)
            .values(created_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()


@pytest.fixture
def make_history(app):
    """``make_history(group, thread, people)`` → a ``History`` starting ten days ago."""

    def make(group, thread, people):
        _backdate_memberships(app, group.id)
        return History(app, group, thread, people, utcnow() - timedelta(days=10))

    return make


@pytest.fixture
def history(make_history, circle_and_other_group):
    """A ``History`` of the circle's group."""
    return make_history(
        circle_and_other_group.group, circle_and_other_group.thread, circle_and_other_group.people
    )
