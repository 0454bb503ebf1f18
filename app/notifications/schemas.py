"""API schemas for notifications (they validate input and document the API). Names start
with ``Notification``: one OpenAPI namespace for every feature."""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validates_schema

from ..api.schemas import CursorQuerySchema, Id, Integer, Items, UTCDateTime

#: ids marked read in one call
MAX_IDS = 100


class NotificationListQuerySchema(CursorQuerySchema):
    limit = Integer(
        load_default=30, min=1, max=100, metadata={"description": "1 to 100, default 30"}
    )


class NotificationReadSchema(Schema):
    ids = fields.List(
        Id(),
        validate=Items(min=1, max=MAX_IDS),
        metadata={
            "description": f"1 to {MAX_IDS} of the caller's notification ids (others' ids and "
            "ones already read are ignored)"
        },
    )
    all = fields.Boolean(
        metadata={"description": "`true`: every unread notification of the caller"}
    )

    @validates_schema
    def one_of(self, data, **kwargs):
        if ("ids" in data) == ("all" in data):
            message = _("Give either ids or all: true.")
            raise ValidationError({name: [message] for name in ("ids", "all")})
        if data.get("all") is False:
            raise ValidationError({"all": [_("Must be true (or give ids).")]})


class NotificationRuleSchema(Schema):
    key = fields.String(metadata={"description": "the rule key that decided it"})
    agreement_id = fields.Integer(
        allow_none=True, metadata={"description": "null: the rule's default, not agreed yet"}
    )
    version = fields.Integer(allow_none=True)
    poll_id = fields.Integer(allow_none=True)
    title = fields.String(
        allow_none=True, metadata={"description": "the agreement's title then (an addition)"}
    )


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "what happened: a stable snake_case word"})
    text = fields.String(metadata={"description": "the sentence, in the caller's language"})
    url = fields.String(
        metadata={"description": "absolute: the page it is about, on the site's public address"}
    )
    created_at = UTCDateTime()
    read_at = UTCDateTime(allow_none=True, metadata={"description": "null while unread"})
    rule = fields.Nested(
        NotificationRuleSchema,
        allow_none=True,
        metadata={"description": "the agreed rule that decided it, with its provenance"},
    )
    reason = fields.String(
        metadata={
            "description": "why it came to the caller, a sentence in their language: the "
            "agreed rule's words when one decided it (“As «Nos accords d'écoute» v2 says "
            "(…).”), else what they are to it (“You were mentioned.”, “You proposed it.”, "
            "“You are an admin of this circle.”…); an addition"
        }
    )


class NotificationListSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    next = fields.String(
        allow_none=True,
        metadata={"description": "pass as `cursor` for the next page; null at the end"},
    )


SETTINGS_DAYS_HELP = (
    "the ISO weekdays the daily digest goes out, 1 (Monday) to 7 (Sunday); `[]`: never"
)


class NotificationQuietHoursSchema(Schema):
    start = fields.String(metadata={"description": "local time `HH:MM` in the caller's zone"})
    end = fields.String(
        metadata={"description": "local time `HH:MM`; before `start` when crossing midnight"}
    )
    wake = fields.Boolean(
        metadata={"description": "urgent and important support requests still come then"}
    )


class NotificationSettingsSchema(Schema):
    digest_hour = fields.Integer(
        metadata={"description": "the daily digest's hour, 0 to 23, in `timezone`"}
    )
    digest_days = fields.List(fields.Integer(), metadata={"description": SETTINGS_DAYS_HELP})
    email_discreet = fields.Boolean(
        metadata={"description": "support requests' emails carry no message text"}
    )
    email_off = fields.Boolean(
        metadata={
            "description": "no notification email at all (one-click unsubscribe from all "
            "email sets it); account emails still go"
        }
    )
    timezone = fields.String(metadata={"description": "the caller's zone (read only)"})
    quiet_hours = fields.Nested(
        NotificationQuietHoursSchema,
        allow_none=True,
        metadata={
            "description": "read only (set on the profile page): null for none; "
            "notifications wait for their end"
        },
    )


class NotificationSettingsUpdateSchema(Schema):
    digest_hour = Integer(
        min=0,
        max=23,
        metadata={"description": "0 to 23: the daily digest's hour in the caller's zone"},
    )
    digest_days = fields.List(
        Integer(min=1, max=7),
        validate=Items(max=7),
        metadata={"description": SETTINGS_DAYS_HELP + " (at most 7)"},
    )
    email_discreet = fields.Boolean(
        metadata={"description": "support requests' emails without their message text"}
    )
    email_off = fields.Boolean(
        metadata={"description": "`true`: no notification email at all; `false`: back on"}
    )
