"""A group's outgoing webhooks (chat rooms and signed JSON hooks)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..groups.models import Group
from ..timeutil import UTCDateTime, utcnow

#: Slack's incoming webhooks, Mattermost and Rocket.Chat: ``{"text"}``
SLACK = "slack"
#: Discord: ``{"content", "allowed_mentions": {"parse": []}}``
DISCORD = "discord"
#: Matrix through matrix-hookshot's generic webhook: ``{"text", "html"}``
MATRIX = "matrix"
#: signed JSON per the Standard Webhooks specification
GENERIC = "generic"
KINDS = (SLACK, DISCORD, MATRIX, GENERIC)

#: what a connection can ask for
EVENTS = ("thread", "comment", "poll", "outcome", "agreement", "support_request")


class Webhook(db.Model):
    """One connection from a group to a chat room or a receiver."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))
    #: the address is a secret (chat webhooks are not signed): shown masked
    url: Mapped[str] = mapped_column(sa.String(2000))
    #: the events it wants, among ``EVENTS``
    events: Mapped[list] = mapped_column(sa.JSON)
    #: a generic hook's signing secret (``whsec_…``), shown once at creation
    secret: Mapped[str | None] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the first failure of the current run of failures (None after a success)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: disabled: nothing more is sent (after a 410, or a day of failures)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(200))

    group: Mapped[Group] = relationship()

    __table_args__ = (
        sa.CheckConstraint("kind in ('slack', 'discord', 'matrix', 'generic')", name="kind"),
    )

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def __repr__(self) -> str:
        return f"<Webhook {self.id} {self.kind} group={self.group_id}>"
