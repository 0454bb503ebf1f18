"""Reading a poll: what a viewer may see of its results, its outcome, its options in
order, a thread's polls."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ... import hooks
from ...auth.models import User
from ...collation import sort_key
from ...extensions import db
from ...groups.models import Membership
from ...groups.permissions import remember_membership
from ...threads.models import Thread
from .. import tally
from ..models import Poll, PollOption, Stance
from .closing import close_due_polls_before_read
from .results import PollFacts, count, load_facts
from .voters import eligible_among


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
    """Whether the results are hidden from someone (who voted or not): an anonymous
    poll's from everyone until it closes, whatever ``results_visibility`` says (nobody
    may match a change in the counts with a name leaving the undecided list);
    otherwise as ``results_visibility`` says."""
    if poll.anonymous or poll.results_visibility == "after_close":
        return not poll.is_closed(now)
    if poll.results_visibility == "after_vote":
        return not (has_voted or poll.is_closed(now))
    return False


@dataclass(frozen=True)
class PollReading:
    """What ``viewer`` may see of one poll (``read_polls``).

    ``visible``: the results, stances and participation line they may see
    (``results_for``). ``undecided_names``: the eligible people without a stance, by
    name (empty for an anonymous poll, and while the results are hidden).
    ``may_vote``: ``can_vote``, from the loaded memberships. ``closed_at``: when it
    closed, or closes as of its closing time once due; None while open.
    """

    poll: Poll
    visible: VisibleResults
    undecided_names: tuple[str, ...]
    may_vote: bool
    closed_at: datetime | None


def _viewer_id(viewer: User | None) -> int | None:
    return getattr(viewer, "id", None) if getattr(viewer, "is_authenticated", False) else None


def read_poll(poll: Poll, facts: PollFacts, viewer_id: int | None, now: datetime) -> PollReading:
    """The one place of the reading rules, pure, over loaded ``facts``: counting
    (``count``), ``results_visibility`` (``results_hidden``), the viewer's own stance,
    anonymous stances in an order that tells nothing, the undecided by name."""
    closed_at = poll.closed_as_of(now)
    counting = count(poll, facts, at=closed_at)
    mine = None
    if viewer_id is not None:
        mine = next((s for s in facts.current if s.voter_id == viewer_id), None)
    hidden = results_hidden(poll, has_voted=mine is not None, now=now)
    views = None
    undecided: tuple[str, ...] = ()
    if not hidden:
        if poll.anonymous:
            ordered = sorted(
                counting.counted, key=lambda s: (tally.choice_fingerprint(s.choice), s.reason)
            )
            views = [StanceView(None, s.choice, s.reason, None) for s in ordered]
        else:
            views = [
                StanceView(s.voter, s.choice, s.reason, s.created_at) for s in counting.counted
            ]
            names = {r.user_id: r.name for r in facts.memberships}
            waiting = counting.eligible - {s.voter_id for s in counting.counted}
            undecided = tuple(sorted((names[i] for i in waiting if i in names), key=sort_key))
    eligible_now = eligible_among(poll, facts.memberships, facts.named)
    return PollReading(
        poll=poll,
        visible=VisibleResults(
            participation=counting.results.participation,
            results=None if hidden else counting.results,
            stances=views,
            my_stance=mine,
            closed=poll.is_closed(now),
        ),
        undecided_names=undecided,
        may_vote=closed_at is None and viewer_id is not None and viewer_id in eligible_now,
        closed_at=closed_at,
    )


def read_polls(polls: Sequence[Poll], viewer: User | None, now: datetime) -> list[PollReading]:
    """What ``viewer`` may see of ``polls``, in the same order, in three queries at most
    whatever the number of polls, stances and members (``load_facts``). Reading only:
    closing a due poll is ``close_if_due``'s job, in its own transaction."""
    facts = load_facts(polls)
    viewer_id = _viewer_id(viewer)
    return [read_poll(poll, facts[poll.id], viewer_id, now) for poll in polls]


def results_for(poll: Poll, viewer: User | None, now: datetime) -> VisibleResults:
    """The results ``viewer`` may see now: ``read_polls`` for one poll."""
    return read_polls([poll], viewer, now)[0].visible


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


_PAGE_STATEMENT: list = []


def _page_statement():
    """The poll page's first read, built once (its cache key is kept with it)."""
    if not _PAGE_STATEMENT:
        _PAGE_STATEMENT.append(
            sa.select(Poll, Membership)
            .outerjoin(
                Membership,
                sa.and_(
                    Membership.group_id == Poll.group_id,
                    Membership.user_id == sa.bindparam("reader_id"),
                    Membership.revoked_at.is_(None),
                ),
            )
            .where(Poll.id == sa.bindparam("poll_id"))
            .options(
                sa.orm.joinedload(Poll.author),
                sa.orm.joinedload(Poll.thread),
                sa.orm.joinedload(Poll.group),
            )
        )
    return _PAGE_STATEMENT[0]


def load_poll_page(poll_id: int, reader=None) -> Poll | None:
    """A poll with its author, thread and circle (their revisions: the page's key), and
    the reader's membership of the circle (kept for the request: ``membership_of``), in
    one query; its options load when used."""
    signed_in = getattr(reader, "is_authenticated", False)
    row = db.session.execute(
        _page_statement(), {"poll_id": poll_id, "reader_id": reader.id if signed_in else None}
    ).first()
    if row is None:
        return None
    poll, membership = row
    if signed_in:
        remember_membership(reader, poll.group, membership)
    return poll


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
