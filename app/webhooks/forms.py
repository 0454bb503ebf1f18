"""The admins' form for connecting a hook: it validates and converts; whether an
address may be posted to is the service's question (it resolves the host)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from ..forms import Form
from .models import EVENTS, KINDS
from .services import EVENT_LABELS, KIND_LABELS
from .ssrf import MAX_URL


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (works without JavaScript)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class WebhookForm(Form):
    """Connect a chat room or a signed hook: its kind, its address, what it is told."""

    kind = RadioField(
        _l("Where to post"),
        choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS],
        default="slack",
        validators=[DataRequired(message=_l("Choose where to post."))],
    )
    url = StringField(
        _l("Webhook address"),
        validators=[
            DataRequired(message=_l("Give the address of the webhook.")),
            Length(max=MAX_URL, message=_l("At most %(max)d characters.")),
        ],
    )
    events = CheckboxesField(
        _l("What to post"),
        choices=[SelectChoice(event, EVENT_LABELS[event]) for event in EVENTS],
        default=list(EVENTS),
        validators=[DataRequired(message=_l("Choose at least one event."))],
    )
