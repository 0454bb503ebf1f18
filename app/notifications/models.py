"""In-app notifications.

A notification stores what happened (its ``kind`` and the objects it is
about), never a sentence: the text is written when it is read, in the
reader's language (``services.describe``). The one exception is the message a
poll's author adds to a manual reminder, kept as written.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..agreements.models import Agreement
from ..auth.models import User
from ..extensions import db
from ..groups.models import Group
from ..polls.models import Poll
from ..proposals.models import ProposalOutcome
from ..support.models import SupportRequest
from ..threads.models import Comment, Thread
from ..timeutil import UTCDateTime, utcnow

#: automatic reminder, about 24 hours before a poll closes (once per poll)
POLL_REMINDER = "poll_reminder"
#: manual reminder sent by the poll's author or an admin, with a message
POLL_REMIND = "poll_remind"
POLL_OPENED = "poll_opened"
POLL_CLOSED = "poll_closed"
#: an open poll the reader voted on was corrected (what changed is told, from the
#: poll's version written with it)
POLL_EDITED = "poll_edited"
#: someone wrote ``@handle`` of the reader in a thread's context or a comment
MENTION = "mention"
#: an agreement's review date has come (to the group's admins and its proposer, once)
AGREEMENT_REVIEW = "agreement_review"
#: a comment answers one of the reader's (a mention in the same comment wins)
REPLY = "reply"
#: a proposal was decided: its verdict and why (to its voters and its author; replaces
#: ``poll_closed`` for proposals)
PROPOSAL_OUTCOME = "proposal_outcome"
#: a block on an open proposal (to its author and the group's admins, at once)
STANCE_BLOCK = "stance_block"
#: an agreement took effect (v1), was amended (vN) or repealed (to every member)
AGREEMENT_ADOPTED = "agreement_adopted"
AGREEMENT_AMENDED = "agreement_amended"
AGREEMENT_REPEALED = "agreement_repealed"
#: the news of proposals and agreements
DECISION_KINDS = (
    PROPOSAL_OUTCOME,
    STANCE_BLOCK,
    AGREEMENT_ADOPTED,
    AGREEMENT_AMENDED,
    AGREEMENT_REPEALED,
)
#: support: a supporter is asked (the rule that routed it is named)
SUPPORT_ASKED = "support_asked"
#: support: an urgent and important request unmatched in time reaches everyone
SUPPORT_ESCALATED = "support_escalated"
#: support: the requester learns someone is available; the others that someone is there
SUPPORT_MATCHED = "support_matched"
SUPPORT_TAKEN = "support_taken"
#: support: "not now" (to the requester only)
SUPPORT_DECLINED = "support_declined"
#: support: the matched supporter cannot any more (the request is open again)
SUPPORT_RELEASED = "support_released"
#: support: lapsed (to the requester, gently)
SUPPORT_LAPSED = "support_lapsed"
#: support: an important request still unmatched: supporters reminded, requester asked
SUPPORT_OVERDUE = "support_overdue"
SUPPORT_STILL_NEEDED = "support_still_needed"
#: support: a day after the match, both asked whether it happened
SUPPORT_FOLLOWUP = "support_followup"
#: support: closed by one side (to the other)
SUPPORT_CLOSED = "support_closed"
#: a receiving member is due for a check-in (relance): supporters reminded once a period
CHECK_IN_DUE = "check_in_due"
#: the support kinds (a request's steps and check-ins), in the order they happen
SUPPORT_KINDS = (
    SUPPORT_ASKED,
    SUPPORT_ESCALATED,
    SUPPORT_MATCHED,
    SUPPORT_TAKEN,
    SUPPORT_DECLINED,
    SUPPORT_RELEASED,
    SUPPORT_LAPSED,
    SUPPORT_OVERDUE,
    SUPPORT_STILL_NEEDED,
    SUPPORT_FOLLOWUP,
    SUPPORT_CLOSED,
    CHECK_IN_DUE,
)
#: an admin invited the reader's address to a group (in the app only: the invitation's
#: own email is already sent); shown to the reader, who is not a member yet
INVITATION = "invitation"
#: a group's webhook was turned off (after a 410, or a day of failures): to its admins
WEBHOOK_DISABLED = "webhook_disabled"
KINDS = (
    POLL_REMINDER,
    POLL_REMIND,
    POLL_OPENED,
    POLL_CLOSED,
    POLL_EDITED,
    MENTION,
    AGREEMENT_REVIEW,
    REPLY,
    *DECISION_KINDS,
    *SUPPORT_KINDS,
    WEBHOOK_DISABLED,
    INVITATION,
)


class Notification(db.Model):
    """Something a person should know about, unread until ``read_at``."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the reader
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: one of ``KINDS``: decides the sentence shown (rendered at read time)
    kind: Mapped[str] = mapped_column(sa.String(30))
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    thread_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    poll_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("polls.id", ondelete="CASCADE"), index=True
    )
    #: a mention in a comment: the comment (None for a thread's context)
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    #: an agreement the notification is about (``agreement_review``)
    agreement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    #: a support request the notification is about
    support_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    #: the agreed rule that decided it: ``{key, agreement_id, version, poll_id}``
    rule: Mapped[dict | None] = mapped_column(sa.JSON)
    #: who caused it (None for the periodic job)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: a manual reminder's own words, stored as written (never a generated sentence)
    message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: how it reaches the reader by email, decided when written: ``now`` (an email in the
    #: outbox), ``digest`` (the next daily digest), or None (in the app only)
    email: Mapped[str | None] = mapped_column(sa.String(10))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    group: Mapped[Group | None] = relationship()
    thread: Mapped[Thread | None] = relationship()
    poll: Mapped[Poll | None] = relationship()
    comment: Mapped[Comment | None] = relationship()
    agreement: Mapped[Agreement | None] = relationship()
    support_request: Mapped[SupportRequest | None] = relationship()
    #: a proposal's outcome (``proposal_outcome`` tells its verdict when read)
    outcome: Mapped[ProposalOutcome | None] = relationship(
        primaryjoin="foreign(Notification.poll_id) == remote(ProposalOutcome.poll_id)",
        viewonly=True,
        uselist=False,
    )

    __table_args__ = (
        # The header's unread count and the page's list.
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
        # The digest's question: what waits for this reader's next digest?
        sa.Index("ix_notifications_user_email", "user_id", "email", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id}>"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def reason(self) -> str:
        """Why it came, in the reader's language (``services.reason``), for templates."""
        from .services import reason

        return reason(self)


#: a person's list, newest first (the page and the API's cursor)
sa.Index(
    "ix_notifications_user_created",
    Notification.user_id,
    Notification.created_at.desc(),
    Notification.id.desc(),
)


class ThreadPreference(db.Model):
    """A member's email volume for one thread, overriding their group's."""

    __tablename__ = "thread_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    #: ``all`` | ``digest`` | ``mute`` (``groups.models.Volume``)
    volume: Mapped[str] = mapped_column(sa.String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "thread_id"),
        sa.CheckConstraint("volume in ('all', 'digest', 'mute')", name="volume"),
    )
