"""Groups (support circles), memberships and invitations."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import revisions
from ..auth.models import User
from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class Privacy(enum.StrEnum):
    secret = "secret"  # noqa: S105 - invisible to non-members
    closed = "closed"  # name and description visible; content for members
    open = "open"  # readable by every signed-in user


class Role(enum.StrEnum):
    admin = "admin"
    member = "member"


class Volume(enum.StrEnum):
    """How much email a member wants from a group (or a thread, as an override)."""

    all = "all"  # what concerns them at once, other new comments in the digest
    digest = "digest"  # everything in the daily digest
    mute = "mute"  # no email (the in-app list still shows it)


class SupportVolume(enum.StrEnum):
    """How support requests reach a member by email."""

    immediate = "immediate"
    digest = "digest"  # urgent and important requests stay immediate unless away


class Availability(enum.StrEnum):
    available = "available"
    busy = "busy"
    away = "away"


class Group(db.Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: used in addresses (``/g/<handle>``): lower-case letters, digits, hyphens
    handle: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    privacy: Mapped[str] = mapped_column(sa.String(10), default=Privacy.secret.value)
    members_can_start_threads: Mapped[bool] = mapped_column(default=True)
    members_can_raise_proposals: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: bumped by the database on every write shown across the circle: its own row, its
    #: memberships, its members' names, its agreements (``app/revisions.py``)
    revision: Mapped[int] = revisions.revision_column()

    __table_args__ = (
        sa.CheckConstraint("privacy in ('secret', 'closed', 'open')", name="privacy"),
    )

    def __repr__(self) -> str:
        return f"<Group {self.handle}>"


class Membership(db.Model):
    """One period of membership: revoking ends it, and rejoining starts a new one."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(10), default=Role.member.value)
    gives_support: Mapped[bool] = mapped_column(default=True)
    receives_support: Mapped[bool] = mapped_column(default=True)
    availability: Mapped[str] = mapped_column(sa.String(10), default=Availability.available.value)
    availability_until: Mapped[date | None] = mapped_column(sa.Date)
    #: email volume for this group (``Volume``); support requests follow ``support_volume``
    volume: Mapped[str] = mapped_column(sa.String(10), default="all", server_default="all")
    support_volume: Mapped[str] = mapped_column(
        sa.String(10), default="immediate", server_default="immediate"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when the member leaves or is removed; contributions stay
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    group: Mapped[Group] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        sa.CheckConstraint("role in ('admin', 'member')", name="role"),
        sa.CheckConstraint("availability in ('available', 'busy', 'away')", name="availability"),
        sa.CheckConstraint("volume in ('all', 'digest', 'mute')", name="volume"),
        sa.CheckConstraint("support_volume in ('immediate', 'digest')", name="support_volume"),
        # One current membership per person and group; history rows are revoked.
        sa.Index(
            "uq_memberships_current",
            "group_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
        sa.Index("ix_memberships_group_id", "group_id"),
    )

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin.value

    @property
    def is_current(self) -> bool:
        return self.revoked_at is None


class Invitation(db.Model):
    """A single-use, expiring way in: sent to an address, or a link to share."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    #: None for a shareable link; else only that address may accept
    email: Mapped[str | None] = mapped_column(sa.String(254))
    role: Mapped[str] = mapped_column(sa.String(10), default=Role.member.value)
    #: whom it is for, in the admins' words ("Bernard, from the Tuesday walk"): their
    #: list of pending invitations tells links apart by it
    note: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    #: SHA-256 of the token in the link
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the invited person said no (an invitation by address only)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: an invitation by address: when the periodic command looked the address up and told
    #: its account, if any, in the app (None until then; never done in the request, so
    #: that inviting costs the same whether or not an account has the address)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[Group] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])

    __table_args__ = (
        # A signed-in person's pending invitations (the dashboard, ``memberships/me``).
        sa.Index("ix_invitations_email", "email"),
    )

    def is_usable(self, now: datetime) -> bool:
        return (
            self.accepted_at is None
            and self.cancelled_at is None
            and self.declined_at is None
            and now < self.expires_at
        )


class JoinRequest(db.Model):
    """A signed-in person asking to join a closed group."""

    __tablename__ = "join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None while pending; then when an admin answered
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved: Mapped[bool | None] = mapped_column()

    group: Mapped[Group] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        sa.Index(
            "uq_join_requests_pending",
            "group_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("decided_at IS NULL"),
            postgresql_where=sa.text("decided_at IS NULL"),
        ),
    )


# Shown on every page of a circle: its own row, who belongs and with what role, and
# the names of everyone who belongs or belonged (``app/revisions.py``).
revisions.revised("groups")
revisions.bump("memberships_group", "memberships", "groups", key="{row}.group_id")
revisions.bump(
    "users_groups",
    "users",
    "groups",
    keys="SELECT group_id FROM memberships WHERE user_id = {row}.id",
    columns=("name", "handle", "deactivated_at", "deleted_at"),
)
