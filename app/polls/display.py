"""How a poll reads on a page: numbers in the reader's language, relative times and
the results chart (inline SVG geometry). Options and stances are named by
``services.option_label`` and ``services.describe_choice``, as in the API.

Registered on the blueprint as app-wide template filters and globals, so the
thread page can show poll cards too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_decimal, format_percent
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from ..fragments import in_fragment, mark
from ..i18n import format_relative, select_timezone
from ..textcheck import whole_number
from . import bp, tally
from .forms import KIND_NAMES
from .models import Poll
from .services import (
    MEETING_ANSWERS,
    PROPOSAL_MEANINGS,
    PROPOSAL_PROMPTS,
    describe_choice,
    option_names,
)

STATUS_LABELS = {"open": _l("Open"), "closed": _l("Closed")}
#: the results table's caption: what its rows count (the section's heading is «Results»)
RESULTS_CAPTIONS = {
    "proposal": _l("Stances by option"),
    "choice": _l("Choices by option"),
    "score": _l("Scores by option"),
    "ranked": _l("Points by option"),
    "dot": _l("Dots by option"),
    "meeting": _l("Answers by time slot"),
}
REASON_RULE_HELP = {
    "optional": _l("A reason is welcome."),
    "required": _l("A reason of more than 5 characters is required."),
    "required_for_block": _l("A block needs a reason of more than 5 characters."),
    "disabled": _l("This poll takes no reasons."),
}


def _locale() -> str:
    return str(get_locale() or "fr")


@bp.app_template_filter("poll_percent")
def percent_text(value: Decimal | int | None) -> str:
    """27.8 → "27.8%" (English), "27,8 %" (French); 0 → "0%", as in the seed's table."""
    number = Decimal(value or 0) / 100
    return format_percent(number.normalize(), locale=_locale(), decimal_quantization=False)


@bp.app_template_filter("poll_number")
def number_text(value: Decimal | int | None) -> str:
    """A count or an average in the reader's language (3.5 → "3,5" in French)."""
    if value is None:
        return "–"
    return format_decimal(value, locale=_locale())


class RelativeTime:
    """``view.relative`` of a card: the relative phrase, made when the card renders (a
    placeholder in a kept fragment, filled from each request's now: app/fragments.py)."""

    def __init__(self, moment: datetime, now: datetime):
        self.moment, self.now = moment, now

    def __html__(self) -> str:
        if in_fragment():
            return mark("R", self.moment.isoformat())
        return str(escape(relative_time(self.moment, self.now)))

    def __str__(self) -> str:
        return relative_time(self.moment, self.now)


def relative_time(moment: datetime, now: datetime) -> str:
    """ "in 3 days" / "2 hours ago" / "just now", in the reader's language; in a cached
    fragment, a placeholder the page fills from its own time (``app/fragments.py``):
    the card is kept until a write, while «closes in 3 hours» changes as time passes."""
    if in_fragment():
        return mark("R", moment.isoformat())
    return format_relative(moment, now)


def prefill(choice: dict | None) -> dict:
    """The vote form's values from a stored choice: ``key``, ``keys``, ``numbers``
    (scores, dots, meeting answers or ranks by option key)."""
    values: dict = {"key": None, "keys": set(), "numbers": {}}
    if not choice:
        return values
    if "key" in choice:
        values["key"] = choice["key"]
    if "keys" in choice:
        values["keys"] = set(choice["keys"])
    if "scores" in choice:
        values["numbers"] = {k: int(v) for k, v in choice["scores"].items()}
    if "ranking" in choice:
        values["numbers"] = {k: i for i, k in enumerate(choice["ranking"], start=1)}
    return values


def prefill_from_form(poll: Poll, formdata) -> dict:
    """The vote form's values as just submitted (shown again with the errors)."""
    values: dict = {"key": formdata.get("key"), "keys": set(formdata.getlist("keys"))}
    values["numbers"] = {}
    prefix = {"score": "score-", "dot": "dots-", "meeting": "slot-", "ranked": "rank-"}.get(
        poll.kind
    )
    if prefix:
        for key in poll.option_keys:
            number = whole_number(formdata.get(prefix + key))
            if number is not None:
                values["numbers"][key] = number
    return values


# -- the chart -----------------------------------------------------------------------

CHART_WIDTH = 320
LABEL_WIDTH = 120
BAR_SPACE = 150
ROW_HEIGHT = 28
BAR_HEIGHT = 18


@dataclass(frozen=True)
class ChartBar:
    label: str
    value_text: str
    width: float
    y: int
    css_class: str


@dataclass(frozen=True)
class Chart:
    bars: list[ChartBar]
    height: int
    summary: str
    width: int = CHART_WIDTH
    label_width: int = LABEL_WIDTH


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def value_text(kind: str, row: tally.OptionResult) -> str:
    """What a row's bar stands for, in words: a percent, points, dots, a score."""
    if kind in ("proposal", "choice"):
        return percent_text(row.percent)
    if kind in ("score", "ranked"):
        return ngettext(
            "%(total)s point", "%(total)s points", row.total, total=number_text(row.total)
        )
    if kind == "dot":
        return ngettext("%(total)s dot", "%(total)s dots", row.total, total=number_text(row.total))
    return _("%(yes)s yes, %(maybe)s if need be", yes=row.yes or 0, maybe=row.if_need_be or 0)


def chart(poll: Poll, results: tally.PollResults, names: dict[str, str]) -> Chart:
    """A horizontal bar per option, widths as SVG attributes (no inline style):
    percents for proposals and choices, else relative to the highest total."""
    if results.kind in ("proposal", "choice"):
        values = [float(row.percent) for row in results.rows]
        top = 100.0
    else:
        values = [float(row.total or 0) for row in results.rows]
        top = max(values, default=0.0) or 1.0
    short = option_names(poll, slot="short")
    bars = []
    summary = []
    for index, (row, value) in enumerate(zip(results.rows, values, strict=True)):
        name = names.get(row.key, row.name)
        text = value_text(results.kind, row)
        css = f"bar bar-{row.key}" if poll.kind == "proposal" else f"bar bar-{index % 6}"
        if row.best:
            css += " bar-best"
        bars.append(
            ChartBar(
                label=_short(short.get(row.key, name)),
                value_text=text,
                width=round(BAR_SPACE * value / top, 1),
                y=index * ROW_HEIGHT,
                css_class=css,
            )
        )
        # "D'accord : 83,3 %": the colon and its space are the language's
        summary.append(_("%(option)s: %(value)s", option=name, value=text))
    return Chart(
        bars=bars,
        height=max(len(bars), 1) * ROW_HEIGHT,
        summary=_("Chart of the results: %(values)s", values="; ".join(summary)),
    )


@bp.app_context_processor
def poll_display_helpers() -> dict:
    """Helpers the poll card needs wherever it is included (thread page, poll page)."""
    return {
        "poll_meanings": PROPOSAL_MEANINGS,
        "poll_prompts": PROPOSAL_PROMPTS,
        "poll_meeting_answers": MEETING_ANSWERS,
        "poll_status_labels": STATUS_LABELS,
        "poll_reason_help": REASON_RULE_HELP,
        "poll_max_reason": tally.MAX_REASON,
        "poll_kind_names": KIND_NAMES,
        "poll_results_captions": RESULTS_CAPTIONS,
        "poll_reader_zone": select_timezone,
    }


# -- one card, ready for the template ---------------------------------------------------


@dataclass
class CardView:
    """A poll card as the template reads it (``poll_card`` in ``polls/_card.html``)."""

    card: object  # cards.PollCard
    names: dict[str, str]
    chart: Chart | None
    values: dict
    errors: dict
    reason: str
    stances: list[dict]
    relative: RelativeTime
    outcome: dict | None
    my_choice: str = ""
    #: a proposal's agreement change and outcome (``proposals.display.ProposalPanel``)
    proposal: object | None = None

    @property
    def poll(self) -> Poll:
        return self.card.poll

    @property
    def error_items(self) -> list[tuple[str, str | None]]:
        """The vote form's errors for its summary (``_form_errors.html``): each as
        "what: problem" with the id of the control to go to (the ids of ``vote_form``)."""
        return vote_error_items(
            self.poll, self.errors, self.names, [o.key for o in self.card.options]
        )


#: the choice's error keys, reported on the first control of the choice
CHOICE_ERRORS = ("key", "keys", "scores", "ranking")
#: the id of a kind's control for one option (``vote_form`` in ``polls/_card.html``)
CONTROL_IDS = {
    "proposal": "key-{key}",
    "choice": "key-{key}",
    "score": "score-{key}",
    "dot": "dots-{key}",
    "ranked": "rank-{key}",
    "meeting": "slot-{key}-2",
}


def vote_error_items(
    poll: Poll, errors: dict, names: dict[str, str], keys: list[str]
) -> list[tuple[str, str | None]]:
    """The vote form's ``errors`` (as the view collects them: ``key``, ``scores.o2``,
    ``reason``, ``form``…) as ``(text, control id or None)``, in the form's order."""
    prefix = f"p{poll.id}-"
    control = CONTROL_IDS[poll.kind]
    first = prefix + control.format(key=keys[0]) if keys else None
    items: list[tuple[str, str | None]] = []
    for name in CHOICE_ERRORS:
        if errors.get(name):
            items.append((_("Your stance: %(problem)s", problem=errors[name]), first))
    for key in keys:
        problem = errors.get(f"scores.{key}")
        if problem:
            target = prefix + control.format(key=key)
            items.append(
                (_("%(option)s: %(problem)s", option=names.get(key, key), problem=problem), target)
            )
    if errors.get("reason"):
        items.append((_("Your reason: %(problem)s", problem=errors["reason"]), prefix + "reason"))
    known = {*CHOICE_ERRORS, "reason", *(f"scores.{key}" for key in keys)}
    for name, problem in errors.items():
        if name not in known and problem:
            items.append((str(problem), None))
    return items


def card_view(
    card,
    now: datetime,
    *,
    errors: dict | None = None,
    values: dict | None = None,
    reason: str | None = None,
    outcome: dict | None = None,
    proposal: object | None = None,
) -> CardView:
    """Names, chart, stances in words and the vote form's values of one card."""
    poll = card.poll
    names = option_names(poll)
    visible = card.visible
    mine = visible.my_stance
    stances = []
    for stance in visible.stances or []:
        stances.append(
            {
                "voter": None if poll.anonymous or stance.voter is None else stance.voter.name,
                "choice": describe_choice(poll, stance.choice, names),
                "reason": stance.reason,
                "at": None if poll.anonymous else stance.created_at,
            }
        )
    moment = card.closed_at or poll.closing_at
    return CardView(
        card=card,
        names=names,
        chart=chart(poll, visible.results, names) if visible.results is not None else None,
        values=values if values is not None else prefill(mine.choice if mine else None),
        errors=errors or {},
        reason=reason if reason is not None else (mine.reason if mine else ""),
        stances=stances,
        relative=RelativeTime(moment, now),
        outcome=outcome,
        my_choice=describe_choice(poll, mine.choice, names) if mine else "",
        proposal=proposal,
    )
