"""The search page of a circle: ``/g/<handle>/search?q=``."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import login_required

from ..groups.permissions import can_read_content, visible_group
from ..web import me, page_number, require
from . import bp
from .forms import SearchForm
from .query import PER_PAGE, search
from .results import describe


@bp.get("/g/<handle>/search")
@login_required
def results(handle: str):
    """What matches the query in the circle, best first, with highlighted snippets.
    404 when the reader may not know the circle, 403 when they may not read its content
    (as its threads and agreements)."""
    group = visible_group(handle, me()) or abort(404)
    require(can_read_content(me(), group))
    page = page_number()
    form = SearchForm(request.args)
    text = (form.q.data or "").strip()
    found, more, status = [], False, 200
    if text and form.validate():
        hits = search(group.id, text, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
        more = len(hits) > PER_PAGE
        found = describe(group, hits[:PER_PAGE])
    elif text:
        status = 400
    return (
        render_template(
            "search/results.html",
            group=group,
            form=form,
            text=text,
            results=found,
            page=page,
            more=more,
            per_page=PER_PAGE,
        ),
        status,
    )
