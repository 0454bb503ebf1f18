"""API schemas for threads, comments and reactions (they validate input and document the API)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..api.schemas import CursorQuerySchema, Id, Line, Text, UserRefSchema, UTCDateTime
from .models import REACTIONS
from .services import MAX_BODY, MAX_COMMENT, MAX_TITLE


class ThreadCreateSchema(Schema):
    title = Line(required=True, validate=validate.Length(min=1, max=MAX_TITLE))
    body = Text(
        load_default="",
        validate=validate.Length(max=MAX_BODY),
        metadata={"description": "the context, in Markdown (`@handle` mentions are linked)"},
    )


class ThreadPatchSchema(Schema):
    title = Line(
        validate=validate.Length(min=1, max=MAX_TITLE),
        metadata={"description": "the author or an admin"},
    )
    body = Text(
        validate=validate.Length(max=MAX_BODY), metadata={"description": "the author or an admin"}
    )
    closed = fields.Boolean(
        metadata={"description": "the author or an admin; a closed thread takes no comments"}
    )
    pinned = fields.Boolean(metadata={"description": "admins only"})


class ThreadSchema(Schema):
    id = fields.Integer()
    group = fields.String(metadata={"description": "the group's handle"})
    title = fields.String()
    body = fields.String(metadata={"description": "the context, in Markdown"})
    body_html = fields.String(metadata={"description": "the context rendered to safe HTML"})
    author = fields.Nested(UserRefSchema)
    created_at = UTCDateTime()
    edited_at = UTCDateTime(allow_none=True)
    last_activity_at = UTCDateTime(metadata={"description": "the newest comment or edit"})
    closed = fields.Boolean()
    pinned = fields.Boolean()
    comments_count = fields.Integer(metadata={"description": "comments not deleted"})


class ThreadListSchema(Schema):
    items = fields.List(fields.Nested(ThreadSchema))
    next = fields.String(
        allow_none=True,
        metadata={"description": "pass as `cursor` for the next page; null at the end"},
    )


class ThreadListQuerySchema(CursorQuerySchema):
    pass


class ReactionCountSchema(Schema):
    emoji = fields.String()
    count = fields.Integer()
    mine = fields.Boolean(metadata={"description": "whether the caller reacted so"})


class CommentSchema(Schema):
    id = fields.Integer()
    thread_id = fields.Integer()
    author = fields.Nested(UserRefSchema)
    body = fields.String(metadata={"description": "Markdown; empty once deleted"})
    body_html = fields.String(metadata={"description": "safe HTML; empty once deleted"})
    parent_id = fields.Integer(
        allow_none=True, metadata={"description": "the top comment this one replies to"}
    )
    created_at = UTCDateTime()
    edited_at = UTCDateTime(allow_none=True)
    deleted = fields.Boolean(metadata={"description": "a deleted comment keeps its place"})
    reactions = fields.List(
        fields.Nested(ReactionCountSchema),
        metadata={"description": "counts per emoji, in a fixed emoji order; none once deleted"},
    )


class PollRefSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    status = fields.String(metadata={"description": "open or closed"})


class ThreadDetailSchema(ThreadSchema):
    comments = fields.List(
        fields.Nested(CommentSchema),
        metadata={"description": "every comment in time order, replies included, deleted ones too"},
    )
    polls = fields.List(
        fields.Nested(PollRefSchema),
        metadata={"description": "the thread's polls, oldest first"},
    )


class CommentCreateSchema(Schema):
    body = Text(required=True, validate=validate.Length(min=1, max=MAX_COMMENT))
    parent_id = Id(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "a comment of the same thread; a reply to a reply attaches to its "
            "top comment"
        },
    )


class CommentPatchSchema(Schema):
    body = Text(required=True, validate=validate.Length(min=1, max=MAX_COMMENT))


class ReactionSchema(Schema):
    comment_id = fields.Integer()
    emoji = fields.String(metadata={"description": "one of " + " ".join(REACTIONS)})
    count = fields.Integer(metadata={"description": "reactions with this emoji on the comment"})
    mine = fields.Boolean()
