"""Changing an account's email address: asked with the current password, done only
when the link emailed to the new address is opened.

Asking writes two rows to the outbox: the link to the new address, and a word to the
current one (so that whoever took over a session cannot move the account away
silently; the owner can still change the password, which kills the link). Nothing
changes until the link is used: it names the account, the address it moves from, the
one it moves to and the password generation, and each must still hold then; the new
address must also still be free. Opening the link shows a button (mail scanners open
links); pressing it makes the change and counts as the new address confirmed.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .. import events, limits, mail, outbox
from ..errors import ValidationFailed
from ..extensions import db
from ..urls import external_url
from .links import SignedLink
from .models import User
from .services import (
    RESERVED_EMAIL,
    EmailTaken,
    find_user_by_email,
    is_reserved_email,
    normalise_email,
)

CHANGE_LINK = SignedLink(salt="email-change", max_age_setting="EMAIL_CHANGE_MAX_AGE")
#: the outbox kinds: the link to the new address, the word to the current one
KIND = "email_change"
NOTICE_KIND = "email_change_notice"


class SameEmail(ValidationFailed):
    code = "same_email"
    default_message = _l("This is already your email address.")


def check_new_email(user: User, new_email: str, field: str = "email") -> str:
    """The new address, normalised; refused when it is the current one or used by
    another account (409 ``email_taken``: the person is signed in and proved their
    password, so saying so tells them nothing they could not learn by signing up)."""
    email = normalise_email(new_email)
    if not email or len(email) > limits.EMAIL or "@" not in email:
        raise ValidationFailed(fields={field: _l("Invalid email address.")})
    if is_reserved_email(email):
        raise ValidationFailed(fields={field: RESERVED_EMAIL})
    if email == user.email:
        raise SameEmail(fields={field: SameEmail.default_message})
    if find_user_by_email(email) is not None:
        raise EmailTaken(fields={field: EmailTaken.default_message})
    return email


def ask_for_email_change(user: User, new_email: str, *, now: datetime) -> str:
    """Write the link for ``new_email`` and the word to the current address to the
    outbox (flushed); returns the normalised new address. The account is unchanged."""
    email = check_new_email(user, new_email)
    payload = {"change_for": user.id, "from": user.email, "to": email}
    outbox.enqueue(outbox.EMAIL, KIND, now=now, user_id=user.id, payload=payload)
    outbox.enqueue(outbox.EMAIL, NOTICE_KIND, now=now, user_id=user.id, payload=payload)
    return email


def make_change_token(user: User, new_email: str) -> str:
    return CHANGE_LINK.make(user, to=new_email, epoch=user.session_epoch, **{"from": user.email})


def change_from_token(token: str) -> tuple[User, str] | None:
    """The account and the new address a link asks for; None when the link is forged,
    expired, already used (the address moved) or outlived a password change."""
    found = CHANGE_LINK.load(token)
    if found is None:
        return None
    user, data = found
    if user.email != data.get("from") or user.session_epoch != data.get("epoch"):
        return None
    new_email = data.get("to")
    if not isinstance(new_email, str) or not new_email:
        return None
    return user, new_email


def apply_email_change(user: User, new_email: str, *, now: datetime) -> User:
    """Move the account to ``new_email`` (flushed), confirmed as of ``now`` (the link
    reached that mailbox); 409 ``email_taken`` when another account took it meanwhile
    (the unique index settles a race)."""
    taken = db.session.scalar(sa.select(User.id).where(User.email == new_email, User.id != user.id))
    if taken is not None:
        raise EmailTaken(fields={"email": EmailTaken.default_message})
    old_email = user.email
    user.email = new_email
    user.email_verified_at = now
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise EmailTaken(fields={"email": EmailTaken.default_message}) from exc
    events.email_changed.send(user, old_email=old_email, now=now)
    return user


def _still_wanted(request: dict) -> User | None:
    user = db.session.get(User, request.get("change_for"))
    if user is None or user.deleted_at is not None or user.email != request.get("from"):
        return None
    return user


def compose_change_email(request: dict) -> dict | None:
    """The link to the new address (``ask_for_email_change``'s payload), made now, in the
    account's language; None when no longer wanted (the account moved or is gone)."""
    user = _still_wanted(request)
    if user is None or not isinstance(request.get("to"), str):
        return None
    link = external_url("auth.confirm_email_change", token=make_change_token(user, request["to"]))
    with force_locale(user.locale or "fr"):
        subject = str(_l("Confirm your new email address for Cercle"))
        body = render_template(
            "email/email_change.txt",
            user=user,
            new_email=request["to"],
            link=link,
            days=current_app.config["EMAIL_CHANGE_MAX_AGE"] // 86400,
        )
    return mail.payload(request["to"], subject, body)


def compose_notice_email(request: dict) -> dict | None:
    """The word to the current address: a change was asked, and what to do if it was
    not the owner."""
    user = _still_wanted(request)
    if user is None:
        return None
    with force_locale(user.locale or "fr"):
        subject = str(_l("A change of your Cercle email address was asked"))
        body = render_template(
            "email/email_change_notice.txt",
            user=user,
            new_email=request.get("to", ""),
            reset_link=external_url("auth.reset_request"),
        )
    return mail.payload(user.email, subject, body)
