"""What the poll pages read: poll cards for many polls at once, and the polls
awaiting someone's vote. Reading only, in a fixed number of queries; the rules
are those of ``services`` (``results_for``, ``can_vote``, ``options_for``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from .. import hooks
from ..auth.models import User
from ..extensions import db
from ..groups.models import Membership
from . import tally
from .models import Poll, PollOption, PollVoter, Stance
from .services import (
    StanceView,
    VisibleResults,
    close_due_polls_before_read,
    options_for,
    results_hidden,
    tally_options,
    tally_votes,
)


@dataclass(frozen=True)
class PollCard:
    """Everything a poll card shows to ``viewer``, computed for many polls in a fixed
    number of queries (see ``poll_cards``).

    ``visible`` is what ``results_for`` would return. ``undecided_names`` are the
    eligible people without a stance (empty for an anonymous poll, and while the
    results are hidden). ``may_vote`` is ``can_vote`` computed from the loaded
    memberships. ``options`` are in the order this viewer sees them.
    """

    poll: Poll
    visible: VisibleResults
    options: list[PollOption]
    undecided_names: tuple[str, ...]
    may_vote: bool
    closed_at: datetime | None

    @property
    def hidden(self) -> bool:
        return self.visible.results is None

    @property
    def closed(self) -> bool:
        return self.visible.closed


def _eligible_from_rows(
    poll: Poll, rows: Sequence, named: dict[int, set[int]], at: datetime | None
) -> set[int]:
    """``eligible_voter_ids`` over already loaded membership rows
    ``(group_id, user_id, created_at, revoked_at)``."""
    if at is None:
        ids = {r.user_id for r in rows if r.group_id == poll.group_id and r.revoked_at is None}
    else:
        ids = {
            r.user_id
            for r in rows
            if r.group_id == poll.group_id
            and r.created_at <= at
            and (r.revoked_at is None or r.revoked_at > at)
        }
    if poll.voters_limited:
        ids &= named.get(poll.id, set())
    return ids


def poll_cards(polls: Sequence[Poll], viewer: User | None, now: datetime) -> list[PollCard]:
    """The cards of ``polls`` for ``viewer``, in the same order, in at most three
    queries whatever the number of polls, stances and members: the current stances
    (with their voters), the groups' membership history (with names), and the
    named voters of the polls that have a list. Reading only: close due polls
    first (``close_due_polls_before_read``) so that what is due shows as closed for good.

    The rules are those of ``results_for``, ``compute_results``, ``can_vote``
    and ``options_for``; a test checks that they agree.
    """
    if not polls:
        return []
    ids = [p.id for p in polls]
    by_poll: dict[int, list[Stance]] = {i: [] for i in ids}
    for stance in db.session.scalars(
        sa.select(Stance)
        .where(Stance.poll_id.in_(ids), Stance.is_current.is_(True))
        .options(sa.orm.joinedload(Stance.voter))
        .order_by(Stance.created_at, Stance.id)
    ):
        by_poll[stance.poll_id].append(stance)
    rows = db.session.execute(
        sa.select(
            Membership.group_id,
            Membership.user_id,
            Membership.created_at,
            Membership.revoked_at,
            User.name,
        )
        .join(User, User.id == Membership.user_id)
        .where(Membership.group_id.in_({p.group_id for p in polls}))
    ).all()
    names = {r.user_id: r.name for r in rows}
    named: dict[int, set[int]] = {}
    limited = [p.id for p in polls if p.voters_limited]
    if limited:
        for poll_id, user_id in db.session.execute(
            sa.select(PollVoter.poll_id, PollVoter.user_id).where(PollVoter.poll_id.in_(limited))
        ):
            named.setdefault(poll_id, set()).add(user_id)
    viewer_id = getattr(viewer, "id", None) if getattr(viewer, "is_authenticated", False) else None

    cards = []
    for poll in polls:
        current = by_poll[poll.id]
        closed_at = poll.closed_as_of(now)
        eligible = _eligible_from_rows(poll, rows, named, closed_at)
        if poll.closed_at is not None and poll.frozen_results is not None:
            results = tally.results_from_json(poll.frozen_results)
            counted = current
        else:
            counted = [s for s in current if s.voter_id in eligible]
            results = tally.tally(
                poll.kind,
                tally_options(poll),
                tally_votes(counted, poll.anonymous),
                eligible=len(eligible),
                anonymous=poll.anonymous,
            )
        mine = next((s for s in current if viewer_id and s.voter_id == viewer_id), None)
        hidden = results_hidden(poll, has_voted=mine is not None, now=now)
        views = None
        if not hidden:
            if poll.anonymous:
                ordered = sorted(
                    counted, key=lambda s: (tally.choice_fingerprint(s.choice), s.reason)
                )
                views = [StanceView(None, s.choice, s.reason, None) for s in ordered]
            else:
                views = [StanceView(s.voter, s.choice, s.reason, s.created_at) for s in counted]
        undecided: tuple[str, ...] = ()
        if not hidden and not poll.anonymous:
            voted = {s.voter_id for s in counted}
            undecided = tuple(
                sorted((names[i] for i in eligible - voted if i in names), key=str.casefold)
            )
        eligible_now = _eligible_from_rows(poll, rows, named, None)
        cards.append(
            PollCard(
                poll=poll,
                visible=VisibleResults(
                    participation=results.participation,
                    results=None if hidden else results,
                    stances=views,
                    my_stance=mine,
                    closed=poll.is_closed(now),
                ),
                options=options_for(poll, viewer),
                undecided_names=undecided,
                may_vote=closed_at is None and viewer_id is not None and viewer_id in eligible_now,
                closed_at=closed_at,
            )
        )
    return cards


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
