"""API: one's own account as a whole (DESIGN.md is silent; the choices are said in the
OpenAPI description of each operation)."""

from __future__ import annotations

from ..api import Blueprint, api_user
from ..auth.services import reactivation_deadline, require_password
from ..timeutil import utcnow
from .schemas import DeactivatedSchema, PasswordSchema
from .services import deactivate_account, delete_account
from .views import export_response

blp = Blueprint("api_account", __name__, description="One's own account and data")

_SOLE_ADMIN = (
    "The caller is the only admin of some circles (`sole_admin`): a circle always keeps "
    "an admin, so another must be named there first (PATCH "
    "/api/v1/groups/{handle}/memberships/{user_id} `{role: admin}`). The message names "
    "the circles; nothing was changed."
)


@blp.route("/me/export", methods=["GET"])
@blp.doc(
    security=[{"bearerAuth": []}],
    responses={
        "200": {
            "description": (
                "Everything the app keeps about the caller, as one JSON document "
                '(`{"format": "cercle-personal-data", "version": 1, "exported_at", '
                '"profile", "memberships", "join_requests", "threads", "comments" (with '
                'their versions), "reactions", "polls", "stances", "support_requests", '
                '"support_answers", "check_ins", "support_times", '
                '"thread_notification_settings", "sessions", "api_tokens"}`), streamed. '
                "Stances of anonymous polls are included only while the poll is open: "
                "at its close the app erases the link to the voter. API tokens are "
                "listed by name and first characters; their secrets are not kept."
            ),
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def export_me():
    """Download my data (the same file as the profile's «Download my data»)."""
    return export_response(api_user(), utcnow())


@blp.route("/me/deactivate", methods=["POST"])
@blp.doc(security=[{"bearerAuth": []}])
@blp.arguments(PasswordSchema)
@blp.response(200, DeactivatedSchema)
@blp.alt_response(403, description="Wrong password (`wrong_password`, naming `password`).")
@blp.alt_response(409, description=_SOLE_ADMIN)
def deactivate_me(data):
    """Leave every circle and close my account: every session and API token ends (this
    one too). Signing in again within 30 days (a POST /api/v1/tokens) opens the account
    again, without the circles; after 30 days it is deleted as by DELETE /api/v1/me.
    Closing a closed account changes nothing."""
    user = api_user()
    require_password(user, data["password"])
    deactivate_account(user, now=utcnow())
    return {
        "deactivated_at": user.deactivated_at,
        "reactivate_before": reactivation_deadline(user),
    }


@blp.route("/me", methods=["DELETE"])
@blp.doc(security=[{"bearerAuth": []}])
@blp.arguments(PasswordSchema)
@blp.response(204)
@blp.alt_response(403, description="Wrong password (`wrong_password`, naming `password`).")
@blp.alt_response(409, description=_SOLE_ADMIN)
def delete_me(data):
    """Delete my account, now and for good: after leaving every circle, my name, email,
    handle, password, settings, sessions and tokens are wiped. What I wrote stays, its
    author shown as «Former member» (`name`) everywhere; stances of anonymous polls are
    untouched; my open support requests are withdrawn and those matched with me open
    again. The address may then make a new account. The body carries the password
    (`{"password"}`)."""
    user = api_user()
    require_password(user, data["password"])
    delete_account(user, now=utcnow())
    return None
