"""Support forms: they validate and convert; context (the agreed channels, the possible
supporters) comes through the constructor. The rules themselves are the services'."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from .. import limits
from ..forms import Form
from .display import AVAILABILITY_LABELS, KIND_LABELS
from .models import KINDS, MAX_BODY, MAX_MESSAGE, MAX_NOTE, MAX_WHEN

MAX_CHANNEL = limits.SUPPORT_CHANNEL
YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (no JS, one label each)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AskForm(Form):
    """Asking for support. ``channels``: the agreed ways of meeting (a choice among them;
    a free field when the circle agreed none); ``supporters``: ``[(user_id, name)]`` of
    those one may name instead of the whole circle."""

    kind = RadioField(
        _l("What kind of support?"),
        choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS],
        validators=[InputRequired(message=_l("Choose the kind of support you need."))],
    )
    urgent = RadioField(
        _l("Do you need someone soon?"),
        choices=YES_NO,
        validators=[InputRequired(message=_l("Answer yes or no."))],
    )
    important = RadioField(
        _l("Does it matter a lot to you?"),
        choices=YES_NO,
        validators=[InputRequired(message=_l("Answer yes or no."))],
    )
    body = TextAreaField(
        _l("Your message (optional)"),
        validators=[Optional(), Length(max=MAX_BODY)],
        render_kw={"rows": 4, "maxlength": MAX_BODY},
    )
    when = StringField(
        _l("When (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=MAX_WHEN)],
        render_kw={"maxlength": MAX_WHEN},
    )
    channel = RadioField(_l("How would you like to meet?"), validate_choice=True)
    channel_free = StringField(
        _l("How would you like to meet? (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=MAX_CHANNEL)],
        render_kw={"maxlength": MAX_CHANNEL},
    )
    audience = RadioField(
        _l("Who do you ask?"),
        choices=[
            SelectChoice("circle", _l("The whole circle")),
            SelectChoice("named", _l("Only the people I choose below")),
        ],
        default="circle",
        validators=[InputRequired()],
    )
    supporters = MultiCheckboxField(_l("The people I ask"), coerce=int, validate_choice=False)

    def __init__(self, *args, channels=(), supporters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.agreed_channels = list(channels)
        if self.agreed_channels:
            del self.channel_free
            self.channel.choices = [SelectChoice("", _l("No preference"))] + [
                SelectChoice(c, c) for c in self.agreed_channels
            ]
            if self.channel.data is None:
                self.channel.data = ""
        else:
            del self.channel
        self.supporters.choices = list(supporters)

    def validate_supporters(self, field):
        if self.audience.data == "named" and not field.data:
            raise ValidationError(_l("Choose at least one person, or ask the whole circle."))

    def channel_value(self) -> str | None:
        field = self.channel if self.agreed_channels else self.channel_free
        return field.data or None

    def field_for(self, name: str):
        """The field that shows a service's error about ``name``."""
        if name == "channel":
            return self.channel if self.agreed_channels else self.channel_free
        return getattr(self, name, None)

    def service_arguments(self) -> dict:
        """What ``services.create_request`` takes."""
        return {
            "kind": self.kind.data,
            "urgent": self.urgent.data == "yes",
            "important": self.important.data == "yes",
            "body": self.body.data or "",
            "when": self.when.data or "",
            "channel": self.channel_value(),
            "supporters": list(self.supporters.data or [])
            if self.audience.data == "named"
            else None,
        }


class AnswerForm(Form):
    """ "I am available" (with a message or a time) or "not now" (no reason needed):
    the button pressed says which."""

    available = HiddenField(validators=[AnyOf(["yes", "no"])])
    message = TextAreaField(
        _l("A message, or a time you propose (optional)"),
        validators=[Optional(), Length(max=MAX_MESSAGE)],
        render_kw={"rows": 2, "maxlength": MAX_MESSAGE},
    )


class OutcomeForm(Form):
    """Closing a request: the button pressed names the outcome."""

    outcome = HiddenField(validators=[AnyOf(["happened", "did_not_happen", "not_needed"])])


class PlainForm(Form):
    """A button and its CSRF token (release)."""


class CheckInForm(Form):
    """ "I'll do it" or "we talked" (with an optional private note) about one member."""

    member_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    note = TextAreaField(
        _l("A note for them (optional, only they will read it)"),
        validators=[Optional(), Length(max=MAX_NOTE)],
        render_kw={"rows": 2, "maxlength": MAX_NOTE},
    )


class AvailabilityForm(Form):
    """My availability in this circle and, when the agreements leave them free, my
    support switches."""

    availability = RadioField(
        _l("Right now, I am"),
        choices=[SelectChoice(k, v) for k, v in AVAILABILITY_LABELS.items()],
        validators=[InputRequired()],
    )
    until = DateField(_l("Away until (included, optional)"), validators=[Optional()])
    gives_support = BooleanField(_l("I support others in this circle"))
    receives_support = BooleanField(_l("I receive support in this circle"))

    def __init__(self, *args, locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.locked = locked
        if locked:
            del self.gives_support
            del self.receives_support


class SupportTimeForm(Form):
    """A support time logged by hand ("we had a listening time")."""

    note = StringField(
        _l("A word about it (optional, for you only)"),
        filters=[_strip],
        validators=[Optional(), Length(max=MAX_MESSAGE)],
        render_kw={"maxlength": MAX_MESSAGE},
    )
