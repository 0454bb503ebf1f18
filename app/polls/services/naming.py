"""Naming: an option's name and a stance's choice in words, in the reader's language.

The one place for both: the pages, the API and the CSV export call these.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from ...i18n import format_moment
from .. import tally
from ..models import Poll, PollOption
from .creating import PROPOSAL_LABELS

#: a meeting slot's answers, in words (``{"scores": {key: 2 | 1 | 0}}``)
MEETING_ANSWERS = (
    (tally.MEETING_YES, _l("Yes")),
    (tally.MEETING_IF_NEED_BE, _l("If need be")),
    (tally.MEETING_NO, _l("No")),
)
#: how a meeting slot is written: in full, short (a chart's bar), or as stored
SLOT_FORMATS = {"long": "EEEE d MMMM y, HH:mm", "short": "EEE d MMM, HH:mm", "iso": None}


def option_label(poll: Poll, option: PollOption, *, slot: str = "long") -> str:
    """An option's name for a reader: a proposal's fixed options in the reader's
    language; a meeting slot in the reader's language and time zone (``slot``:
    ``long`` "Monday 12 May 2030, 20:30", ``short`` "Mon 12 May, 20:30", or ``iso`` as
    stored, ISO 8601 in UTC: the API's JSON, which gives ``starts_at`` beside it, and
    the tally, whose names a closed anonymous poll keeps); other options as written."""
    if poll.kind == "proposal":
        return str(PROPOSAL_LABELS.get(option.key, option.name))
    pattern = SLOT_FORMATS[slot]
    if poll.kind == "meeting" and pattern is not None and option.starts_at is not None:
        return format_moment(option.starts_at, pattern)
    return option.name


def option_names(poll: Poll, *, slot: str = "long") -> dict[str, str]:
    """Each option's ``option_label``, by key."""
    return {option.key: option_label(poll, option, slot=slot) for option in poll.options}


def describe_choice(poll: Poll, choice: dict, names: Mapping[str, str] | None = None) -> str:
    """A stance's choice in words: "Agree", "Zoom, Jitsi", "Zoom: 4 · Jitsi: 2",
    "1. Zoom · 2. Jitsi", "Monday…: Yes · Tuesday…: If need be". ``names``: the
    ``option_names`` of the poll, when the caller already has them."""
    if names is None:
        names = option_names(poll)
    if "key" in choice:
        return names.get(choice["key"], choice["key"])
    if "keys" in choice:
        return ", ".join(names.get(k, k) for k in choice["keys"])
    if "ranking" in choice:
        return " · ".join(
            f"{i}. {names.get(k, k)}" for i, k in enumerate(choice["ranking"], start=1)
        )
    scores = choice.get("scores") or {}
    if poll.kind == "meeting":
        answers = dict(MEETING_ANSWERS)
        return " · ".join(f"{names.get(k, k)}: {answers.get(int(v), v)}" for k, v in scores.items())
    return " · ".join(f"{names.get(k, k)}: {v}" for k, v in scores.items())
