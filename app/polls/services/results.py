"""Counting: the stances that count and their tally, as of now or as of the close."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ...extensions import db
from .. import tally
from ..models import Poll, Stance
from .creating import option_label
from .voters import eligible_voter_ids


def counted_stances(poll: Poll, eligible: set[int]) -> list[Stance]:
    """Current stances of eligible voters, voters loaded (one query)."""
    stances = db.session.scalars(
        sa.select(Stance)
        .where(Stance.poll_id == poll.id, Stance.is_current.is_(True))
        .options(sa.orm.joinedload(Stance.voter))
        .order_by(Stance.created_at, Stance.id)
    )
    return [s for s in stances if s.voter_id in eligible]


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
    return [tally.Option(key=o.key, name=str(option_label(poll, o))) for o in poll.options]


def compute_results(poll: Poll, *, now: datetime) -> tuple[tally.PollResults, list[Stance]]:
    """The results as of now (or as of the close), and the stances they count.

    An anonymous poll that has closed returns its frozen counts (and its
    remaining, voter-less stances).
    """
    if poll.closed_at is not None and poll.frozen_results is not None:
        stances = list(
            db.session.scalars(
                sa.select(Stance).where(Stance.poll_id == poll.id, Stance.is_current.is_(True))
            )
        )
        return tally.results_from_json(poll.frozen_results), stances
    eligible = eligible_voter_ids(poll, at=poll.closed_as_of(now))
    stances = counted_stances(poll, eligible)
    results = tally.tally(
        poll.kind,
        tally_options(poll),
        tally_votes(stances, poll.anonymous),
        eligible=len(eligible),
        anonymous=poll.anonymous,
    )
    return results, stances
