"""The outbox's mechanics (``app/outbox.py``): claims, leases, results, backoff."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from app import outbox
from app.extensions import db
from app.timeutil import utcnow


def _write(app, *, due_in=timedelta(0), now=None):
    now = now or utcnow()
    with app.app_context():
        delivery = outbox.enqueue(
            outbox.EMAIL,
            "account",
            now=now,
            due_at=now + due_in,
            payload={"to": "a@example.org", "subject": "s", "text": "t", "headers": {}},
        )
        db.session.commit()
        return delivery.id


def _row(app, delivery_id):
    with app.app_context():
        delivery = db.session.get(outbox.Delivery, delivery_id)
        db.session.expunge(delivery)
        return delivery


def test_the_backoff_grows_over_about_three_days_then_gives_up():
    now = utcnow()
    rng = random.Random(7)
    waits = [outbox.next_attempt_at(n, now, rng=rng) - now for n in range(1, outbox.MAX_ATTEMPTS)]
    for wait, planned in zip(waits, outbox.BACKOFF, strict=True):
        assert planned * 0.8 <= wait <= planned * 1.2
    assert timedelta(days=2.5) < sum(waits, timedelta(0)) < timedelta(days=3.7)
    assert outbox.next_attempt_at(outbox.MAX_ATTEMPTS, now) is None


def test_retry_after_is_honoured_up_to_a_day():
    now = utcnow()
    assert outbox.next_attempt_at(1, now, timedelta(seconds=120)) - now == timedelta(seconds=120)
    assert outbox.next_attempt_at(1, now, timedelta(days=9)) - now == timedelta(days=1)


def test_a_delivery_is_claimed_once_and_not_before_it_is_due(app):
    now = utcnow()
    later = _write(app, due_in=timedelta(minutes=10), now=now)
    due = _write(app, now=now)
    with app.app_context():
        token, ids = outbox.claim_due(now)
        assert ids == [due]
        assert outbox.claim_due(now)[1] == [], "a claimed delivery is not claimed again"
        assert outbox.claim_due(now + timedelta(minutes=11))[1] == [later]
    assert _row(app, due).status == outbox.SENDING
    assert _row(app, due).attempts == 1


def test_a_lost_lease_is_claimed_again_and_the_first_sender_cannot_record(app):
    now = utcnow()
    delivery_id = _write(app, now=now)
    with app.app_context():
        first, _ids = outbox.claim_due(now)
        # The first sender died; after the lease, another run takes it over.
        second, ids = outbox.claim_due(now + outbox.LEASE + timedelta(seconds=1))
        assert ids == [delivery_id]
        late = outbox.record(delivery_id, first, outbox.Result(ok=True), now, 5)
        assert late is False, "a stale claim records nothing"
        assert outbox.record(delivery_id, second, outbox.Result(ok=True), now, 5)
    row = _row(app, delivery_id)
    assert (row.status, row.attempts, row.claim) == (outbox.SENT, 2, None)


def test_a_failure_waits_then_a_permanent_one_gives_up(app):
    now = utcnow()
    delivery_id = _write(app, now=now)
    with app.app_context():
        token, _ids = outbox.claim_due(now)
        failed = outbox.Result(ok=False, status=451, error="try later")
        outbox.record(delivery_id, token, failed, now, 12)
    row = _row(app, delivery_id)
    assert row.status == outbox.PENDING
    assert row.due_at >= now + outbox.BACKOFF[0] * 0.8
    assert (row.last_status, row.last_error, row.last_duration_ms) == (451, "try later", 12)
    with app.app_context():
        assert outbox.claim_due(now)[1] == [], "not before the backoff"
        token, ids = outbox.claim_due(now + timedelta(minutes=1))
        refused = outbox.Result(ok=False, status=550, error="no such user", permanent=True)
        outbox.record(delivery_id, token, refused, now, 3)
    assert _row(app, delivery_id).status == outbox.FAILED


def test_cancelling_leaves_sent_deliveries_alone(app):
    now = utcnow()
    sent, waiting = _write(app, now=now), _write(app, due_in=timedelta(hours=1), now=now)
    with app.app_context():
        token, _ids = outbox.claim_due(now)
        outbox.record(sent, token, outbox.Result(ok=True), now, 1)
        count = outbox.cancel_pending(outbox.Delivery.kind == "account", now=now, reason="gone")
        db.session.commit()
        assert count == 1
        rows = db.session.execute(sa.select(outbox.Delivery.id, outbox.Delivery.status))
        statuses = {row.id: row.status for row in rows}
    assert statuses == {sent: outbox.SENT, waiting: outbox.CANCELLED}


def test_the_heartbeat_says_when_the_periodic_work_last_ran(app):
    now = utcnow()
    with app.app_context():
        assert outbox.last_beat() is None
        outbox.beat("jobs", now, "machine-a", "closed 0 polls")
        outbox.beat("jobs", now + timedelta(seconds=30), "machine-b", "closed 1 poll")
        beat = outbox.last_beat()
        assert (beat.host, beat.summary) == ("machine-b", "closed 1 poll")
        assert beat.last_run_at == now + timedelta(seconds=30)
