"""Threads, comments and reactions: the rules, without HTTP. Services flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import flask
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import events, hooks, limits
from ..auth.models import User
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..groups.models import Group, Membership
from ..groups.permissions import remember_membership
from ..markdown import render_with_mentions
from .models import REACTIONS, Comment, CommentVersion, Reaction, Thread, ThreadVersion, ThreadVisit

MAX_TITLE = limits.TITLE
MAX_BODY = limits.DOCUMENT
MAX_COMMENT = limits.COMMENT


class ThreadClosed(Conflict):
    code = "thread_closed"
    default_message = _l("This thread is closed: it takes no new comments.")


class CommentDeleted(Conflict):
    code = "comment_deleted"
    default_message = _l("This comment was deleted.")


def _clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(fields={"title": _l("This field is required.")})
    if len(title) > MAX_TITLE:
        raise ValidationFailed(
            fields={"title": _l("Must be at most %(max)s characters long.", max=MAX_TITLE)}
        )
    return title


def _clean_body(body: str | None, *, required: bool, max_length: int = MAX_BODY) -> str:
    body = (body or "").strip()
    if required and not body:
        raise ValidationFailed(fields={"body": _l("This field is required.")})
    if len(body) > max_length:
        raise ValidationFailed(
            fields={"body": _l("Must be at most %(max)s characters long.", max=max_length)}
        )
    return body


def start_thread(
    group: Group, *, author: User, title: str, body: str = "", now: datetime
) -> Thread:
    """A new thread, with its first version kept."""
    title = _clean_title(title)
    body = _clean_body(body, required=False)
    html = str(render_with_mentions(body, group.id))
    thread = Thread(
        group=group,
        author_id=author.id,
        title=title,
        body=body,
        body_html=html,
        created_at=now,
        last_activity_at=now,
    )
    db.session.add(thread)
    db.session.flush()
    db.session.add(
        ThreadVersion(
            thread_id=thread.id,
            number=1,
            title=title,
            body=body,
            body_html=html,
            editor_id=author.id,
            created_at=now,
        )
    )
    db.session.flush()
    # one's own new thread is no news to oneself, however it was started (page, API, a
    # proposal's new thread)
    mark_seen(thread, author, now=now)
    events.thread_written.send(thread, actor=author, previous_body=None, now=now)
    return thread


def _next_number(model, fk_column, fk_value) -> int:
    current = db.session.scalar(sa.select(sa.func.max(model.number)).where(fk_column == fk_value))
    return (current or 0) + 1


def edit_thread(
    thread: Thread,
    *,
    editor: User,
    title: str | None = None,
    body: str | None = None,
    now: datetime,
) -> Thread:
    """Change the title and/or context; the new state is kept as a version."""
    new_title = _clean_title(title) if title is not None else thread.title
    new_body = _clean_body(body, required=False) if body is not None else thread.body
    if new_title == thread.title and new_body == thread.body:
        return thread
    previous_body = thread.body
    if new_body != thread.body:
        thread.body_html = str(render_with_mentions(new_body, thread.group_id))
    thread.title, thread.body = new_title, new_body
    thread.edited_at = now
    thread.last_activity_at = now
    db.session.add(
        ThreadVersion(
            thread_id=thread.id,
            number=_next_number(ThreadVersion, ThreadVersion.thread_id, thread.id),
            title=new_title,
            body=new_body,
            body_html=thread.body_html,
            editor_id=editor.id,
            created_at=now,
        )
    )
    db.session.flush()
    if new_body != previous_body:
        events.thread_written.send(thread, actor=editor, previous_body=previous_body, now=now)
    return thread


def set_closed(thread: Thread, closed: bool, *, now: datetime) -> Thread:
    """Close (no new comments) or reopen."""
    if closed and thread.closed_at is None:
        thread.closed_at = now
    elif not closed:
        thread.closed_at = None
    db.session.flush()
    return thread


def set_pinned(thread: Thread, pinned: bool, *, now: datetime) -> Thread:
    if pinned and thread.pinned_at is None:
        thread.pinned_at = now
    elif not pinned:
        thread.pinned_at = None
    db.session.flush()
    return thread


def add_comment(
    thread: Thread,
    *,
    author: User,
    body: str,
    parent_id: int | None = None,
    now: datetime,
) -> Comment:
    """A comment, or a reply. A reply to a reply attaches to the same top comment."""
    if thread.is_closed:
        raise ThreadClosed()
    body = _clean_body(body, required=True, max_length=MAX_COMMENT)
    top_id = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.thread_id != thread.id:
            raise ValidationFailed(fields={"parent_id": _l("No such comment in this thread.")})
        top_id = parent.parent_id or parent.id
    html = str(render_with_mentions(body, thread.group_id))
    comment = Comment(
        thread_id=thread.id,
        author_id=author.id,
        parent_id=top_id,
        body=body,
        body_html=html,
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    db.session.add(
        CommentVersion(comment_id=comment.id, number=1, body=body, body_html=html, created_at=now)
    )
    thread.last_activity_at = now
    db.session.flush()
    events.comment_written.send(comment, thread=thread, actor=author, previous_body=None, now=now)
    return comment


def edit_comment(comment: Comment, *, body: str, now: datetime) -> Comment:
    """New text for a comment; the previous one stays in its history."""
    if comment.is_deleted:
        raise CommentDeleted()
    body = _clean_body(body, required=True, max_length=MAX_COMMENT)
    if body == comment.body:
        return comment
    previous_body = comment.body
    thread = db.session.get(Thread, comment.thread_id)
    comment.body = body
    comment.body_html = str(render_with_mentions(body, thread.group_id))
    comment.edited_at = now
    db.session.add(
        CommentVersion(
            comment_id=comment.id,
            number=_next_number(CommentVersion, CommentVersion.comment_id, comment.id),
            body=body,
            body_html=comment.body_html,
            created_at=now,
        )
    )
    db.session.flush()
    events.comment_written.send(
        comment,
        thread=thread,
        actor=comment.author_id,
        previous_body=previous_body,
        now=now,
    )
    return comment


def delete_comment(comment: Comment, *, now: datetime) -> Comment:
    """Erase the text; the place stays ("comment deleted") and so do the replies."""
    if comment.is_deleted:
        raise CommentDeleted()
    comment.deleted_at = now
    comment.body = ""
    comment.body_html = ""
    db.session.execute(sa.delete(CommentVersion).where(CommentVersion.comment_id == comment.id))
    db.session.execute(sa.delete(Reaction).where(Reaction.comment_id == comment.id))
    db.session.flush()
    return comment


def check_emoji(emoji: str) -> str:
    """One of ``REACTIONS`` (the heart is accepted with or without its variation selector)."""
    emoji = (emoji or "").strip()
    if emoji not in REACTIONS and emoji + "\ufe0f" in REACTIONS:
        emoji += "\ufe0f"
    if emoji not in REACTIONS:
        raise ValidationFailed(
            fields={"emoji": _l("Must be one of: %(choices)s.", choices=" ".join(REACTIONS))}
        )
    return emoji


def add_reaction(comment: Comment, *, user: User, emoji: str) -> Reaction:
    """React (idempotent: reacting twice with the same emoji keeps one)."""
    emoji = check_emoji(emoji)
    if comment.is_deleted:
        raise CommentDeleted()
    existing = db.session.scalar(
        sa.select(Reaction).where(
            Reaction.comment_id == comment.id, Reaction.user_id == user.id, Reaction.emoji == emoji
        )
    )
    if existing is not None:
        return existing
    reaction = Reaction(comment_id=comment.id, user_id=user.id, emoji=emoji)
    db.session.add(reaction)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:  # the same reaction raced in: keep that one
        return db.session.scalar(
            sa.select(Reaction).where(
                Reaction.comment_id == comment.id,
                Reaction.user_id == user.id,
                Reaction.emoji == emoji,
            )
        )
    return reaction


def remove_reaction(comment: Comment, *, user: User, emoji: str) -> None:
    """Take back a reaction (nothing happens when there was none)."""
    emoji = check_emoji(emoji)
    db.session.execute(
        sa.delete(Reaction).where(
            Reaction.comment_id == comment.id, Reaction.user_id == user.id, Reaction.emoji == emoji
        )
    )
    db.session.flush()


def mark_seen(thread: Thread, user: User, *, now: datetime) -> None:
    """Remember that ``user`` has read ``thread`` up to now."""
    updated = db.session.execute(
        sa.update(ThreadVisit)
        .where(ThreadVisit.thread_id == thread.id, ThreadVisit.user_id == user.id)
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not updated:
        # added inside the savepoint: when it rolls back, the row leaves the session too
        # (added before it, the row stayed pending and failed the request's commit)
        try:
            with db.session.begin_nested():
                db.session.add(ThreadVisit(thread_id=thread.id, user_id=user.id, seen_at=now))
                db.session.flush()
        except sa.exc.IntegrityError:
            pass  # another tab recorded the visit at the same moment


def last_seen(thread_ids: list[int], user: User) -> dict[int, datetime]:
    """When ``user`` last read each of these threads (one query)."""
    if not thread_ids or not getattr(user, "is_authenticated", False):
        return {}
    rows = db.session.execute(
        sa.select(ThreadVisit.thread_id, ThreadVisit.seen_at).where(
            ThreadVisit.user_id == user.id, ThreadVisit.thread_id.in_(thread_ids)
        )
    )
    return dict(rows.all())


# -- reading ------------------------------------------------------------------


def has_reaction(comment: Comment, *, user: User, emoji: str) -> bool:
    """Whether ``user`` already reacted to ``comment`` with ``emoji``."""
    emoji = check_emoji(emoji)
    return (
        db.session.scalar(
            sa.select(Reaction.id).where(
                Reaction.comment_id == comment.id,
                Reaction.user_id == user.id,
                Reaction.emoji == emoji,
            )
        )
        is not None
    )


_READER_STATEMENT: list = []
#: the names of the features above's columns in it, in order
_READER_NAMES: list[str] = []


#: separates the reader's reactions in the first read's one column (never in an emoji)
_MINE_SEPARATOR = "\n"


@dataclass
class ReaderRow:
    """What the thread page's first read says of its reader, besides the thread."""

    #: when they last read it (None: never)
    seen_at: datetime | None
    #: their reactions, as ``"<comment id>|<emoji>"``
    mine: set[str]
    #: the features above's own values (``hooks.thread_reader_columns``), by name
    values: dict


def _reader_statement():
    """The thread page's first read, built once (its cache key is kept with it): the
    thread, the reader's membership, read mark and reactions, and the columns the
    features above ask for (``hooks.thread_reader_columns``, connected before the first
    request)."""
    if not _READER_STATEMENT:
        reader = sa.bindparam("reader_id")
        seen_at = (
            sa.select(ThreadVisit.seen_at)
            .where(ThreadVisit.thread_id == Thread.id, ThreadVisit.user_id == reader)
            .scalar_subquery()
        )
        mine = (
            sa.select(
                sa.func.aggregate_strings(
                    sa.cast(Reaction.comment_id, sa.String).concat("|").concat(Reaction.emoji),
                    _MINE_SEPARATOR,
                )
            )
            .join(Comment, Comment.id == Reaction.comment_id)
            .where(Comment.thread_id == Thread.id, Reaction.user_id == reader)
            .scalar_subquery()
        )
        answers = hooks.thread_reader_columns.answers(Thread, reader=reader)
        extra = [column.label(f"x_{name}") for name, column in answers]
        _READER_NAMES[:] = [name for name, _column in answers]
        _READER_STATEMENT.append(thread_and_membership(reader).add_columns(seen_at, mine, *extra))
    return _READER_STATEMENT[0]


def thread_and_membership(reader: sa.BindParameter) -> sa.Select:
    """The thread (bind parameter ``thread_id``) with its group and author, and the
    current membership of ``reader`` (a bind parameter) in its group, or None: the
    first read of the thread page and of the API's thread."""
    return (
        sa.select(Thread, Membership)
        .outerjoin(
            Membership,
            sa.and_(
                Membership.group_id == Thread.group_id,
                Membership.user_id == reader,
                Membership.revoked_at.is_(None),
            ),
        )
        .where(Thread.id == sa.bindparam("thread_id"))
        .options(sa.orm.joinedload(Thread.group), sa.orm.joinedload(Thread.author))
    )


def load_thread_for_reader(thread_id: int, user) -> tuple[Thread | None, ReaderRow | None]:
    """A thread with its group and author, and what the page shows of its reader: their
    membership of its group (kept for the request: ``membership_of``), when they last
    read it, their reactions and the features above's values (kept for the request:
    ``thread_reader_values``), in one statement."""
    if not getattr(user, "is_authenticated", False):
        return load_thread(thread_id), None
    statement = _reader_statement()
    row = db.session.execute(statement, {"thread_id": thread_id, "reader_id": user.id}).first()
    if row is None:
        return None, None
    thread, membership, seen_at, mine, *extra = row
    remember_membership(user, thread.group, membership)
    reader = ReaderRow(
        seen_at=seen_at,
        mine=set(mine.split(_MINE_SEPARATOR)) if mine else set(),
        values=dict(zip(_READER_NAMES, extra, strict=True)),
    )
    flask.g.thread_reader = (thread.id, user.id, reader.values)
    return thread, reader


def thread_reader_values(thread: Thread, user) -> dict | None:
    """The features above's values for ``user`` on ``thread``, read with the thread in
    this request (``load_thread_for_reader``), or None when they were not."""
    kept = flask.g.get("thread_reader")
    if kept is None or kept[0] != thread.id or kept[1] != getattr(user, "id", None):
        return None
    return kept[2]


def load_thread(thread_id: int) -> Thread | None:
    """A thread with its group and author (one query)."""
    return db.session.scalar(
        sa.select(Thread)
        .where(Thread.id == thread_id)
        .options(sa.orm.joinedload(Thread.group), sa.orm.joinedload(Thread.author))
    )


def load_comment(comment_id: int) -> Comment | None:
    """A comment with its author (one query)."""
    return db.session.scalar(
        sa.select(Comment)
        .where(Comment.id == comment_id)
        .options(sa.orm.joinedload(Comment.author))
    )


def thread_comments(thread: Thread) -> list[Comment]:
    """Every comment of a thread in time order, deleted ones included, authors loaded
    (one query). Authors already in the session (the signed-in reader, loaded before
    the page read its revisions) are read again: the page keeps what it renders from
    them under those revisions (``app/fragments.py``)."""
    return list(
        db.session.scalars(
            sa.select(Comment)
            .where(Comment.thread_id == thread.id)
            .options(sa.orm.joinedload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
            .execution_options(populate_existing=True)
        )
    )


@dataclass(frozen=True)
class TimelineEntry:
    """One entry of a thread's timeline: a top comment with its replies
    (``kind == "comment"``), or another feature's event (a poll card, a poll's
    close: ``kind`` and ``item`` are theirs)."""

    at: datetime
    kind: str
    comment: Comment | None = None
    replies: tuple[Comment, ...] = ()
    item: object = None


def timeline(
    comments: list[Comment], events: Iterable[tuple[datetime, str, object]] = ()
) -> list[TimelineEntry]:
    """Top comments in time order, each with its replies in time order, and the
    ``events`` (``(at, kind, item)``, e.g. a poll's creation and close) placed among
    them by time; at the same instant a comment comes first."""
    replies: dict[int, list[Comment]] = {}
    tops: list[Comment] = []
    for comment in comments:
        if comment.parent_id is None:
            tops.append(comment)
        else:
            replies.setdefault(comment.parent_id, []).append(comment)
    entries = [
        TimelineEntry(
            at=top.created_at, kind="comment", comment=top, replies=tuple(replies.get(top.id, []))
        )
        for top in tops
    ]
    entries += [TimelineEntry(at=at, kind=kind, item=item) for at, kind, item in events]
    # sorted() is stable: comments keep their order, and come before events at the same time.
    return sorted(entries, key=lambda entry: (entry.at, entry.kind != "comment"))


def reaction_summary(comment_ids: list[int], user) -> dict[int, list[dict]]:
    """For each comment, ``[{emoji, count, mine}]`` in the order of ``REACTIONS``
    (one grouped query, whatever the number of comments)."""
    if not comment_ids:
        return {}
    user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    mine = sa.func.sum(sa.case((Reaction.user_id == user_id, 1), else_=0))
    rows = db.session.execute(
        sa.select(Reaction.comment_id, Reaction.emoji, sa.func.count(Reaction.id), mine)
        .where(Reaction.comment_id.in_(comment_ids))
        .group_by(Reaction.comment_id, Reaction.emoji)
    )
    return _summarise(rows)


_THREAD_REACTIONS: list = []


def thread_reactions(thread_id: int, viewer) -> dict[int, list[dict]]:
    """``reaction_summary`` for every comment of a thread: one grouped statement built
    once, no list of ids to bind."""
    if not _THREAD_REACTIONS:  # built once (its cache key is kept with it)
        mine = sa.func.sum(sa.case((Reaction.user_id == sa.bindparam("viewer_id"), 1), else_=0))
        _THREAD_REACTIONS.append(
            sa.select(Reaction.comment_id, Reaction.emoji, sa.func.count(Reaction.id), mine)
            .join(Comment, Comment.id == Reaction.comment_id)
            .where(Comment.thread_id == sa.bindparam("thread_id"))
            .group_by(Reaction.comment_id, Reaction.emoji)
        )
    viewer_id = getattr(viewer, "id", None) if getattr(viewer, "is_authenticated", False) else None
    return _summarise(
        db.session.execute(_THREAD_REACTIONS[0], {"thread_id": thread_id, "viewer_id": viewer_id})
    )


def _summarise(rows) -> dict[int, list[dict]]:
    """``(comment id, emoji, count, mine)`` rows as ``{comment id: [{emoji, count,
    mine}]}``, each list in the order of ``REACTIONS``."""
    order = {emoji: i for i, emoji in enumerate(REACTIONS)}
    summary: dict[int, list[dict]] = {}
    for comment_id, emoji, count, my_count in rows:
        summary.setdefault(comment_id, []).append(
            {"emoji": emoji, "count": count, "mine": bool(my_count)}
        )
    for items in summary.values():
        items.sort(key=lambda item: order.get(item["emoji"], len(order)))
    return summary


_MY_REACTIONS: list = []


def my_reactions(thread_id: int, user) -> set[str]:
    """The person's reactions in a thread, as ``"<comment id>|<emoji>"`` (one query)."""
    user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    if user_id is None:
        return set()
    if not _MY_REACTIONS:  # built once (its cache key is kept with it)
        _MY_REACTIONS.append(
            sa.select(Reaction.comment_id, Reaction.emoji)
            .join(Comment, Comment.id == Reaction.comment_id)
            .where(
                Comment.thread_id == sa.bindparam("thread_id"),
                Reaction.user_id == sa.bindparam("user_id"),
            )
        )
    rows = db.session.execute(_MY_REACTIONS[0], {"thread_id": thread_id, "user_id": user_id}).all()
    return {f"{comment_id}|{emoji}" for comment_id, emoji in rows}


def thread_versions(thread: Thread) -> list[ThreadVersion]:
    """Every version of the title and context, newest first, editors loaded."""
    return list(
        db.session.scalars(
            sa.select(ThreadVersion)
            .where(ThreadVersion.thread_id == thread.id)
            .options(sa.orm.joinedload(ThreadVersion.editor))
            .order_by(ThreadVersion.number.desc())
        )
    )


def comment_versions(comment: Comment) -> list[CommentVersion]:
    """Every version of a comment's text, newest first."""
    return list(
        db.session.scalars(
            sa.select(CommentVersion)
            .where(CommentVersion.comment_id == comment.id)
            .order_by(CommentVersion.number.desc())
        )
    )
