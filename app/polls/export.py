"""A poll as CSV: the one export, for the page (``GET /p/<id>/export.csv``) and the API
(``GET /api/v1/polls/{id}/export.csv``), in two formats (``?format=``):

- ``spreadsheet`` (the page's default): for a person opening it in Excel or
  LibreOffice: UTF-8 with a byte-order mark (without it, Excel reads UTF-8 as
  Windows-1252: «Chloé» becomes «ChloÃ©»), the separator and decimal mark of the
  reader's language (French: ``;`` and ``27,8``, since French Excel takes ``,`` as the
  decimal mark and splits nothing on it; English: ``,`` and ``27.8``), times in the
  reader's time zone as ``2026-05-12 11:32`` (a form both read as a date and time);
- ``data`` (the API's default): for programs: RFC 4180, no byte-order mark, ``,``,
  ``27.8``, times in ISO 8601 UTC.

The same sections and headers either way, headers in the reader's language, four
sections separated by a blank line:

1. the poll: title, kind, status (``open`` or ``closed``), closing time, closed at;
2. the results: one row per option (key, name, count, % of points, the kind's
   extras, voters' names), then the undecided;
3. the participation: participants, eligible, participation %;
4. the stances: voter id and name, choice in words, reason, time.

Options are named by ``option_label`` and choices by ``describe_choice``, as on the
pages. The file is named after the poll's title (``content_disposition``). An
anonymous poll has no voters' names, ids nor times. A cell that a spreadsheet would
run as a formula (starting with = + - @, a tab or a carriage return) is prefixed
with ``'``. While the results are hidden from the reader nothing is exported
(``ResultsHidden``), rather than a file with empty sections.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..i18n import select_timezone
from ..timeutil import in_zone, isoformat_z
from .models import Poll
from .services import ResultsHidden, VisibleResults, describe_choice, option_names, results_for

#: ``?format=`` values: for a person's spreadsheet, for a program
FORMATS = ("spreadsheet", "data")
#: a UTF-8 byte-order mark: how Excel knows a CSV file is UTF-8
BOM = "\ufeff"
#: how much of the title names the file (a title is at most 200 characters)
FILE_NAME_LENGTH = 60

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


@dataclass(frozen=True)
class CsvStyle:
    """How numbers, times and cells are written: ``for_reader`` (a spreadsheet in the
    reader's language and zone) or ``DATA`` (a program)."""

    delimiter: str = ","
    bom: bool = False
    #: a Babel locale for decimals ("27,8"), None for a decimal point
    locale: str | None = None
    #: an IANA zone for times ("2026-05-12 11:32"), None for ISO 8601 UTC
    zone: str | None = None

    def number(self, value) -> str:
        if value is None or self.locale is None or not isinstance(value, Decimal):
            return "" if value is None else str(value)
        return format_decimal(value, format="0.0##", locale=self.locale)

    def time(self, value: datetime | None) -> str | None:
        if value is None or self.zone is None:
            return isoformat_z(value)
        return in_zone(value, ZoneInfo(self.zone)).strftime("%Y-%m-%d %H:%M")


DATA = CsvStyle()


def style_for(format_name: str) -> CsvStyle:
    """The style of ``?format=`` for the reader: ``spreadsheet`` in their language
    (``;`` and a decimal comma in French) and time zone, else ``DATA``."""
    if format_name != "spreadsheet":
        return DATA
    locale = str(get_locale() or "fr")
    return CsvStyle(
        delimiter=";" if locale.startswith("fr") else ",",
        bom=True,
        locale=locale,
        zone=select_timezone(),
    )


def cell(value) -> str:
    """Text for a spreadsheet: a cell that would start a formula is quoted."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def poll_csv(poll: Poll, visible: VisibleResults, style: CsvStyle = DATA) -> str:
    """The poll's results and stances as CSV (the layout above); ``visible``: what the
    reader may see, results not hidden."""
    names = option_names(poll)
    extras = EXTRAS.get(poll.kind, ())
    buffer = io.StringIO()
    if style.bom:
        buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=style.delimiter)
    number = style.number

    def row(*cells) -> None:
        writer.writerow([cell(value) for value in cells])

    row(_("Poll"), _("Kind"), _("Status"), _("Closing time"), _("Closed at"))
    status = "closed" if visible.closed else "open"
    row(poll.title, poll.kind, status, style.time(poll.closing_at), style.time(poll.closed_at))
    row()
    row(_("Key"), _("Option"), _("Count"), _("Percent of points"),
        *(header for _name, header in extras), _("Voters"))  # fmt: skip
    for result in visible.results.rows:
        row(
            result.key,
            names.get(result.key, result.name),
            result.count,
            number(result.percent),
            *(number(getattr(result, name)) for name, _header in extras),
            "; ".join(result.voters),
        )
    participation = visible.participation
    row("", _("Undecided"), participation.undecided, number(participation.undecided_percent))
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
            style.time(stance.created_at),
        )
    return buffer.getvalue()


def export_csv(poll: Poll, reader: User | None, now: datetime, style: CsvStyle = DATA) -> str:
    """The CSV ``reader`` may have now (``results_for``); ``ResultsHidden`` (409) while
    ``results_visibility`` hides the results from them."""
    visible = results_for(poll, reader, now)
    if visible.results is None:
        raise ResultsHidden()
    return poll_csv(poll, visible, style)


def file_name(poll: Poll) -> str:
    """The poll's title as a file name, ``.csv`` added: what a person would type
    («Nos accords d'écoute.csv»), without the characters file systems refuse."""
    title = unicodedata.normalize("NFC", poll.title)
    title = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', " ", title)
    title = " ".join(title.split()).strip(" .")[:FILE_NAME_LENGTH].strip(" .")
    return f"{title or 'poll-' + str(poll.id)}.csv"


def ascii_file_name(name: str) -> str:
    """An ASCII stand-in for old clients (RFC 6266's ``filename``): accents dropped."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9._ -]+", "", plain.replace("'", " "))
    plain = " ".join(plain.split())
    return plain if plain.removesuffix(".csv").strip() else "poll.csv"


def content_disposition(poll: Poll) -> str:
    """The ``Content-Disposition`` of the file: a download named after the poll's title
    (RFC 6266: an ASCII ``filename`` and the UTF-8 ``filename*``)."""
    name = file_name(poll)
    return (
        f"attachment; filename=\"{ascii_file_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
