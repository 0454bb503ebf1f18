"""API: searching a circle.

DESIGN.md names no search endpoint; this one follows its conventions and says so in
the OpenAPI document: the group's content is searched by whoever may read it (members;
every signed-in person for an open group), a secret group is 404 for non-members and a
closed group 403 (as its threads are); results come best first, ``{"items", "next"}``.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _

from ..api import Blueprint, api_user
from ..api.schemas import check_limit, decode_cursor, encode_cursor
from ..errors import Forbidden, NotFound, ValidationFailed
from ..groups.permissions import can_read_content, can_see_group
from ..groups.services import lookup_group
from .query import search
from .results import describe
from .schemas import SearchQuerySchema, SearchResultsSchema

blp = Blueprint("api_search", __name__, description="Search")

SECURITY = [{"bearerAuth": []}]
#: the deepest a cursor may lead (far past what a person pages through)
MAX_OFFSET = 10_000


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    (offset,) = decode_cursor(cursor, 1)
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise ValidationFailed(fields={"cursor": _("This cursor is not valid.")})
    return offset


@blp.route("/groups/<handle>/search")
class GroupSearch(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(SearchQuerySchema, location="query")
    @blp.response(200, SearchResultsSchema)
    @blp.alt_response(403, description="A closed group: its content is for members (`forbidden`).")
    @blp.alt_response(
        404, description="No such group, or a secret group the caller is not a member of."
    )
    def get(self, query, handle):
        """Search the group's threads, comments, polls, outcomes and agreements.

        *Not in DESIGN.md; chosen to follow its conventions.* Who may search: whoever reads
        the group's content, as on the pages. Searched: thread titles and contexts,
        comments (deleted ones never), poll titles and details, outcome statements and
        the current version of every agreement (repealed ones too, marked so). Stances
        and their reasons are never searched.

        Matching: every word is required, accents and case do not matter, and French
        word endings are folded (`accords` finds `accord`, `reciprocite` finds
        `réciprocité`). On PostgreSQL the query is read by `websearch_to_tsquery`
        (`"a phrase"`, `-excluded`, `or`); on SQLite punctuation is ignored. No query is
        an error (`q` is only bounded to 200 characters); a query with no word finds
        nothing. Results come best first (a title match before a text match); the
        cursor is opaque (it holds a position in that order: a result written meanwhile
        may shift the pages). `limit` 1 to 100, default 20.
        """
        group = lookup_group(handle)
        user = api_user()
        if group is None or not can_see_group(user, group):
            raise NotFound()
        if not can_read_content(user, group):
            raise Forbidden()
        limit = check_limit(query["limit"])
        offset = _offset(query.get("cursor"))
        hits = search(group.id, query["q"].strip(), limit=limit + 1, offset=offset)
        more = len(hits) > limit
        items = [
            {
                "kind": r.kind,
                "id": r.hit.ref_id,
                "thread_id": r.hit.thread_id,
                "thread_title": r.thread_title,
                "status": r.status,
                "title_html": str(r.title),
                "snippet_html": str(r.snippet),
                "url": r.url(),
            }
            for r in describe(group, hits[:limit])
        ]
        return {"items": items, "next": encode_cursor(offset + limit) if more else None}
