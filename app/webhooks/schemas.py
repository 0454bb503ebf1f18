"""API schemas for webhooks (they validate input and document the API). Names start with
``Webhook``: one OpenAPI namespace for every feature."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..api.schemas import CursorQuerySchema, Items, Line, UTCDateTime
from .models import EVENTS, KINDS
from .ssrf import MAX_URL


class WebhookCreateSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={
            "description": "`slack` (also Mattermost and Rocket.Chat: `{text}`), `discord` "
            "(`{content}`, mentions disabled, at most 2,000 characters), `matrix` "
            "(matrix-hookshot's generic webhook: `{text, html}`) or `generic` (signed JSON, "
            "Standard Webhooks)"
        },
    )
    url = Line(
        required=True,
        validate=validate.Length(min=1, max=MAX_URL),
        metadata={
            "description": "http(s), at most 2,000 characters, no credentials; refused when "
            "its host resolves to a private, loopback, link-local, reserved or multicast "
            "address (unless the operator set `WEBHOOKS_ALLOW_PRIVATE=true`)"
        },
    )
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENTS)),
        validate=Items(min=1, max=len(EVENTS)),
        metadata={"description": f"among {', '.join(EVENTS)}; default: all"},
    )


class WebhookSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    url = fields.String(
        metadata={"description": "masked: scheme and host, then the last four characters"}
    )
    events = fields.List(fields.String())
    active = fields.Boolean(metadata={"description": "false once disabled"})
    disabled_at = UTCDateTime(allow_none=True)
    disabled_reason = fields.String(
        allow_none=True,
        metadata={
            "description": "`gone` (the receiver answered 410) or `failing` (every post "
            "failed for more than a day)"
        },
    )
    failing_since = UTCDateTime(
        allow_none=True, metadata={"description": "the first failure since the last success"}
    )
    last_success_at = UTCDateTime(allow_none=True)
    created_at = UTCDateTime()


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        allow_none=True,
        metadata={
            "description": "a generic hook's signing secret (`whsec_…`), returned only in "
            "this answer; null for chat rooms"
        },
    )


class WebhookListSchema(Schema):
    items = fields.List(fields.Nested(WebhookSchema))


class WebhookDeliverySchema(Schema):
    id = fields.Integer()
    event = fields.String(metadata={"description": "the event type (`thread.created`, `test`, …)"})
    status = fields.String(
        metadata={"description": "`pending`, `sending`, `sent`, `failed` or `cancelled`"}
    )
    attempts = fields.Integer()
    created_at = UTCDateTime()
    due_at = UTCDateTime(metadata={"description": "the next attempt, while pending"})
    last_attempt_at = UTCDateTime(allow_none=True)
    last_status = fields.Integer(
        allow_none=True, metadata={"description": "the last answer's HTTP status"}
    )
    last_error = fields.String(allow_none=True)
    last_duration_ms = fields.Integer(allow_none=True)
    sent_at = UTCDateTime(allow_none=True)


class WebhookDeliveryListSchema(Schema):
    items = fields.List(fields.Nested(WebhookDeliverySchema))
    next = fields.String(
        allow_none=True,
        metadata={"description": "pass as `cursor` for the next page; null at the end"},
    )


class WebhookDeliveryQuerySchema(CursorQuerySchema):
    pass
