"""Sign-in sessions kept on the server: the cookies name one, signing out ends it.

Flask-Login keeps ``User.get_id()`` — ``"<user id>:<token>"`` — in the session
cookie and in the remember-me cookie; the server keeps only the token's hash.
A copied cookie stops working as soon as its session ends: sign-out, "sign out
everywhere", a session ended from the profile, or a new password.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import after_this_request, current_app, has_request_context
from sqlalchemy.orm.attributes import set_committed_value

from .. import hooks
from ..api import hash_token
from ..extensions import db
from ..textcheck import whole_number
from ..timeutil import utcnow
from .models import SignInSession, User

#: (pattern, name), the first that matches wins: Edge and Opera also say "Chrome",
#: Chrome also says "Safari"
_BROWSERS = (
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
    (r"curl/", "curl"),
)
_SYSTEMS = (
    (r"Android", "Android"),
    (r"iPhone|iPad|iPod", "iOS"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux|X11", "Linux"),
)


def summarise_user_agent(user_agent: str) -> str:
    """ "Firefox · Linux", "Safari · iOS", "Chrome", or "" when nothing is recognised:
    enough to tell one's devices apart, no more kept."""
    user_agent = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return f"{browser} · {system}"
    return browser or system


#: how long an ended session is kept (the profile shows only active ones)
ENDED_KEPT = timedelta(days=30)


def start_session(user: User, *, user_agent: str, now: datetime) -> SignInSession:
    """A new sign-in session for ``user``; ``user.get_id()`` now names it. The user's
    sessions ended long ago or unseen for too long are deleted meanwhile."""
    db.session.execute(
        sa.delete(SignInSession).where(
            SignInSession.user_id == user.id,
            sa.or_(
                SignInSession.ended_at < now - ENDED_KEPT,
                SignInSession.last_seen_at < now - _idle_limit(),
            ),
        )
    )
    token = secrets.token_urlsafe(32)
    record = SignInSession(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        last_seen_at=now,
        user_agent=summarise_user_agent(user_agent)[:100],
    )
    db.session.add(record)
    db.session.flush()
    user.session_token = token
    user.signin_session_id = record.id
    return record


def end_session(user: User, session_id: int, *, now: datetime) -> bool:
    """End one of ``user``'s sessions; False when it is not theirs or already ended."""
    result = db.session.execute(
        sa.update(SignInSession)
        .where(
            SignInSession.id == session_id,
            SignInSession.user_id == user.id,
            SignInSession.ended_at.is_(None),
        )
        .values(ended_at=now)
    )
    return result.rowcount > 0


def end_sessions(user: User, *, now: datetime, keep: int | None = None) -> int:
    """End every session of ``user`` but ``keep``; how many ended."""
    query = sa.update(SignInSession).where(
        SignInSession.user_id == user.id, SignInSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(SignInSession.id != keep)
    return db.session.execute(query.values(ended_at=now)).rowcount


def active_sessions(user: User) -> list[SignInSession]:
    """``user``'s sessions that have not ended, the most recently seen first."""
    return list(
        db.session.scalars(
            sa.select(SignInSession)
            .where(SignInSession.user_id == user.id, SignInSession.ended_at.is_(None))
            .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
        )
    )


def _idle_limit() -> timedelta:
    """A session unseen for as long as a remember-me cookie lives is over."""
    duration = current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=365))
    return duration if isinstance(duration, timedelta) else timedelta(seconds=int(duration))


#: the loader's statement, built once
_LOADER: list = []
#: the names of the features above's columns in it (``hooks.signed_in_columns``), in order
_LOADER_NAMES: list[str] = []


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login's loader, for the session cookie and the remember cookie alike:
    ``"<user id>:<token>"`` loads the user while that session is active."""
    user_id, _sep, token = (session_id or "").partition(":")
    user_number = whole_number(user_id, min=1)
    if user_number is None or not token:
        return None
    now = utcnow()
    if not _LOADER:  # built once (its cache key is kept with it)
        answers = hooks.signed_in_columns.answers(User, user_id=sa.bindparam("user_id"))
        _LOADER_NAMES[:] = [name for name, _column in answers]
        _LOADER.append(
            sa.select(User, SignInSession, *(column.label(f"x_{n}") for n, column in answers))
            .join(SignInSession, SignInSession.user_id == User.id)
            .where(
                SignInSession.token_hash == sa.bindparam("token_hash"),
                SignInSession.user_id == sa.bindparam("user_id"),
                SignInSession.ended_at.is_(None),
            )
        )
    row = db.session.execute(
        _LOADER[0], {"token_hash": hash_token(token), "user_id": user_number}
    ).first()
    if row is None:
        return None
    user, record, *values = row
    if record.last_seen_at < now - _idle_limit():
        return None
    user.signed_in_values = dict(zip(_LOADER_NAMES, values, strict=True))
    user.session_token = token
    user.signin_session_id = record.id
    if record.last_seen_at < now - timedelta(seconds=current_app.config["SESSION_TOUCH_SECONDS"]):
        _touch(record, now)
    return user


def _touch(record: SignInSession, now: datetime) -> None:
    """Note that the session was seen, in a short transaction of its own once the
    response is made: the request's own unit of work is neither dirtied (a read path
    may still need ``write_before_read``) nor waited for (SQLite's write lock)."""
    session_id = record.id
    set_committed_value(record, "last_seen_at", now)

    def write() -> None:
        table = SignInSession.__table__
        with db.engine.begin() as conn:
            conn.execute(sa.update(table).where(table.c.id == session_id).values(last_seen_at=now))

    if not has_request_context():
        write()
        return

    @after_this_request
    def touch(response):
        write()
        return response
