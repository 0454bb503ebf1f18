"""Poll forms: they validate and convert; the services keep the rules.

Times typed on a page are in the reader's time zone (the profile's): a
``datetime-local`` value or a meeting slot "2026-05-12 18:30" becomes aware UTC
here, before any service sees it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .. import limits
from ..forms import Form
from ..textcheck import whole_number
from ..threads.forms import MARKDOWN_HINT
from ..timeutil import FAR_FUTURE, FAR_PAST, in_bounds, in_zone
from . import tally
from .services import CLOSING_OUT_OF_RANGE, MAX_DETAILS, MAX_STATEMENT, MAX_TITLE

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
#: what a closing time may be typed as where the browser has no picker (the first is
#: the picker's own)
LOCAL_FORMATS = [LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%d/%m/%Y %Hh%M"]
#: the empty time slot inputs a meeting form starts with, and adds on "More time slots"
SLOT_INPUTS = 3

#: each kind with its one-line explanation, in the order of the chooser
KIND_CHOICES = (
    ("proposal", _l("Proposal"), _l("Decide by consent: agree, abstain, disagree or block.")),
    ("choice", _l("Choice"), _l("Choose one option, or several, from a list.")),
    ("score", _l("Score"), _l("Give each option a score, from low to high.")),
    ("ranked", _l("Ranked choice"), _l("Put the options in order of preference.")),
    ("dot", _l("Dot vote"), _l("Spread a budget of dots over the options you prefer.")),
    ("meeting", _l("Meeting"), _l("Find a time: yes, if need be, or no for each time slot.")),
)
KIND_NAMES = {key: name for key, name, _help in KIND_CHOICES}

VISIBILITY_CHOICES = (
    ("always", _l("Always: everyone sees the results as they come in.")),
    ("after_vote", _l("After voting: each person sees them once they have voted.")),
    (
        "after_close",
        _l("After closing: nobody sees them before the poll closes. This cannot be relaxed later."),
    ),
)
REASON_CHOICES = (
    ("optional", _l("Optional")),
    ("required", _l("Required from everyone")),
    ("required_for_block", _l("Required for a block")),
    ("disabled", _l("No reasons")),
)


def to_utc(local: datetime | None, zone: str) -> datetime | None:
    """A naive time typed in ``zone`` as aware UTC (an aware one is only converted)."""
    if local is None:
        return None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(zone))
    try:
        return local.astimezone(UTC)
    except OverflowError:  # 9999-12-31 23:59 in New York: later than any time, so refused
        return FAR_FUTURE if local.year > 1 else FAR_PAST


def to_local(moment: datetime | None, zone: str) -> datetime | None:
    """An aware time as the naive local time a ``datetime-local`` input shows."""
    if moment is None:
        return None
    return in_zone(moment, ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)


#: a date and time typed the French way: "12/12/2026 18:30", "12/12/2026 à 18h30",
#: "12/12/2026 18h" (day first)
_FRENCH_SLOT = re.compile(
    r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})[\s,]*(?:à\s*)?"
    r"(?P<H>\d{1,2})\s*[:hH]\s*(?P<M>\d{2})?$"
)


def parse_slot(text: str, zone: str) -> datetime | None:
    """A meeting slot as typed: what a date and time picker sends ("2026-05-12T18:30"),
    ISO 8601 typed by hand ("2026-05-12 18:30", or with its own zone), or the French
    way ("12/05/2026 18:30", "12/05/2026 à 18h30"); naive times are in the reader's
    zone. None when it is not a time."""
    value = " ".join((text or "").split())
    french = _FRENCH_SLOT.match(value)
    if french:
        try:
            moment = datetime(
                int(french["y"]),
                int(french["m"]),
                int(french["d"]),
                int(french["H"]),
                int(french["M"] or 0),
            )
        except ValueError:
            return None
    else:
        try:
            moment = datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError:
            return None
    if not in_bounds(moment.replace(tzinfo=None)):
        return None
    return to_utc(moment, zone)


def slot_input_value(text: str, zone: str) -> str:
    """A typed slot as its ``datetime-local`` input shows it again: the local time in
    the input's own format when it reads as a time, else as typed."""
    moment = parse_slot(text, zone)
    if moment is None:
        return text
    return to_local(moment, zone).strftime(LOCAL_FORMAT)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (no JS, one label each)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PollForm(Form):
    """A new poll of one kind. ``kind``, ``members`` (``[(id, name)]``) and ``zone``
    (the reader's time zone) come through the constructor; fields that the kind
    does not use are removed."""

    out_of_range = {"closing_at": CLOSING_OUT_OF_RANGE}

    title = StringField(
        _l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=MAX_TITLE)]
    )
    details = TextAreaField(
        _l("Details"), validators=[Optional(), Length(max=MAX_DETAILS)], render_kw={"rows": 6}
    )
    closing_at = DateTimeLocalField(
        _l("Closes at"), format=LOCAL_FORMATS, validators=[InputRequired()]
    )
    options = TextAreaField(_l("Options"), render_kw={"rows": 5})
    min_choices = IntegerField(_l("At least this many choices"), default=1)
    max_choices = IntegerField(_l("At most this many choices"), default=1)
    min_score = IntegerField(_l("Lowest score"), default=0)
    max_score = IntegerField(_l("Highest score"), default=5)
    dots = IntegerField(_l("Dots for each voter"), default=8)
    shuffle_options = BooleanField(_l("Show the options in a different order to each voter"))
    anonymous = BooleanField(_l("Anonymous: nobody sees who chose what"))
    results_visibility = RadioField(
        _l("Who sees the results, and when"),
        choices=[SelectChoice(v, label) for v, label in VISIBILITY_CHOICES],
        default="always",
    )
    reasons = RadioField(_l("Reasons"), choices=[SelectChoice(v, t) for v, t in REASON_CHOICES])
    voters_mode = RadioField(
        _l("Who may vote"),
        choices=[
            SelectChoice("all", _l("Every member of the group")),
            SelectChoice("named", _l("Only the people below")),
        ],
        default="all",
    )
    voters = MultiCheckboxField(_l("Voters"), coerce=int, validate_choice=False)

    def __init__(self, *args, kind: str, members, zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.zone = zone
        self.voters.choices = [SelectChoice(member_id, name) for member_id, name in members]
        rules = [c for c in REASON_CHOICES if kind == "proposal" or c[0] != "required_for_block"]
        self.reasons.choices = [SelectChoice(value, label) for value, label in rules]
        self.reasons.default = "required_for_block" if kind == "proposal" else "optional"
        if self.reasons.data is None or not self.is_submitted():
            self.reasons.data = self.reasons.default
        unused = {
            "proposal": ("options", "min_choices", "max_choices", "min_score", "max_score", "dots"),
            "choice": ("min_score", "max_score", "dots"),
            "score": ("min_choices", "max_choices", "dots"),
            "ranked": ("min_choices", "max_choices", "min_score", "max_score", "dots"),
            "dot": ("min_choices", "max_choices", "min_score", "max_score"),
            "meeting": ("min_choices", "max_choices", "min_score", "max_score", "dots"),
        }[kind]
        if kind in ("proposal", "meeting"):
            unused = (*unused, "shuffle_options")
        for name in unused:
            delattr(self, name)
        if "options" in self:
            if kind == "meeting":
                self.options.label.text = _l("Time slots, one a line")
            else:
                self.options.label.text = _l("Options, one a line")

    def submitted_slots(self) -> list[str]:
        """A meeting's ``slot`` inputs as sent (one date and time picker each)."""
        if not self.is_submitted():
            return []
        return [value.strip() for value in request.form.getlist("slot")]

    def slot_inputs(self) -> list[tuple[str, bool]]:
        """The meeting's slot inputs to draw: ``(value, bad)``, those sent first, then
        empty ones (at least ``SLOT_INPUTS``; as many more on "More time slots")."""
        sent = self.submitted_slots()
        shown = [
            (slot_input_value(v, self.zone), parse_slot(v, self.zone) is None) for v in sent if v
        ]
        wanted = max(SLOT_INPUTS, len(shown) + (1 if shown else 0))
        if self.is_submitted() and "more_slots" in request.form:
            wanted = len(shown) + SLOT_INPUTS
        return shown + [("", False)] * (wanted - len(shown))

    def option_lines(self) -> list[str]:
        lines = [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]
        if self.kind == "meeting":
            lines = [v for v in self.submitted_slots() if v] + lines
        return lines

    def validate_options(self, field) -> None:
        """Meeting slots must read as times; the services check the rest."""
        if self.kind != "meeting":
            return
        from_inputs = len([v for v in self.submitted_slots() if v])
        for number, line in enumerate(self.option_lines(), start=1):
            if parse_slot(line, self.zone) is None:
                if number <= from_inputs:
                    raise ValidationError(
                        _l(
                            "Time slot %(n)s: give a date and time, like 12/05/2026 18:30.",
                            n=number,
                        )
                    )
                raise ValidationError(
                    _l(
                        "Line %(n)s: write a date and time like 2026-05-12 18:30.",
                        n=number - from_inputs,
                    )
                )

    def validate_voters(self, field) -> None:
        if self.voters_mode.data == "named" and not field.data:
            raise ValidationError(_l("Choose at least one voter."))

    def closing_at_utc(self) -> datetime | None:
        return to_utc(self.closing_at.data, self.zone)

    def service_arguments(self) -> dict:
        """The keyword arguments of ``create_poll`` (besides thread, author and now)."""
        arguments = {
            "kind": self.kind,
            "title": self.title.data,
            "details": self.details.data or "",
            "closing_at": self.closing_at_utc(),
            "anonymous": self.anonymous.data,
            "results_visibility": self.results_visibility.data,
            "reasons": self.reasons.data,
            "voters": self.voters.data if self.voters_mode.data == "named" else None,
        }
        if "shuffle_options" in self:
            arguments["shuffle_options"] = self.shuffle_options.data
        if self.kind == "meeting":
            arguments["options"] = [
                parse_slot(line, self.zone).isoformat() for line in self.option_lines()
            ]
        elif self.kind != "proposal":
            arguments["options"] = self.option_lines()
        for name in ("min_choices", "max_choices", "min_score", "max_score", "dots"):
            if name in self and self[name].data is not None:
                arguments[name] = self[name].data
        return arguments

    def field_for(self, service_field: str):
        """The form field where a service's field error shows (``options.3`` → options)."""
        name = service_field.split(".", 1)[0]
        if name == "voters" and "voters" in self:
            return self.voters
        return self[name] if name in self else None


class StanceForm(Form):
    """A stance: the choice (read from the kind's inputs) and a reason.

    Inputs: ``key`` (proposal, single choice), ``keys`` (multiple choice),
    ``score-<key>``, ``dots-<key>``, ``slot-<key>`` (2 yes, 1 if need be, 0 no),
    ``rank-<key>`` (1 = best).
    """

    reason = TextAreaField(
        _l("Your reason"),
        validators=[Optional(), Length(max=tally.MAX_REASON)],
        render_kw={"rows": 3, "maxlength": tally.MAX_REASON},
    )

    def choice_for(self, poll, formdata: Mapping) -> tuple[dict, dict[str, str]]:
        """The stance's choice in the API's shape, and the input errors found here."""
        errors: dict[str, str] = {}
        keys = poll.option_keys
        if poll.kind == "proposal" or (poll.kind == "choice" and poll.max_choices <= 1):
            return {"key": formdata.get("key") or ""}, errors
        if poll.kind == "choice":
            return {"keys": [k for k in keys if k in formdata.getlist("keys")]}, errors
        prefix = {"score": "score-", "dot": "dots-", "meeting": "slot-", "ranked": "rank-"}[
            poll.kind
        ]
        numbers: dict[str, int] = {}
        for key in keys:
            raw = (formdata.get(prefix + key) or "").strip()
            if raw == "" and poll.kind == "dot":
                raw = "0"
            number = whole_number(raw)
            if number is None:
                errors[f"scores.{key}"] = str(_l("Must be a whole number."))
            else:
                numbers[key] = number
        if poll.kind != "ranked":
            return {"scores": numbers}, errors
        ranks = list(numbers.values())
        if errors or sorted(ranks) != list(range(1, len(keys) + 1)):
            errors = {"ranking": str(_l("Give each option a different rank, from 1 (best)."))}
            return {"ranking": []}, errors
        return {"ranking": sorted(numbers, key=numbers.get)}, errors


class PollEditForm(Form):
    """A correction of an open poll: its title, details and closing time (in the
    reader's zone)."""

    out_of_range = {"closing_at": CLOSING_OUT_OF_RANGE}

    title = StringField(
        _l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=MAX_TITLE)]
    )
    details = TextAreaField(
        _l("Details"), validators=[Optional(), Length(max=MAX_DETAILS)], render_kw={"rows": 6}
    )
    closing_at = DateTimeLocalField(
        _l("Closes at"), format=LOCAL_FORMAT, validators=[InputRequired()]
    )


class ReopenForm(Form):
    """A new closing time, in the reader's zone."""

    out_of_range = {"closing_at": CLOSING_OUT_OF_RANGE}

    closing_at = DateTimeLocalField(
        _l("New closing time"), format=LOCAL_FORMAT, validators=[InputRequired()]
    )


class StatementForm(Form):
    """The outcome statement, written after closing."""

    text = TextAreaField(
        _l("Outcome statement"),
        validators=[DataRequired(), Length(max=MAX_STATEMENT)],
        render_kw={"rows": 6},
    )
    review_on = DateField(_l("Review on (optional)"), validators=[Optional()])

    def review_date(self) -> date | None:
        return self.review_on.data


class RemindForm(Form):
    """A manual reminder to those who have not voted."""

    message = TextAreaField(
        _l("Message (optional)"),
        validators=[Optional(), Length(max=limits.MESSAGE)],
        render_kw={"rows": 3},
    )


__all__ = [
    "KIND_CHOICES",
    "KIND_NAMES",
    "MARKDOWN_HINT",
    "PollEditForm",
    "PollForm",
    "ReopenForm",
    "RemindForm",
    "StanceForm",
    "StatementForm",
]
