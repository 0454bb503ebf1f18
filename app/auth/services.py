"""Accounts: sign-up, passwords, reset links, API tokens. No HTTP here."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import unicodedata
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from ..api import hash_token
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..textcheck import whole_number
from ..timeutil import is_valid_timezone
from .models import ApiToken, User


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
HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
TOKEN_PREFIX = "cercle_"  # noqa: S105 - a label, not a secret


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = _l("An account already uses this email address.")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def signin_limit_key(email: str) -> str:
    """The rate-limit key of failed sign-ins to one account (no address kept in clear)."""
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]
    return f"signin:{digest}"


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
    elif len(name) > 100:
        errors["name"] = _l("Must be at most %(max)s characters long.", max=100)
    if timezone is not None and not is_valid_timezone(timezone):
        errors["timezone"] = _l("Unknown time zone.")
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


def set_password(user: User, password: str) -> None:
    """Change the password. Everything the old password let in stops working: other
    sessions, pending reset links and API tokens (a stolen token dies with a reset)."""
    validate_password(password)
    user.password_hash = hash_password(password)
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login's loader: ``"<id>:<epoch>"``, refused after a password change."""
    user_id, _sep, epoch = (session_id or "").partition(":")
    user_number, epoch_number = whole_number(user_id, min=1), whole_number(epoch, min=0)
    if user_number is None or epoch_number is None:
        return None
    user = db.session.get(User, user_number)
    if user is None or user.session_epoch != epoch_number:
        return None
    return user


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
