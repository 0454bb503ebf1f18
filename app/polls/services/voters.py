"""Who may vote: the eligible voters (now, or as of a close), the undecided, the named list,
and the manual reminder."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa

from ... import events
from ...auth.models import User
from ...collation import sort_key
from ...extensions import db
from ...groups.models import Membership
from ..models import Poll, PollVoter, Stance


def load_memberships(group_ids: Iterable[int]) -> list[sa.Row]:
    """The membership history of these groups, with names (one query): rows of
    ``(group_id, user_id, created_at, revoked_at, name)``, for ``eligible_among``."""
    return list(
        db.session.execute(
            sa.select(
                Membership.group_id,
                Membership.user_id,
                Membership.created_at,
                Membership.revoked_at,
                User.name,
            )
            .join(User, User.id == Membership.user_id)
            .where(Membership.group_id.in_(set(group_ids)))
        )
    )


def load_named_voters(polls: Iterable[Poll]) -> dict[int, set[int]]:
    """The named voters of the polls that limit their voters, by poll id (one query,
    none when no poll limits them)."""
    limited = [poll.id for poll in polls if poll.voters_limited]
    named: dict[int, set[int]] = {poll_id: set() for poll_id in limited}
    if limited:
        for poll_id, user_id in db.session.execute(
            sa.select(PollVoter.poll_id, PollVoter.user_id).where(PollVoter.poll_id.in_(limited))
        ):
            named[poll_id].add(user_id)
    return named


def eligible_among(
    poll: Poll,
    memberships: Iterable[sa.Row],
    named: Mapping[int, set[int]],
    *,
    at: datetime | None = None,
) -> set[int]:
    """The rule of who may vote, over loaded rows (``load_memberships``,
    ``load_named_voters``): the current members, or the members ``at`` a past instant
    (a closed poll, as of its close); intersected with the named voters."""

    def member(r) -> bool:
        if at is None:
            return r.revoked_at is None
        return r.created_at <= at and (r.revoked_at is None or r.revoked_at > at)

    ids = {r.user_id for r in memberships if r.group_id == poll.group_id and member(r)}
    if poll.voters_limited:
        ids &= named.get(poll.id, set())
    return ids


def eligible_voter_ids(poll: Poll, *, at: datetime | None = None) -> set[int]:
    """Who may vote (and whose stance counts): the current members, or the members
    ``at`` a past instant (a closed poll); intersected with the named voters
    (``eligible_among``; one query, two when the poll names its voters)."""
    return eligible_among(poll, load_memberships([poll.group_id]), load_named_voters([poll]), at=at)


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
    found = db.session.scalars(
        sa.select(User)
        .where(User.id.in_(sorted(eligible)), User.id.not_in(voted))
        .order_by(User.id)
    )
    return sorted(found, key=lambda user: (sort_key(user.name), user.id))


def remind_undecided_voters(poll: Poll, *, actor: User, message: str | None, now: datetime) -> int:
    """The manual reminder: each eligible voter without a stance (not the sender) is
    reminded, with the sender's message as written (``events.voters_reminded``); how
    many were reached."""
    recipients = [user.id for user in undecided_voters(poll) if user.id != actor.id]
    text = (message or "").strip() or None
    events.voters_reminded.send(poll, actor=actor, recipients=recipients, message=text, now=now)
    return len(recipients)


def named_voter_ids(poll: Poll) -> list[int]:
    """The named voters list (empty when every member votes)."""
    return list(
        db.session.scalars(
            sa.select(PollVoter.user_id).where(PollVoter.poll_id == poll.id).order_by(PollVoter.id)
        )
    )
