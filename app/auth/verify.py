"""Confirming that an account's email address is its owner's.

An account is only a claim on an address until its owner shows they read that mailbox:
by opening the confirmation link emailed at sign-up (or asked again from the profile),
by completing a password reset from an emailed link, or by following an invitation's
emailed link. Until then nothing sent to the address (invitations) is shown to the
account in the app: whoever registers someone else's address first sees nothing of it.

Asking writes one row to the outbox; ``jobs run`` composes the email when it sends it
(``compose_confirmation_email``: the link is made then, on ``PUBLIC_URL``), or cancels
it when the account is gone, has changed address or is already confirmed.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .. import mail, outbox
from ..extensions import db
from ..urls import external_url
from .links import SignedLink
from .models import User

CONFIRM_LINK = SignedLink(salt="email-confirmation", max_age_setting="EMAIL_CONFIRM_MAX_AGE")
#: the outbox kind of a confirmation email (an ``email`` delivery composed when sent)
KIND = "email_confirmation"


def make_confirmation_token(user: User) -> str:
    """A signed link token naming the account and the address it confirms."""
    return CONFIRM_LINK.make(user, email=user.email)


def user_from_confirmation_token(token: str) -> User | None:
    """The account the link confirms, or None if the link is forged, expired, or names
    an address the account no longer has."""
    found = CONFIRM_LINK.load(token)
    if found is None or found[0].email != found[1].get("email"):
        return None
    return found[0]


def is_verified(user) -> bool:
    """Whether this (signed-in) person has shown they read their account's mailbox."""
    return getattr(user, "email_verified_at", None) is not None


def mark_verified(user: User, *, now: datetime) -> None:
    """The owner showed they read the address (flushed); the first time counts."""
    if user.email_verified_at is None:
        user.email_verified_at = now
        db.session.flush()


def ask_for_confirmation(user: User, *, now: datetime) -> None:
    """Write a confirmation email for ``user``'s address to the outbox (flushed)."""
    outbox.enqueue(
        outbox.EMAIL,
        KIND,
        now=now,
        user_id=user.id,
        payload={"confirm_for": user.id, "email": user.email},
    )


def compose_confirmation_email(request: dict) -> dict | None:
    """The email of a confirmation request (``ask_for_confirmation``'s payload), in the
    account's language; None when it is no longer needed."""
    user = db.session.get(User, request.get("confirm_for"))
    if (
        user is None
        or user.deleted_at is not None
        or user.email != request.get("email")
        or is_verified(user)
    ):
        return None
    link = external_url("auth.confirm_email", token=make_confirmation_token(user))
    with force_locale(user.locale or "fr"):
        subject = str(_l("Confirm your email address for Cercle"))
        body = render_template(
            "email/confirm_email.txt",
            user=user,
            link=link,
            days=current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 86400,
        )
    return mail.payload(user.email, subject, body)
