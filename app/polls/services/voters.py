"""Who may vote: the eligible voters (now, or as of a close), the undecided, the named list,
and the manual reminder."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ... import events
from ...auth.models import User
from ...extensions import db
from ...groups.models import Group, Membership
from ...groups.services import members_at
from ..models import Poll, PollVoter, Stance


def eligible_voter_ids(poll: Poll, *, at: datetime | None = None) -> set[int]:
    """Who may vote (and whose stance counts): the current members, or the members
    ``at`` a past instant (a closed poll); intersected with the named voters."""
    if at is None:
        ids = set(
            db.session.scalars(
                sa.select(Membership.user_id).where(
                    Membership.group_id == poll.group_id, Membership.revoked_at.is_(None)
                )
            )
        )
    else:
        ids = set(members_at(db.session.get(Group, poll.group_id), at))
    if poll.voters_limited:
        ids &= set(
            db.session.scalars(sa.select(PollVoter.user_id).where(PollVoter.poll_id == poll.id))
        )
    return ids


def is_eligible(poll: Poll, user_id: int) -> bool:
    """Whether this person may vote now (a current member, named if the list is limited)."""
    query = sa.select(Membership.id).where(
        Membership.group_id == poll.group_id,
        Membership.user_id == user_id,
        Membership.revoked_at.is_(None),
    )
    if poll.voters_limited:
        query = query.where(
            sa.exists().where(PollVoter.poll_id == poll.id, PollVoter.user_id == user_id)
        )
    return db.session.scalar(query) is not None


def undecided_voters(poll: Poll) -> list[User]:
    """Eligible voters (now) without a current stance, by name: whom a reminder reaches."""
    eligible = eligible_voter_ids(poll)
    if not eligible:
        return []
    voted = sa.select(Stance.voter_id).where(
        Stance.poll_id == poll.id, Stance.is_current.is_(True), Stance.voter_id.is_not(None)
    )
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.id.in_(sorted(eligible)), User.id.not_in(voted))
            .order_by(User.name, User.id)
        )
    )


def remind_undecided_voters(
    poll: Poll, *, actor: User, message: str | None, now: datetime
) -> int:
    """The manual reminder: each eligible voter without a stance (not the sender) is
    reminded, with the sender's message as written (``events.voters_reminded``); how
    many were reached."""
    recipients = [user.id for user in undecided_voters(poll) if user.id != actor.id]
    text = (message or "").strip() or None
    events.voters_reminded.send(
        poll, actor=actor, recipients=recipients, message=text, now=now
    )
    return len(recipients)


def named_voter_ids(poll: Poll) -> list[int]:
    """The named voters list (empty when every member votes)."""
    return list(
        db.session.scalars(
            sa.select(PollVoter.user_id).where(PollVoter.poll_id == poll.id).order_by(PollVoter.id)
        )
    )
