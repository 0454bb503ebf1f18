"""A read that finds a poll due closes every earlier due poll first, in closing order."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.polls.models import Poll
from app.polls.services import close_due_polls_before_read


def test_reading_a_later_poll_closes_the_earlier_due_ones_first(app, run, new_poll):
    early = new_poll(closing_in=timedelta(hours=1))
    late = new_poll(closing_in=timedelta(hours=2))
    pending = new_poll(closing_in=timedelta(hours=5))
    now = late.now + timedelta(hours=3)

    with app.test_request_context("/"):
        closed = close_due_polls_before_read(poll_ids=[late.id], now=now)
        assert closed == [early.id, late.id]

    def closing_times():
        rows = db.session.execute(sa.select(Poll.id, Poll.closed_at, Poll.closing_at)).all()
        return {r.id: (r.closed_at, r.closing_at) for r in rows}

    times = run(closing_times)
    assert times[early.id][0] == times[early.id][1]
    assert times[late.id][0] == times[late.id][1]
    assert times[pending.id][0] is None


def test_closing_a_poll_early_first_closes_the_ones_already_due(app, run, thread_circle, new_poll):
    from app.auth.models import User
    from app.polls.services import close_poll

    due = new_poll(closing_in=timedelta(hours=1))
    later = new_poll(closing_in=timedelta(hours=5))
    now = due.now + timedelta(hours=2)

    def close_later():
        poll = db.session.get(Poll, later.id)
        close_poll(poll, actor=db.session.get(User, thread_circle.admin.id), now=now)

    run(close_later)

    def closing():
        rows = db.session.execute(sa.select(Poll.id, Poll.closed_at, Poll.closing_at)).all()
        return {r.id: (r.closed_at, r.closing_at) for r in rows}

    times = run(closing)
    assert times[due.id][0] == times[due.id][1]  # as of its own closing time, first
    assert times[later.id][0] == now
