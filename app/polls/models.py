"""Polls, their options, named voters and stances."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import revisions
from ..auth.models import User
from ..extensions import db
from ..groups.models import Group
from ..threads.models import Thread
from ..timeutil import UTCDateTime, utcnow
from .tally import KINDS, REASON_RULES, RESULTS_VISIBILITIES, ChoiceSettings


def _one_of(column: str, values) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class Poll(db.Model):
    """A poll in a thread. Open until ``closing_at`` or an early close; then closed."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(200))
    details: Mapped[str] = mapped_column(sa.Text, default="")
    details_html: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the poll closes by itself (a stance at or after it is refused)
    closing_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set once closed: ``closing_at`` for a timed close, the moment of an early close
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: who closed it early; None for a timed close
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: irreversible: no stance history, and voters are erased from stances at close
    anonymous: Mapped[bool] = mapped_column(default=False)
    results_visibility: Mapped[str] = mapped_column(sa.String(12), default="always")
    reasons: Mapped[str] = mapped_column(sa.String(20), default="optional")
    min_choices: Mapped[int] = mapped_column(default=1)
    max_choices: Mapped[int] = mapped_column(default=1)
    min_score: Mapped[int] = mapped_column(default=0)
    max_score: Mapped[int] = mapped_column(default=5)
    #: the budget of a dot poll
    dots: Mapped[int] = mapped_column(default=8)
    shuffle_options: Mapped[bool] = mapped_column(default=False)
    #: True: only the people in ``poll_voters`` (and still members) may vote
    voters_limited: Mapped[bool] = mapped_column(default=False)
    #: the automatic reminder (24 hours before closing) went out at this time
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the outcome statement written after closing
    statement: Mapped[str | None] = mapped_column(sa.Text)
    statement_html: Mapped[str | None] = mapped_column(sa.Text)
    statement_review_on: Mapped[date | None] = mapped_column(sa.Date)
    statement_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    statement_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: anonymous polls: the counts frozen at close (``tally.results_to_json``; no voters)
    frozen_results: Mapped[dict | None] = mapped_column(sa.JSON)
    #: the participation line as of the close
    eligible_at_close: Mapped[int | None] = mapped_column()
    participants_at_close: Mapped[int | None] = mapped_column()

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    thread: Mapped[Thread] = relationship()
    group: Mapped[Group] = relationship()
    options: Mapped[list[PollOption]] = relationship(
        order_by="PollOption.position",
        cascade="all, delete-orphan",
        back_populates="poll",
    )

    __table_args__ = (
        sa.CheckConstraint(_one_of("kind", KINDS), name="kind"),
        sa.CheckConstraint(
            _one_of("results_visibility", RESULTS_VISIBILITIES), name="results_visibility"
        ),
        sa.CheckConstraint(_one_of("reasons", REASON_RULES), name="reasons"),
        sa.CheckConstraint("min_choices >= 1 AND min_choices <= max_choices", name="choices"),
        sa.CheckConstraint("min_score < max_score", name="scores"),
        sa.CheckConstraint("dots > 0", name="dots"),
        # Due polls, in closing order.
        sa.Index("ix_polls_open_closing", "closed_at", "closing_at"),
    )

    def __repr__(self) -> str:
        return f"<Poll {self.id} {self.kind}>"

    def is_closed(self, now: datetime) -> bool:
        """Closed, or due: ``closing_at`` has passed even if no one has closed it yet."""
        return self.closed_at is not None or now >= self.closing_at

    def is_open(self, now: datetime) -> bool:
        return not self.is_closed(now)

    def closed_as_of(self, now: datetime) -> datetime | None:
        """When it closed (or will be closed as of its closing time), None while open."""
        if self.closed_at is not None:
            return self.closed_at
        return self.closing_at if now >= self.closing_at else None

    @property
    def is_multiple_choice(self) -> bool:
        return self.kind == "choice" and self.max_choices > 1

    @property
    def choice_settings(self) -> ChoiceSettings:
        return ChoiceSettings(
            min_choices=self.min_choices,
            max_choices=self.max_choices,
            min_score=self.min_score,
            max_score=self.max_score,
            dots=self.dots,
            reasons=self.reasons,
        )

    @property
    def option_keys(self) -> list[str]:
        return [option.key for option in self.options]


class PollOption(db.Model):
    __tablename__ = "poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    #: stable, what stances name: ``agree``… for proposals, ``o1``…``oN`` otherwise
    key: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column()
    #: meeting polls: the slot's start
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    poll: Mapped[Poll] = relationship(back_populates="options")

    __table_args__ = (sa.UniqueConstraint("poll_id", "key"),)


class PollVoter(db.Model):
    """A person named in a poll's voters list (``Poll.voters_limited``)."""

    __tablename__ = "poll_voters"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.UniqueConstraint("poll_id", "user_id"),)


class Stance(db.Model):
    """A voter's stance. The current one counts; replaced and withdrawn ones are history."""

    __tablename__ = "stances"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    #: None once an anonymous poll has closed: the link to the voter is erased
    voter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: ``{"key"}``, ``{"keys"}``, ``{"scores"}`` or ``{"ranking"}`` (see ``tally.validate_choice``)
    choice: Mapped[dict] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the voter's latest stance (one per voter and poll, enforced by the index below)
    is_current: Mapped[bool] = mapped_column(default=True)
    #: the voter withdrew it and was undecided again
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    voter: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.Index(
            "uq_stances_current",
            "poll_id",
            "voter_id",
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        ),
        sa.Index("ix_stances_poll_voter", "poll_id", "voter_id", "created_at"),
    )


class PollVersion(db.Model):
    """Every state of an open poll's wording: number 1 is the poll as it was made
    (written at the first edit), each edit adds the next. ``extra`` is what the features
    above keep of that state (a proposal's agreement change), ``changed`` what this
    edit changed (``title``, ``details``, ``closing_at``, ``agreement_change``)."""

    __tablename__ = "poll_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    details: Mapped[str] = mapped_column(sa.Text, default="")
    details_html: Mapped[str] = mapped_column(sa.Text, default="")
    closing_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the features' part of this state (``hooks.poll_state_extra``), or None
    extra: Mapped[dict | None] = mapped_column(sa.JSON)
    #: the fields this edit changed (empty for number 1)
    changed: Mapped[list] = mapped_column(sa.JSON, default=list)
    editor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("poll_id", "number"),)


# Everything a poll card shows bumps its thread's revision (``app/revisions.py``).
_BY_POLL = "(SELECT thread_id FROM polls WHERE id = {row}.poll_id)"
revisions.bump("polls_thread", "polls", "threads", key="{row}.thread_id")
for _table in ("poll_options", "poll_voters", "stances", "poll_versions"):
    revisions.bump(f"{_table}_thread", _table, "threads", key=_BY_POLL)
