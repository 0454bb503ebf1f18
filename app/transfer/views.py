"""Downloads: the whole circle as JSON (admins), the agreements page and a thread as
Markdown (whoever may read them)."""

from __future__ import annotations

from flask import Response, abort, stream_with_context
from flask_login import login_required

from ..agreements.permissions import can_read_agreements
from ..groups.models import Group
from ..groups.permissions import can_manage_group, visible_group
from ..polls.services import close_due_polls_before_read
from ..threads.permissions import can_read_thread
from ..threads.services import load_thread
from ..timeutil import utcnow
from ..web import me, require
from . import bp
from .exporting import group_filename, stream_group
from .markdown import agreements_markdown, thread_markdown


def group_download(group: Group) -> Response:
    """The group's JSON document, streamed as a download (views and API)."""
    now = utcnow()
    headers = {
        "Content-Disposition": f'attachment; filename="{group_filename(group.handle, now)}"',
        "Cache-Control": "no-store",
    }
    chunks = stream_group(group.id, now=now)
    return Response(stream_with_context(chunks), mimetype="application/json", headers=headers)


def _markdown(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/g/<handle>/export")
@login_required
def export_group(handle: str):
    """The whole circle as one JSON document (``docs/export-format.md``): admins only."""
    group = visible_group(handle, me()) or abort(404)
    require(can_manage_group(me(), group))
    return group_download(group)


@bp.get("/g/<handle>/agreements.md")
@login_required
def agreements_md(handle: str):
    """The agreements page as Markdown, for the circle's shared folder."""
    group = visible_group(handle, me()) or abort(404)
    require(can_read_agreements(me(), group))
    now = utcnow()
    close_due_polls_before_read(group_id=group.id, now=now)
    return _markdown(agreements_markdown(group, now=now), f"{group.handle}-agreements.md")


@bp.get("/t/<int:thread_id>.md")
@login_required
def thread_md(thread_id: int):
    """A thread as Markdown, as its page shows it to the reader."""
    thread = load_thread(thread_id)
    if thread is None or not can_read_thread(me(), thread):
        abort(404)
    return _markdown(thread_markdown(thread, viewer=me(), now=utcnow()), f"thread-{thread.id}.md")
