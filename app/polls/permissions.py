"""Who may start, vote in, close and read the results of a poll."""

from __future__ import annotations

from datetime import datetime

from ..groups.models import Group
from ..groups.permissions import can_raise_proposal, can_read_content, is_admin, is_member
from ..threads.models import Thread
from ..timeutil import utcnow
from .models import Poll
from .services import current_stance, is_eligible, reopen_refusal, results_hidden


def _group(poll: Poll) -> Group:
    return poll.group


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def can_read_poll(user, poll: Poll) -> bool:
    """The poll itself (question, options, participation): whoever reads the thread."""
    return can_read_content(user, _group(poll))


def can_start_poll(user, thread: Thread, kind: str | None = None) -> bool:
    """Members, in an open thread; a proposal also needs the group's
    ``members_can_raise_proposals`` (admins always may)."""
    group = thread.group
    if not is_member(user, group) or thread.is_closed:
        return False
    if kind == "proposal":
        return can_raise_proposal(user, group)
    return True


def can_raise_proposal_in(user, thread: Thread) -> bool:
    """Whether the "new proposal" button shows in this thread."""
    return can_start_poll(user, thread, "proposal")


def can_vote(user, poll: Poll, now: datetime | None = None) -> bool:
    """An eligible voter (a current member, named if the poll names its voters),
    while the poll is open."""
    if not _signed_in(user) or poll.is_closed(now or utcnow()):
        return False
    return is_eligible(poll, user.id)


def can_manage_poll(user, poll: Poll) -> bool:
    """Its author (still a member) or an admin of the group."""
    group = _group(poll)
    if not is_member(user, group):
        return False
    return poll.author_id == user.id or is_admin(user, group)


def can_edit_poll(user, poll: Poll) -> bool:
    """Correct an open poll, or delete it before anyone voted: the author or an admin
    (the poll's state is checked by the services, under its lock)."""
    return can_manage_poll(user, poll)


def can_close_poll(user, poll: Poll) -> bool:
    """Close early: the author or an admin (closing a closed poll is a 409, not a 403)."""
    return can_manage_poll(user, poll)


def can_reopen_poll(user, poll: Poll) -> bool:
    """Who reopens: the author or an admin (whether the poll may be reopened at all is
    ``reopen_refusal``: 409 with its reason)."""
    return can_manage_poll(user, poll)


def can_reopen_poll_now(user, poll: Poll, now: datetime | None = None) -> bool:
    """Whether «Reopen» is offered: who may (``can_reopen_poll``) and a closed poll
    that may be reopened (not anonymous, its closing changed no agreement)."""
    return can_reopen_poll(user, poll) and reopen_refusal(poll, now or utcnow()) is None


def can_remind_poll(user, poll: Poll) -> bool:
    return can_manage_poll(user, poll)


def can_write_statement(user, poll: Poll) -> bool:
    """The outcome statement: the author or an admin."""
    return can_manage_poll(user, poll)


def can_export_poll(user, poll: Poll) -> bool:
    """The CSV export (page and API): the poll's author or an admin, the people who
    report on a decision; members read the results on the page. What the file holds
    is still what the reader may see (hidden results: 409, anonymous: no names)."""
    return can_manage_poll(user, poll)


def can_see_results(user, poll: Poll, now: datetime | None = None) -> bool:
    """Readers of the poll, as ``results_visibility`` allows: ``always``;
    ``after_vote`` once they took a stance (or the poll closed); ``after_close``
    once closed."""
    if not can_read_poll(user, poll):
        return False
    now = now or utcnow()
    has_voted = _signed_in(user) and current_stance(poll, user.id) is not None
    return not results_hidden(poll, has_voted=has_voted, now=now)
