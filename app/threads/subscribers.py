"""What the threads feature adds to the groups below it: the thread list of a
group's page. Connected once by the application factory."""

from __future__ import annotations

import math
from types import SimpleNamespace

import sqlalchemy as sa
from flask import abort, current_app

from .. import hooks
from ..extensions import db
from ..web import PageSection
from .models import Comment, Thread
from .services import last_seen


def group_threads(group, user, *, page: int, per_page: int) -> tuple[list, int]:
    """One page of the group's threads, pinned first then newest activity first.

    Returns ``(rows, total)`` where each row has ``thread`` (author loaded),
    ``comments`` (how many comments, deleted ones excepted) and ``is_new``
    (activity since ``user`` last read it). Three queries whatever the page size.
    """
    total = db.session.scalar(
        sa.select(sa.func.count(Thread.id)).where(Thread.group_id == group.id)
    )
    comments = (
        sa.select(sa.func.count(Comment.id))
        .where(Comment.thread_id == Thread.id, Comment.deleted_at.is_(None))
        .correlate(Thread)
        .scalar_subquery()
    )
    result = db.session.execute(
        sa.select(Thread, comments.label("comments"))
        .where(Thread.group_id == group.id)
        .options(sa.orm.joinedload(Thread.author))
        .order_by(Thread.pinned_at.is_(None), Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    seen = last_seen([thread.id for thread, _count in result], user)
    rows = [
        SimpleNamespace(
            thread=thread,
            comments=count,
            is_new=thread.id not in seen or thread.last_activity_at > seen[thread.id],
        )
        for thread, count in result
    ]
    return rows, total


def thread_marks(thread_ids: list[int], now) -> dict[int, list[str]]:
    """What the features above mark on these threads (``hooks.thread_list_marks``)."""
    marks: dict[int, list[str]] = {}
    if not thread_ids:
        return marks
    for answer in hooks.thread_list_marks.answers(list(thread_ids), now=now):
        for thread_id, text in answer.items():
            marks.setdefault(thread_id, []).append(text)
    return marks


def thread_list_section(group, *, viewer, page, now, **_) -> PageSection:
    """The group page's thread list, a page at a time (404 past the last page), with the
    marks of the features above (a vote open in a thread)."""
    per_page = current_app.config["THREADS_PER_PAGE"]
    rows, total = group_threads(group, viewer, page=page, per_page=per_page)
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        abort(404)
    marks = thread_marks([row.thread.id for row in rows], now)
    return PageSection(
        "threads/_group_threads.html",
        {"rows": rows, "page": page, "pages": pages, "marks": marks},
    )


def connect() -> None:
    hooks.group_page_sections.connect(thread_list_section)
