"""Account forms: they validate and convert; context comes through the constructor."""

from __future__ import annotations

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TimeField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
)

from .. import limits
from ..forms import Form
from ..i18n import LIKELY_ZONES, LOCALE_NAMES, grouped_zone_choices
from ..timeutil import timezone_choices
from .services import MIN_PASSWORD_LENGTH


def _strip(value):
    """Pasted addresses and names often carry spaces around them."""
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    """Handles are lower-case; "Anais" means "anais"."""
    return value.strip().lower() if isinstance(value, str) else value


class SignUpForm(Form):
    name = StringField(
        _l("Your name, as others will see it"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=limits.NAME)],
    )
    email = EmailField(
        _l("Email address"),
        filters=[_strip],
        validators=[DataRequired(), Email(), Length(max=limits.EMAIL)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=limits.PASSWORD)],
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class SignInForm(Form):
    email = EmailField(_l("Email address"), filters=[_strip], validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Stay signed in on this device"))


class ResetRequestForm(Form):
    email = EmailField(_l("Email address"), filters=[_strip], validators=[DataRequired(), Email()])


class ResetPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=limits.PASSWORD)],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ProfileForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=limits.NAME)])
    handle = StringField(
        _l("Handle (for @mentions)"),
        filters=[_lower],
        validators=[
            DataRequired(),
            Regexp(
                r"^[a-z0-9][a-z0-9_-]{1,39}$",
                message=_l("2 to 40 lower-case letters, digits, hyphens or underscores."),
            ),
        ],
    )
    locale = SelectField(_l("Language"), validators=[Optional()])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = [("", _l("Same as my browser"))] + list(LOCALE_NAMES.items())
        zones = timezone_choices()
        current = getattr(kwargs.get("obj"), "timezone", None)
        if current and current not in zones:  # the profile's older zone name stays selectable
            zones = [current, *zones]
        # French (or English) city and country names, grouped by region, the
        # account's zone and the language's likely one first; values stay IANA names
        locale = str(get_locale() or "fr")
        likely = LIKELY_ZONES.get(locale, current_app.config["DEFAULT_USER_TIMEZONE"])
        first = [z for z in (current, likely) if z]
        self.timezone.choices = grouped_zone_choices(zones, locale, first)


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=limits.PASSWORD)],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class EmailChangeForm(Form):
    email = EmailField(
        _l("New email address"),
        filters=[_strip],
        validators=[DataRequired(), Email(), Length(max=limits.EMAIL)],
    )
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class PasswordCheckForm(Form):
    """The current password, asked again before an act that cannot be taken back lightly."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=limits.PASSWORD)]
    )


class TokenForm(Form):
    name = StringField(
        _l("Name of the token (where you will use it)"), validators=[Length(max=limits.NAME)]
    )


class QuietHoursForm(Form):
    """Quiet hours, local times in the person's zone (``22:00``–``07:00`` crosses
    midnight): both times, or neither for none."""

    quiet_from = TimeField(_l("Quiet from"), validators=[Optional()])
    quiet_until = TimeField(_l("Until"), validators=[Optional()])
    quiet_wake = BooleanField(_l("Urgent and important support requests may wake me"))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        start, end = self.quiet_from.data, self.quiet_until.data
        if (start is None) != (end is None):
            self.quiet_until.errors.append(_l("Give both times, or neither for no quiet hours."))
            return False
        if start is not None and start == end:
            self.quiet_until.errors.append(_l("The end must differ from the start."))
            return False
        return True
