"""Support requests, their answers and timeline, check-ins and support times.

A request keeps the rules in force when it was made (``rules``, with their
provenance) and the times of its next steps computed from them
(``escalate_at``, ``lapse_at``, ``overdue_at``): the periodic command and every
read path find what is due with one indexed query, and each step is claimed by
a conditional UPDATE on those columns (``services``), so it happens once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import limits
from ..auth.models import User
from ..extensions import db
from ..groups.models import Group
from ..timeutil import UTCDateTime

#: the eight functions of mutual support (seed ``003``), in DESIGN.md's words
KINDS = (
    "material",
    "emotional",
    "motivational",
    "self_esteem",
    "companionship",
    "information",
    "social_activity",
    "advocacy",
)
STATUSES = ("open", "matched", "closed", "lapsed")
OUTCOMES = ("happened", "did_not_happen", "not_needed")
#: what a request's timeline records
STEP_KINDS = (
    "asked",  # the request was made
    "notified",  # a supporter was told (``why`` says which rule)
    "declined",  # a supporter said "not now" (seen by the requester only)
    "matched",  # a supporter said "I am available" first
    "released",  # the matched supporter cannot after all: open again
    "escalated",  # unmatched in time: every supporter told
    "lapsed",  # urgent, not important, nobody free in time
    "overdue",  # important, unmatched after the agreed days
    "followup",  # a day after the match, both asked whether it happened
    "closed",  # happened, did not happen, or not needed any more
)
CHECK_IN_KINDS = ("check_in", "all_well")

MAX_BODY = limits.SUPPORT_BODY
MAX_WHEN = limits.SUPPORT_WHEN
MAX_MESSAGE = limits.SUPPORT_MESSAGE
MAX_NOTE = limits.SUPPORT_NOTE


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class SupportRequest(db.Model):
    """Someone asks the circle (or named supporters) for support."""

    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    urgent: Mapped[bool] = mapped_column(default=False)
    important: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    #: free text: "ce soir après 20 h"
    when_text: Mapped[str] = mapped_column(sa.String(MAX_WHEN), default="")
    channel: Mapped[str | None] = mapped_column(sa.String(100))
    #: True when the requester named supporters (``SupportAddressee``) instead of the circle
    named: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    matched_with_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the overdue step was taken (supporters reminded, requester asked), once
    overdue_noted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when both sides were asked whether it happened, once per match
    followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the matched supporter released it (asking resumes from there)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the rules in force when it was made: ``{key: {"value", "source"}}``
    rules: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: the route's times, from ``rules`` (None where they do not apply)
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lapse_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[Group] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    matched_with: Mapped[User | None] = relationship(foreign_keys=[matched_with_id])

    __table_args__ = (
        sa.CheckConstraint(_in("kind", KINDS), name="kind"),
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.CheckConstraint(f"outcome is null or {_in('outcome', OUTCOMES)}", name="outcome"),
        # matched: with someone (a closed request keeps who it was with)
        sa.CheckConstraint(
            "status <> 'matched' or matched_with_id is not null", name="matched_with"
        ),
        sa.Index("ix_support_requests_group_status", "group_id", "status"),
        sa.Index("ix_support_requests_status_escalate_at", "status", "escalate_at"),
        sa.Index("ix_support_requests_status_lapse_at", "status", "lapse_at"),
        sa.Index("ix_support_requests_status_overdue_at", "status", "overdue_at"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class SupportAddressee(db.Model):
    """A supporter named by the requester (when the request is not for the whole circle)."""

    __tablename__ = "support_addressees"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.UniqueConstraint("request_id", "user_id"),)


class SupportResponse(db.Model):
    """A supporter's answer: "I am available" (with a message or a time) or "not now"."""

    __tablename__ = "support_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    supporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    available: Mapped[bool]
    message: Mapped[str] = mapped_column(sa.String(MAX_MESSAGE), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    supporter: Mapped[User] = relationship(foreign_keys=[supporter_id])


class SupportStep(db.Model):
    """One line of a request's timeline: who was told or did what, when, and why."""

    __tablename__ = "support_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12))
    #: whom it concerns (the supporter told, who answered…), None for the request itself
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: a code and its parameters, written in words when read (``{"code", "params"}``)
    why: Mapped[dict | None] = mapped_column(sa.JSON)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    __table_args__ = (sa.CheckConstraint(_in("kind", STEP_KINDS), name="kind"),)


class CheckIn(db.Model):
    """A check-in (relance) with a receiving member, or the member's own "all is well":
    either resets the clock."""

    __tablename__ = "check_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(10), default="check_in")
    #: private: for the member only
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(_in("kind", CHECK_IN_KINDS), name="kind"),
        sa.Index("ix_check_ins_group_member", "group_id", "member_id", "created_at"),
    )


class CheckInPeriod(db.Model):
    """What happened in one check-in period of a member (``due_since`` names it): who
    said "I'll do it", and when supporters were reminded. One row per period."""

    __tablename__ = "check_in_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    due_since: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])

    __table_args__ = (sa.UniqueConstraint("group_id", "member_id", "due_since"),)


class SupportTime(db.Model):
    """A support time of a receiving member: a request of theirs that happened (counted
    in the week it was matched), or one they logged by hand."""

    __tablename__ = "support_times"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(MAX_MESSAGE), default="")
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_support_times_member", "group_id", "member_id", "at"),)
