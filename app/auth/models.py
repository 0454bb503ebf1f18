"""People and their API tokens."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from flask import has_app_context
from flask_babel import gettext
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-cased: addresses are unique whatever their case
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    #: the display name as typed; read ``name``, which says «Former member» once the
    #: account is deleted
    stored_name: Mapped[str] = mapped_column("name", sa.String(100))
    #: what ``@handle`` mentions point to; unique, lower-case
    handle: Mapped[str] = mapped_column(sa.String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: ``fr`` or ``en``; None follows the browser
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Paris")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the owner showed they read ``email`` (confirmation link, reset link, an
    #: invitation's link); None: unconfirmed, invitations to it are not shown in the app
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: bumped when the password changes: ends other sessions and reset links
    session_epoch: Mapped[int] = mapped_column(default=0)
    #: quiet hours, local times in ``timezone`` (``22:00``–``07:00`` crosses midnight);
    #: None: no quiet hours. Notifications that would reach the person then wait.
    quiet_from: Mapped[time | None] = mapped_column(sa.Time)
    quiet_until: Mapped[time | None] = mapped_column(sa.Time)
    #: urgent and important support requests still reach them in quiet hours
    quiet_wake: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: email: the daily digest's local hour (0–23) in ``timezone``
    digest_hour: Mapped[int] = mapped_column(default=7, server_default="7")
    #: the ISO weekdays (1 Monday … 7 Sunday) the digest goes out, e.g. ``"12345"``;
    #: empty: never
    digest_days: Mapped[str] = mapped_column(
        sa.String(7), default="1234567", server_default="1234567"
    )
    #: the local date of the last digest (sent or found empty): one a day at most
    digest_done_on: Mapped[date | None] = mapped_column(sa.Date)
    #: support requests' emails without their message text
    email_discreet: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: no notification email at all (account emails still go: resets, invitations)
    email_off: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: the person left every circle and closed the account: signing in within
    #: ``account.services.REACTIVATION_DAYS`` opens it again, after that it is deleted
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: personal data wiped (name, email, handle, password, tokens, sessions); the row
    #: stays so that contributions keep an author, shown as «Former member»
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: the secret of the sign-in session this object was loaded or signed in with
    #: (not a column): Flask-Login keeps ``get_id()`` in the session and remember cookies
    session_token = None
    #: that session's ``SignInSession.id`` (not a column either)
    signin_session_id = None

    @hybrid_property
    def name(self) -> str:
        """The name others see: «Former member» (in the reader's language) once the
        account is deleted, wherever contributions show their author."""
        if self.deleted_at is not None:
            return former_member_name()
        return self.stored_name

    @name.inplace.setter
    def _name_setter(self, value: str) -> None:
        self.stored_name = value

    @name.inplace.expression
    @classmethod
    def _name_expression(cls):
        # Built when a query is, in the language of the moment (a page's, an email's).
        return sa.case(
            (cls.deleted_at.is_not(None), sa.literal(former_member_name())),
            else_=cls.stored_name,
        )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def get_id(self) -> str:
        """``"<user id>:<session token>"``: a cookie names one server-side session, which
        signing out ends (``SignInSession``)."""
        return f"{self.id}:{self.session_token or ''}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


def former_member_name() -> str:
    """What a deleted account is called, in the current language."""
    return gettext("Former member") if has_app_context() else "Former member"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: a label chosen by the owner ("phone", "script")
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: SHA-256 of the token; the token itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: the first characters, to tell tokens apart in the profile
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = db.relationship()


class SignInSession(db.Model):
    """One signed-in browser. Its cookies carry the token; the server keeps its hash, so
    signing out (or out everywhere, or a new password) ends it for every copy of them."""

    __tablename__ = "signin_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token in the cookies; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: refreshed at most every few minutes (``SESSION_TOUCH_SECONDS``), not on every request
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "Firefox · Linux": enough to recognise a device in the profile
    user_agent: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    #: signed out, ended from the profile or by a new password; None while it is active
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = db.relationship()
