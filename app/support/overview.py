"""What needs me across my circles (the dashboard): the open requests I can answer and
the check-ins due with members I support, in a fixed number of queries whatever the
number of circles. Reads only, apart from the due steps of the requests it is about to
show (``services.apply_due_steps_before_read``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..auth.models import User
from ..extensions import db
from ..groups.models import Membership
from ..groups.services import my_memberships
from . import routing, services
from .models import SupportAddressee, SupportRequest, SupportResponse


@dataclass(frozen=True)
class DueCheckIn:
    """A member of one of my circles due for a check-in (the circle's handle and name
    are kept as text: a due step taken afterwards expires the loaded objects)."""

    group_handle: str
    group_name: str
    member_id: int
    name: str
    due_since: datetime
    claimed_by: int | None
    claimed_by_name: str | None


@dataclass(frozen=True)
class MoreCheckIns:
    """How many check-ins due in one circle were left out of a bounded list."""

    group_handle: str
    group_name: str
    count: int


@dataclass(frozen=True)
class Overview:
    requests: list[SupportRequest]
    check_ins: list[DueCheckIn]
    #: the check-ins left out when the list was bounded, by circle (most first)
    more_check_ins: list[MoreCheckIns] = ()


def _giving(memberships: Sequence[Membership], now: datetime) -> list[tuple[Membership, dict]]:
    """My memberships where I give support, each with its group's active rules."""
    rules = services.rules_snapshots([m.group_id for m in memberships], now)
    found = []
    for membership in memberships:
        reciprocity = routing.rule_value(rules[membership.group_id], routing.RECIPROCITY).value
        if services.switches(membership, reciprocity).gives:
            found.append((membership, rules[membership.group_id]))
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
                # one who answered (said "not now") is not asked again here
                ~sa.exists().where(
                    SupportResponse.request_id == r.id, SupportResponse.supporter_id == user.id
                ),
            )
        )
    )


def support_overview(
    user: User, now: datetime, *, limit: int = 20, check_ins_limit: int | None = None
) -> Overview:
    """The open requests ``user`` can answer (newest first, at most ``limit``; not those
    they said "not now" to) and the check-ins due with the members they support, across
    their circles, longest due first (at most ``check_ins_limit`` when given: how many
    were left out, by circle, in ``more_check_ins``). Call it before loading what else
    the page shows: it may take due steps in their own transaction, which expires what
    was loaded."""
    giving = _giving(my_memberships(user), now)
    due: list[DueCheckIn] = []
    groups = {m.group_id: (m.group.handle, m.group.name) for m, _rules in giving}
    states = services.check_ins_of_groups(
        list(groups), now, {m.group_id: rules for m, rules in giving}
    )
    for group_id, state in states.items():
        for item in state.due:
            if item.member_id == user.id:
                continue
            due.append(
                DueCheckIn(
                    group_handle=groups[group_id][0],
                    group_name=groups[group_id][1],
                    member_id=item.member_id,
                    name=state.names.get(item.member_id, ""),
                    due_since=item.due_since,
                    claimed_by=item.claimed_by,
                    claimed_by_name=state.names.get(item.claimed_by) if item.claimed_by else None,
                )
            )
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
    due.sort(key=lambda d: (d.due_since, d.group_handle, d.member_id))
    more: list[MoreCheckIns] = []
    if check_ins_limit is not None and len(due) > check_ins_limit:
        left_out: dict[str, MoreCheckIns] = {}
        for item in due[check_ins_limit:]:
            seen = left_out.get(item.group_handle)
            left_out[item.group_handle] = MoreCheckIns(
                item.group_handle, item.group_name, (seen.count if seen else 0) + 1
            )
        more = sorted(left_out.values(), key=lambda m: (-m.count, m.group_handle))
        due = due[:check_ins_limit]
    return Overview(requests, due, more)
