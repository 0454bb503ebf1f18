"""People and their API tokens."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-cased: addresses are unique whatever their case
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: what ``@handle`` mentions point to; unique, lower-case
    handle: Mapped[str] = mapped_column(sa.String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: ``fr`` or ``en``; None follows the browser
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Paris")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
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

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


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
