"""API: users and tokens."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _

from ..api import Blueprint, api_user, public
from ..errors import NotAuthenticated
from ..extensions import db
from ..timeutil import utcnow
from .email_change import ask_for_email_change, check_new_email
from .limits import count_email_change, count_signup, forget_failures, signin_limits
from .models import ApiToken
from .schemas import (
    EmailChangeSchema,
    EmailChangeStartedSchema,
    TokenCreateSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
)
from .services import (
    can_sign_in,
    check_password,
    create_api_token,
    create_user,
    find_user_by_email,
    reactivate_if_deactivated,
    require_password,
)
from .verify import ask_for_confirmation

blp = Blueprint("api_auth", __name__, description="Accounts and API tokens")


@blp.route("/users", methods=["POST"])
@public
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
@blp.alt_response(409, description="The email address is taken (`email_taken`).")
@blp.alt_response(
    429,
    description="Many accounts were made from the caller's network lately (10 an hour, "
    "50 a day, pages and API together; an IPv6 client counts by its /64); `Retry-After` "
    "says when to try again.",
)
def create_user_view(data):
    """Create an account (no token needed). A link to confirm the address is emailed;
    until it is opened, invitations to the address are not shown to the account."""
    count_signup()
    user = create_user(**data)
    ask_for_confirmation(user, now=utcnow())
    return user


@blp.route("/tokens", methods=["POST"])
@public
@signin_limits
@blp.arguments(TokenCreateSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(401, description="Wrong email or password (`invalid_credentials`).")
@blp.alt_response(429, description="Too many attempts (`rate_limited`).")
def create_token_view(data):
    """Exchange an email and password for an API token. A deactivated account opens
    again (within 30 days of its closing; the circles it left are not joined again)."""
    user = find_user_by_email(data["email"])
    now = utcnow()
    if not check_password(user, data["password"]) or not can_sign_in(user, now=now):
        raise NotAuthenticated(
            _("This email and password do not match an account."), code="invalid_credentials"
        )
    reactivate_if_deactivated(user, now=now)
    _token, secret = create_api_token(user, data.get("name") or "API", now=now)
    forget_failures()
    return {"token": secret}


@blp.route("/tokens/current", methods=["DELETE"])
@blp.doc(security=[{"bearerAuth": []}])
@blp.response(204)
@blp.alt_response(401, description="No valid token (`unauthorized`, `invalid_token`).")
def revoke_current_token():
    """Revoke the token used for this request."""
    db.session.execute(sa.delete(ApiToken).where(ApiToken.token_hash == g.api_token_hash))
    return None


@blp.route("/me/email", methods=["POST"])
@blp.doc(security=[{"bearerAuth": []}])
@blp.arguments(EmailChangeSchema)
@blp.response(202, EmailChangeStartedSchema)
@blp.alt_response(
    400, description="Not an address, or the current one (`same_email`), naming `email`."
)
@blp.alt_response(403, description="Wrong password (`wrong_password`, naming `password`).")
@blp.alt_response(409, description="Another account uses the address (`email_taken`).")
@blp.alt_response(
    429,
    description="Three changes an hour, ten a day per account, pages and API together "
    "(`rate_limited`); `Retry-After` says when to try again.",
)
def change_my_email(data):
    """Ask to move my account to a new address (DESIGN.md is silent; chosen here): a link
    is emailed to it, and a word to the current one. Nothing changes until the link is
    opened (within two days, before any password change) and the address is still free
    then; the new address then counts as confirmed."""
    user = api_user()
    require_password(user, data["password"])
    check_new_email(user, data["email"])  # a refused address is not counted
    count_email_change(user)
    new_email = ask_for_email_change(user, data["email"], now=utcnow())
    return {"email": new_email, "status": "confirmation_sent"}
