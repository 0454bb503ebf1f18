"""API: support requests, their answers, check-ins (relance), rhythm and support times.

Who may see what (DESIGN.md, "Support, lived by the rules"): a request is seen by its
requester and by the supporters it addresses (every giving member, or the named ones),
and by nobody else: for anyone else, admins included, it is a 404, as an unknown id
is. A group's support endpoints are for its current members (a secret group is 404 to
others, an open or closed group's support 403).

Time moves requests on (escalate, lapse, overdue, the follow-up a day after a match)
whether or not the periodic command has run: reads take the due steps first
(``apply_due_steps_before_read``, the one write on a read path, in its own short
transaction), writes take them first in their own unit of work (the services do), and
a write refused because of one (409 ``request_lapsed``…), whose unit of work is rolled
back, takes it again in a transaction of its own before answering.

``request_json`` is the one function producing a request's JSON. Every read runs a
fixed number of SQL statements, whatever the number of requests, steps and answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..agreements.rules import RuleSource
from ..api import Blueprint, api_user
from ..api.schemas import decode_time_cursor, encode_cursor
from ..auth.models import User
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..groups.models import Group
from ..groups.permissions import can_see_group, membership_of
from ..groups.services import lookup_group
from ..timeutil import utcnow
from . import display, services
from .models import SupportRequest
from .schemas import (
    CheckInClaimedSchema,
    CheckInClaimSchema,
    CheckInCreateSchema,
    CheckInListSchema,
    CheckInQuerySchema,
    CheckInSchema,
    RhythmSchema,
    SupportAnsweredSchema,
    SupportCloseSchema,
    SupportListQuerySchema,
    SupportRequestCreateSchema,
    SupportRequestListSchema,
    SupportRequestSchema,
    SupportResponseCreateSchema,
    SupportTimeCreateSchema,
    SupportTimeSchema,
)

blp = Blueprint(
    "api_support", __name__, description="Support requests, check-ins (relance) and rhythm"
)

SECURITY = [{"bearerAuth": []}]
UNAUTHORIZED = "No token, or not a valid one (`unauthorized`, `invalid_token`)."
NOT_FOUND = (
    "No such request, or the caller may not see it: only its requester and the supporters "
    "it addresses do, admins included (`not_found`)."
)
GROUP_NOT_FOUND = "No such group, or a secret group the caller is not a member of (`not_found`)."
NOT_MEMBER = "Not a current member of the group (`forbidden`)."
MAX_HANDLE = 40


# -- loading ------------------------------------------------------------------------------


def _group(handle: str) -> Group:
    """The group (404 when unknown, or secret to the caller)."""
    group = lookup_group(handle) if len(handle) <= MAX_HANDLE else None
    if group is None or not can_see_group(api_user(), group):
        raise NotFound()
    return group


def _member_group(handle: str) -> Group:
    """The group of which the caller is a current member (404, then 403)."""
    group = _group(handle)
    if membership_of(api_user(), group) is None:
        raise Forbidden(_("Support in a group is for its members."))
    return group


def _load(request_id: int) -> SupportRequest | None:
    return db.session.scalar(
        sa.select(SupportRequest)
        .where(SupportRequest.id == request_id)
        .options(
            sa.orm.joinedload(SupportRequest.requester),
            sa.orm.joinedload(SupportRequest.matched_with),
            sa.orm.joinedload(SupportRequest.group),
        )
    )


def _request(request_id: int, now: datetime, *, take_due_steps: bool = False) -> SupportRequest:
    """The request (404 when the caller may not see it). With ``take_due_steps`` (reads):
    its due steps are taken first, as of their due times."""
    request = _load(request_id)
    if request is None or not services.can_see_request(api_user(), request, now):
        raise NotFound()
    if take_due_steps and services.apply_due_steps_before_read(request_ids=[request_id], now=now):
        request = _load(request_id)
    return request


@contextmanager
def _due_steps_kept_on_refusal(request_id: int, now: datetime) -> Iterator[None]:
    """A write refused with a 409 rolls back, due steps included: take them in their own
    transaction before the 409 goes out (as a read would). A failure there must not hide
    the 409: the next read takes them anyway. (Writes also take the due steps first, in
    their own transaction: ``_request(..., take_due_steps=True)``, so that a write and a
    step racing at the due time leave one outcome that every answer agrees with.)"""
    try:
        yield
    except services.RequestConflict:
        db.session.rollback()
        try:
            services.apply_due_steps_before_read(request_ids=[request_id], now=now)
        except Exception:  # noqa: BLE001 - logged; the 409 stands
            db.session.rollback()
            current_app.logger.exception("due steps of support request %s failed", request_id)
        raise


# -- output -------------------------------------------------------------------------------


def _person(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name}


def _source(source: RuleSource | None) -> dict | None:
    if source is None:
        return None
    return {
        "agreement_id": source.agreement_id,
        "version": source.version,
        "title": source.title,
        "poll_id": source.poll_id,
        "adopted_at": source.adopted_at,
    }


def request_json(view: services.RequestView) -> dict:
    """A request as the API shows it to the viewer ``view`` was made for (the one place
    it is built): DESIGN's object, words in the caller's language."""
    request, route = view.request, view.route
    return {
        "id": request.id,
        "group": request.group.handle,
        "kind": request.kind,
        "urgent": request.urgent,
        "important": request.important,
        "body": request.body,
        "body_html": request.body_html,
        "when": request.when_text,
        "channel": request.channel,
        "requester": _person(request.requester),
        "supporters": list(view.supporters) if view.supporters is not None else None,
        "status": request.status,
        "created_at": request.created_at,
        "matched_with": _person(request.matched_with),
        "matched_at": request.matched_at,
        "closed_at": request.closed_at,
        "lapsed_at": request.lapsed_at,
        "outcome": request.outcome,
        "overdue": view.overdue,
        "escalated_at": request.escalated_at,
        "route": {
            "rule": route.rule,
            "explanation": display.route_text(route.explanation),
            "escalate_at": route.escalate_at,
            "lapse_at": route.lapse_at,
            "overdue_at": route.overdue_at,
            "notified": [
                {
                    "user": _person(step.user),
                    "at": step.at,
                    "why": display.why_text(step.why),
                    "channel": (step.why or {}).get("channel"),
                    "rule": (step.why or {}).get("rule"),
                }
                for step in view.steps
                if step.kind == "notified"
            ],
            "source": _source(route.source),
        },
        "responses": [
            {
                "supporter": _person(response.supporter),
                "available": response.available,
                "message": response.message,
                "created_at": response.created_at,
            }
            for response in view.responses
        ],
        "timeline": [
            {
                "kind": step.kind,
                "user": _person(step.user),
                "at": step.at,
                "text": display.step_text(step),
            }
            for step in view.steps
        ],
    }


def _one(request: SupportRequest, now: datetime) -> dict:
    return request_json(services.request_view(request, api_user(), now))


# -- requests -----------------------------------------------------------------------------


@blp.route("/groups/<handle>/support-requests", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(SupportRequestCreateSchema)
@blp.response(201, SupportRequestSchema)
@blp.alt_response(
    400,
    description="A bad field, named in `fields`: `kind`, `urgent`, `important`, `body` (more "
    "than 2,000 characters), `when`, `channel` (not one of the agreed channels), "
    "`supporters` (not giving members of the group, oneself, twice, or more than 50), or an "
    "unknown field.",
)
@blp.alt_response(
    403,
    description="The caller does not receive support in this group, or is not a member "
    "(`not_receiving`).",
)
@blp.alt_response(404, description=GROUP_NOT_FOUND)
def create_request(data, handle):
    """Ask for support: the whole circle, or named supporters.

    The request follows the rules in force now (it keeps them, with their provenance) and
    is routed at once: who was told, when and why is in `route.notified`. With the rule
    `availability_check` false, a request naming one supporter is matched with them at once.
    """
    group = _group(handle)
    user = api_user()
    now = utcnow()
    request = services.create_request(
        group,
        user,
        kind=data["kind"],
        urgent=data["urgent"],
        important=data["important"],
        body=data["body"],
        when=data["when"],
        channel=data["channel"],
        supporters=data["supporters"],
        now=now,
    )
    return _one(request, now)


@blp.route("/groups/<handle>/support-requests", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(SupportListQuerySchema, location="query")
@blp.response(200, SupportRequestListSchema)
@blp.alt_response(400, description="`status`, `cursor` or `limit` is not valid (named).")
@blp.alt_response(403, description=NOT_MEMBER)
@blp.alt_response(404, description=GROUP_NOT_FOUND)
def list_requests(query, handle):
    """The group's requests the caller may see: their own, and those addressed to them.

    Newest first (`created_at`, then `id`, descending); by default the open and matched
    ones, `status=all` for every one. Each item is the whole request, as
    `GET /support-requests/{id}` gives it. Keyset pagination: pass `next` as `cursor`
    (`limit` 1 to 100, default 20). Steps due with time are taken first; the same number
    of SQL statements is run whatever the number of requests.
    """
    now = utcnow()
    group = _member_group(handle)
    if services.apply_due_steps_before_read(group_id=group.id, now=now):
        group = _member_group(handle)
    user = api_user()
    statuses = services.LISTED[query["status"]]
    limit = query["limit"]
    stmt = services.visible_requests_query(group, user, statuses, now).limit(limit + 1)
    if query.get("cursor"):
        when, last_id = decode_time_cursor(query["cursor"])
        r = SupportRequest
        stmt = stmt.where(
            sa.or_(r.created_at < when, sa.and_(r.created_at == when, r.id < last_id))
        )
    requests = list(db.session.scalars(stmt).unique())
    more = len(requests) > limit
    requests = requests[:limit]
    next_cursor = None
    if more and requests:
        last = requests[-1]
        next_cursor = encode_cursor(last.created_at.isoformat(), last.id)
    views = services.request_views(requests, user, now)
    return {"items": [request_json(view) for view in views], "next": next_cursor}


@blp.route("/support-requests/<int:request_id>", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.response(200, SupportRequestSchema)
@blp.alt_response(404, description=NOT_FOUND)
def get_request(request_id):
    """A support request, its route and its answers.

    What is asked, its status, its route (the rule that decides its next step and the
    agreement, version and poll it comes from, the times of the next steps, who was told
    when and why), the answers and the timeline (an addition). “Not now” answers are seen
    by the requester only (and by whoever gave them). A step due with time (escalate,
    lapse, overdue, follow-up) is taken first, as of its due time.
    """
    now = utcnow()
    return _one(_request(request_id, now, take_due_steps=True), now)


# -- answering, releasing, closing --------------------------------------------------------


@blp.route("/support-requests/<int:request_id>/responses", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(SupportResponseCreateSchema)
@blp.response(201, SupportAnsweredSchema)
@blp.alt_response(400, description="`available` missing or not a boolean; `message` too long.")
@blp.alt_response(
    403,
    description="The caller is the requester, not a supporter it addresses (`not_a_supporter`).",
)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(
    409,
    description="“I am available” when someone else is already with them (`request_matched`); "
    "any answer to a closed or lapsed request (`request_closed`, `request_lapsed`).",
)
def respond(data, request_id):
    """Answer a request: “I am available” or “not now”.

    The first “I am available” matches the request (the others are told someone is with
    the requester); of several at the same instant, exactly one wins and the others get
    409. “Not now” is always fine, needs no reason, and is seen by the requester only;
    from the supporter it was matched with, it opens the request again. “I am available”
    again from the one it is matched with confirms it (201, nothing changes).
    """
    now = utcnow()
    request = _request(request_id, now, take_due_steps=True)
    with _due_steps_kept_on_refusal(request_id, now):
        response = services.respond(
            request,
            api_user(),
            available=data["available"],
            message=data["message"],
            now=now,
        )
    return {
        "response": {
            "supporter": _person(api_user()),
            "available": response.available,
            "message": response.message,
            "created_at": response.created_at,
        },
        "status": request.status,
    }


@blp.route("/support-requests/<int:request_id>/release", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.response(200, SupportRequestSchema)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(
    409,
    description="Matched with someone else (`not_matched_with_you`), not matched "
    "(`request_not_matched`), closed or lapsed (`request_closed`, `request_lapsed`).",
)
def release(request_id):
    """The matched supporter cannot after all: the request is open again.

    Asking resumes where it was: a step that fell due while it was matched (escalate,
    lapse, overdue) is taken as of now. Only the supporter it is matched with releases it.
    """
    now = utcnow()
    request = _request(request_id, now, take_due_steps=True)
    with _due_steps_kept_on_refusal(request_id, now):
        services.release(request, api_user(), now=now)
    return _one(request, now)


@blp.route("/support-requests/<int:request_id>/close", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(SupportCloseSchema)
@blp.response(200, SupportRequestSchema)
@blp.alt_response(400, description="`outcome` is missing or not one of the three (named).")
@blp.alt_response(
    403,
    description="`not_needed` from anyone but the requester; `happened` or `did_not_happen` "
    "from anyone but the two sides of the match (`forbidden`).",
)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(
    409,
    description="The status does not allow it: `not_needed` on a matched request "
    "(`request_matched`), `happened` on an open one (`request_not_matched`), or closed or "
    "lapsed already (`request_closed`, `request_lapsed`).",
)
def close(data, request_id):
    """Close a request: it happened, it did not, or it is not needed any more.

    `not_needed`: the requester withdraws an open request. `happened` or `did_not_happen`:
    either side of a match. `happened` counts a support time for the requester's rhythm, in
    the week it was matched.
    """
    now = utcnow()
    request = _request(request_id, now, take_due_steps=True)
    with _due_steps_kept_on_refusal(request_id, now):
        services.close_request(request, api_user(), outcome=data["outcome"], now=now)
    return _one(request, now)


# -- check-ins (relance) ------------------------------------------------------------------


def _people(ids) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(wanted)))}


@blp.route("/groups/<handle>/check-ins", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(CheckInQuerySchema, location="query")
@blp.response(200, CheckInListSchema)
@blp.alt_response(400, description="`as_of` is not a date, or a time without a zone.")
@blp.alt_response(403, description=NOT_MEMBER)
@blp.alt_response(404, description=GROUP_NOT_FOUND)
def list_check_ins(query, handle):
    """The check-ins due (relance), longest due first, with who said “I'll do it”.

    Receiving members who have not asked, or been checked in with, for
    `relance_after_days` since the latest of their last request, their last check-in, when
    they began to receive support here and the adoption of the rule.

    A supporter (a giving member) sees every member due; a member who does not give support
    sees only their own line, to say “all is well”. None when the rule is not agreed.
    `as_of` (default now) shows who will be due then, from what is recorded now. The list
    is bounded by the group's members, so it has no `next`.
    """
    group = _member_group(handle)
    user = api_user()
    as_of = query["as_of"] or utcnow()
    state = services.check_ins(group, as_of)
    due = state.due
    if not services.gives_support(group, user, utcnow()):
        due = [d for d in due if d.member_id == user.id]
    missing = {d.claimed_by for d in due if d.claimed_by not in state.names}
    names = {**state.names, **{i: u.name for i, u in _people(missing).items()}}
    return {
        "as_of": as_of,
        "rule": {
            "key": "relance_after_days",
            "value": state.rule.value,
            "source": _source(state.rule.source),
        },
        "items": [
            {
                "member": {"id": d.member_id, "name": names.get(d.member_id)},
                "last_request_at": d.last_request_at,
                "last_check_in_at": d.last_check_in_at,
                "due_since": d.due_since,
                "since": d.since,
                "claimed_by": (
                    {"id": d.claimed_by, "name": names.get(d.claimed_by)}
                    if d.claimed_by is not None
                    else None
                ),
            }
            for d in due
        ],
    }


@blp.route("/groups/<handle>/check-ins", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(CheckInCreateSchema)
@blp.response(201, CheckInSchema)
@blp.alt_response(
    400,
    description="`member_id` is not a member who receives support here; `note` too long.",
)
@blp.alt_response(
    403, description="Not a member; or not a supporter, for someone else (`forbidden`)."
)
@blp.alt_response(404, description=GROUP_NOT_FOUND)
def record_check_in(data, handle):
    """Record a check-in, which resets the member's clock.

    A supporter with a receiving member (“we talked”, with an optional note that is private
    to the member), or the member themself (“all is well, ask me again later”). Recording
    one when none is due is fine.
    """
    group = _member_group(handle)
    user = api_user()
    check_in = services.record_check_in(
        group, user, member_id=data["member_id"], note=data["note"], now=utcnow()
    )
    people = _people([check_in.member_id, check_in.by_id])
    return {
        "id": check_in.id,
        "member": _person(people.get(check_in.member_id)),
        "by": _person(people.get(check_in.by_id)),
        "kind": check_in.kind,
        "note": check_in.note,
        "created_at": check_in.created_at,
    }


@blp.route("/groups/<handle>/check-ins/claim", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(CheckInClaimSchema)
@blp.response(200, CheckInClaimedSchema)
@blp.alt_response(400, description="`member_id` is not a member who receives support here.")
@blp.alt_response(
    403, description="Not a member, not a supporter, or the member themself (`forbidden`)."
)
@blp.alt_response(404, description=GROUP_NOT_FOUND)
@blp.alt_response(
    409,
    description="No check-in is due for this member (`check_in_not_due`), or another "
    "supporter said they would do it (`check_in_claimed`).",
)
def claim_check_in(data, handle):
    """“I'll do it”: take the current period's check-in of a member.

    The other supporters are not reminded for that period. Saying it again is fine (200);
    of two supporters saying it at once, one gets it and the other a 409.
    """
    group = _member_group(handle)
    user = api_user()
    period = services.claim_check_in(group, user, member_id=data["member_id"], now=utcnow())
    people = _people([period.member_id])
    return {
        "member": _person(people.get(period.member_id)),
        "due_since": period.due_since,
        "claimed_by": _person(user),
        "claimed_at": period.claimed_at,
    }


# -- rhythm -------------------------------------------------------------------------------


@blp.route("/groups/<handle>/rhythm", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.response(200, RhythmSchema)
@blp.alt_response(403, description=NOT_MEMBER)
@blp.alt_response(404, description=GROUP_NOT_FOUND)
def my_rhythm(handle):
    """My own support times per week, against the group's target.

    The last eight ISO weeks in my time zone, oldest first, against `rhythm_per_week`
    (`target`, null when not agreed). A support time is a request of mine that happened
    (in the week it was matched) or one I logged. Nobody else's: no streaks, no ranking.
    """
    group = _member_group(handle)
    rhythm = services.my_rhythm(group, api_user(), utcnow())
    return {
        "target": rhythm.target,
        "weeks": [{"week": w.week, "start": w.start, "count": w.count} for w in rhythm.weeks],
    }


@blp.route("/groups/<handle>/support-times", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(SupportTimeCreateSchema, required=False)
@blp.response(201, SupportTimeSchema)
@blp.alt_response(
    400,
    description="`at` without a zone, in the future or more than a year ago; `note` too long.",
)
@blp.alt_response(403, description="Not a member who receives support here (`not_receiving`).")
@blp.alt_response(404, description=GROUP_NOT_FOUND)
def log_support_time(data, handle):
    """Log a support time by hand (“we had a listening time”), for my rhythm.

    A receiving member only; `at` defaults to now, with a zone, within the last year.
    """
    group = _group(handle)
    time = services.log_support_time(
        group, api_user(), at=data["at"], note=data["note"], now=utcnow()
    )
    return {"id": time.id, "at": time.at, "note": time.note, "created_at": time.created_at}
