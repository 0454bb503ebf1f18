"""API: users and tokens."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _

from ..api import Blueprint, public
from ..errors import NotAuthenticated
from ..extensions import db
from ..timeutil import utcnow
from .limits import count_signup, forget_failures, signin_limits
from .models import ApiToken
from .schemas import TokenCreateSchema, TokenSchema, UserCreateSchema, UserSchema
from .services import (
    check_password,
    create_api_token,
    create_user,
    find_user_by_email,
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
    """Exchange an email and password for an API token."""
    user = find_user_by_email(data["email"])
    if not check_password(user, data["password"]):
        raise NotAuthenticated(
            _("This email and password do not match an account."), code="invalid_credentials"
        )
    _token, secret = create_api_token(user, data.get("name") or "API", now=utcnow())
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
