"""Who is told what, in the app: one receiver per event, connected by the factory.

- ``thread_written``, ``comment_written``: the members of the group newly named
  as ``@handle`` (``mention``);
- ``poll_closed``: the members who were eligible when it closed, not the person
  who closed it (``poll_closed``);
- ``voters_reminded``: the undecided voters, with the sender's message
  (``poll_remind``);
- ``poll_closing_soon``: the undecided voters, a day before the close
  (``poll_reminder``);
- ``agreement_review_due``: the group's admins and the proposer of the current
  version (``agreement_review``).

``notify`` keeps to current members of the group and never tells the actor of
their own act. Receivers run inside the transaction of the act itself: a
notification exists if and only if what it tells did happen.
"""

from __future__ import annotations

import sqlalchemy as sa

from .. import events
from ..auth.models import User
from ..extensions import db
from ..markdown import mentioned_handles
from ..polls.services import eligible_voter_ids
from .models import AGREEMENT_REVIEW, MENTION, POLL_CLOSED, POLL_REMIND, POLL_REMINDER
from .services import notify


def _mentioned(text: str, previous: str | None) -> list[int]:
    """Ids of the people newly named in ``text`` (not already in ``previous``)."""
    handles = mentioned_handles(text)
    if previous is not None:
        handles -= mentioned_handles(previous)
    if not handles:
        return []
    return list(db.session.scalars(sa.select(User.id).where(User.handle.in_(handles))))


def mentions_in_thread(thread, *, actor, previous_body, now, **_):
    notify(_mentioned(thread.body, previous_body), MENTION, thread=thread, actor=actor, now=now)


def mentions_in_comment(comment, *, thread, actor, previous_body, now, **_):
    people = _mentioned(comment.body, previous_body)
    notify(people, MENTION, thread=thread, comment=comment, actor=actor, now=now)


def poll_closed(poll, *, closed_by, now, **_):
    notify(eligible_voter_ids(poll, at=now), POLL_CLOSED, poll=poll, actor=closed_by, now=now)


def voters_reminded(poll, *, actor, recipients, message, now, **_):
    notify(recipients, POLL_REMIND, poll=poll, actor=actor, message=message, now=now)


def poll_closing_soon(poll, *, recipients, now, **_):
    notify(recipients, POLL_REMINDER, poll=poll, now=now)


def agreement_review_due(agreement, *, recipients, now, **_):
    notify(recipients, AGREEMENT_REVIEW, group=agreement.group_id, agreement=agreement, now=now)


def connect() -> None:
    """Subscribe each receiver to its event."""
    events.thread_written.connect(mentions_in_thread)
    events.comment_written.connect(mentions_in_comment)
    events.poll_closed.connect(poll_closed)
    events.voters_reminded.connect(voters_reminded)
    events.poll_closing_soon.connect(poll_closing_soon)
    events.agreement_review_due.connect(agreement_review_due)
