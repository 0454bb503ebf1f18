"""Configuration: defaults, then the environment, then the test mapping."""

from __future__ import annotations

import os

from . import limits

#: The key used when none is configured. It is refused outside debug and tests.
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105
#: the shortest SECRET_KEY accepted outside debug and tests (``token_hex(32)`` gives 64)
MIN_SECRET_KEY_LENGTH = 32


def check_secret_key(key: str) -> None:
    """Refuse the development key and short keys (called outside debug and tests): the
    key signs sessions, reset links and invitations."""
    how = 'Generate one with python -c "import secrets; print(secrets.token_hex(32))".'
    if not key or key == DEV_SECRET_KEY:
        raise RuntimeError(f"SECRET_KEY is not set. Set it to a long random value. {how}")
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"SECRET_KEY is too short ({len(key)} characters): it must have at least "
            f"{MIN_SECRET_KEY_LENGTH}. {how}"
        )


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int, low: int, high: int) -> int:
    """A whole number setting within [low, high]; the default when unset."""
    if value is None or value.strip() == "":
        return default
    number = int(value.strip())
    if not low <= number <= high:
        raise RuntimeError(f"{number} is out of bounds ({low} to {high})")
    return number


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for ``postgres://`` and ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: str) -> dict:
    """Read the settings an operator may set, with their defaults."""
    env = os.environ
    database_url = env.get("DATABASE_URL") or "sqlite:///" + os.path.join(
        instance_path, "cercle.sqlite3"
    )
    mail_server = env.get("MAIL_SERVER", "")
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or DEV_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Mail: without an SMTP server, messages are written to the log.
        "MAIL_BACKEND": "smtp" if mail_server else "app.mail.LogEmailBackend",
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": int(env.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS"), True),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL"), False),
        "MAIL_TIMEOUT": 10,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "Cercle <cercle@localhost>"),
        # Rate limits count across processes: in the database (app/ratelimit.py), or Redis.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or "database://",
        # Rendered parts of pages (app/fragments.py): per process, and in Redis when set
        # (None: the rate limits' Redis, if they use one).
        "FRAGMENT_CACHE": _bool(env.get("FRAGMENT_CACHE"), True),
        "FRAGMENT_CACHE_MAX_BYTES": _int(env.get("FRAGMENT_CACHE_MAX_BYTES"), 32 * 2**20, 0, 2**34),
        "FRAGMENT_CACHE_URL": env.get("FRAGMENT_CACHE_URL"),
        "FRAGMENT_CACHE_TTL": _int(env.get("FRAGMENT_CACHE_TTL"), 86400, 1, 30 * 86400),
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "PREFERRED_URL_SCHEME": env.get("PREFERRED_URL_SCHEME", "http"),
        "SERVER_NAME": env.get("SERVER_NAME") or None,
        # Every emailed absolute link is built from this address, never from a request.
        "PUBLIC_URL": (env.get("PUBLIC_URL") or "").rstrip("/") or None,
        # Webhooks to private, loopback or link-local addresses (a receiver on the LAN).
        "WEBHOOKS_ALLOW_PRIVATE": _bool(env.get("WEBHOOKS_ALLOW_PRIVATE"), False),
        "BEHIND_PROXY": _bool(env.get("BEHIND_PROXY"), False),
        # Host names answered besides PUBLIC_URL's (app/hosts.py): "a.example, .b.example".
        "TRUSTED_HOSTS": (env.get("TRUSTED_HOSTS") or "").replace(",", " ").split() or None,
    }


class Defaults:
    """Settings that are not the operator's business."""

    SQLALCHEMY_RECORD_QUERIES = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    DEFAULT_USER_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")
    #: a larger request body is refused (413) before it is read
    MAX_CONTENT_LENGTH = limits.REQUEST_BODY
    #: no form field is larger than a document at its limit, URL-encoded (Werkzeug's default)
    MAX_FORM_MEMORY_SIZE = 500_000
    #: the longest form (a poll's options, a rule set) has a few dozen fields
    MAX_FORM_PARTS = 1_000
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    #: sign-in attempts from one address to one account (a success or a reset lifts it)
    SIGNIN_RATE_LIMIT = "5 per minute; 20 per hour"
    #: sign-in attempts from one address, whatever the accounts
    SIGNIN_ADDRESS_LIMIT = "20 per minute; 100 per hour"
    #: sign-in attempts to one account, whatever the addresses (many are needed)
    SIGNIN_ACCOUNT_LIMIT = "100 per hour"
    #: a sign-in session's "last seen" is written at most this often
    SESSION_TOUCH_SECONDS = 300
    PASSWORD_RESET_MAX_AGE = 3600  # seconds
    #: how long an emailed address-confirmation link works
    EMAIL_CONFIRM_MAX_AGE = 7 * 86400  # seconds
    #: how long the link that confirms a new email address works
    EMAIL_CHANGE_MAX_AGE = 2 * 86400  # seconds
    #: address changes asked by one account, pages and API together: each one emails
    #: an address the person typed, and the old one
    EMAIL_CHANGE_RATE_LIMIT = "3 per hour; 10 per day"
    INVITATION_DAYS = 14
    #: invitations emailed by one person (pages and API together): each reaches a
    #: stranger's mailbox, so a new account cannot turn the site into a spam relay
    INVITATION_RATE_LIMIT = "30 per hour; 100 per day"
    #: accounts made from one network (an IPv4 address, an IPv6 /64), pages and API
    SIGNUP_RATE_LIMIT = "10 per hour; 50 per day"
    #: reset links asked for one address, from anywhere (besides 5 an hour per network)
    RESET_ADDRESS_LIMIT = "3 per hour; 10 per day"
    THREADS_PER_PAGE = 20
    API_TITLE = "Cercle API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # Validation errors are 400, not webargs' 422.
    JSON_SORT_KEYS = False
