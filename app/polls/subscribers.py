"""What the polls feature adds to the threads below it: the poll cards of a
thread's timeline and the ``polls`` of its API JSON. Connected once by the
application factory."""

from __future__ import annotations

from flask_babel import gettext as _

from .. import hooks
from ..web import PageSection
from .cards import open_polls_in_group, panels_for, thread_poll_cards, threads_with_open_polls
from .display import card_view
from .services import thread_poll_list


def timeline_entries(thread, *, viewer, now, close_due, **_) -> list:
    """Each poll's card where it was created, and its close where it closed."""
    cards = thread_poll_cards(thread, viewer, now, close_due=close_due)
    panels = panels_for([card.poll for card in cards], now)
    entries = []
    for card in cards:
        view = card_view(card, now, proposal=panels.get(card.poll.id))
        entries.append((card.poll.created_at, "poll", view))
        if card.closed_at is not None:
            entries.append((card.closed_at, "poll_closed", view))
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


def open_polls_section(group, *, viewer, page, now, **_kw) -> PageSection | None:
    """The group page's open proposals and polls, with their closing times and whether
    they await the reader's vote, above the threads (on the first page only)."""
    if page != 1:
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
