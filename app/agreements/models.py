"""Agreements and their append-only versions.

An agreement changes only through a proposal's closing
(``app.proposals.services``): adopting creates it with version 1, amending
appends version n + 1, repealing marks it ``repealed`` (no version). No
service edits or deletes a version. The schema holds the invariants: version
numbers are unique per agreement, and one poll applies at most one version.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import revisions
from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

STATUSES = ("active", "repealed")
#: an admin's review date whose reminder has not gone out (the partial index's predicate,
#: repeated word for word by ``services.review_reminders_due`` so that it is used)
REVIEW_PENDING = (
    "review_on IS NOT NULL AND (review_notified_on IS NULL OR review_notified_on <> review_on)"
)

#: a version's review date still to be reminded (the partial index's predicate)
VERSION_REVIEW_PENDING = "review_on IS NOT NULL AND NOT review_settled"


class Agreement(db.Model):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    #: the adoption of version 1
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the number of the latest version; moved by a compare-and-set UPDATE when an
    #: amendment is applied, which is what makes a stale amendment lose
    current_version: Mapped[int] = mapped_column(default=1)
    repealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repealed_by_poll_id: Mapped[int | None] = mapped_column(sa.ForeignKey("polls.id"))
    #: a review date an admin set after adoption (overrides the version's ``review_on``)
    review_on: Mapped[date | None] = mapped_column(sa.Date)
    #: the review date whose reminder went out (claimed by a conditional UPDATE in the
    #: periodic job: admins and the proposer are notified once per review date)
    review_notified_on: Mapped[date | None] = mapped_column(sa.Date)

    versions: Mapped[list[AgreementVersion]] = relationship(
        order_by="AgreementVersion.version",
        back_populates="agreement",
        viewonly=True,
    )

    __table_args__ = (
        sa.CheckConstraint("status in ('active', 'repealed')", name="status"),
        sa.CheckConstraint("current_version >= 1", name="current_version"),
        # the periodic review reminders: only the admins' review dates not yet reminded
        sa.Index(
            "ix_agreements_review_pending",
            "review_on",
            postgresql_where=sa.text(REVIEW_PENDING),
            sqlite_where=sa.text(REVIEW_PENDING),
        ),
    )

    def __repr__(self) -> str:
        return f"<Agreement {self.id} v{self.current_version} {self.status}>"

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class AgreementVersion(db.Model):
    """One adopted version: its text, its rules, and the poll that adopted it."""

    __tablename__ = "agreement_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: indexed by the unique (agreement_id, version) constraint
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    #: the support rules this version sets (``app.agreements.rules``); keys it leaves
    #: out are not set by this agreement
    rules: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    change_summary: Mapped[str] = mapped_column(sa.Text, default="")
    review_on: Mapped[date | None] = mapped_column(sa.Date)
    #: the proposal whose closing adopted this version (one version per poll at most)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id"), unique=True)
    #: the closing time of that poll
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the deciding poll's result: ``{"counts": {agree, abstain, disagree, block},
    #: "participants", "eligible", "participation_percent", "quorum_percent"}``
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    proposer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: this version's review date needs no reminder any more: it went out, or the version
    #: was replaced, or the agreement repealed (set by the periodic job, which reads only
    #: the dates not settled: ``ix_agreement_versions_review_pending``)
    review_settled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    agreement: Mapped[Agreement] = relationship(back_populates="versions")

    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "version"),
        sa.CheckConstraint("version >= 1", name="version"),
        # the periodic review reminders: only the versions' dates not settled, in the
        # (date, id) order the job reads them a batch at a time, with what it joins on
        # (an index-only read on PostgreSQL)
        sa.Index(
            "ix_agreement_versions_review_pending",
            "review_on",
            "id",
            "agreement_id",
            "version",
            postgresql_where=sa.text(VERSION_REVIEW_PENDING),
            sqlite_where=sa.text(VERSION_REVIEW_PENDING),
        ),
    )

    def __repr__(self) -> str:
        return f"<AgreementVersion {self.agreement_id} v{self.version}>"


# The agreements (and the rules they set) are shown across the circle: their writes
# bump ``groups.revision`` (``app/revisions.py``).
revisions.bump("agreements_group", "agreements", "groups", key="{row}.group_id")
revisions.bump(
    "agreement_versions_group",
    "agreement_versions",
    "groups",
    key="(SELECT group_id FROM agreements WHERE id = {row}.agreement_id)",
)
