"""The polls' domain errors, with messages in the reader's language."""

from __future__ import annotations

from datetime import datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from ...errors import Conflict, Forbidden
from ...i18n import LONG, format_moment
from .. import tally


def _when(moment: datetime) -> LazyString:
    """A time in the reader's zone and language, formatted when the message is shown."""
    return LazyString(format_moment, moment, LONG)


class PollClosed(Conflict):
    """The poll is closed: it takes no stance, and cannot be closed again."""

    code = "poll_closed"
    default_message = _l("This poll is closed.")

    def __init__(self, closed_at: datetime | None = None, **kwargs):
        message = None
        if closed_at is not None:
            message = _l("This poll closed on %(time)s.", time=_when(closed_at))
        self.closed_at = closed_at
        super().__init__(message, **kwargs)


class PollOpen(Conflict):
    code = "poll_open"
    default_message = _l("This poll is still open.")


class PollNotReopenable(Conflict):
    code = "poll_not_reopenable"
    default_message = _l("This poll cannot be reopened.")


class ResultsHidden(Conflict):
    """What ``results_visibility`` hides from a reader cannot be exported either."""

    code = "results_hidden"
    default_message = _l("The results of this poll are not visible to you yet.")


class NotEligible(Forbidden):
    code = "not_eligible"
    default_message = _l("You are not among the voters of this poll.")


def translated(errors: dict[str, tally.Message]) -> dict:
    """The pure validators' messages, in the reader's language."""
    return {name: _l(message.template, **message.params) for name, message in errors.items()}
