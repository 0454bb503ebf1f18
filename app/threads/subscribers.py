"""What the threads feature adds to the groups below it: the thread list of a
group's page. Connected once by the application factory."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from flask import abort, current_app, redirect, request, url_for
from flask_babel import gettext as _

from .. import hooks
from ..api.schemas import decode_flagged_time_cursor, encode_cursor
from ..db import newer_than, older_than
from ..errors import ValidationFailed
from ..extensions import db
from ..web import PageSection, page_number
from .models import Thread
from .services import last_seen


def _position(cursor: str | None, name: str):
    """``(unpinned, last activity, id)`` from ``?after=`` / ``?before=``; a forged one is
    a 400 page naming the parameter."""
    if not cursor:
        return None
    try:
        pinned, when, last_id = decode_flagged_time_cursor(cursor)
    except ValidationFailed as exc:
        problem = _("This link to a page of threads is not valid.")
        raise ValidationFailed(fields={name: problem}) from exc
    return (not pinned, when, last_id)


def position_of(thread) -> str:
    """The cursor naming ``thread``'s place in its group's list."""
    return encode_cursor(thread.pinned_at is not None, thread.last_activity_at, thread.id)


def _unpinned():
    """SQL ``(pinned_at IS NULL)``: the expression the list's index is made on."""
    return Thread.pinned_at.is_(None)


def _segment(group_id: int, unpinned: bool, position, *, older: bool, limit: int):
    """The ids of one part of the list (pinned threads, or the others) past
    ``position`` (``(time, id)`` or None), nearest first, at most ``limit``: a range of
    the index ``ix_threads_group_list``, however deep."""
    stmt = sa.select(
        Thread.id.label("id"),
        (sa.true() if unpinned else sa.false()).label("unpinned"),
        Thread.last_activity_at.label("at"),
    ).where(
        Thread.group_id == group_id,
        # ``IS true/false``: PostgreSQL reads it as the index's expression (``= false``
        # would be rewritten ``pinned_at IS NOT NULL``, which the index does not match)
        _unpinned().is_(sa.true() if unpinned else sa.false()),
    )
    if position is not None:
        keyset = older_than if older else newer_than
        stmt = stmt.where(keyset(Thread.last_activity_at, Thread.id, *position))
    if older:
        stmt = stmt.order_by(Thread.last_activity_at.desc(), Thread.id.desc())
    else:
        stmt = stmt.order_by(Thread.last_activity_at, Thread.id)
    return sa.select(stmt.limit(limit).subquery())


@dataclass(frozen=True)
class ThreadPage:
    """One page of a group's threads: ``rows`` (``thread`` with its author,
    ``comments``, ``is_new``) and the cursors of the pages around it (None when there
    is none): ``newer`` for ``?before=``, ``older`` for ``?after=``."""

    rows: list
    newer: str | None
    older: str | None
    first: bool


def group_threads(group, user, *, per_page: int, after=None, before=None) -> ThreadPage:
    """One page of the group's threads, pinned first then newest activity first (ties:
    the higher id first), starting after the position ``after`` or ending before
    ``before`` (``(unpinned, time, id)``, or None for the first page). Keyset: the
    database reads the page where it starts, whatever its depth, and counts the comments
    of that page's threads only. Three queries whatever the page and the group."""
    older = before is None
    edge = after if older else before
    parts = []
    if older:
        if edge is None or not edge[0]:  # from the top, or within the pinned threads
            parts.append(_segment(group.id, False, edge and edge[1:], older=True,
                                  limit=per_page + 1))  # fmt: skip
        parts.append(_segment(group.id, True, edge[1:] if edge and edge[0] else None,
                              older=True, limit=per_page + 1))  # fmt: skip
    else:
        if edge[0]:  # within the others, then up into the pinned ones
            parts.append(_segment(group.id, True, edge[1:], older=False, limit=per_page + 1))
        parts.append(_segment(group.id, False, None if edge[0] else edge[1:], older=False,
                              limit=per_page + 1))  # fmt: skip
    ids = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery()
    order = (ids.c.unpinned, ids.c.at.desc(), ids.c.id.desc())
    if not older:
        order = (ids.c.unpinned.desc(), ids.c.at, ids.c.id)
    threads = list(
        db.session.scalars(
            sa.select(Thread)
            .join(ids, ids.c.id == Thread.id)
            .options(sa.orm.joinedload(Thread.author))
            .order_by(*order)
            .limit(per_page + 1)
        )
    )
    more = len(threads) > per_page
    threads = threads[:per_page]
    if not older:
        threads.reverse()
    first = edge is None or (not older and not more)
    seen = last_seen([t.id for t in threads], user)
    rows = [
        SimpleNamespace(
            thread=thread,
            comments=thread.comments_count,
            is_new=thread.id not in seen or thread.last_activity_at > seen[thread.id],
        )
        for thread in threads
    ]
    has_older = more if older else bool(threads)
    return ThreadPage(
        rows=rows,
        newer=position_of(threads[0]) if threads and not first else None,
        older=position_of(threads[-1]) if threads and has_older else None,
        first=first,
    )


def page_start(group, page: int, per_page: int) -> str | None:
    """The ``?after=`` cursor of an old ``?page=N`` link (the thread just before that
    page; None for the first), 404 past the last page."""
    if page == 1:
        return None
    # the thread before the page, and the page's first (there must be one)
    edge = db.session.execute(
        sa.select(Thread.pinned_at, Thread.last_activity_at, Thread.id)
        .where(Thread.group_id == group.id)
        .order_by(_unpinned(), Thread.last_activity_at.desc(), Thread.id.desc())
        .offset((page - 1) * per_page - 1)
        .limit(2)
    ).all()
    if len(edge) < 2:
        abort(404)
    return position_of(edge[0])


def thread_marks(thread_ids: list[int], now) -> dict[int, list[str]]:
    """What the features above mark on these threads (``hooks.thread_list_marks``)."""
    marks: dict[int, list[str]] = {}
    if not thread_ids:
        return marks
    for answer in hooks.thread_list_marks.answers(list(thread_ids), now=now):
        for thread_id, text in answer.items():
            marks.setdefault(thread_id, []).append(text)
    return marks


def thread_list_section(group, *, viewer, now, first_page, **_) -> PageSection:
    """The group page's thread list, a page at a time (``?after=`` or ``?before=`` a
    thread's position; an old ``?page=N`` link is sent to where that page starts, 404
    past the last), with the marks of the features above (a vote open in a thread)."""
    per_page = current_app.config["THREADS_PER_PAGE"]
    after = _position(request.args.get("after"), "after")
    before = None if after else _position(request.args.get("before"), "before")
    if after is None and before is None and not first_page:
        cursor = page_start(group, page_number(), per_page)
        abort(redirect(url_for("groups.show", handle=group.handle, after=cursor)))
    listing = group_threads(group, viewer, per_page=per_page, after=after, before=before)
    if not listing.rows and not listing.first:
        # a position past the end (its thread moved or went): the list from the top
        abort(redirect(url_for("groups.show", handle=group.handle)))
    marks = thread_marks([row.thread.id for row in listing.rows], now)
    return PageSection(
        "threads/_group_threads.html",
        {"rows": listing.rows, "listing": listing, "marks": marks},
    )


def connect() -> None:
    hooks.group_page_sections.connect(thread_list_section)
