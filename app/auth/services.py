"""Accounts: sign-up, passwords, reset links, API tokens. No HTTP here."""

from __future__ import annotations

import functools
import re
import secrets
import unicodedata
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from .. import events, limits
from ..api import hash_token
from ..errors import Conflict, Forbidden, ValidationFailed
from ..extensions import db
from ..timeutil import is_valid_timezone
from .models import ApiToken, SignInSession, User
from .sessions import end_sessions
from .sessions import load_user_from_session as load_user_from_session  # Flask-Login's loader


@functools.cache
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    """Argon2id with the configured cost (tests lower it; production keeps the defaults)."""
    config = current_app.config if has_app_context() else {}
    return _hasher_for(
        config.get("ARGON2_TIME_COST", 3),
        config.get("ARGON2_MEMORY_COST", 65536),
        config.get("ARGON2_PARALLELISM", 4),
    )


MIN_PASSWORD_LENGTH = 10
#: a deactivated account opens again when its owner signs in within this delay; after
#: it, the periodic command deletes it
REACTIVATION_DAYS = 30
HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
TOKEN_PREFIX = "cercle_"  # noqa: S105 - a label, not a secret


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = _l("An account already uses this email address.")


class WrongPassword(Forbidden):
    code = "wrong_password"
    default_message = _l("This is not your current password.")


def require_password(user: User, password: str) -> None:
    """An act that needs the current password again (403 ``wrong_password``)."""
    if not check_password(user, password):
        raise WrongPassword(fields={"password": WrongPassword.default_message})


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User | None, password: str) -> bool:
    """True when the password is the user's; constant work when there is no user."""
    if user is None:
        _hasher().hash(password or "x")  # same cost whether or not the account exists
        return False
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def validate_password(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            fields={field: _l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)}
        )


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


#: the addresses of deleted accounts: reserved, never an account's own (RFC 2606's
#: ``.invalid`` cannot receive mail; a sign-up, the API, an email change or an import
#: that asks for one is refused, so no one can take a deleted account's placeholder)
DELETED_DOMAIN = "deleted.invalid"
RESERVED_EMAIL = _l("This address cannot be used: give a real email address.")


def is_reserved_email(email: str) -> bool:
    return normalise_email(email).endswith("@" + DELETED_DOMAIN)


def deleted_placeholders() -> tuple[str, str]:
    """A deleted account's email and handle: unguessable, so that no account made
    before can hold them and make the deletion fail."""
    tag = f"deleted-{secrets.token_hex(8)}"
    return f"{tag}@{DELETED_DOMAIN}", tag


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return (slug or "membre")[:30]


def unique_user_handle(name: str) -> str:
    """A free ``@handle`` made from a display name (``Anaïs B.`` → ``anais-b``)."""
    base = _slug(name)
    if len(base) < 2:
        base = f"{base}-1"
    candidate, n = base, 1
    while db.session.scalar(sa.select(User.id).where(User.handle == candidate)) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def create_user(
    *, email: str, name: str, password: str, locale: str | None = None, timezone: str | None = None
) -> User:
    """A new account; raises ``EmailTaken`` (409) or ``ValidationFailed`` (400)."""
    email = normalise_email(email)
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _l("This field is required.")
    elif len(name) > limits.NAME:
        errors["name"] = _l("Must be at most %(max)s characters long.", max=limits.NAME)
    if timezone is not None and not is_valid_timezone(timezone):
        errors["timezone"] = _l("Unknown time zone.")
    if is_reserved_email(email):
        errors["email"] = RESERVED_EMAIL
    if errors:
        raise ValidationFailed(fields=errors)
    validate_password(password)
    if find_user_by_email(email) is not None:
        raise EmailTaken(fields={"email": EmailTaken.default_message})
    user = User(
        email=email,
        name=name,
        handle=unique_user_handle(name),
        password_hash=hash_password(password),
        locale=locale,
        timezone=timezone or "Europe/Paris",
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:  # raced with another sign-up
        raise EmailTaken(fields={"email": EmailTaken.default_message}) from exc
    return user


def set_password(user: User, password: str, *, now: datetime) -> None:
    """Change the password. Everything the old password let in stops working: every
    sign-in session (the caller signs this browser in again), pending reset links,
    API tokens (a stolen token dies with a reset) and failed sign-ins counted against
    the account (the limits' keys carry ``session_epoch``)."""
    validate_password(password)
    user.password_hash = hash_password(password)
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    end_sessions(user, now=now)


def create_api_token(user: User, name: str = "", *, now: datetime) -> tuple[ApiToken, str]:
    """A new token for ``user``: the record, and the secret shown once."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=(name or "").strip()[:100],
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        created_at=now,
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


# -- closing an account ---------------------------------------------------------------


def revoke_access(user: User, *, now: datetime) -> None:
    """Nothing signs in as ``user`` any more: every session ends, every API token and
    pending reset or address-change link dies (the password generation moves on)."""
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    end_sessions(user, now=now)


def deactivate_user(user: User, *, now: datetime) -> None:
    """Close the account (flushed): signed out everywhere, tokens revoked. Leaving the
    circles first is the caller's part (``app/account``)."""
    if user.deactivated_at is None:
        user.deactivated_at = now
    revoke_access(user, now=now)
    db.session.flush()
    events.account_deactivated.send(user, now=now)


def reactivation_deadline(user: User) -> datetime | None:
    """Until when signing in opens a deactivated account again (None: not deactivated)."""
    if user.deactivated_at is None:
        return None
    return user.deactivated_at + timedelta(days=REACTIVATION_DAYS)


def can_sign_in(user: User | None, *, now: datetime) -> bool:
    """A deleted account never signs in; a deactivated one only within the delay."""
    if user is None or user.deleted_at is not None:
        return False
    deadline = reactivation_deadline(user)
    return deadline is None or now < deadline


def reactivate_if_deactivated(user: User, *, now: datetime) -> bool:
    """On sign-in: a deactivated account opens again (flushed); True if it was closed.
    The circles it left are not joined again (their admins invite anew)."""
    if user.deactivated_at is None:
        return False
    user.deactivated_at = None
    db.session.flush()
    events.account_reactivated.send(user, now=now)
    return True


def wipe_user(user: User, *, now: datetime) -> None:
    """Delete the person's personal data (flushed), keeping the row that their
    contributions point to: name, email, handle, password, locale, zone, settings,
    sessions and tokens go. The address becomes free for a new account. The caller
    makes sure it happens once (``app/account``: a conditional claim)."""
    revoke_access(user, now=now)
    db.session.execute(sa.delete(SignInSession).where(SignInSession.user_id == user.id))
    user.deleted_at = now
    user.deactivated_at = None
    user.stored_name = ""
    user.email, user.handle = deleted_placeholders()
    user.password_hash = ""
    user.email_verified_at = None
    user.locale = None
    user.timezone = "Europe/Paris"
    user.quiet_from = user.quiet_until = None
    user.quiet_wake = True
    user.digest_hour = 7
    user.digest_days = ""
    user.digest_done_on = None
    user.email_discreet = False
    user.email_off = True
    db.session.flush()
    events.account_deleted.send(user, now=now)
