"""Group forms: they validate and convert; context comes through the constructor."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from .. import limits
from ..forms import Form
from .models import Privacy, Role

HANDLE_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$"


def privacy_choices() -> list[tuple[str, str, str]]:
    """(value, label, one-line explanation) of each privacy setting, most private first."""
    return [
        (
            Privacy.secret.value,
            _l("Secret"),
            _l("Only members know the group exists; people join by invitation."),
        ),
        (
            Privacy.closed.value,
            _l("Closed"),
            _l(
                "Signed-in people see its name and description and may ask to join; "
                "threads are for members."
            ),
        ),
        (
            Privacy.open.value,
            _l("Open"),
            _l("Every signed-in person can read it and join."),
        ),
    ]


def role_choices() -> list[SelectChoice]:
    return [
        SelectChoice(Role.member.value, _l("Member")),
        SelectChoice(Role.admin.value, _l("Admin")),
    ]


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class GroupSettingsForm(Form):
    """What an admin may change after creation (the handle stays)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=limits.NAME)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=limits.DOCUMENT)],
        render_kw={"rows": 6},
    )
    privacy = RadioField(_l("Who can see the group"), default=Privacy.secret.value)
    members_can_start_threads = BooleanField(_l("Members can start threads"), default=True)
    members_can_raise_proposals = BooleanField(_l("Members can raise proposals"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.privacy.choices = [
            SelectChoice(value, label) for value, label, _h in privacy_choices()
        ]
        self.privacy_help = {value: help_ for value, _label, help_ in privacy_choices()}


class NewGroupForm(GroupSettingsForm):
    handle = StringField(
        _l("Handle (in the group's address)"),
        filters=[_lower],
        validators=[
            Optional(),
            Regexp(
                HANDLE_PATTERN,
                message=_l(
                    "Use 3 to 40 lower-case letters, digits or hyphens, "
                    "starting and ending with a letter or digit."
                ),
            ),
        ],
    )


class JoinRequestForm(Form):
    message = TextAreaField(
        _l("Message to the admins (optional)"),
        validators=[Optional(), Length(max=limits.MESSAGE)],
        render_kw={"rows": 3},
    )


class InvitationForm(Form):
    email = EmailField(
        _l("Email address (optional)"), validators=[Optional(), Email(), Length(max=limits.EMAIL)]
    )
    note = StringField(
        _l("Who is it for? (optional)"), validators=[Optional(), Length(max=limits.NAME)]
    )
    days = IntegerField(_l("Valid for (days)"), validators=[DataRequired(), NumberRange(1, 90)])
    role = RadioField(_l("Role"), default=Role.member.value)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class RoleForm(Form):
    role = RadioField(
        _l("Role"),
        choices=role_choices(),
        validators=[DataRequired()],
    )


class DecisionForm(Form):
    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve")), SelectChoice("decline", _l("Decline"))],
        validators=[DataRequired()],
    )
