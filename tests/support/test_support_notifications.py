"""Who is told what when support moves, naming the rule; the periodic command takes each
step once, even when several runs race (threads with their own sessions, on SQLite and
PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.groups.models import Group
from app.notifications.models import Notification
from app.notifications.services import describe
from app.support import services
from app.support.models import SupportRequest

LISTENING = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Réponse dans la demi-heure.",
    "rules": {"reciprocity": "not_required", "urgent_response_minutes": 30},
}


@pytest.fixture
def agreed(decide, thread_circle):
    """The circle adopted «Nos accords d'écoute» (urgent answers within 30 minutes)."""
    decide(LISTENING)
    return thread_circle


@pytest.fixture
def told(run):
    """``told(kind)`` → ``[(user_id, kind, request_id, rule)]`` of that kind."""

    def read(kind):
        return run(
            lambda: [
                (n.user_id, n.kind, n.support_request_id, n.rule)
                for n in db.session.scalars(
                    sa.select(Notification)
                    .where(Notification.kind == kind)
                    .order_by(Notification.user_id)
                )
            ]
        )

    return read


def ask(run, circle, person, now, **fields):
    fields = {"kind": "emotional", "urgent": True, "important": True, **fields}
    return run(
        lambda: (
            services.create_request(
                db.session.get(Group, circle.group.id),
                db.session.get(User, person.id),
                now=now,
                **fields,
            ).id
        )
    )


def test_supporters_are_asked_naming_the_agreement(run, agreed, clock, told, app):
    malik = agreed.admin
    request_id = ask(run, agreed, malik, clock.now)
    asked = told("support_asked")
    assert [user for user, *_ in asked] == sorted(p.id for p in agreed.members)
    rule = asked[0][3]
    assert rule["key"] == "urgent_response_minutes" and rule["version"] == 1
    with app.test_request_context(headers={"Accept-Language": "en"}):
        sentence = describe(
            db.session.scalars(
                sa.select(Notification).where(Notification.kind == "support_asked")
            ).first()
        )
    assert sentence == "Alice asks for support: listening. (as “Nos accords d'écoute” v1 says)"
    assert request_id


def test_a_match_tells_the_requester_and_the_others(run, agreed, clock, told):
    malik, odile, bruno, chloe = agreed.admin, *agreed.members
    request_id = ask(run, agreed, malik, clock.now)
    run(
        lambda: services.respond(
            db.session.get(SupportRequest, request_id),
            db.session.get(User, odile.id),
            available=True,
            now=clock.now + timedelta(minutes=3),
        )
    )
    assert [u for u, *_ in told("support_matched")] == [malik.id]
    assert sorted(u for u, *_ in told("support_taken")) == sorted([bruno.id, chloe.id])


def test_not_now_reaches_the_requester_only(run, agreed, clock, told):
    malik, odile = agreed.admin, agreed.members[0]
    request_id = ask(run, agreed, malik, clock.now)
    run(
        lambda: services.respond(
            db.session.get(SupportRequest, request_id),
            db.session.get(User, odile.id),
            available=False,
            now=clock.now + timedelta(minutes=1),
        )
    )
    assert [u for u, *_ in told("support_declined")] == [malik.id]


def test_the_job_escalates_once_and_lapses_once(run, agreed, clock, told, app):
    from app.jobs.tasks import run_once

    malik = agreed.admin
    urgent = ask(run, agreed, malik, clock.now)
    minor = ask(run, agreed, malik, clock.now, important=False)
    later = clock.now + timedelta(hours=13)
    with app.app_context():
        first = run_once(later)
    with app.app_context():
        second = run_once(later)
    assert first.support_steps == 2 and second.support_steps == 0
    escalated = told("support_escalated")
    assert {u for u, *_ in escalated} == {p.id for p in agreed.members}
    assert [u for u, *_ in told("support_lapsed")] == [malik.id]
    states = run(
        lambda: {
            r.id: (r.status, r.escalated_at, r.lapsed_at)
            for r in db.session.scalars(sa.select(SupportRequest))
        }
    )
    assert states[urgent] == ("open", clock.now + timedelta(minutes=30), None)
    assert states[minor] == ("lapsed", None, clock.now + timedelta(hours=12))


def test_concurrent_job_runs_take_each_step_once(run, agreed, clock, told, app):
    from app.jobs.tasks import run_once

    malik = agreed.admin
    ids = [ask(run, agreed, malik, clock.now + timedelta(seconds=i)) for i in range(4)]
    later = clock.now + timedelta(hours=1)
    start = threading.Barrier(3)
    errors = []

    def worker():
        try:
            with app.app_context():
                start.wait(timeout=10)
                run_once(later)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    escalations = Counter((u, r) for u, _k, r, _rule in told("support_escalated"))
    assert set(escalations.values()) == {1}
    assert {r for _u, r in escalations} == set(ids)
    assert len(escalations) == len(ids) * len(agreed.members)
