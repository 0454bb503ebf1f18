"""What the poll pages read: poll cards for many polls at once, and the polls
awaiting someone's vote. Reading only, in a fixed number of queries; the rules
are those of ``services`` (``read_polls``, the read path ``results_for`` takes too,
and ``options_for``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa

from .. import hooks
from ..auth.models import User
from ..extensions import db
from ..groups.models import Membership
from .models import Poll, PollOption, PollVoter, Stance
from .services import (
    PollReading,
    close_due_polls_before_read,
    options_for,
    read_polls,
)


@dataclass(frozen=True)
class PollCard(PollReading):
    """Everything a poll card shows to ``viewer``: what they may see of the poll (a
    ``PollReading``, from ``services.read_polls``, the one read path) and its
    ``options`` in the order this viewer sees them (``options_for``)."""

    options: list[PollOption]

    @property
    def hidden(self) -> bool:
        return self.visible.results is None

    @property
    def closed(self) -> bool:
        return self.visible.closed


def poll_cards(polls: Sequence[Poll], viewer: User | None, now: datetime) -> list[PollCard]:
    """The cards of ``polls`` for ``viewer``, in the same order, in at most three
    queries whatever the number of polls, stances and members (``read_polls``).
    Reading only: close due polls first (``close_due_polls_before_read``) so that what
    is due shows as closed for good."""
    return [
        PollCard(
            **{f.name: getattr(reading, f.name) for f in fields(PollReading)},
            options=options_for(reading.poll, viewer),
        )
        for reading in read_polls(polls, viewer, now)
    ]


def polls_awaiting_vote(user: User, now: datetime, limit: int = 20) -> list[Poll]:
    """Open polls in the person's groups where they may vote and have no current
    stance, soonest closing first, threads and groups loaded (one query)."""
    member = sa.select(Membership.id).where(
        Membership.group_id == Poll.group_id,
        Membership.user_id == user.id,
        Membership.revoked_at.is_(None),
    )
    named = sa.select(PollVoter.id).where(
        PollVoter.poll_id == Poll.id, PollVoter.user_id == user.id
    )
    voted = sa.select(Stance.id).where(
        Stance.poll_id == Poll.id, Stance.voter_id == user.id, Stance.is_current.is_(True)
    )
    return list(
        db.session.scalars(
            sa.select(Poll)
            .where(
                Poll.closed_at.is_(None),
                Poll.closing_at > now,
                member.exists(),
                sa.or_(Poll.voters_limited.is_(False), named.exists()),
                ~voted.exists(),
            )
            .options(sa.orm.joinedload(Poll.thread), sa.orm.joinedload(Poll.group))
            .order_by(Poll.closing_at, Poll.id)
            .limit(limit)
        )
    )


def thread_poll_cards(thread, viewer: User | None, now: datetime, *, close_due: bool = True):
    """The cards of a thread's polls, oldest first: one query for the polls (options
    and authors joined) and, when there are polls, two for the cards. ``close_due``:
    close the due ones first (GET pages only: it ends the read transaction), then
    load them again."""

    def load() -> list[Poll]:
        return list(
            db.session.scalars(
                sa.select(Poll)
                .where(Poll.thread_id == thread.id)
                .options(sa.orm.joinedload(Poll.options), sa.orm.joinedload(Poll.author))
                .order_by(Poll.created_at, Poll.id)
            ).unique()
        )

    polls = load()
    if close_due and any(p.closed_at is None and p.closing_at <= now for p in polls):
        close_due_polls_before_read(thread_id=thread.id, now=now)
        polls = load()
    return poll_cards(polls, viewer, now)


def panels_for(polls, now) -> dict:
    """What the features above show on these polls' cards (``hooks.poll_panels``)."""
    panels: dict = {}
    for answer in hooks.poll_panels.answers(list(polls), now=now):
        panels.update(answer)
    return panels


@dataclass(frozen=True)
class OpenPoll:
    """An open poll on its group's page: whether ``viewer`` may vote in it and has."""

    poll: Poll
    can_vote: bool
    voted: bool

    @property
    def awaits_vote(self) -> bool:
        return self.can_vote and not self.voted


def open_polls_in_group(group_id: int, viewer: User | None, now: datetime, limit: int = 20):
    """The group's open polls and proposals, soonest closing first, threads loaded, each
    with whether ``viewer`` may vote and has voted (one query). Polls whose closing time
    has passed are left out (reading only: they are closed by the thread's page or the
    periodic command)."""
    viewer_id = viewer.id if viewer is not None and viewer.is_authenticated else None
    member = sa.select(Membership.id).where(
        Membership.group_id == Poll.group_id,
        Membership.user_id == viewer_id,
        Membership.revoked_at.is_(None),
    )
    named = sa.select(PollVoter.id).where(
        PollVoter.poll_id == Poll.id, PollVoter.user_id == viewer_id
    )
    voted = sa.select(Stance.id).where(
        Stance.poll_id == Poll.id, Stance.voter_id == viewer_id, Stance.is_current.is_(True)
    )
    can_vote = sa.and_(member.exists(), sa.or_(Poll.voters_limited.is_(False), named.exists()))
    rows = db.session.execute(
        sa.select(Poll, can_vote.label("can_vote"), voted.exists().label("voted"))
        .where(Poll.group_id == group_id, Poll.closed_at.is_(None), Poll.closing_at > now)
        .options(sa.orm.joinedload(Poll.thread))
        .order_by(Poll.closing_at, Poll.id)
        .limit(limit)
    ).all()
    return [OpenPoll(poll, bool(can), bool(done)) for poll, can, done in rows]


def threads_with_open_polls(thread_ids: Sequence[int], now: datetime) -> dict[int, set[str]]:
    """For each of these threads with an open poll, the kinds of its open polls (one
    query)."""
    rows = db.session.execute(
        sa.select(Poll.thread_id, Poll.kind)
        .where(
            Poll.thread_id.in_(list(thread_ids)),
            Poll.closed_at.is_(None),
            Poll.closing_at > now,
        )
        .distinct()
    ).all()
    found: dict[int, set[str]] = {}
    for thread_id, kind in rows:
        found.setdefault(thread_id, set()).add(kind)
    return found
