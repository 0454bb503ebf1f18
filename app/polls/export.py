"""A poll as CSV: the one export, for the page (``GET /p/<id>/export.csv``) and the API
(``GET /api/v1/polls/{id}/export.csv``).

UTF-8 CSV (RFC 4180), headers in the reader's language, four sections separated by
a blank line:

1. the poll: title, kind, status (``open`` or ``closed``), closing time, closed at;
2. the results: one row per option (key, name, count, % of points, the kind's
   extras, voters' names), then the undecided;
3. the participation: participants, eligible, participation %;
4. the stances: voter id and name, choice in words, reason, time.

Options are named by ``option_label`` and choices by ``describe_choice``, as on the
pages. Numbers and times are written for machines (``27.8``, ISO 8601 in UTC). An
anonymous poll has no voters' names, ids nor times. A cell that a spreadsheet would
run as a formula (starting with = + - @, a tab or a carriage return) is prefixed
with ``'``. While the results are hidden from the reader nothing is exported
(``ResultsHidden``), rather than a file with empty sections.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..timeutil import isoformat_z
from .models import Poll
from .services import ResultsHidden, VisibleResults, describe_choice, option_names, results_for

#: the kind's extra columns of the results: the attribute of a row and its header
EXTRAS = {
    "score": (("total", _l("Total")), ("rank", _l("Rank")), ("average", _l("Average"))),
    "ranked": (("total", _l("Total")), ("rank", _l("Rank"))),
    "dot": (("total", _l("Total")), ("rank", _l("Rank"))),
    "meeting": (
        ("total", _l("Total")),
        ("rank", _l("Rank")),
        ("yes", _l("Yes")),
        ("if_need_be", _l("If need be")),
        ("no", _l("No")),
    ),
}


def cell(value) -> str:
    """Text for a spreadsheet: a cell that would start a formula is quoted."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def poll_csv(poll: Poll, visible: VisibleResults) -> str:
    """The poll's results and stances as CSV (the layout above); ``visible``: what the
    reader may see, results not hidden."""
    names = option_names(poll)
    extras = EXTRAS.get(poll.kind, ())
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def row(*cells) -> None:
        writer.writerow([cell(value) for value in cells])

    row(_("Poll"), _("Kind"), _("Status"), _("Closing time"), _("Closed at"))
    status = "closed" if visible.closed else "open"
    row(poll.title, poll.kind, status, isoformat_z(poll.closing_at), isoformat_z(poll.closed_at))
    row()
    row(_("Key"), _("Option"), _("Count"), _("Percent of points"),
        *(header for _name, header in extras), _("Voters"))  # fmt: skip
    for result in visible.results.rows:
        row(
            result.key,
            names.get(result.key, result.name),
            result.count,
            result.percent,
            *(getattr(result, name) for name, _header in extras),
            "; ".join(result.voters),
        )
    participation = visible.participation
    row("", _("Undecided"), participation.undecided, participation.undecided_percent)
    row()
    row(_("Participants"), _("Eligible"), _("Participation (%)"))
    row(participation.cast, participation.eligible, participation.percent)
    row()
    row(_("Voter id"), _("Voter"), _("Choice"), _("Reason"), _("Time"))
    for stance in visible.stances:
        voter = stance.voter
        row(
            None if voter is None else voter.id,
            None if voter is None else voter.name,
            describe_choice(poll, stance.choice, names),
            stance.reason,
            isoformat_z(stance.created_at),
        )
    return buffer.getvalue()


def export_csv(poll: Poll, reader: User | None, now: datetime) -> str:
    """The CSV ``reader`` may have now (``results_for``); ``ResultsHidden`` (409) while
    ``results_visibility`` hides the results from them."""
    visible = results_for(poll, reader, now)
    if visible.results is None:
        raise ResultsHidden()
    return poll_csv(poll, visible)


def content_disposition(poll: Poll) -> str:
    """The ``Content-Disposition`` of the file: a download named ``poll-<id>.csv``."""
    return f'attachment; filename="poll-{poll.id}.csv"'
