"""API schemas of search."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..api.schemas import CursorQuerySchema, Line
from .query import MAX_QUERY


class SearchQuerySchema(CursorQuerySchema):
    q = Line(
        required=True,
        validate=validate.Length(min=1, max=MAX_QUERY),
        metadata={
            "description": "what to look for, 1 to 200 characters. Any text is accepted: "
            "words are matched with French stemming and without accents"
        },
    )


class SearchHitSchema(Schema):
    kind = fields.String(
        metadata={"description": "`thread`, `comment`, `poll`, `outcome` or `agreement`"}
    )
    id = fields.Integer(
        metadata={
            "description": "the thread's, comment's, poll's or agreement's id (an outcome: "
            "its poll's)"
        }
    )
    thread_id = fields.Integer(
        allow_none=True, metadata={"description": "the thread it belongs to (null: an agreement)"}
    )
    thread_title = fields.String(
        allow_none=True,
        metadata={"description": "that thread's title, for a comment, a poll or an outcome"},
    )
    status = fields.String(
        allow_none=True,
        metadata={"description": "an agreement's `active` or `repealed` (null otherwise)"},
    )
    title_html = fields.String(
        metadata={
            "description": "the title, HTML-escaped, with the matched words in `<mark>` "
            "(empty for a comment)"
        }
    )
    snippet_html = fields.String(
        metadata={
            "description": "the best passage of the text (Markdown source), HTML-escaped, "
            "with the matched words in `<mark>`: no other markup"
        }
    )
    url = fields.String(metadata={"description": "the page that shows it (absolute)"})


class SearchResultsSchema(Schema):
    items = fields.List(fields.Nested(SearchHitSchema))
    next = fields.String(
        allow_none=True,
        metadata={"description": "pass as `cursor` for the next page; null at the end"},
    )
