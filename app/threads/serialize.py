"""The thread API's reads as plain, typed functions over rows.

``GET /threads/{id}`` reads its comments as rows (one Core statement, authors
joined), the reactions grouped (one statement), and builds the JSON directly:
what ``ThreadDetailSchema().dump(...)`` gives, byte for byte
(``tests/threads/test_thread_json.py`` compares them, with ``GroupThreads``' list).
The schemas in ``schemas.py`` stay the documented shape.
"""

from __future__ import annotations

from functools import cache
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from ..api.serialize import UserRef, user_ref, utc
from ..auth.models import User, former_member_name
from ..extensions import db
from ..groups.permissions import remember_membership
from .models import Comment, Thread
from .services import thread_and_membership


class ReactionCount(TypedDict):
    emoji: str
    count: int
    mine: bool


class CommentJSON(TypedDict):
    id: int
    thread_id: int
    author: UserRef
    body: str
    body_html: str
    parent_id: int | None
    created_at: str
    edited_at: str | None
    deleted: bool
    reactions: list[ReactionCount]


def thread_json(thread: Thread, comments_count: int) -> dict:
    """A thread as ``ThreadSchema`` dumps it (its group and author loaded)."""
    return {
        "id": thread.id,
        "group": thread.group.handle,
        "title": thread.title,
        "body": thread.body,
        "body_html": thread.body_html,
        "author": user_ref(thread.author),
        "created_at": utc(thread.created_at),
        "edited_at": utc(thread.edited_at),
        "last_activity_at": utc(thread.last_activity_at),
        "closed": thread.closed_at is not None,
        "pinned": thread.pinned_at is not None,
        "comments_count": comments_count,
    }


def comment_json(
    row: RowMapping, reactions: list[ReactionCount] | None, former_member: str
) -> CommentJSON:
    """A comment row of ``comment_rows`` as ``CommentSchema`` dumps it; a deleted one
    keeps its place with no text and no reactions. ``former_member``: the name of a
    deleted account, in the reader's language."""
    deleted = row["deleted_at"] is not None
    return {
        "id": row["id"],
        "thread_id": row["thread_id"],
        "author": {
            "id": row["author_id"],
            "name": former_member if row["author_deleted_at"] is not None else row["author_name"],
            "handle": row["author_handle"],
        },
        "body": "" if deleted else row["body"],
        "body_html": "" if deleted else row["body_html"],
        "parent_id": row["parent_id"],
        "created_at": utc(row["created_at"]),
        "edited_at": utc(row["edited_at"]),
        "deleted": deleted,
        "reactions": [] if deleted else (reactions or []),
    }


def poll_ref_json(poll: dict) -> dict:
    """A poll of the thread (``hooks.thread_json``'s ``polls``) as ``PollRefSchema``
    dumps it."""
    return {
        "id": poll["id"],
        "kind": poll["kind"],
        "title": poll["title"],
        "status": poll["status"],
    }


# -- reading rows ---------------------------------------------------------------------
# Each statement is built once (``cache``) with bound parameters: building a select
# costs about as much CPU as SQLite takes to run these.


@cache
def _comments_stmt() -> sa.Select:
    return (
        sa.select(
            Comment.id,
            Comment.thread_id,
            Comment.parent_id,
            Comment.body,
            Comment.body_html,
            Comment.created_at,
            Comment.edited_at,
            Comment.deleted_at,
            User.id.label("author_id"),
            User.stored_name.label("author_name"),
            User.handle.label("author_handle"),
            User.deleted_at.label("author_deleted_at"),
        )
        .join(User, User.id == Comment.author_id)
        .where(Comment.thread_id == sa.bindparam("thread_id"))
        .order_by(Comment.created_at, Comment.id)
    )


def comment_rows(thread_id: int) -> list[RowMapping]:
    """Every comment of a thread in time order, deleted ones included, with its author's
    id, stored name, handle and deletion time (one statement, rows, no objects)."""
    return list(db.session.execute(_comments_stmt(), {"thread_id": thread_id}).mappings())


@cache
def _thread_stmt() -> sa.Select:
    return thread_and_membership(sa.bindparam("viewer_id"))


def load_thread_for(thread_id: int, viewer) -> Thread | None:
    """A thread with its group and author, and the viewer's current membership of its
    group remembered for the request's permission checks: one statement where
    ``load_thread`` and the first check take two."""
    params = {"thread_id": thread_id, "viewer_id": viewer.id}
    row = db.session.execute(_thread_stmt(), params).first()
    if row is None:
        return None
    thread, membership = row
    remember_membership(viewer, thread.group, membership)
    return thread


def thread_detail_json(
    thread: Thread, comments: list[RowMapping], reactions: dict, polls: list[dict]
) -> dict:
    """``GET /threads/{id}``: the thread, every comment with its reactions (the
    viewer's ``mine``), and the thread's polls, as ``ThreadDetailSchema`` dumps it."""
    former_member = former_member_name()
    out = thread_json(thread, sum(1 for row in comments if row["deleted_at"] is None))
    out["comments"] = [
        comment_json(row, reactions.get(row["id"]), former_member) for row in comments
    ]
    out["polls"] = [poll_ref_json(poll) for poll in polls]
    return out
