"""Password-reset links: asked on a page, composed and sent by the periodic command.

Asking writes one row to the outbox with the address as typed, and looks nothing up:
the request costs the same whether or not an account uses the address, so its timing
tells nobody which addresses have one. ``jobs run`` composes the email when it sends
it (``compose_reset_email``: the link is made then, on ``PUBLIC_URL``), or cancels the
row when no account uses the address.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .. import mail, outbox
from ..urls import external_url
from .links import SignedLink
from .models import User
from .services import find_user_by_email, normalise_email

RESET_LINK = SignedLink(salt="password-reset", max_age_setting="PASSWORD_RESET_MAX_AGE")
#: the outbox kind of a reset request (an ``email`` delivery composed when sent)
KIND = "password_reset"


def make_reset_token(user: User) -> str:
    """A signed link token; it dies with the next password change (single use)."""
    return RESET_LINK.make(user, epoch=user.session_epoch)


def user_from_reset_token(token: str) -> User | None:
    found = RESET_LINK.load(token)
    if found is None or found[0].session_epoch != found[1].get("epoch"):
        return None
    return found[0]


def ask_for_reset(email: str, *, locale: str, now: datetime) -> None:
    """Write a reset request to the outbox (flushed): the address and the asker's
    language, whether or not an account uses it."""
    outbox.enqueue(
        outbox.EMAIL, KIND, now=now, payload={"reset_for": normalise_email(email), "locale": locale}
    )


def compose_reset_email(request: dict) -> dict | None:
    """The email of a reset request (``ask_for_reset``'s payload), in the account's
    language, else the asker's; None when no account uses the address."""
    user = find_user_by_email(request["reset_for"])
    if user is None:
        return None
    link = external_url("auth.reset_password", token=make_reset_token(user))
    with force_locale(user.locale or request.get("locale") or "fr"):
        subject = str(_l("Reset your Cercle password"))
        body = render_template(
            "email/reset_password.txt",
            user=user,
            link=link,
            minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
        )
    return mail.payload(user.email, subject, body)
