"""Counting: the stances that count and their tally, as of now or as of the close.

The rule lives in one pure function, ``count``, over values loaded for many polls at
once (``load_facts``); reading a poll (``reading``), closing it (``closing``) and
deciding a proposal (``compute_results``) all count through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ...extensions import db
from .. import tally
from ..models import Poll, Stance
from .naming import option_label
from .voters import eligible_among, load_memberships, load_named_voters


@dataclass(frozen=True)
class PollFacts:
    """What counting and reading one poll need, loaded with other polls' (``load_facts``).

    ``current``: its current stances, voters loaded, oldest first; ``memberships``:
    its group's membership history (``voters.load_memberships`` rows); ``named``:
    the named voters by poll id (``voters.load_named_voters``).
    """

    current: list[Stance]
    memberships: Sequence[sa.Row]
    named: dict[int, set[int]]


def load_facts(polls: Sequence[Poll]) -> dict[int, PollFacts]:
    """The facts of ``polls`` by poll id, in three queries at most whatever their number,
    stances and members: the current stances, the groups' membership history, the named
    voters of the polls that have a list."""
    if not polls:
        return {}
    ids = [poll.id for poll in polls]
    current: dict[int, list[Stance]] = {poll_id: [] for poll_id in ids}
    for stance in db.session.scalars(
        sa.select(Stance)
        .where(Stance.poll_id.in_(ids), Stance.is_current.is_(True))
        .options(sa.orm.joinedload(Stance.voter))
        .order_by(Stance.created_at, Stance.id)
        # as the database has them now: a close erases an anonymous poll's voters in bulk
        .execution_options(populate_existing=True)
    ):
        current[stance.poll_id].append(stance)
    rows = load_memberships({poll.group_id for poll in polls})
    named = load_named_voters(polls)
    return {
        poll.id: PollFacts(
            current=current[poll.id],
            memberships=[r for r in rows if r.group_id == poll.group_id],
            named=named,
        )
        for poll in polls
    }


def tally_votes(stances: list[Stance], anonymous: bool) -> list[tally.Vote]:
    return [
        tally.Vote(
            choice=s.choice,
            voter_id=None if anonymous else s.voter_id,
            voter_name=None if anonymous or s.voter is None else s.voter.name,
            reason=s.reason,
        )
        for s in stances
    ]


def tally_options(poll: Poll) -> list[tally.Option]:
    """The options as the tally names them: meeting slots as stored, not in the zone of
    whoever happens to read (a closed anonymous poll keeps these names)."""
    return [tally.Option(key=o.key, name=option_label(poll, o, slot="iso")) for o in poll.options]


@dataclass(frozen=True)
class Counting:
    """A poll's count: its ``results``, the stances they ``counted`` and the voters who
    were ``eligible`` (as of the close once closed)."""

    results: tally.PollResults
    counted: list[Stance]
    eligible: set[int]


def count(poll: Poll, facts: PollFacts, *, at: datetime | None) -> Counting:
    """The one rule of counting, pure: the current stances of the voters eligible ``at``
    the close (None: now, while open), tallied; an anonymous poll that has closed keeps
    its frozen counts (and its remaining, voter-less stances)."""
    eligible = eligible_among(poll, facts.memberships, facts.named, at=at)
    if poll.closed_at is not None and poll.frozen_results is not None:
        return Counting(tally.results_from_json(poll.frozen_results), facts.current, eligible)
    counted = [s for s in facts.current if s.voter_id in eligible]
    results = tally.tally(
        poll.kind,
        tally_options(poll),
        tally_votes(counted, poll.anonymous),
        eligible=len(eligible),
        anonymous=poll.anonymous,
    )
    return Counting(results, counted, eligible)


def compute_results(poll: Poll, *, now: datetime) -> tuple[tally.PollResults, list[Stance]]:
    """The results as of now (or as of the close), and the stances they count
    (``count``, in three queries at most)."""
    counting = count(poll, load_facts([poll])[poll.id], at=poll.closed_as_of(now))
    return counting.results, counting.counted
