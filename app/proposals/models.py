"""A proposal's agreement change, and its outcome once the poll has closed."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .. import revisions
from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

ACTIONS = ("adopt", "amend", "repeal")


class AgreementChange(db.Model):
    """The one agreement change a proposal carries, as proposed.

    For ``amend`` the title, body and rules are resolved when the proposal is
    made (an amendment that leaves them out keeps the base version's), so the
    change holds the whole proposed version. ``repeal`` has no text.
    """

    __tablename__ = "agreement_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), unique=True)
    action: Mapped[str] = mapped_column(sa.String(10))
    #: the agreement amended or repealed; for ``adopt``, the new one once applied
    agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreements.id"), index=True)
    #: the version the amendment or repeal starts from (current when it was proposed)
    base_version: Mapped[int | None] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    rules: Mapped[dict | None] = mapped_column(sa.JSON)
    review_on: Mapped[date | None] = mapped_column(sa.Date)
    change_summary: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("action in ('adopt', 'amend', 'repeal')", name="action"),
        sa.CheckConstraint(
            "action = 'adopt' OR (agreement_id IS NOT NULL AND base_version IS NOT NULL)",
            name="target",
        ),
    )

    def __repr__(self) -> str:
        return f"<AgreementChange poll={self.poll_id} {self.action}>"


class ProposalOutcome(db.Model):
    """What a proposal's closing decided, stored in the closing transaction.

    ``conditions`` are the consent rule's, structured
    (``[{"code", "held", "params"}]``, see ``app.proposals.consent``), so the
    explanation is written in the reader's language at read time.
    ``not_applied_reason`` says why an adopted change did not take effect
    (``{"code": "stale", "from": 2, "to": 3}``, ``{"code": "repealed"}``).
    """

    __tablename__ = "proposal_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), unique=True)
    adopted: Mapped[bool] = mapped_column()
    applied: Mapped[bool] = mapped_column(default=False)
    conditions: Mapped[list] = mapped_column(sa.JSON, default=list)
    not_applied_reason: Mapped[dict | None] = mapped_column(sa.JSON)
    #: where applied: the agreement changed, and the new version (None for a repeal)
    agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreements.id"))
    version: Mapped[int | None] = mapped_column()
    #: the poll's closing time
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<ProposalOutcome poll={self.poll_id} adopted={self.adopted}>"


# A proposal's card shows its agreement change and outcome: they bump its thread.
for _table in ("agreement_changes", "proposal_outcomes"):
    revisions.bump(
        f"{_table}_thread",
        _table,
        "threads",
        key="(SELECT thread_id FROM polls WHERE id = {row}.poll_id)",
    )
