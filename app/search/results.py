"""What a search result shows: its kind, the thread or agreement it belongs to, and
where it links (the exact comment, poll or agreement)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..agreements.models import Agreement
from ..extensions import db
from ..groups.models import Group
from ..threads.models import Thread
from ..urls import external_url
from .query import Hit

#: each kind as a reader sees it
KIND_LABELS = {
    "thread": _l("Thread"),
    "comment": _l("Comment"),
    "poll": _l("Poll"),
    "outcome": _l("Outcome"),
    "agreement": _l("Agreement"),
}


@dataclass(frozen=True)
class Result:
    hit: Hit
    #: the thread's title for a comment, a poll or an outcome (None for the others)
    thread_title: str | None
    #: an agreement: ``active`` or ``repealed``
    status: str | None
    endpoint: str
    values: dict

    @property
    def kind(self) -> str:
        return self.hit.kind

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.hit.kind])

    @property
    def title(self) -> Markup:
        return self.hit.title

    @property
    def snippet(self) -> Markup:
        return self.hit.snippet

    def url(self) -> str:
        return external_url(self.endpoint, **self.values)


def _link(hit: Hit, group: Group) -> tuple[str, dict]:
    if hit.kind == "thread":
        return "threads.show", {"thread_id": hit.ref_id}
    if hit.kind == "comment":
        return "threads.show", {"thread_id": hit.thread_id, "_anchor": f"comment-{hit.ref_id}"}
    if hit.kind == "agreement":
        return "agreements.show", {"handle": group.handle, "agreement_id": hit.ref_id}
    return "polls.show", {"poll_id": hit.ref_id}  # a poll, or its outcome


def describe(group: Group, hits: list[Hit]) -> list[Result]:
    """The results with what they belong to, in two queries whatever their number."""
    thread_ids = {h.thread_id for h in hits if h.kind != "thread" and h.thread_id}
    agreement_ids = {h.ref_id for h in hits if h.kind == "agreement"}
    titles = (
        dict(
            db.session.execute(
                sa.select(Thread.id, Thread.title).where(Thread.id.in_(thread_ids))
            ).all()
        )
        if thread_ids
        else {}
    )
    statuses = (
        dict(
            db.session.execute(
                sa.select(Agreement.id, Agreement.status).where(Agreement.id.in_(agreement_ids))
            ).all()
        )
        if agreement_ids
        else {}
    )
    results = []
    for hit in hits:
        endpoint, values = _link(hit, group)
        results.append(
            Result(
                hit=hit,
                thread_title=titles.get(hit.thread_id) if hit.kind != "thread" else None,
                status=statuses.get(hit.ref_id) if hit.kind == "agreement" else None,
                endpoint=endpoint,
                values=values,
            )
        )
    return results
