"""One-click unsubscribe (RFC 8058): a signed, opaque link per reader and *scope*.

Scopes: ``thread:<id>`` (this discussion's emails), ``group:<id>`` (this circle's
emails, support requests apart), ``support:<group id>`` (this circle's support
requests go to the daily digest instead: they cannot be muted, DESIGN), ``digest``
(the daily digest stops: its weekdays become none, ``digest_days = ""``) and ``all``
(no notification email at all). A POST to the link applies the scope at once, with
no session and no CSRF token; a GET only shows a page with a button (mail scanners
open links). The token is signed with the app's secret key and never expires: an
old email's link keeps working. Applying a scope twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db
from ..groups.models import Group, Membership
from ..textcheck import whole_number
from ..threads.models import Thread
from . import preferences
from .models import ThreadPreference

ALL = "all"
#: the daily digest's scope
DIGEST = "digest"
SALT = "cercle-unsubscribe"


def thread_scope(thread_id: int) -> str:
    return f"thread:{thread_id}"


def group_scope(group_id: int) -> str:
    return f"group:{group_id}"


def support_scope(group_id: int) -> str:
    return f"support:{group_id}"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user_id: int, scope: str) -> str:
    return _serializer().dumps([user_id, scope])


def read_token(token: str) -> tuple[int, str] | None:
    """``(user id, scope)`` of a genuine token, else None."""
    if not token or len(token) > 300:
        return None
    try:
        user_id, scope = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(scope, str):
        return None
    return user_id, scope


def _split(scope: str) -> tuple[str, int | None]:
    kind, _sep, ident = scope.partition(":")
    return kind, whole_number(ident, min=1)


def describe_scope(scope: str) -> str:
    """What the scope's unsubscribe does, in the reader's language."""
    kind, ident = _split(scope)
    if kind == "thread" and ident is not None:
        thread = db.session.get(Thread, ident)
        if thread is not None:
            return _("Stop emails about the discussion “%(title)s”", title=thread.title)
    if kind == "group" and ident is not None:
        group = db.session.get(Group, ident)
        if group is not None:
            return _("Stop emails from “%(group)s”", group=group.name)
    if kind == "support" and ident is not None:
        group = db.session.get(Group, ident)
        if group is not None:
            return _(
                "Receive the support requests of “%(group)s” in the daily digest only",
                group=group.name,
            )
    if kind == DIGEST:
        return _("Stop the daily digest")
    return _("Stop all notification emails")


def apply(user_id: int, scope: str, *, now: datetime) -> bool:
    """Mute ``scope`` for the reader (flushed); False when the scope names nothing the
    reader belongs to any more."""
    from ..auth.models import User

    kind, ident = _split(scope)
    if kind == ALL:
        user = db.session.get(User, user_id)
        if user is None:
            return False
        user.email_off = True
        db.session.flush()
        return True
    if kind == DIGEST:
        user = db.session.get(User, user_id)
        if user is None:
            return False
        user.digest_days = ""
        db.session.flush()
        return True
    if kind == "thread" and ident is not None:
        thread = db.session.get(Thread, ident)
        if thread is None or _membership(user_id, thread.group_id) is None:
            return False
        set_thread_volume(user_id, ident, preferences.MUTE, now=now)
        return True
    if kind in ("group", "support") and ident is not None:
        membership = _membership(user_id, ident)
        if membership is None:
            return False
        if kind == "group":
            membership.volume = preferences.MUTE
        else:
            membership.support_volume = preferences.DIGEST
        db.session.flush()
        return True
    return False


def _membership(user_id: int, group_id: int) -> Membership | None:
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user_id,
            Membership.group_id == group_id,
            Membership.revoked_at.is_(None),
        )
    )


def set_thread_volume(user_id: int, thread_id: int, volume: str | None, *, now: datetime) -> None:
    """A reader's override for one thread (None: follow the group again), flushed.
    An upsert that two concurrent writes cannot turn into a duplicate."""
    if volume is not None and volume not in preferences.VOLUMES:
        raise ValueError(f"unknown volume {volume!r}")
    existing = db.session.scalar(
        sa.select(ThreadPreference).where(
            ThreadPreference.user_id == user_id, ThreadPreference.thread_id == thread_id
        )
    )
    if volume is None:
        if existing is not None:
            db.session.delete(existing)
            db.session.flush()
        return
    if existing is not None:
        existing.volume = volume
        existing.updated_at = now
        db.session.flush()
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                ThreadPreference(
                    user_id=user_id, thread_id=thread_id, volume=volume, updated_at=now
                )
            )
    except sa.exc.IntegrityError:
        db.session.execute(
            sa.update(ThreadPreference)
            .where(ThreadPreference.user_id == user_id, ThreadPreference.thread_id == thread_id)
            .values(volume=volume, updated_at=now)
        )
    db.session.flush()
