"""Reading a poll: what a viewer may see of its results, its outcome, its options in
order, a thread's polls."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ... import hooks
from ...auth.models import User
from ...extensions import db
from ...threads.models import Thread
from .. import tally
from ..models import Poll, PollOption, Stance
from .closing import close_due_polls_before_read
from .results import compute_results
from .stances import current_stance


@dataclass(frozen=True)
class StanceView:
    """A stance as a reader sees it: ``voter`` None in an anonymous poll."""

    voter: User | None
    choice: dict
    reason: str
    created_at: datetime | None


@dataclass(frozen=True)
class VisibleResults:
    """What ``viewer`` may see of a poll's results.

    ``results`` and ``stances`` are None while hidden (``results_visibility``);
    the participation line (``participants``, ``eligible``, ``undecided``,
    ``participation_percent``) is always there. ``my_stance`` is the viewer's own.
    """

    participation: tally.Participation
    results: tally.PollResults | None
    stances: list[StanceView] | None
    my_stance: Stance | None
    closed: bool

    @property
    def participants(self) -> int:
        return self.participation.cast

    @property
    def eligible(self) -> int:
        return self.participation.eligible

    @property
    def undecided(self) -> int:
        return self.participation.undecided

    @property
    def participation_percent(self) -> int:
        return self.participation.percent


def results_hidden(poll: Poll, *, has_voted: bool, now: datetime) -> bool:
    """Whether ``results_visibility`` hides the results from someone (who voted or not)."""
    if poll.results_visibility == "after_close":
        return not poll.is_closed(now)
    if poll.results_visibility == "after_vote":
        return not (has_voted or poll.is_closed(now))
    return False


def results_for(poll: Poll, viewer: User | None, now: datetime) -> VisibleResults:
    """The results ``viewer`` may see now (reading only: closing a due poll is
    ``close_if_due``'s job, in its own transaction)."""
    results, stances = compute_results(poll, now=now)
    viewer_id = getattr(viewer, "id", None) if getattr(viewer, "is_authenticated", False) else None
    mine = current_stance(poll, viewer_id) if viewer_id is not None else None
    hidden = results_hidden(poll, has_voted=mine is not None, now=now)
    views = None
    if not hidden:
        if poll.anonymous:
            ordered = sorted(stances, key=lambda s: (tally.choice_fingerprint(s.choice), s.reason))
            views = [StanceView(None, s.choice, s.reason, None) for s in ordered]
        else:
            views = [StanceView(s.voter, s.choice, s.reason, s.created_at) for s in stances]
    return VisibleResults(
        participation=results.participation,
        results=None if hidden else results,
        stances=views,
        my_stance=mine,
        closed=poll.is_closed(now),
    )


def poll_outcome(poll: Poll, locale: str | None = None) -> dict | None:
    """The computed outcome of a closed poll (``hooks.poll_outcome``); None while it is
    open, and for the kinds no feature decides."""
    if poll.closed_at is None:
        return None
    return hooks.poll_outcome.first(poll, locale=locale)


def options_for(poll: Poll, viewer: User | None) -> list[PollOption]:
    """The options in the order a voter sees them: shuffled (stably per voter) when
    the poll asks for it."""
    options = list(poll.options)
    if poll.shuffle_options:
        seed = f"{poll.id}:{getattr(viewer, 'id', 0)}"
        random.Random(seed).shuffle(options)  # noqa: S311 - order only, not security
    return options


def load_poll(poll_id: int) -> Poll | None:
    """A poll with its options and author (two queries)."""
    return db.session.scalar(
        sa.select(Poll)
        .where(Poll.id == poll_id)
        .options(sa.orm.selectinload(Poll.options), sa.orm.joinedload(Poll.author))
    )


def thread_poll_list(thread: Thread, *, now: datetime) -> list[Poll]:
    """A thread's polls, oldest first, without their options (one query while none is
    due); due ones are closed first (``close_due_polls_before_read``), so each shows
    its status."""

    thread_id = thread.id

    def load() -> list[Poll]:
        return list(
            db.session.scalars(
                sa.select(Poll)
                .where(Poll.thread_id == thread_id)
                .order_by(Poll.created_at, Poll.id)
            )
        )

    polls = load()
    if any(poll.closed_at is None and poll.closing_at <= now for poll in polls):
        close_due_polls_before_read(thread_id=thread_id, now=now)
        polls = load()
    return polls
