"""What the polls feature adds to the threads below it: the poll cards of a
thread's timeline and the ``polls`` of its API JSON. Connected once by the
application factory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import hooks
from ..auth.models import User
from ..extensions import db
from ..web import PageSection
from .cards import open_polls_in_group, panels_for, thread_poll_cards, threads_with_open_polls
from .display import card_view
from .models import Poll, Stance
from .services import option_names, thread_poll_list


@dataclass(frozen=True)
class BlockLifted:
    """A timeline entry: ``name`` lifted their block on ``poll`` by taking the stance
    ``now_choice`` (None: by withdrawing it)."""

    poll: Poll
    name: str
    now_choice: str | None


def lifted_blocks(polls: list[Poll]) -> list[tuple[datetime, BlockLifted]]:
    """When a block was lifted in these proposals (a voter's block followed by another
    stance of theirs, or withdrawn), from the stances' history, in one query. Only for
    polls named here: the caller passes those whose stances the reader may see, never
    an anonymous poll (which keeps no history)."""
    ids = [poll.id for poll in polls]
    if not ids:
        return []
    by_id = {poll.id: poll for poll in polls}
    rows = db.session.execute(
        sa.select(Stance.poll_id, Stance.voter_id, Stance.choice, Stance.created_at,
                  Stance.withdrawn_at, User.name)
        .join(User, User.id == Stance.voter_id)
        .where(Stance.poll_id.in_(ids))
        .order_by(Stance.poll_id, Stance.voter_id, Stance.created_at, Stance.id)
    ).all()  # fmt: skip
    names = {poll_id: option_names(poll) for poll_id, poll in by_id.items()}
    found = []
    for index, row in enumerate(rows):
        if row.choice.get("key") != "block":
            continue
        following = rows[index + 1] if index + 1 < len(rows) else None
        poll = by_id[row.poll_id]
        if row.withdrawn_at is not None:
            found.append((row.withdrawn_at, BlockLifted(poll, row.name, None)))
        elif (
            following is not None
            and (following.poll_id, following.voter_id) == (row.poll_id, row.voter_id)
            and following.choice.get("key") != "block"
        ):
            choice = names[row.poll_id].get(following.choice.get("key"), "")
            found.append((following.created_at, BlockLifted(poll, row.name, choice)))
    return found


def timeline_entries(thread, *, viewer, now, close_due, **_) -> list:
    """Each poll's card where it was created, its close where it closed, and where a
    block was lifted in a proposal whose stances the reader may see (named: never in
    an anonymous poll, nor while the results are hidden from them)."""
    cards = thread_poll_cards(thread, viewer, now, close_due=close_due)
    panels = panels_for([card.poll for card in cards], now)
    entries = []
    for card in cards:
        view = card_view(card, now, proposal=panels.get(card.poll.id))
        entries.append((card.poll.created_at, "poll", view))
        if card.closed_at is not None:
            entries.append((card.closed_at, "poll_closed", view))
    shown = [
        card.poll
        for card in cards
        if card.poll.kind == "proposal" and not card.poll.anonymous and not card.hidden
    ]
    entries += [(at, "block_lifted", item) for at, item in lifted_blocks(shown)]
    return entries


def thread_json(thread, *, now, **_) -> dict:
    """``polls``: the thread's polls, oldest first (due ones closed first)."""
    return {
        "polls": [
            {
                "id": p.id,
                "kind": p.kind,
                "title": p.title,
                "status": "closed" if p.is_closed(now) else "open",
            }
            for p in thread_poll_list(thread, now=now)
        ]
    }


def open_polls_section(group, *, viewer, first_page, now, **_kw) -> PageSection | None:
    """The group page's open proposals and polls, with their closing times and whether
    they await the reader's vote, above the threads (on the first page only)."""
    if not first_page:
        return None
    return PageSection(
        "polls/_group_open.html",
        {"polls": open_polls_in_group(group.id, viewer, now)},
        order=-10,
    )


def thread_marks(thread_ids, *, now, **_kw) -> dict[int, str]:
    """A badge on threads of the list where a vote is open."""
    return {
        thread_id: _("proposal open") if "proposal" in kinds else _("poll open")
        for thread_id, kinds in threads_with_open_polls(thread_ids, now).items()
    }


def connect() -> None:
    hooks.thread_timeline.connect(timeline_entries)
    hooks.thread_json.connect(thread_json)
    hooks.group_page_sections.connect(open_polls_section)
    hooks.thread_list_marks.connect(thread_marks)
