"""Who may start a poll, vote, close it and see its results."""

from __future__ import annotations

from datetime import timedelta

from app.auth.models import User
from app.extensions import db
from app.groups.models import Group
from app.polls import permissions as can
from app.polls.models import Poll
from app.threads.models import Thread
from app.timeutil import utcnow


def _check(run, predicate, person, target_model, target_id, *args):
    def call():
        user = db.session.get(User, person.id) if person else None
        return predicate(user, db.session.get(target_model, target_id), *args)

    return run(call)


def test_members_start_polls_in_open_threads(run, thread_circle, make_user):
    stranger = make_user(name="Eve")
    member, admin = thread_circle.members[0], thread_circle.admin
    tid = thread_circle.thread.id
    assert _check(run, can.can_start_poll, member, Thread, tid)
    assert _check(run, can.can_start_poll, member, Thread, tid, "proposal")
    assert not _check(run, can.can_start_poll, stranger, Thread, tid)
    assert not _check(run, can.can_start_poll, None, Thread, tid)

    def no_member_proposals():
        db.session.get(Group, thread_circle.group.id).members_can_raise_proposals = False

    run(no_member_proposals)
    assert _check(run, can.can_start_poll, member, Thread, tid, "choice")
    assert not _check(run, can.can_start_poll, member, Thread, tid, "proposal")
    assert not _check(run, can.can_raise_proposal_in, member, Thread, tid)
    assert _check(run, can.can_start_poll, admin, Thread, tid, "proposal")

    def close_thread():
        db.session.get(Thread, tid).closed_at = utcnow()

    run(close_thread)
    assert not _check(run, can.can_start_poll, admin, Thread, tid)


def test_voting_needs_an_eligible_voter_and_an_open_poll(run, thread_circle, new_poll, make_user):
    bruno, chloe = thread_circle.members[:2]
    poll = new_poll(voters=[bruno.id])
    stranger = make_user(name="Eve")
    assert _check(run, can.can_vote, bruno, Poll, poll.id)
    assert not _check(run, can.can_vote, chloe, Poll, poll.id)
    assert not _check(run, can.can_vote, stranger, Poll, poll.id)
    assert not _check(run, can.can_vote, None, Poll, poll.id)
    assert not _check(run, can.can_vote, bruno, Poll, poll.id, poll.closing_at)


def test_the_author_or_an_admin_closes(run, thread_circle, new_poll):
    bruno, chloe = thread_circle.members[:2]
    poll = new_poll(author=bruno)
    assert _check(run, can.can_close_poll, bruno, Poll, poll.id)
    assert _check(run, can.can_close_poll, thread_circle.admin, Poll, poll.id)
    assert not _check(run, can.can_close_poll, chloe, Poll, poll.id)
    assert _check(run, can.can_write_statement, bruno, Poll, poll.id)
    assert not _check(run, can.can_reopen_poll, chloe, Poll, poll.id)


def test_results_visibility(run, thread_circle, new_poll, cast_choice, make_user):
    bruno, chloe = thread_circle.members[:2]
    always = new_poll()
    after_vote = new_poll(results_visibility="after_vote")
    after_close = new_poll(results_visibility="after_close")
    stranger = make_user(name="Eve")
    assert _check(run, can.can_see_results, chloe, Poll, always.id)
    assert not _check(run, can.can_see_results, stranger, Poll, always.id)  # secret group
    assert not _check(run, can.can_see_results, bruno, Poll, after_vote.id)
    cast_choice(after_vote, bruno, {"key": "agree"})
    assert _check(run, can.can_see_results, bruno, Poll, after_vote.id)
    assert not _check(run, can.can_see_results, chloe, Poll, after_vote.id)
    cast_choice(after_close, bruno, {"key": "agree"})
    assert not _check(run, can.can_see_results, bruno, Poll, after_close.id)
    assert not _check(run, can.can_see_results, thread_circle.admin, Poll, after_close.id)
    closed = after_close.closing_at + timedelta(seconds=1)
    assert _check(run, can.can_see_results, chloe, Poll, after_close.id, closed)
