"""API: threads, comments and reactions.

Who may do what: a thread of a secret group (or of a closed group, whose content is for
members) is 404 to non-members; a thread of an open group is readable by every signed-in
person and writable by its members only (403 for others).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, g
from flask.views import MethodView

from .. import caching, hooks
from ..api import Blueprint, api_user
from ..api.schemas import check_limit, decode_time_cursor, encode_cursor
from ..api.serialize import json_response
from ..db import older_than
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..groups.models import Group
from ..groups.permissions import can_read_content, can_see_group, can_start_thread
from ..timeutil import utcnow
from .models import Comment, Reaction, Thread
from .permissions import (
    can_close_thread,
    can_delete_comment,
    can_edit_comment,
    can_edit_thread,
    can_pin_thread,
    can_react,
    can_read_thread,
    can_take_part,
)
from .schemas import (
    CommentCreateSchema,
    CommentPatchSchema,
    CommentSchema,
    ReactionSchema,
    ThreadCreateSchema,
    ThreadDetailSchema,
    ThreadListQuerySchema,
    ThreadListSchema,
    ThreadPatchSchema,
    ThreadSchema,
)
from .serialize import (
    comment_rows,
    load_thread_for,
    thread_detail_json,
    thread_json,
)
from .services import (
    CommentDeleted,
    add_comment,
    add_reaction,
    check_emoji,
    delete_comment,
    edit_comment,
    edit_thread,
    has_reaction,
    load_comment,
    load_thread,
    mark_seen,
    reaction_summary,
    remove_reaction,
    set_closed,
    set_pinned,
    start_thread,
    thread_reactions,
)

blp = Blueprint("api_threads", __name__, description="Threads, comments and reactions")

SECURITY = [{"bearerAuth": []}]
NOT_FOUND = "No such thread or comment, or the caller may not see it (`not_found`)."


# -- loading and output -----------------------------------------------------------


def _group(handle: str) -> Group:
    """The group, or 404 when it does not exist or the caller may not know of it."""
    group = db.session.scalar(sa.select(Group).where(Group.handle == handle.lower()))
    if group is None or not can_see_group(api_user(), group):
        raise NotFound()
    return group


def _thread(thread_id: int) -> Thread:
    thread = load_thread(thread_id)
    if thread is None or not can_read_thread(api_user(), thread):
        raise NotFound()
    return thread


def _comment(comment_id: int) -> tuple[Comment, Thread]:
    comment = load_comment(comment_id)
    if comment is None:
        raise NotFound()
    return comment, _thread(comment.thread_id)


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def thread_out(thread: Thread, comments_count: int) -> dict:
    """A thread as the API shows it, for ``ThreadSchema`` to dump (the writes' answers;
    the reads build theirs in ``serialize.py``, the same once dumped)."""
    return {
        "id": thread.id,
        "group": thread.group.handle,
        "title": thread.title,
        "body": thread.body,
        "body_html": thread.body_html,
        "author": thread.author,
        "created_at": thread.created_at,
        "edited_at": thread.edited_at,
        "last_activity_at": thread.last_activity_at,
        "closed": thread.is_closed,
        "pinned": thread.is_pinned,
        "comments_count": comments_count,
    }


def comment_out(comment: Comment, reactions: list[dict] | None = None) -> dict:
    """A comment as the API shows it, for ``CommentSchema`` to dump; a deleted one keeps
    its place with no text."""
    return {
        "id": comment.id,
        "thread_id": comment.thread_id,
        "author": comment.author,
        "body": "" if comment.is_deleted else comment.body,
        "body_html": "" if comment.is_deleted else comment.body_html,
        "parent_id": comment.parent_id,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
        "deleted": comment.is_deleted,
        "reactions": [] if comment.is_deleted else (reactions or []),
    }


def thread_response(thread: Thread, body: dict, etag: str | None) -> Response:
    """The answer of ``GET /threads/{id}``: the one place it leaves, with its
    validator (``app/caching.py``: ``private, no-cache`` and the weak ``ETag``)."""
    g.page_etag = etag
    return json_response(body)


# -- threads ------------------------------------------------------------------------


@blp.route("/groups/<handle>/threads")
class GroupThreads(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(ThreadListQuerySchema, location="query")
    @blp.response(200, ThreadListSchema)
    @blp.alt_response(403, description="A closed group: its threads are for members.")
    @blp.alt_response(404, description="No such group, or a secret group of others.")
    def get(self, query, handle):
        """The group's threads, most recent activity first.

        Pinned threads are *not* put first here (the group page does that): the order is
        `last_activity_at` then `id`, both descending. Keyset pagination: pass `next` as
        `cursor` for the following page (`limit` 1 to 100, default 20).
        """
        group = _group(handle)
        _require(can_read_content(api_user(), group))
        limit = check_limit(query["limit"])
        stmt = (
            sa.select(Thread)
            .where(Thread.group_id == group.id)
            .options(sa.orm.joinedload(Thread.author))
            .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
            .limit(limit + 1)
        )
        if query.get("cursor"):
            when, last_id = decode_time_cursor(query["cursor"])
            stmt = stmt.where(older_than(Thread.last_activity_at, Thread.id, when, last_id))
        threads = list(db.session.scalars(stmt))
        more = len(threads) > limit
        threads = threads[:limit]
        # ``thread.group`` is the group already in the session: no query per thread.
        next_cursor = None
        if more and threads:
            last = threads[-1]
            next_cursor = encode_cursor(last.last_activity_at.isoformat(), last.id)
        items = [thread_json(t, t.comments_count) for t in threads]
        return json_response({"items": items, "next": next_cursor})

    @blp.doc(security=SECURITY)
    @blp.arguments(ThreadCreateSchema)
    @blp.response(201, ThreadSchema)
    @blp.alt_response(
        403, description="Not a member, or members may not start threads in this group."
    )
    @blp.alt_response(404, description="No such group, or a secret group of others.")
    def post(self, data, handle):
        """Start a thread (members, unless the group lets only admins start threads)."""
        group = _group(handle)
        user = api_user()
        _require(can_start_thread(user, group))
        thread = start_thread(
            group, author=user, title=data["title"], body=data["body"], now=utcnow()
        )
        mark_seen(thread, user, now=thread.created_at)
        return thread_out(thread, 0)


@blp.route("/threads/<int:thread_id>")
class ThreadItem(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, ThreadDetailSchema)
    @blp.alt_response(304, description="Unchanged since the answer whose `ETag` was sent.")
    @blp.alt_response(404, description=NOT_FOUND)
    def get(self, thread_id):
        """A thread with all its comments (replies and deleted ones included, in time order).

        A deleted comment has `deleted: true` and empty `body` and `body_html`. `polls` are
        the thread's polls, oldest first (`status` open or closed; a poll whose closing time
        has passed is closed first). The same number of SQL statements is run whatever
        the number of comments and polls.

        Conditional requests (an addition to DESIGN.md, which is silent on them): the
        answer carries a weak `ETag` and `Cache-Control: private, no-cache`. Send it back
        in `If-None-Match` to get `304 Not Modified`, with no body, while nothing in the
        answer has changed for you (comments, reactions, polls, names, your membership).
        """
        now = utcnow()
        viewer = api_user()
        thread = load_thread_for(thread_id, viewer)
        if thread is None or not can_read_thread(viewer, thread):
            raise NotFound()
        # Other features' keys first (polls: closing a due poll ends the read).
        extras: dict = {"polls": []}
        for answer in hooks.thread_json.answers(thread, viewer=viewer, now=now):
            extras.update(answer)
        # The validator is made of the revisions as they are after the polls above (a
        # due poll closed on reading commits, and the thread is read again).
        revisions = (thread.revision, thread.group.revision)
        etag = caching.api_etag(viewer, "thread", thread.id, *revisions)
        unchanged = caching.not_modified(etag)
        if unchanged is not None:
            return unchanged
        comments = comment_rows(thread.id)
        summary = thread_reactions(thread.id, viewer)
        return thread_response(
            thread, thread_detail_json(thread, comments, summary, extras["polls"]), etag
        )

    @blp.doc(security=SECURITY)
    @blp.arguments(ThreadPatchSchema)
    @blp.response(200, ThreadSchema)
    @blp.alt_response(
        403,
        description="A field the caller may not change: title and body (author or admin), "
        "closed (author or admin), pinned (admins).",
    )
    @blp.alt_response(404, description=NOT_FOUND)
    def patch(self, data, thread_id):
        """Edit the title or context (a new version is kept), close or reopen, pin or unpin.

        Every field given is checked before anything changes.
        """
        thread = _thread(thread_id)
        user = api_user()
        _require(can_take_part(user, thread))
        if "title" in data or "body" in data:
            _require(can_edit_thread(user, thread))
        if "closed" in data:
            _require(can_close_thread(user, thread))
        if "pinned" in data:
            _require(can_pin_thread(user, thread))
        if "title" in data or "body" in data:
            edit_thread(
                thread, editor=user, title=data.get("title"), body=data.get("body"), now=utcnow()
            )
        if "closed" in data:
            set_closed(thread, data["closed"], now=utcnow())
        if "pinned" in data:
            set_pinned(thread, data["pinned"], now=utcnow())
        return thread_out(thread, thread.comments_count)


# -- comments -----------------------------------------------------------------------


@blp.route("/threads/<int:thread_id>/comments", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(CommentCreateSchema)
@blp.response(201, CommentSchema)
@blp.alt_response(400, description="`parent_id` is not a comment of this thread.")
@blp.alt_response(403, description="Only members comment.")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="The thread is closed (`thread_closed`).")
def create_comment(data, thread_id):
    """Comment, or reply with `parent_id` (a reply to a reply attaches to its top comment).

    Commenting also marks the thread as read for the caller.
    """
    thread = _thread(thread_id)
    user = api_user()
    _require(can_take_part(user, thread))
    comment = add_comment(
        thread, author=user, body=data["body"], parent_id=data["parent_id"], now=utcnow()
    )
    mark_seen(thread, user, now=comment.created_at)
    return comment_out(comment)


@blp.route("/comments/<int:comment_id>")
class CommentItem(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(CommentPatchSchema)
    @blp.response(200, CommentSchema)
    @blp.alt_response(403, description="Only the comment's author edits it.")
    @blp.alt_response(404, description=NOT_FOUND)
    @blp.alt_response(409, description="The comment was deleted (`comment_deleted`).")
    def patch(self, data, comment_id):
        """New text for one's own comment; earlier texts stay in its history."""
        comment, thread = _comment(comment_id)
        user = api_user()
        if comment.is_deleted:
            raise CommentDeleted()
        _require(can_edit_comment(user, comment, thread))
        edit_comment(comment, body=data["body"], now=utcnow())
        return comment_out(comment, reaction_summary([comment.id], user).get(comment.id))

    @blp.doc(security=SECURITY)
    @blp.response(204)
    @blp.alt_response(403, description="Only the author or an admin deletes a comment.")
    @blp.alt_response(404, description=NOT_FOUND)
    @blp.alt_response(409, description="Already deleted (`comment_deleted`).")
    def delete(self, comment_id):
        """Delete a comment: its text, history and reactions are erased; its place and
        replies stay."""
        comment, thread = _comment(comment_id)
        if comment.is_deleted:
            raise CommentDeleted()
        _require(can_delete_comment(api_user(), comment, thread))
        delete_comment(comment, now=utcnow())
        return None


# -- reactions ----------------------------------------------------------------------


def _reaction_out(comment: Comment, emoji: str, user) -> dict:
    count = db.session.scalar(
        sa.select(sa.func.count(Reaction.id)).where(
            Reaction.comment_id == comment.id, Reaction.emoji == emoji
        )
    )
    return {
        "comment_id": comment.id,
        "emoji": emoji,
        "count": count,
        "mine": has_reaction(comment, user=user, emoji=emoji),
    }


@blp.route("/comments/<int:comment_id>/reactions/<emoji>")
class CommentReaction(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, ReactionSchema, description="The caller had already reacted so.")
    @blp.alt_response(201, schema=ReactionSchema, description="The reaction is new.")
    @blp.alt_response(400, description="Not one of the offered emoji (`fields.emoji`).")
    @blp.alt_response(403, description="Only members react.")
    @blp.alt_response(404, description=NOT_FOUND)
    @blp.alt_response(409, description="The comment was deleted (`comment_deleted`).")
    def put(self, comment_id, emoji):
        """React to a comment with an emoji (URL-encoded in the path): 👍 ❤️ 🙏 😊 🤔 🎉.

        Idempotent: 201 when the reaction is new, 200 when the caller had already reacted
        with this emoji. The answer gives the emoji's count on the comment.
        """
        comment, thread = _comment(comment_id)
        emoji = check_emoji(emoji)
        user = api_user()
        _require(can_react(user, thread))
        existed = has_reaction(comment, user=user, emoji=emoji)
        add_reaction(comment, user=user, emoji=emoji)
        return _reaction_out(comment, emoji, user), (200 if existed else 201)

    @blp.doc(security=SECURITY)
    @blp.response(204)
    @blp.alt_response(400, description="Not one of the offered emoji (`fields.emoji`).")
    @blp.alt_response(403, description="Only members react.")
    @blp.alt_response(404, description=NOT_FOUND)
    def delete(self, comment_id, emoji):
        """Take back one's reaction (204 also when there was none)."""
        comment, thread = _comment(comment_id)
        emoji = check_emoji(emoji)
        user = api_user()
        _require(can_react(user, thread))
        remove_reaction(comment, user=user, emoji=emoji)
        return None
