"""One way to name an option (``option_label``) and to say a stance in words
(``describe_choice``), for the pages, the API and the CSV export alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.polls.models import Poll, PollOption
from app.polls.services import PROPOSAL_OPTIONS, describe_choice, option_label, option_names


def _poll(kind: str, names=("Zoom", "Jitsi", "In person"), starts=()) -> Poll:
    if kind == "proposal":
        options = [PollOption(key=k, name=n) for k, n in PROPOSAL_OPTIONS]
    else:
        options = [
            PollOption(key=f"o{i}", name=name, starts_at=starts[i - 1] if starts else None)
            for i, name in enumerate(names, start=1)
        ]
    return Poll(kind=kind, options=options)


@pytest.fixture
def reading(app):
    """``with reading("fr"): ...``: a request in that language (the default time zone,
    Europe/Paris)."""

    def enter(locale: str):
        return app.test_request_context(headers={"Accept-Language": locale})

    return enter


def _meeting() -> Poll:
    slots = [datetime(2030, 5, 12, 18, 30, tzinfo=UTC), datetime(2030, 5, 13, 7, 0, tzinfo=UTC)]
    return _poll("meeting", names=[s.strftime("%Y-%m-%dT%H:%M:%SZ") for s in slots], starts=slots)


def test_a_proposals_options_are_named_in_the_readers_language(reading):
    poll = _poll("proposal")
    with reading("fr"):
        assert list(option_names(poll).values()) == ["D'accord", "Abstention", "Pas d'accord",
                                                     "Blocage"]  # fmt: skip
    with reading("en"):
        assert option_label(poll, poll.options[3]) == "Block"
        assert option_label(poll, poll.options[3], slot="iso") == "Block"


def test_a_meeting_slot_is_named_in_the_readers_language_and_zone_or_as_stored(reading):
    poll = _meeting()
    with reading("en"):
        assert option_label(poll, poll.options[0]) == "Sunday 12 May 2030, 20:30"
        assert option_label(poll, poll.options[0], slot="short") == "Sun 12 May, 20:30"
        assert option_label(poll, poll.options[0], slot="iso") == "2030-05-12T18:30:00Z"
    with reading("fr"):
        assert option_label(poll, poll.options[1]) == "lundi 13 mai 2030, 09:00"


def test_other_options_keep_their_authors_words(reading):
    poll = _poll("choice")
    with reading("fr"):
        assert option_names(poll) == {"o1": "Zoom", "o2": "Jitsi", "o3": "In person"}


def test_a_stance_in_words_for_every_form(reading):
    with reading("en"):
        assert describe_choice(_poll("proposal"), {"key": "abstain"}) == "Abstain"
        choice = _poll("choice")
        assert describe_choice(choice, {"keys": ["o1", "o3"]}) == "Zoom, In person"
        assert describe_choice(choice, {"key": "o2"}) == "Jitsi"
        scores = {"scores": {"o1": 4, "o2": 2}}
        assert describe_choice(_poll("score"), scores) == "Zoom: 4 · Jitsi: 2"
        assert describe_choice(_poll("ranked"), {"ranking": ["o2", "o1", "o3"]}) == (
            "1. Jitsi · 2. Zoom · 3. In person"
        )
        assert describe_choice(_meeting(), {"scores": {"o1": 2, "o2": 1}}) == (
            "Sunday 12 May 2030, 20:30: Yes · Monday 13 May 2030, 09:00: If need be"
        )
    with reading("fr"):
        assert describe_choice(_poll("proposal"), {"key": "block"}) == "Blocage"
