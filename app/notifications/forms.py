"""Forms of the notification settings: the settings page and a thread's email control.

The settings page's form has a pair of fields per circle the person belongs to
(``volume_<group id>``, ``support_volume_<group id>``), built from their memberships:
a posted field for any other group is never read. Quiet hours are the profile's own
form (``auth.forms.QuietHoursForm``), posted with this one.
"""

from __future__ import annotations

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form
from ..groups.models import Membership
from . import preferences
from .settings import HOURS, WEEKDAYS, digest_days

#: what each volume does, in one line (DESIGN's "Notifications")
VOLUME_CHOICES = [
    (
        preferences.ALL,
        _l(
            "All: an email at once for what concerns me (mentions, replies to me, polls "
            "and proposals, outcomes, agreements); other new comments in the digest"
        ),
    ),
    (preferences.DIGEST, _l("Digest: everything in my daily digest")),
    (preferences.MUTE, _l("Mute: no email (the notifications page still shows everything)")),
]
SUPPORT_CHOICES = [
    (preferences.IMMEDIATE, _l("At once, by email")),
    (
        preferences.DIGEST,
        _l(
            "In my daily digest (urgent and important requests still come at once unless I am away)"
        ),
    ),
]
#: a volume in a word (the thread page, the list of overrides)
VOLUME_NAMES = {
    preferences.ALL: _l("All"),
    preferences.DIGEST: _l("Digest"),
    preferences.MUTE: _l("Mute"),
}
#: the thread page's choices ("" follows the circle)
THREAD_CHOICES = [
    ("", _l("Like the rest of the circle")),
    (preferences.ALL, _l("All: what concerns me at once, other comments in the digest")),
    (preferences.DIGEST, _l("Digest: everything in my daily digest")),
    (preferences.MUTE, _l("Mute: no email about this discussion")),
]
NEVER, ON_DAYS = "never", "days"


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes, in a list."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _weekday_choices() -> list[tuple[int, str]]:
    names = get_day_names("wide", locale=str(get_locale() or "en"))
    return [(day, names[day - 1].capitalize()) for day in WEEKDAYS]


class NotificationSettingsForm(Form):
    """My email settings: per circle, the digest, discreet support emails, all email off."""

    digest_when = RadioField(
        _l("Send the digest"),
        choices=[(ON_DAYS, _l("On the days checked below")), (NEVER, _l("Never"))],
        validators=[InputRequired()],
    )
    digest_hour = SelectField(
        _l("At (my local time)"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in HOURS],
        validators=[InputRequired()],
    )
    digest_days = CheckboxesField(_l("Days"), coerce=int)
    email_discreet = BooleanField(_l("Discreet emails for support requests"))
    email_off = BooleanField(_l("No notification email at all"))

    @classmethod
    def for_memberships(cls, memberships: list[Membership], **kwargs) -> NotificationSettingsForm:
        """The form with a volume and a support volume for each of ``memberships``."""

        class Form(cls):
            pass

        for membership in memberships:
            group_id = membership.group_id
            setattr(
                Form,
                f"volume_{group_id}",
                RadioField(_l("Emails"), choices=VOLUME_CHOICES, validators=[InputRequired()]),
            )
            setattr(
                Form,
                f"support_volume_{group_id}",
                RadioField(
                    _l("Support requests"), choices=SUPPORT_CHOICES, validators=[InputRequired()]
                ),
            )
        form = Form(**kwargs)
        form.memberships = memberships
        return form

    @classmethod
    def initial(cls, user, memberships: list[Membership]) -> NotificationSettingsForm:
        """The form showing what is stored (nothing posted read)."""
        days = digest_days(user)
        data = {
            "digest_when": ON_DAYS if days else NEVER,
            "digest_hour": user.digest_hour,
            # "never" keeps no days: turning the digest on again starts from every day
            "digest_days": days or list(WEEKDAYS),
            "email_discreet": user.email_discreet,
            "email_off": user.email_off,
        }
        for membership in memberships:
            data[f"volume_{membership.group_id}"] = membership.volume
            data[f"support_volume_{membership.group_id}"] = membership.support_volume
        return cls.for_memberships(memberships, formdata=None, data=data)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.digest_days.choices = _weekday_choices()

    def circle_fields(self):
        """``(membership, volume field, support volume field)`` for each circle."""
        return [
            (m, self[f"volume_{m.group_id}"], self[f"support_volume_{m.group_id}"])
            for m in self.memberships
        ]

    def validate_digest_days(self, field) -> None:
        if self.digest_when.data == ON_DAYS and not field.data:
            raise ValidationError(_l("Check at least one day, or choose “Never”."))

    def circle_choices(self) -> dict[int, dict[str, str]]:
        return {
            m.group_id: {"volume": volume.data, "support_volume": support.data}
            for m, volume, support in self.circle_fields()
        }

    def chosen_days(self) -> list[int]:
        return list(self.digest_days.data or []) if self.digest_when.data == ON_DAYS else []


class ThreadEmailForm(Form):
    """My emails about one discussion: like my circle, or an override."""

    volume = SelectField(_l("Emails about this discussion"), choices=THREAD_CHOICES)
