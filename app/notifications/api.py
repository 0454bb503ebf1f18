"""API: my notifications, and marking them read.

``GET``/``PATCH /notifications/settings`` (an addition to DESIGN.md: the person's own
email settings, as on the settings page; a circle's volumes are ``PATCH
/groups/{handle}/memberships/me``).

The same list as the notifications page (``services.listing``): newest first, only
about groups the caller still belongs to, each with its sentence written in the
caller's language when it is read, the absolute address of what it is about, the
agreed rule that decided it when one did, and why it came (``reason``).
"""

from __future__ import annotations

from ..api import Blueprint, api_user
from ..api.schemas import decode_time_cursor, encode_cursor
from ..timeutil import utcnow
from . import services, settings
from .models import Notification
from .schemas import (
    NotificationListQuerySchema,
    NotificationListSchema,
    NotificationReadSchema,
    NotificationSettingsSchema,
    NotificationSettingsUpdateSchema,
)

blp = Blueprint("api_notifications", __name__, description="My notifications")

SECURITY = [{"bearerAuth": []}]
UNAUTHORIZED = "No token, or not a valid one (`unauthorized`, `invalid_token`)."


def _rule(rule: dict | None) -> dict | None:
    if not rule:
        return None
    return {
        "key": rule.get("key"),
        "agreement_id": rule.get("agreement_id"),
        "version": rule.get("version"),
        "poll_id": rule.get("poll_id"),
        "title": rule.get("title") or None,
    }


def notification_json(notification: Notification) -> dict:
    """A notification as the API shows it to its reader."""
    return {
        "id": notification.id,
        "kind": notification.kind,
        "text": services.describe(notification),
        "url": services.target_url(notification, external=True),
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "rule": _rule(notification.rule),
        "reason": services.reason(notification),
    }


@blp.route("/notifications", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(NotificationListQuerySchema, location="query")
@blp.response(200, NotificationListSchema)
@blp.alt_response(400, description="`cursor` or `limit` is not valid (named).")
def list_notifications(query):
    """My notifications, newest first, read and unread.

    Ordered by `created_at`, then `id`, descending; only about the groups I still belong to.

    `text` is written in my language when read; `url` is absolute, built from the site's
    configured address; `rule` names the agreed rule that decided it (the key, and the
    agreement, version and poll that set it; nulls for a rule's default), null when no
    rule did; `reason` says in my language why it came to me (the rule's words when one
    decided it, else what I am to it: mentioned, the author, an admin…). Keyset
    pagination: pass `next` as `cursor` (`limit` 1 to 100, default 30).
    """
    after = decode_time_cursor(query["cursor"]) if query.get("cursor") else None
    page = services.page_for(api_user(), per_page=query["limit"], after=after)
    next_cursor = None
    if page.older is not None:
        next_cursor = encode_cursor(*services.position_of(page.older))
    return {"items": [notification_json(n) for n in page.items], "next": next_cursor}


@blp.route("/notifications/read", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(NotificationReadSchema)
@blp.response(204)
@blp.alt_response(
    400, description="Neither or both of `ids` and `all`; `all` not true; a bad id (named)."
)
def mark_read(data):
    """Mark notifications read: some, or all.

    `{"ids": [...]}`: mine among them (others' ids, unknown ones and ones already read are
    ignored, so that a retry is harmless); or `{"all": true}`.
    """
    ids = "all" if data.get("all") else data["ids"]
    services.mark_read(api_user(), ids, now=utcnow())
    return None


def settings_json(user) -> dict:
    """My own email settings, as the API shows them."""
    quiet = None
    if user.quiet_from is not None and user.quiet_until is not None:
        quiet = {
            "start": user.quiet_from.strftime("%H:%M"),
            "end": user.quiet_until.strftime("%H:%M"),
            "wake": user.quiet_wake,
        }
    return {
        "digest_hour": user.digest_hour,
        "digest_days": settings.digest_days(user),
        "email_discreet": user.email_discreet,
        "email_off": user.email_off,
        "timezone": user.timezone,
        "quiet_hours": quiet,
    }


@blp.route("/notifications/settings", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.response(200, NotificationSettingsSchema)
def get_settings():
    """My email settings (an addition to DESIGN.md, which is silent on it).

    The daily digest's local hour and weekdays, discreet support emails, no notification
    email at all, and (read only) my time zone and quiet hours, both set on the profile
    page. Each circle's `volume` and `support_volume` are on
    `PATCH /groups/{handle}/memberships/me` (and `my_volume`, `my_support_volume` on the
    group).
    """
    return settings_json(api_user())


@blp.route("/notifications/settings", methods=["PATCH"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(NotificationSettingsUpdateSchema)
@blp.response(200, NotificationSettingsSchema)
@blp.alt_response(
    400,
    description="A bad field, named: `digest_hour` (not a whole number from 0 to 23), "
    "`digest_days` (not a list of 1 to 7), `email_discreet` or `email_off` (not a boolean), "
    "or an unknown field.",
)
def update_settings(data):
    """Change my email settings (an addition to DESIGN.md); fields left out stay as they are.

    `email_off: false` turns notification email back on after a one-click unsubscribe from
    all email. `digest_days: []` means no digest.
    """
    user = api_user()
    settings.update_user_settings(user, now=utcnow(), **data)
    return settings_json(user)
