"""``GET /api/v1/groups/{handle}/export``: the whole circle as one JSON document."""

from __future__ import annotations

from ..api import Blueprint, api_user
from ..errors import Forbidden, NotFound
from ..groups.permissions import can_manage_group, visible_group
from .views import group_download

blp = Blueprint("api_transfer", __name__, description="Moving a circle")

BEARER = [{"bearerAuth": []}]


@blp.route("/groups/<handle>/export", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(
    200,
    {"type": "object"},
    content_type="application/json",
    description="The group export document, format `cercle-group` version 1 "
    "(`docs/export-format.md`): the group, the people its rows name, and every section "
    "(memberships with their history, threads with every version of their text, comments "
    "and their versions, reactions, polls with options and stances as stored - an "
    "anonymous poll's without their voters once closed -, outcomes and statements, "
    "agreements with every version, support requests with their timelines, check-ins, "
    "notification settings). Ids are the exporting database's, meaningful inside the file "
    "only. Streamed as it is read, as a download (`Content-Disposition: attachment`). "
    "Restore it on another instance with `flask --app wsgi groups import FILE`.",
)
@blp.alt_response(403, description="You are not an admin of this group (`forbidden`).")
@blp.alt_response(
    404,
    description="No such group, or a secret group you are not a member of (`not_found`).",
)
def export_group_view(handle):
    """Export the whole circle (an addition to DESIGN.md's API, which is silent on it).

    Admins only: the document holds every member's email address, every text and its
    history. Read from one snapshot of the database, so it is consistent even while
    the circle is written to.
    """
    group = visible_group(handle, api_user())
    if group is None:
        raise NotFound()
    if not can_manage_group(api_user(), group):
        raise Forbidden()
    return group_download(group)
