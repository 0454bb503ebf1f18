"""What needs me across my circles (the dashboard): the open requests I can answer and
the check-ins due with members I support. Reads only, apart from the due steps of the
requests it is about to show (``services.apply_due_steps_before_read``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..auth.models import User
from ..extensions import db
from ..groups.models import Group, Membership
from . import routing, services
from .models import SupportAddressee, SupportRequest


@dataclass(frozen=True)
class DueCheckIn:
    """A member of one of my circles due for a check-in."""

    group: Group
    member_id: int
    name: str
    due_since: datetime
    claimed_by: int | None
    claimed_by_name: str | None


@dataclass(frozen=True)
class Overview:
    requests: list[SupportRequest]
    check_ins: list[DueCheckIn]


def _giving(memberships: Sequence[Membership], now: datetime) -> list[tuple[Membership, dict]]:
    """My memberships where I give support, each with its group's active rules."""
    found = []
    for membership in memberships:
        rules = services.rules_snapshot(membership.group_id, now)
        reciprocity = routing.rule_value(rules, routing.RECIPROCITY).value
        if services.switches(membership, reciprocity).gives:
            found.append((membership, rules))
    return found


def _answerable_ids(user: User, group_ids: list[int]) -> list[int]:
    r = SupportRequest
    named_to_me = sa.exists().where(
        SupportAddressee.request_id == r.id, SupportAddressee.user_id == user.id
    )
    return list(
        db.session.scalars(
            sa.select(r.id).where(
                r.group_id.in_(group_ids),
                r.status == "open",
                r.requester_id != user.id,
                sa.or_(r.named.is_(False), named_to_me),
            )
        )
    )


def support_overview(
    user: User, memberships: Sequence[Membership], now: datetime, *, limit: int = 20
) -> Overview:
    """The open requests ``user`` can answer (newest first, at most ``limit``) and the
    check-ins due with the members they support, across ``memberships`` (theirs)."""
    giving = _giving(memberships, now)
    group_ids = [m.group_id for m, _rules in giving]
    requests: list[SupportRequest] = []
    if group_ids:
        ids = _answerable_ids(user, group_ids)
        if ids:
            services.apply_due_steps_before_read(request_ids=ids, now=now)
            r = SupportRequest
            requests = list(
                db.session.scalars(
                    sa.select(r)
                    .where(r.id.in_(ids), r.status == "open")
                    .options(sa.orm.joinedload(r.requester), sa.orm.joinedload(r.group))
                    .order_by(r.created_at.desc(), r.id.desc())
                    .limit(limit)
                )
            )
    due: list[DueCheckIn] = []
    for membership, rules in giving:
        if routing.rule_value(rules, "relance_after_days").value is None:
            continue
        state = services.check_ins(membership.group, now)
        for item in state.due:
            if item.member_id == user.id:
                continue
            due.append(
                DueCheckIn(
                    group=membership.group,
                    member_id=item.member_id,
                    name=state.names.get(item.member_id, ""),
                    due_since=item.due_since,
                    claimed_by=item.claimed_by,
                    claimed_by_name=state.names.get(item.claimed_by) if item.claimed_by else None,
                )
            )
    due.sort(key=lambda d: d.due_since)
    return Overview(requests, due)
