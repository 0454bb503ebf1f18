"""Support requests, answers, the steps that come with time, check-ins and rhythm: the
rules, without HTTP. Services flush, never commit; decisions come from ``routing``.

Every change of a request's status, and every step that time brings (escalate,
lapse, overdue, the follow-up a day after a match), is a conditional UPDATE that
names the state it starts from (``WHERE status = 'open' AND escalated_at IS NULL
…``): of two supporters answering "I am available" at the same instant one
matches and the other gets 409; a match racing an escalation or a lapse leaves one
outcome; two periodic commands take each step once. Steps due with time are taken
as of their due time, on any read path (``apply_due_steps_before_read``) as in the
periodic command (``apply_due_steps``), like closing polls.

Each step sends its event (``app/events.py``); the notifications feature tells
people. The request keeps the rules in force when it was made (``rules``): its
route never changes with later agreements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import events, limits
from ..agreements.models import Agreement, AgreementVersion
from ..agreements.rules import derive_active_rules
from ..agreements.services import active_rules, version_facts
from ..auth.models import User
from ..collation import sort_key
from ..db import write_before_read
from ..errors import Conflict, Forbidden, ValidationFailed
from ..extensions import db
from ..groups.models import Group, Membership
from ..markdown import render_with_mentions
from . import routing
from .models import (
    KINDS,
    MAX_BODY,
    MAX_MESSAGE,
    MAX_NOTE,
    MAX_WHEN,
    OUTCOMES,
    CheckIn,
    CheckInPeriod,
    SupportAddressee,
    SupportRequest,
    SupportResponse,
    SupportStep,
    SupportTime,
)

MAX_CHANNEL = limits.SUPPORT_CHANNEL
MAX_NAMED = 50
#: how far back a support time may be logged by hand
LOG_WINDOW = timedelta(days=366)


# -- errors ----------------------------------------------------------------------------


class NotReceiving(Forbidden):
    code = "not_receiving"
    default_message = _l("You do not receive support in this group: you cannot ask here.")


class NotASupporter(Forbidden):
    code = "not_a_supporter"
    default_message = _l("This request is not addressed to you.")


class RequestConflict(Conflict):
    """A step the request's status does not allow (``routing.transition_refusal``)."""

    MESSAGES = {
        "request_matched": _l("Someone is already with them."),
        "request_closed": _l("This request is closed."),
        "request_lapsed": _l("This request has lapsed: nobody was free in time."),
        "request_not_matched": _l("Nobody is with them yet."),
        "not_matched_with_you": _l("This request is matched with someone else."),
        "check_in_claimed": _l("Someone else said they would do it."),
        "check_in_not_due": _l("No check-in is due for this member."),
    }

    def __init__(self, code: str, **kwargs):
        super().__init__(self.MESSAGES.get(code), code=code, **kwargs)


# -- who -------------------------------------------------------------------------------


def rules_snapshot(group_id: int, now: datetime) -> dict[str, routing.RuleValue]:
    """The group's active rules as of ``now``, with provenance: what a new request keeps."""
    return routing.snapshot(active_rules(group_id, now))


def rules_snapshots(
    group_ids: Sequence[int], now: datetime
) -> dict[int, dict[str, routing.RuleValue]]:
    """``rules_snapshot`` of several groups at once (one query whatever their number)."""
    versions: dict[int, list] = {group_id: [] for group_id in group_ids}
    if group_ids:
        for version in db.session.scalars(
            sa.select(AgreementVersion)
            .join(AgreementVersion.agreement)
            .where(Agreement.group_id.in_(list(group_ids)), AgreementVersion.adopted_at <= now)
            .options(sa.orm.contains_eager(AgreementVersion.agreement))
        ):
            versions[version.agreement.group_id].append(version_facts(version))
    return {
        group_id: routing.snapshot(derive_active_rules(facts, now))
        for group_id, facts in versions.items()
    }


def current_members(group_id: int) -> list[tuple[Membership, User]]:
    """The group's current memberships with their people (one query)."""
    rows = db.session.execute(
        sa.select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.group_id == group_id, Membership.revoked_at.is_(None))
        .order_by(User.id)
    ).tuples()
    return sorted(rows, key=lambda row: (sort_key(row[1].name), row[1].id))


def switches(membership: Membership, reciprocity: str) -> routing.Switches:
    """A membership's effective gives/receives switches under the rule ``reciprocity``."""
    return routing.effective_switches(
        membership.gives_support, membership.receives_support, reciprocity
    )


def quiet_hours(user: User) -> routing.QuietHours | None:
    if user.quiet_from is None or user.quiet_until is None:
        return None
    return routing.QuietHours(user.quiet_from, user.quiet_until, user.timezone, user.quiet_wake)


def supporter_facts(
    rows: Iterable[tuple[Membership, User]], reciprocity: str, now: datetime
) -> list[routing.Supporter]:
    """Members as routing sees them: effective switches, availability and quiet hours."""
    return [
        routing.Supporter(
            user_id=user.id,
            gives=switches(membership, reciprocity).gives,
            availability=routing.effective_availability(
                membership.availability, membership.availability_until, now, user.timezone
            ),
            quiet=quiet_hours(user),
            support_volume=membership.support_volume or routing.IMMEDIATE,
        )
        for membership, user in rows
    ]


def _reciprocity(rules: routing.Snapshot) -> str:
    return routing.rule_value(rules, routing.RECIPROCITY).value


def request_rules(request: SupportRequest) -> dict[str, routing.RuleValue]:
    """The rules a request keeps (those in force when it was made)."""
    return routing.snapshot_from_json(request.rules or {})


def named_supporters(request: SupportRequest) -> tuple[int, ...] | None:
    """The named supporters' ids, or None when the whole circle is asked (one query)."""
    if not request.named:
        return None
    return tuple(
        db.session.scalars(
            sa.select(SupportAddressee.user_id)
            .where(SupportAddressee.request_id == request.id)
            .order_by(SupportAddressee.id)
        )
    )


def request_facts(request: SupportRequest) -> routing.RequestFacts:
    return routing.RequestFacts(
        requester_id=request.requester_id,
        urgent=request.urgent,
        important=request.important,
        created_at=request.created_at,
        supporters=named_supporters(request),
    )


def addressed_ids(request: SupportRequest, now: datetime) -> set[int]:
    """Who the request addresses now: giving members (current ones), or the named ones,
    never the requester."""
    rows = current_members(request.group_id)
    rules = request_rules(request)
    facts = request_facts(request)
    return {
        s.user_id
        for s in routing.addressed_supporters(
            facts, supporter_facts(rows, _reciprocity(rules), now)
        )
    }


def can_see_request(user, request: SupportRequest, now: datetime) -> bool:
    """Its requester and the supporters it addresses, nobody else (admins included)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.id == request.requester_id or user.id in addressed_ids(request, now)


# -- asking ----------------------------------------------------------------------------


def _step(request: SupportRequest, kind: str, at: datetime, user_id=None, why=None) -> None:
    db.session.add(SupportStep(request_id=request.id, kind=kind, user_id=user_id, at=at, why=why))


def _notice_steps(request: SupportRequest, notices: Sequence[routing.Notice]) -> None:
    """A ``notified`` line per supporter told: when, through what, and which rule."""
    for notice in notices:
        _step(
            request,
            "notified",
            notice.deliver_at,
            notice.user_id,
            {
                **notice.why.to_json(),
                "channel": notice.channel,
                "rule": notice.rule,
            },
        )


def _clean_text(value, field: str, limit: int, errors: dict) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = _l("Must be a text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = _l("Must be at most %(max)s characters long.", max=limit)
    return value


def create_request(
    group: Group,
    requester: User,
    *,
    kind: str,
    urgent: bool,
    important: bool,
    now: datetime,
    body: str | None = "",
    when: str | None = "",
    channel: str | None = None,
    supporters: Sequence[int] | None = None,
) -> SupportRequest:
    """A support request, routed by the rules in force ``now`` (kept with it).

    ``NotReceiving`` (403) unless the requester receives support in the group;
    ``ValidationFailed`` naming ``kind``, ``body``, ``when``, ``channel`` or
    ``supporters``. The supporters told at once, and why, are in its timeline and in
    ``events.support_requested``.
    """
    rules = rules_snapshot(group.id, now)
    rows = current_members(group.id)
    reciprocity = _reciprocity(rules)
    mine = next((m for m, u in rows if u.id == requester.id), None)
    if mine is None or not switches(mine, reciprocity).receives:
        raise NotReceiving()
    errors: dict = {}
    if kind not in KINDS:
        errors["kind"] = _l("Must be one of: %(choices)s.", choices=", ".join(KINDS))
    body = _clean_text(body, "body", MAX_BODY, errors)
    when = _clean_text(when, "when", MAX_WHEN, errors)
    channel = _clean_text(channel, "channel", MAX_CHANNEL, errors) or None
    agreed = list(routing.rule_value(rules, "channels").value or [])
    if channel and agreed and channel not in agreed:
        errors["channel"] = _l(
            "Choose one of the agreed channels: %(channels)s.", channels=", ".join(agreed)
        )
    named: tuple[int, ...] | None = None
    if supporters is not None:
        ids = [s for s in supporters if isinstance(s, int) and not isinstance(s, bool)]
        givers = {
            s.user_id
            for s in supporter_facts(rows, reciprocity, now)
            if s.gives and s.user_id != requester.id
        }
        if not ids or len(ids) != len(supporters) or len(ids) > MAX_NAMED:
            errors["supporters"] = _l("Name at least one supporter of this group.")
        elif len(set(ids)) != len(ids) or not set(ids) <= givers:
            strangers = sorted(set(ids) - givers)
            errors["supporters"] = _l(
                "Not supporters of this group (or yourself): %(ids)s.",
                ids=", ".join(map(str, strangers)) or ", ".join(map(str, ids)),
            )
        else:
            named = tuple(ids)
    if errors:
        raise ValidationFailed(fields=errors)

    facts = routing.RequestFacts(requester.id, bool(urgent), bool(important), now, named)
    route = routing.route_request(facts, rules, supporter_facts(rows, reciprocity, now))
    request = SupportRequest(
        group_id=group.id,
        requester_id=requester.id,
        kind=kind,
        urgent=bool(urgent),
        important=bool(important),
        body=body,
        body_html=str(render_with_mentions(body, group.id)) if body else "",
        when_text=when,
        channel=channel,
        named=named is not None,
        status="matched" if route.matched_with else "open",
        matched_with_id=route.matched_with,
        matched_at=now if route.matched_with else None,
        created_at=now,
        rules=routing.snapshot_to_json(rules),
        escalate_at=route.escalate_at,
        lapse_at=route.lapse_at,
        overdue_at=route.overdue_at,
    )
    db.session.add(request)
    db.session.flush()
    for user_id in named or ():
        db.session.add(SupportAddressee(request_id=request.id, user_id=user_id))
    _step(request, "asked", now, requester.id, route.explanation.to_json())
    _notice_steps(request, route.notices)
    if route.matched_with:
        _step(request, "matched", now, route.matched_with, {"code": routing.MATCHED_AT_ONCE})
    db.session.flush()
    events.support_requested.send(request, notices=route.notices, now=now)
    return request


# -- answering, releasing, closing -------------------------------------------------------


def _claim(request: SupportRequest, where, **values) -> bool:
    """Change the request only if it is still as ``where`` says (one winner); reload it."""
    claimed = db.session.execute(
        sa.update(SupportRequest)
        .where(SupportRequest.id == request.id, *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(request)
    return claimed == 1


def _reopen(request: SupportRequest, supporter: User, now: datetime) -> bool:
    """Open again a request matched with ``supporter``; asking resumes where it was."""
    return _claim(
        request,
        [SupportRequest.status == "matched", SupportRequest.matched_with_id == supporter.id],
        status="open",
        matched_with_id=None,
        matched_at=None,
        reopened_at=now,
    )


def _refuse(request: SupportRequest, action: str):
    code = routing.transition_refusal(request.status, action) or "request_matched"
    return RequestConflict(code)


def told_ids(request: SupportRequest) -> list[int]:
    """Everyone told of the request so far (``notified`` lines), in order, once each."""
    ids = db.session.scalars(
        sa.select(SupportStep.user_id)
        .where(SupportStep.request_id == request.id, SupportStep.kind == "notified")
        .order_by(SupportStep.id)
    )
    return list(dict.fromkeys(i for i in ids if i is not None))


def respond(
    request: SupportRequest,
    supporter: User,
    *,
    available: bool,
    now: datetime,
    message: str | None = "",
) -> SupportResponse:
    """ "I am available" (the first one matches the request; on a matched request, 409)
    or "not now" (always fine, seen by the requester only; from the supporter it was
    matched with at once, it reopens the request). ``NotASupporter`` (403) for anyone
    the request does not address."""
    apply_due_steps(request, now)
    if supporter.id == request.requester_id or supporter.id not in addressed_ids(request, now):
        raise NotASupporter()
    errors: dict = {}
    message = _clean_text(message, "message", MAX_MESSAGE, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    if request.status in ("closed", "lapsed"):
        raise _refuse(request, "match")
    matched = False
    already_theirs = request.status == "matched" and request.matched_with_id == supporter.id
    if available and not already_theirs:
        if not _claim(
            request,
            [SupportRequest.status == "open"],
            status="matched",
            matched_with_id=supporter.id,
            matched_at=now,
            followup_at=None,
        ):
            raise _refuse(request, "match")
        matched = True
    elif not available and already_theirs:
        # "Not now" from the supporter it was matched with (no availability check).
        _reopen(request, supporter, now)
    response = SupportResponse(
        request_id=request.id,
        supporter_id=supporter.id,
        available=bool(available),
        message=message,
        created_at=now,
    )
    db.session.add(response)
    if matched or not available:
        _step(request, "matched" if matched else "declined", now, supporter.id)
    db.session.flush()
    others = [i for i in told_ids(request) if i != supporter.id] if matched else []
    events.support_answered.send(
        request, response=response, supporter=supporter, matched=matched, others=others, now=now
    )
    return response


def release(request: SupportRequest, supporter: User, *, now: datetime) -> SupportRequest:
    """The matched supporter cannot after all: open again, asking resumes where it was."""
    apply_due_steps(request, now)
    if request.status == "matched" and request.matched_with_id != supporter.id:
        raise RequestConflict("not_matched_with_you")
    if not _reopen(request, supporter, now):
        raise _refuse(request, "release")
    _step(request, "released", now, supporter.id)
    db.session.flush()
    events.support_released.send(request, supporter=supporter, now=now)
    return request


def close_request(
    request: SupportRequest, actor: User, *, outcome: str, now: datetime
) -> SupportRequest:
    """``not_needed``: the requester withdraws an open request; ``happened`` or
    ``did_not_happen``: either side of a match closes it (a support time is counted for
    the requester, in the week it was matched, when it happened)."""
    if outcome not in OUTCOMES:
        raise ValidationFailed(
            fields={"outcome": _l("Must be one of: %(choices)s.", choices=", ".join(OUTCOMES))}
        )
    apply_due_steps(request, now)
    if outcome == "not_needed":
        if actor.id != request.requester_id:
            raise Forbidden(_l("Only the person who asked can withdraw a request."))
        start = [SupportRequest.status == "open"]
    else:
        if actor.id not in (request.requester_id, request.matched_with_id):
            if request.status != "matched":
                raise _refuse(request, outcome)
            raise Forbidden(_l("Only the person who asked and their supporter can close it."))
        start = [SupportRequest.status == "matched"]
    matched_at = request.matched_at
    if not _claim(
        request, start, status="closed", outcome=outcome, closed_at=now, closed_by_id=actor.id
    ):
        raise _refuse(request, outcome)
    if outcome == "happened":
        db.session.add(
            SupportTime(
                group_id=request.group_id,
                member_id=request.requester_id,
                at=matched_at or now,
                request_id=request.id,
                created_at=now,
            )
        )
    _step(request, "closed", now, actor.id, {"code": outcome})
    db.session.flush()
    events.support_closed.send(request, actor=actor, outcome=outcome, now=now)
    return request


# -- what time brings --------------------------------------------------------------------

FOLLOWUP_AFTER = routing.FOLLOWUP_AFTER


def _due_filter(now: datetime):
    """Requests with a step due as of ``now`` (the conditions of ``routing.due_step`` and
    ``routing.followup_due``, in SQL, for an indexed search)."""
    r = SupportRequest
    return sa.or_(
        sa.and_(
            r.status == "open",
            sa.or_(
                sa.and_(r.escalated_at.is_(None), r.escalate_at <= now),
                r.lapse_at <= now,
                sa.and_(r.overdue_noted_at.is_(None), r.overdue_at <= now),
            ),
        ),
        sa.and_(
            r.status == "matched",
            r.matched_at <= now - FOLLOWUP_AFTER,
            sa.or_(r.followup_at.is_(None), r.followup_at < r.matched_at),
        ),
    )


def due_request_ids(
    now: datetime, *, group_id: int | None = None, request_ids: Sequence[int] | None = None
) -> list[int]:
    """Requests with a step due, earliest made first."""
    query = sa.select(SupportRequest.id).where(_due_filter(now))
    if group_id is not None:
        query = query.where(SupportRequest.group_id == group_id)
    if request_ids is not None:
        query = query.where(SupportRequest.id.in_(list(request_ids)))
    return list(db.session.scalars(query.order_by(SupportRequest.created_at, SupportRequest.id)))


def declined_ids(request: SupportRequest) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(SupportResponse.supporter_id).where(
                SupportResponse.request_id == request.id, SupportResponse.available.is_(False)
            )
        )
    )


def apply_due_steps(request: SupportRequest, now: datetime) -> list[str]:
    """Take the steps due on ``request`` as of their due times (escalate, lapse, overdue,
    then the follow-up), each once whoever else tries; returns those this call took."""
    taken: list[str] = []
    due = routing.due_step(
        request.status,
        urgent=request.urgent,
        important=request.important,
        escalate_at=request.escalate_at,
        lapse_at=request.lapse_at,
        overdue_at=request.overdue_at,
        escalated_at=request.escalated_at,
        overdue_noted_at=request.overdue_noted_at,
        now=now,
        reopened_at=request.reopened_at,
    )
    r = SupportRequest
    if due is not None and due.step == routing.LAPSE:
        if _claim(
            request,
            [r.status == "open", r.lapse_at <= now],
            status="lapsed",
            lapsed_at=due.at,
        ):
            _step(request, "lapsed", due.at, None, {"code": "lapsed"})
            db.session.flush()
            events.support_lapsed.send(request, now=due.at)
            taken.append(routing.LAPSE)
    elif due is not None:
        escalate = due.step == routing.ESCALATE
        column = r.escalated_at if escalate else r.overdue_noted_at
        limit = r.escalate_at if escalate else r.overdue_at
        values = {"escalated_at": due.at} if escalate else {"overdue_noted_at": due.at}
        if _claim(request, [r.status == "open", column.is_(None), limit <= now], **values):
            rules = request_rules(request)
            supporters = supporter_facts(
                current_members(request.group_id), _reciprocity(rules), due.at
            )
            make = routing.escalation_notices if escalate else routing.overdue_notices
            notices = make(
                request_facts(request),
                rules,
                supporters,
                due.at,
                declined=declined_ids(request),
            )
            kind = "escalated" if escalate else "overdue"
            _step(request, kind, due.at, None, {"code": kind})
            _notice_steps(request, notices)
            db.session.flush()
            signal = events.support_escalated if escalate else events.support_overdue
            signal.send(request, notices=notices, now=due.at)
            taken.append(due.step)
    followup = routing.followup_due(request.status, request.matched_at, request.followup_at, now)
    if followup is not None and _claim(
        request,
        [
            r.status == "matched",
            r.matched_at == request.matched_at,
            sa.or_(r.followup_at.is_(None), r.followup_at < r.matched_at),
        ],
        followup_at=followup,
    ):
        _step(request, "followup", followup, None, {"code": "followup"})
        db.session.flush()
        events.support_followup.send(request, now=followup)
        taken.append("followup")
    return taken


def apply_due_steps_before_read(
    *, now: datetime, group_id: int | None = None, request_ids: Sequence[int] | None = None
) -> list[int]:
    """Take the due steps of the requests a read is about to show, in their own short
    transaction (``write_before_read``); one query and nothing else when none is due."""
    if request_ids is not None and not request_ids:
        return []
    ids = due_request_ids(now, group_id=group_id, request_ids=request_ids)
    if not ids:
        return []

    def take() -> list[int]:
        done = []
        for request_id in ids:
            request = db.session.get(SupportRequest, request_id)
            if request is not None and apply_due_steps(request, now):
                done.append(request_id)
        return done

    return write_before_read(take)


# -- reading -----------------------------------------------------------------------------

LISTED = {
    "open": ("open",),
    "matched": ("matched",),
    "closed": ("closed",),
    "lapsed": ("lapsed",),
    "all": ("open", "matched", "closed", "lapsed"),
    None: ("open", "matched"),
}


def gives_support(group: Group, user: User, now: datetime) -> bool:
    """Whether ``user`` is a current member who gives support in ``group`` at ``now``
    (the effective switch, under the rule ``reciprocity``): two queries."""
    mine = db.session.scalar(
        sa.select(Membership).where(
            Membership.group_id == group.id,
            Membership.user_id == user.id,
            Membership.revoked_at.is_(None),
        )
    )
    return mine is not None and switches(mine, _reciprocity(rules_snapshot(group.id, now))).gives


def visible_requests_query(group: Group, viewer: User, statuses: Sequence[str], now: datetime):
    """The group's requests ``viewer`` may see (asked by them, or addressed to them),
    newest first, as a query (the API pages it)."""
    gives = gives_support(group, viewer, now)
    r = SupportRequest
    named_to_me = sa.exists().where(
        SupportAddressee.request_id == r.id, SupportAddressee.user_id == viewer.id
    )
    # As ``can_see_request``: a request addresses giving members only, named or not (a
    # named supporter who stopped giving no longer sees it).
    addressed = sa.and_(r.requester_id != viewer.id, sa.or_(r.named.is_(False), named_to_me))
    if not gives:
        addressed = sa.false()
    return (
        sa.select(r)
        .where(
            r.group_id == group.id,
            r.status.in_(statuses),
            sa.or_(r.requester_id == viewer.id, addressed),
        )
        .options(sa.orm.joinedload(r.requester), sa.orm.joinedload(r.matched_with))
        .order_by(r.created_at.desc(), r.id.desc())
    )


@dataclass(frozen=True)
class RequestView:
    """A request with what its page shows: its timeline and answers (responses of "not
    now" only for the requester), its route, and whether it is overdue."""

    request: SupportRequest
    steps: list[SupportStep]
    responses: list[SupportResponse]
    supporters: tuple[int, ...] | None
    route: routing.Route
    overdue: bool


def request_view(request: SupportRequest, viewer: User, now: datetime) -> RequestView:
    """Everything ``viewer`` may see of a request (three queries)."""
    return request_views([request], viewer, now)[0]


def request_views(
    requests: Sequence[SupportRequest], viewer: User, now: datetime
) -> list[RequestView]:
    """``request_view`` of several requests at once, in their order: three queries
    whatever their number (their steps, their answers, their named supporters)."""
    if not requests:
        return []
    ids = [request.id for request in requests]
    steps: dict[int, list[SupportStep]] = {i: [] for i in ids}
    for step in db.session.scalars(
        sa.select(SupportStep)
        .where(SupportStep.request_id.in_(ids))
        .options(sa.orm.joinedload(SupportStep.user))
        .order_by(SupportStep.at, SupportStep.id)
    ):
        steps[step.request_id].append(step)
    responses: dict[int, list[SupportResponse]] = {i: [] for i in ids}
    for response in db.session.scalars(
        sa.select(SupportResponse)
        .where(SupportResponse.request_id.in_(ids))
        .options(sa.orm.joinedload(SupportResponse.supporter))
        .order_by(SupportResponse.created_at, SupportResponse.id)
    ):
        responses[response.request_id].append(response)
    named: dict[int, list[int]] = {i: [] for i in ids}
    for request_id, user_id in db.session.execute(
        sa.select(SupportAddressee.request_id, SupportAddressee.user_id)
        .where(SupportAddressee.request_id.in_(ids))
        .order_by(SupportAddressee.id)
    ):
        named[request_id].append(user_id)
    views = []
    for request in requests:
        timeline, answers = steps[request.id], responses[request.id]
        if viewer.id != request.requester_id:
            # "Not now" answers are seen by the requester only (and by who gave them).
            answers = [r for r in answers if r.available or r.supporter_id == viewer.id]
            timeline = [s for s in timeline if s.kind != "declined" or s.user_id == viewer.id]
        facts = routing.RequestFacts(
            requester_id=request.requester_id,
            urgent=request.urgent,
            important=request.important,
            created_at=request.created_at,
            supporters=tuple(named[request.id]) if request.named else None,
        )
        route = routing.route_request(facts, request_rules(request))
        overdue = routing.is_overdue(
            request.status,
            urgent=request.urgent,
            important=request.important,
            overdue_at=request.overdue_at,
            now=now,
        )
        views.append(RequestView(request, timeline, answers, facts.supporters, route, overdue))
    return views


# -- check-ins (relance) -----------------------------------------------------------------


@dataclass(frozen=True)
class CheckIns:
    """The group's check-ins due: the rule (``relance_after_days`` with its provenance)
    and the members due, longest due first, with their names."""

    rule: routing.RuleValue
    due: list[routing.CheckInDue]
    names: dict[int, str]


def _latest_by_member(
    column, member_column, group_column, group_ids: Sequence[int]
) -> dict[tuple[int, int], datetime]:
    """The latest ``column`` of each (group, member) among ``group_ids`` (one query)."""
    rows = db.session.execute(
        sa.select(group_column, member_column, sa.func.max(column))
        .where(group_column.in_(list(group_ids)))
        .group_by(group_column, member_column)
    )
    return {(group_id, member): moment for group_id, member, moment in rows}


def check_ins(group: Group, now: datetime) -> CheckIns:
    """Who is due for a check-in as of ``now`` (DESIGN.md, "Check-ins"), in five queries."""
    return check_ins_of_groups([group.id], now)[group.id]


def check_ins_of_groups(
    group_ids: Sequence[int],
    now: datetime,
    rules: dict[int, dict[str, routing.RuleValue]] | None = None,
) -> dict[int, CheckIns]:
    """``check_ins`` of several groups, by group id, in five queries whatever their number
    (four when their ``rules``, from ``rules_snapshots``, are given; one when no group
    sets ``relance_after_days``)."""
    if rules is None:
        rules = rules_snapshots(group_ids, now)
    relance = {g: routing.rule_value(rules[g], "relance_after_days") for g in group_ids}
    with_rule = [g for g in group_ids if relance[g].value is not None]
    found = {g: CheckIns(relance[g], [], {}) for g in group_ids if g not in with_rule}
    if not with_rule:
        return found
    rows = sorted(
        db.session.execute(
            sa.select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.group_id.in_(with_rule), Membership.revoked_at.is_(None))
        ).tuples(),
        key=lambda row: (sort_key(row[1].name), row[1].id),
    )
    members: dict[int, list[tuple[Membership, User]]] = {g: [] for g in with_rule}
    for membership, user in rows:
        members[membership.group_id].append((membership, user))
    last_request = _latest_by_member(
        SupportRequest.created_at, SupportRequest.requester_id, SupportRequest.group_id, with_rule
    )
    last_check_in = _latest_by_member(
        CheckIn.created_at, CheckIn.member_id, CheckIn.group_id, with_rule
    )
    periods: dict[tuple[int, int], CheckInPeriod] = {}
    for period in db.session.scalars(
        sa.select(CheckInPeriod)
        .where(CheckInPeriod.group_id.in_(with_rule))
        .order_by(CheckInPeriod.due_since)
    ):
        periods[(period.group_id, period.member_id)] = period  # each member's latest
    for group_id in with_rule:
        reciprocity = _reciprocity(rules[group_id])
        facts = [
            routing.CheckInFacts(
                member_id=user.id,
                receives_since=membership.created_at,
                last_request_at=last_request.get((group_id, user.id)),
                last_check_in_at=last_check_in.get((group_id, user.id)),
                period=(
                    routing.PeriodFacts(p.due_since, p.claimed_by_id, p.reminded_at)
                    if (p := periods.get((group_id, user.id))) is not None
                    else None
                ),
            )
            for membership, user in members[group_id]
            if switches(membership, reciprocity).receives
        ]
        rule = relance[group_id]
        rule_set_at = rule.source.adopted_at if rule.source is not None else None
        due = routing.check_ins_due(rule.value, rule_set_at, facts, now)
        names = {user.id: user.name for _m, user in members[group_id]}
        found[group_id] = CheckIns(rule, due, names)
    return found


def _member_row(group: Group, user_id) -> tuple[Membership, User] | None:
    return next(((m, u) for m, u in current_members(group.id) if u.id == user_id), None)


def record_check_in(
    group: Group, by: User, *, member_id: int, now: datetime, note: str | None = ""
) -> CheckIn:
    """A supporter records a check-in with a receiving member ("we talked", with an
    optional private note for the member), or the member says "all is well": either
    resets the clock."""
    rules = rules_snapshot(group.id, now)
    reciprocity = _reciprocity(rules)
    errors: dict = {}
    note = _clean_text(note, "note", MAX_NOTE, errors)
    member = _member_row(group, member_id) if isinstance(member_id, int) else None
    if member is None or not switches(member[0], reciprocity).receives:
        errors["member_id"] = _l("Give the id of a member who receives support here.")
    if errors:
        raise ValidationFailed(fields=errors)
    if by.id != member_id:
        mine = _member_row(group, by.id)
        if mine is None or not switches(mine[0], reciprocity).gives:
            raise Forbidden(_l("Only a supporter of this group records a check-in."))
    check_in = CheckIn(
        group_id=group.id,
        member_id=member_id,
        by_id=by.id,
        kind="all_well" if by.id == member_id else "check_in",
        note=note,
        created_at=now,
    )
    db.session.add(check_in)
    db.session.flush()
    events.check_in_recorded.send(check_in, now=now)
    return check_in


def _period(group: Group, member_id: int, due_since: datetime) -> CheckInPeriod:
    """The row of a member's check-in period, made once whoever asks first."""
    existing = db.session.scalar(
        sa.select(CheckInPeriod).where(
            CheckInPeriod.group_id == group.id,
            CheckInPeriod.member_id == member_id,
            CheckInPeriod.due_since == due_since,
        )
    )
    if existing is not None:
        return existing
    period = CheckInPeriod(group_id=group.id, member_id=member_id, due_since=due_since)
    try:
        with db.session.begin_nested():
            db.session.add(period)
            db.session.flush()
    except sa.exc.IntegrityError:  # made meanwhile by someone else
        return _period(group, member_id, due_since)
    return period


def claim_check_in(group: Group, by: User, *, member_id: int, now: datetime) -> CheckInPeriod:
    """ "I'll do it": one supporter takes the current period's check-in (the others are
    then not reminded for that period). 409 when another one did, or none is due."""
    # Who may say it first (403), then whom it is about (400), then whether it is due (409).
    mine = _member_row(group, by.id)
    reciprocity = _reciprocity(rules_snapshot(group.id, now))
    if by.id == member_id or mine is None or not switches(mine[0], reciprocity).gives:
        raise Forbidden(_l("Only another supporter of this group can say they will do it."))
    member = _member_row(group, member_id) if isinstance(member_id, int) else None
    if member is None or not switches(member[0], reciprocity).receives:
        raise ValidationFailed(
            fields={"member_id": _l("Give the id of a member who receives support here.")}
        )
    state = check_ins(group, now)
    due = next((d for d in state.due if d.member_id == member_id), None)
    if due is None:
        raise RequestConflict("check_in_not_due")
    period = _period(group, member_id, due.due_since)
    c = CheckInPeriod
    claimed = db.session.execute(
        sa.update(c)
        .where(c.id == period.id, sa.or_(c.claimed_by_id.is_(None), c.claimed_by_id == by.id))
        .values(claimed_by_id=by.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(period)
    if claimed != 1:
        raise RequestConflict("check_in_claimed")
    return period


def remind_due_check_ins(group: Group, now: datetime) -> int:
    """Remind supporters of each check-in due, once per period (claimed by a conditional
    UPDATE); how many members' reminders this call sent."""
    state = check_ins(group, now)
    if not state.due:
        return 0
    rules = rules_snapshot(group.id, now)
    rows = current_members(group.id)
    givers = [s.user_id for s in supporter_facts(rows, _reciprocity(rules), now) if s.gives]
    memberships = {u.id: m for m, u in rows}
    sent = 0
    c = CheckInPeriod
    for due in state.due:
        if not due.remind:
            continue
        period = _period(group, due.member_id, due.due_since)
        claimed = db.session.execute(
            sa.update(c)
            .where(c.id == period.id, c.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            continue
        recipients = routing.reminder_recipients(due.member_id, givers, due.claimed_by)
        events.check_in_due.send(
            memberships[due.member_id],
            due_since=due.due_since,
            recipients=list(recipients),
            rule=state.rule,
            now=now,
        )
        sent += 1
    db.session.flush()
    return sent


# -- rhythm ------------------------------------------------------------------------------


def my_rhythm(group: Group, user: User, now: datetime) -> routing.Rhythm:
    """``user``'s own support times per week (eight weeks, their time zone) against the
    rule ``rhythm_per_week`` (None when unset)."""
    target = routing.rule_value(rules_snapshot(group.id, now), "rhythm_per_week").value
    since = now - timedelta(weeks=9)
    times = db.session.scalars(
        sa.select(SupportTime.at).where(
            SupportTime.group_id == group.id,
            SupportTime.member_id == user.id,
            SupportTime.at >= since,
        )
    )
    return routing.rhythm(target, list(times), user.timezone, now)


def log_support_time(
    group: Group, user: User, *, now: datetime, at: datetime | None = None, note: str = ""
) -> SupportTime:
    """A support time logged by hand ("we had a listening time"), by a receiving member."""
    rules = rules_snapshot(group.id, now)
    mine = _member_row(group, user.id)
    if mine is None or not switches(mine[0], _reciprocity(rules)).receives:
        raise NotReceiving()
    errors: dict = {}
    note = _clean_text(note, "note", MAX_MESSAGE, errors)
    at = at or now
    if at.tzinfo is None:
        errors["at"] = _l("Give a time with its time zone.")
    elif at > now:
        errors["at"] = _l("Must not be in the future.")
    elif at < now - LOG_WINDOW:
        errors["at"] = _l("Must be within the last year.")
    if errors:
        raise ValidationFailed(fields=errors)
    time = SupportTime(group_id=group.id, member_id=user.id, at=at, note=note, created_at=now)
    db.session.add(time)
    db.session.flush()
    return time


# -- a member leaving ---------------------------------------------------------------------


def settle_for_departing_member(group_id: int, user: User, *, now: datetime) -> int:
    """Before ``user`` stops being a member of the group (their account closing): their
    own open requests are withdrawn and their matched ones closed as no longer needed,
    and the requests matched with them as supporter open again so that others may
    answer. Each step goes through the usual transitions, with its event and timeline
    entry. How many requests changed."""
    changed = 0
    mine = db.session.scalars(
        sa.select(SupportRequest)
        .where(
            SupportRequest.group_id == group_id,
            sa.or_(
                sa.and_(
                    SupportRequest.requester_id == user.id,
                    SupportRequest.status.in_(("open", "matched")),
                ),
                sa.and_(
                    SupportRequest.matched_with_id == user.id,
                    SupportRequest.status == "matched",
                ),
            ),
        )
        .order_by(SupportRequest.id)
    ).all()
    for request in mine:
        apply_due_steps(request, now)
        if request.requester_id == user.id and request.status == "open":
            close_request(request, user, outcome="not_needed", now=now)
        elif request.requester_id == user.id and request.status == "matched":
            if _claim(
                request,
                [SupportRequest.status == "matched"],
                status="closed",
                outcome="not_needed",
                closed_at=now,
                closed_by_id=user.id,
            ):
                _step(request, "closed", now, user.id, {"code": "not_needed"})
                db.session.flush()
                events.support_closed.send(request, actor=user, outcome="not_needed", now=now)
        elif request.matched_with_id == user.id and request.status == "matched":
            release(request, user, now=now)
        else:
            continue
        changed += 1
    return changed
