"""What the polls feature adds to the threads below it: the poll cards of a
thread's timeline and the ``polls`` of its API JSON. Connected once by the
application factory."""

from __future__ import annotations

from .. import hooks
from .cards import panels_for, thread_poll_cards
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


def connect() -> None:
    hooks.thread_timeline.connect(timeline_entries)
    hooks.thread_json.connect(thread_json)
