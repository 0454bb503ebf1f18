"""API: a group's webhooks (admins only).

DESIGN.md's four endpoints, and two additions documented here and in the OpenAPI
document: ``POST /webhooks/{id}/test`` (the "send a test" button) and
``POST /webhooks/{id}/enable`` (turn a disabled hook on again).

A non-member of the group gets 404 (for a hook too: hooks of other groups are not
there), a member who is not an admin 403. Addresses are always masked in answers; a
generic hook's signing secret is returned once, in the 201.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..api import Blueprint, api_user
from ..api.schemas import ErrorSchema, decode_time_cursor, encode_cursor
from ..errors import Conflict, Forbidden, NotFound
from ..extensions import db
from ..groups.models import Group
from ..groups.permissions import can_manage_group, is_member
from ..groups.services import lookup_group
from ..outbox import Delivery
from ..timeutil import utcnow
from . import services
from .models import Webhook
from .schemas import (
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookDeliveryListSchema,
    WebhookDeliveryQuerySchema,
    WebhookDeliverySchema,
    WebhookListSchema,
    WebhookSchema,
)
from .subscribers import make_test_post

blp = Blueprint(
    "api_webhooks", __name__, description="A group's chat rooms and signed hooks (admins)"
)

BEARER = [{"bearerAuth": []}]
NOT_FOUND = "No such group, or you are not a member of it (`not_found`)."
HOOK_NOT_FOUND = "No such webhook in a group you belong to (`not_found`)."
NOT_ADMIN = "You are not an admin of this group (`forbidden`)."


def _admin_group(group: Group | None) -> Group:
    """404 unless the caller is a member, 403 unless an admin."""
    user = api_user()
    if group is None or not is_member(user, group):
        raise NotFound()
    if not can_manage_group(user, group):
        raise Forbidden()
    return group


def _hook(webhook_id: int) -> Webhook:
    hook = db.session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound()
    _admin_group(db.session.get(Group, hook.group_id))
    return hook


def webhook_json(hook: Webhook) -> dict:
    return {
        "id": hook.id,
        "kind": hook.kind,
        "url": services.mask(hook.url),
        "events": list(hook.events or ()),
        "active": hook.is_active,
        "disabled_at": hook.disabled_at,
        "disabled_reason": hook.disabled_reason,
        "failing_since": hook.failing_since,
        "last_success_at": hook.last_success_at,
        "created_at": hook.created_at,
    }


def delivery_json(delivery: Delivery) -> dict:
    return {
        "id": delivery.id,
        "event": delivery.kind,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": delivery.created_at,
        "due_at": delivery.due_at,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "last_duration_ms": delivery.last_duration_ms,
        "sent_at": delivery.sent_at,
    }


@blp.route("/groups/<handle>/webhooks", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, WebhookListSchema)
@blp.alt_response(403, schema=ErrorSchema, description=NOT_ADMIN)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def list_webhooks(handle: str):
    """The group's webhooks, oldest first, addresses masked (admins)."""
    group = _admin_group(lookup_group(handle))
    return {"items": [webhook_json(hook) for hook in services.webhooks_of(group)]}


@blp.route("/groups/<handle>/webhooks", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(WebhookCreateSchema)
@blp.response(201, WebhookCreatedSchema)
@blp.alt_response(
    400,
    schema=ErrorSchema,
    description="A bad field, named: `kind`, `events`, or `url` (not http(s), too long, "
    "with credentials, unknown host, or on a private or local network).",
)
@blp.alt_response(403, schema=ErrorSchema, description=NOT_ADMIN)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="The group already has 20 webhooks (`too_many_webhooks`).",
)
def create_webhook(data, handle: str):
    """Connect a chat room or a signed hook (admins).

    Posts go out with the periodic command (`flask jobs run`), never from this request:
    threads, comments, polls (opened, closing soon, closed), outcomes, agreements
    (adopted, amended, repealed, due for review) and support requests (asked, escalated,
    answered, closed: only their kind, urgency and link, and only those addressed to the
    whole circle). Chat posts are written in French, the app's default language.

    A `generic` hook gets Standard Webhooks posts `{type, timestamp, data}` signed with
    the `secret` returned here, once: headers `webhook-id` (the same on every retry),
    `webhook-timestamp`, `webhook-signature`.
    """
    group = _admin_group(lookup_group(handle))
    hook, secret = services.create_webhook(
        group,
        actor=api_user(),
        kind=data["kind"],
        url=data["url"],
        events=data.get("events"),
        allow_private=bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE")),
        now=utcnow(),
    )
    return {**webhook_json(hook), "secret": secret}


@blp.route("/webhooks/<int:webhook_id>", methods=["DELETE"])
@blp.doc(security=BEARER)
@blp.response(204)
@blp.alt_response(403, schema=ErrorSchema, description=NOT_ADMIN)
@blp.alt_response(404, schema=ErrorSchema, description=HOOK_NOT_FOUND)
def delete_webhook(webhook_id: int):
    """Delete a webhook and its delivery log; what was waiting is not sent (admins)."""
    services.delete_webhook(_hook(webhook_id))


@blp.route("/webhooks/<int:webhook_id>/deliveries", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(WebhookDeliveryQuerySchema, location="query")
@blp.response(200, WebhookDeliveryListSchema)
@blp.alt_response(400, schema=ErrorSchema, description="`cursor` or `limit` is not valid.")
@blp.alt_response(403, schema=ErrorSchema, description=NOT_ADMIN)
@blp.alt_response(404, schema=ErrorSchema, description=HOOK_NOT_FOUND)
def list_deliveries(query, webhook_id: int):
    """A webhook's delivery log, newest first (admins): each post's event, status,
    attempts, last HTTP status, last error and duration. Keyset pagination: pass `next`
    as `cursor`."""
    hook = _hook(webhook_id)
    limit = query["limit"]
    stmt = services.deliveries_query(hook).limit(limit + 1)
    if query.get("cursor"):
        when, last_id = decode_time_cursor(query["cursor"])
        d = Delivery
        stmt = stmt.where(
            sa.or_(d.created_at < when, sa.and_(d.created_at == when, d.id < last_id))
        )
    rows = list(db.session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        next_cursor = encode_cursor(rows[-1].created_at.isoformat(), rows[-1].id)
    return {"items": [delivery_json(d) for d in rows], "next": next_cursor}


@blp.route("/webhooks/<int:webhook_id>/test", methods=["POST"])
@blp.doc(security=BEARER)
@blp.response(202, WebhookDeliverySchema)
@blp.alt_response(403, schema=ErrorSchema, description=NOT_ADMIN)
@blp.alt_response(404, schema=ErrorSchema, description=HOOK_NOT_FOUND)
@blp.alt_response(
    409, schema=ErrorSchema, description="The webhook is disabled (`webhook_disabled`)."
)
def test_webhook(webhook_id: int):
    """Send a test post (an addition to DESIGN.md): written to the outbox now, sent by
    the next periodic run; the answer is its delivery, whose result shows in the log."""
    hook = _hook(webhook_id)
    if not hook.is_active:
        raise Conflict(
            _("This webhook is turned off: turn it on again first."), code="webhook_disabled"
        )
    return delivery_json(services.send_test(hook, make_test_post(hook), now=utcnow()))


@blp.route("/webhooks/<int:webhook_id>/enable", methods=["POST"])
@blp.doc(security=BEARER)
@blp.response(200, WebhookSchema)
@blp.alt_response(403, schema=ErrorSchema, description=NOT_ADMIN)
@blp.alt_response(404, schema=ErrorSchema, description=HOOK_NOT_FOUND)
def enable_webhook(webhook_id: int):
    """Turn a disabled webhook on again, its failures forgotten (an addition to
    DESIGN.md); harmless on an active one."""
    hook = _hook(webhook_id)
    services.enable(hook, now=utcnow())
    return webhook_json(hook)
