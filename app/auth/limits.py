"""The limits on sign-in attempts, one set shared by the sign-in page and the API.

Three counts, each in Flask-Limiter's storage (the database or Redis, shared by
every worker):

- one address trying one account (``SIGNIN_RATE_LIMIT``): the lockout a
  password-guesser meets, which a stranger elsewhere cannot impose on the owner;
- one address trying any account (``SIGNIN_ADDRESS_LIMIT``);
- one account from any address (``SIGNIN_ACCOUNT_LIMIT``, much higher: only many
  addresses together reach it).

An attempt is counted before the password is checked, in one step with the check
of the limit (``acquire_entry``): parallel attempts in several workers cannot slip
past it while their passwords are being verified. A successful sign-in then
forgets its address's count on that account (the typos before it were the
owner's); the address and account counts keep it.

The account's part of a key carries its ``session_epoch``: a successful password
reset bumps it, which lifts the lockouts on that account wherever they are stored.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import after_this_request, current_app, g, request
from flask_babel import gettext as _
from limits import parse_many

from ..extensions import client_network, db, limiter
from ..ratelimit import count_or_refuse, release_write_lock
from ..textcheck import text_problem
from .models import User
from .services import normalise_email

#: the scope (Flask-Limiter's name) of the address-and-account count
PAIR_SCOPE = "signin-address-account"


def _submitted_email() -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    else:
        email = request.form.get("email")
    return email if isinstance(email, str) else ""


def account_key() -> str:
    """The account a sign-in tries: a digest of the address (none kept in clear) and the
    account's password generation (``-`` when no account has this address)."""
    if "signin_account_key" not in g:
        email = normalise_email(_submitted_email())
        if text_problem(email):
            # No account has it, and neither PostgreSQL (a NUL) nor hashing (a lone
            # surrogate) takes it: counted as an unknown address, then refused (400).
            email = ""
        # Its own short read, like the limits' storage: the request's transaction (and
        # SQLite's write lock) is not kept open while the attempt is counted.
        release_write_lock()
        with db.engine.connect() as conn:
            epoch = conn.scalar(sa.select(User.session_epoch).where(User.email == email))
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]
        g.signin_account_key = f"{digest}.{'-' if epoch is None else epoch}"
    return g.signin_account_key


def _address_and_account() -> str:
    return f"{client_network()}/{account_key()}"


def _too_many_signins() -> str:
    return _("Too many failed sign-ins. Please wait a minute before trying again.")


def signin_limits(view):
    """Decorate a sign-in view (page or API) with the three shared limits."""
    limits = (
        ("SIGNIN_RATE_LIMIT", PAIR_SCOPE, _address_and_account),
        ("SIGNIN_ADDRESS_LIMIT", "signin-address", client_network),
        ("SIGNIN_ACCOUNT_LIMIT", "signin-account", account_key),
    )
    for setting, scope, key_func in limits:
        view = limiter.shared_limit(
            lambda setting=setting: current_app.config[setting],
            scope,
            key_func=key_func,
            methods=["POST"],
            error_message=_too_many_signins,
        )(view)
    return view


def forget_failures() -> None:
    """After a successful sign-in: this address's count on this account starts again.

    Done once the response is made, the request's transaction over (on SQLite, the
    storage's own connection would otherwise wait for the request's write lock)."""
    identifiers = [_address_and_account(), PAIR_SCOPE]
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    if prefix:
        identifiers.insert(0, prefix)
    items = parse_many(current_app.config["SIGNIN_RATE_LIMIT"])

    @after_this_request
    def clear(response):
        for item in items:
            limiter.limiter.clear(item, *identifiers)
        return response


def count_signup() -> None:
    """One more account made from this client's network, pages and API together: past
    ``SIGNUP_RATE_LIMIT``, a 429 (each account can send invitations and emails)."""
    count_or_refuse(
        "SIGNUP_RATE_LIMIT",
        "signup",
        client_network(),
        _("Many accounts have been created from your network lately. Please try again later."),
    )


def count_reset_request(email: str) -> None:
    """One more reset link asked for this address, from anywhere: past
    ``RESET_ADDRESS_LIMIT``, a 429 (the same for every address, so it tells nothing),
    so that many machines cannot flood one person's mailbox."""
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]
    count_or_refuse(
        "RESET_ADDRESS_LIMIT",
        "reset-address",
        digest,
        _("Too many requests for a reset link. Please try again in an hour."),
    )


def count_email_change(user: User) -> None:
    """One more address change asked by this account, pages and API together: past
    ``EMAIL_CHANGE_RATE_LIMIT``, a 429 (each one emails an address the person typed)."""
    count_or_refuse(
        "EMAIL_CHANGE_RATE_LIMIT",
        "email-change",
        str(user.id),
        _("Too many requests to change your email address. Please try again later."),
    )
