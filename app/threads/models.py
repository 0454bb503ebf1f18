"""Threads (discussions), comments, reactions, edit history and read marks."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import counts, revisions
from ..auth.models import User
from ..extensions import db
from ..groups.models import Group
from ..timeutil import UTCDateTime, utcnow

#: the reactions offered (a small, calm set)
REACTIONS = ("👍", "❤️", "🙏", "😊", "🤔", "🎉")


class Thread(db.Model):
    __tablename__ = "threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: the context, in Markdown (``body`` in the API)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the last edit of the title or context
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the newest comment or edit: the group page sorts by it
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: bumped by the database on every write the thread page shows (``app/revisions.py``)
    revision: Mapped[int] = revisions.revision_column()
    #: its comments not deleted, kept by the database (``app/counts.py``)
    comments_count: Mapped[int] = counts.count_column()

    group: Mapped[Group] = relationship()
    author: Mapped[User] = relationship()

    __table_args__ = (sa.Index("ix_threads_group_activity", "group_id", "last_activity_at", "id"),)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def is_pinned(self) -> bool:
        return self.pinned_at is not None


#: the group page's list: pinned first, then newest activity first (ties: higher id first),
#: read a page at a time from where it starts (keyset), however deep; ``pinned_at`` is
#: held too on PostgreSQL, whose planner reads an expression's column from the index
#: only so (an old ``?page=N`` link's offset is then read from the index alone)
sa.Index(
    "ix_threads_group_list",
    Thread.group_id,
    Thread.pinned_at.is_(None),
    Thread.last_activity_at.desc(),
    Thread.id.desc(),
    postgresql_include=["pinned_at"],
)


class ThreadVersion(db.Model):
    """Every state of a thread's title and context, the first one included."""

    __tablename__ = "thread_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    editor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("thread_id", "number"),)


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: the top comment this one answers (one level: replies to replies attach to the top)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a deleted comment keeps its place ("comment deleted"); its text is erased
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User] = relationship()

    __table_args__ = (sa.Index("ix_comments_thread_created", "thread_id", "created_at", "id"),)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class CommentVersion(db.Model):
    """Every state of a comment's text, the first one included."""

    __tablename__ = "comment_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("comment_id", "number"),)


class Reaction(db.Model):
    __tablename__ = "reactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    emoji: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("comment_id", "user_id", "emoji"),)


class ThreadVisit(db.Model):
    """When a person last read a thread: what came after is "new"."""

    __tablename__ = "thread_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("thread_id", "user_id"),)


# What the thread page shows bumps ``threads.revision`` (the polls and proposals declare
# theirs next to their models).
_BY_COMMENT = "(SELECT thread_id FROM comments WHERE id = {row}.comment_id)"
revisions.revised("threads")
revisions.bump("comments_thread", "comments", "threads", key="{row}.thread_id")
revisions.bump("reactions_thread", "reactions", "threads", key=_BY_COMMENT)
revisions.bump("thread_versions_thread", "thread_versions", "threads", key="{row}.thread_id")
revisions.bump("comment_versions_thread", "comment_versions", "threads", key=_BY_COMMENT)

# The lists of threads show how many comments each has (not the deleted ones).
counts.counted(
    "thread_comments",
    "comments",
    "threads",
    column="comments_count",
    key="thread_id",
    where="{row}.deleted_at IS NULL",
    columns=("deleted_at",),
)
