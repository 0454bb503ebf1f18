"""Support pages: asking the circle (``/g/<handle>/support``, with the requests waiting,
the check-ins due, my availability and my rhythm) and one request (``/s/<id>``: what is
asked, its route and timeline, the answers and the buttons).

Each view: load (404) → authorize (403) → validate → service → commit → flash →
redirect. A group the reader may not know of is 404, and so is a request they may not
see (admins included: a request is its requester's and its supporters' only). GET
pages first take the steps that time brought (``apply_due_steps_before_read``), as poll
pages close due polls. A domain error is shown next to its field, or at the top of the
page with the focus on it, with the error's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ..errors import DomainError
from ..extensions import db
from ..groups.models import Group
from ..groups.permissions import forget_membership, membership_of, visible_group
from ..groups.services import update_my_membership
from ..i18n import format_moment
from ..polls.services import close_due_polls_before_read
from ..timeutil import utcnow
from ..web import me, require, show_domain_error
from . import bp, display, routing, services
from .forms import (
    AnswerForm,
    AskForm,
    AvailabilityForm,
    CheckInForm,
    OutcomeForm,
    PlainForm,
    SupportTimeForm,
)
from .models import SupportRequest

#: the four answers to the two questions, in the order the page lists them
SITUATIONS = (
    (True, True, _l("Soon, and it matters a lot")),
    (True, False, _l("Soon, but it does not matter so much")),
    (False, True, _l("Not soon, but it matters a lot")),
    (False, False, _l("Neither soon nor important")),
)


# -- loading -----------------------------------------------------------------------------


def _member_group(handle: str) -> Group:
    """The group: 404 when the reader may not know it exists, 403 for a non-member."""
    group = visible_group(handle, me()) or abort(404)
    require(membership_of(me(), group) is not None)
    return group


def _visible_request(request_id: int, now: datetime) -> SupportRequest:
    """The request, or 404 when it does not exist or the reader may not see it."""
    request = db.session.get(SupportRequest, request_id)
    if request is None or not services.can_see_request(me(), request, now):
        abort(404)
    return request


# -- the support page --------------------------------------------------------------------


@dataclass(frozen=True)
class RouteLine:
    """What would happen to a request, for one pair of answers to the two questions."""

    urgent: bool
    important: bool
    label: str
    text: str
    source: str | None
    has_rule: bool


@dataclass(frozen=True)
class Circle:
    """The group's supporters as routing sees them now, by availability, with names."""

    available: list[str]
    busy: list[str]
    away: list[tuple[str, object]]


def _route_lines(rules, supporters, requester_id: int, now: datetime) -> list[RouteLine]:
    lines = []
    for urgent, important, label in SITUATIONS:
        facts = routing.RequestFacts(requester_id, urgent, important, now)
        route = routing.route_request(facts, rules, supporters)
        lines.append(
            RouteLine(
                urgent=urgent,
                important=important,
                label=str(label),
                text=display.route_text(route.explanation),
                source=display.source_text(route.source) if route.source else None,
                has_rule=route.rule is not None,
            )
        )
    return lines


def _circle(rows, supporters, requester_id: int) -> Circle:
    """Who the circle's supporters are right now (not the requester)."""
    memberships = {user.id: (membership, user) for membership, user in rows}
    available, busy, away = [], [], []
    for s in supporters:
        if not s.gives or s.user_id == requester_id:
            continue
        membership, user = memberships[s.user_id]
        if s.availability == routing.AVAILABLE:
            available.append(user.name)
        elif s.availability == routing.BUSY:
            busy.append(user.name)
        else:
            away.append((user.name, membership.availability_until))
    return Circle(available, busy, away)


def _render_support(
    group: Group,
    now: datetime,
    *,
    ask_form: AskForm | None = None,
    availability_form: AvailabilityForm | None = None,
    time_form: SupportTimeForm | None = None,
    error: str | None = None,
    status: int = 200,
):
    reader = me()
    rules = services.rules_snapshot(group.id, now)
    rows = services.current_members(group.id)
    reciprocity = routing.rule_value(rules, routing.RECIPROCITY)
    supporters = services.supporter_facts(rows, reciprocity.value, now)
    membership = next(m for m, u in rows if u.id == reader.id)
    mine = services.switches(membership, reciprocity.value)
    channels = list(routing.rule_value(rules, "channels").value or [])
    names = {u.id: u.name for _m, u in rows}
    choosable = [
        (s.user_id, names[s.user_id]) for s in supporters if s.gives and s.user_id != reader.id
    ]
    if ask_form is None:
        ask_form = AskForm(formdata=None, channels=channels, supporters=choosable)
    if availability_form is None:
        availability_form = AvailabilityForm(
            formdata=None,
            locked=mine.locked,
            data={
                "availability": membership.availability,
                "until": membership.availability_until,
                "gives_support": membership.gives_support,
                "receives_support": membership.receives_support,
            },
        )
    requests = list(
        db.session.scalars(
            services.visible_requests_query(group, reader, ("open", "matched"), now)
        ).unique()
    )
    check_ins = services.check_ins(group, now) if mine.gives or mine.receives else None
    rhythm_rule = routing.rule_value(rules, "rhythm_per_week")
    rhythm = (
        services.my_rhythm(group, reader, now)
        if rhythm_rule.value is not None and mine.receives
        else None
    )
    return render_template(
        "support/index.html",
        group=group,
        now=now,
        error=error,
        rules=rules,
        receives=mine.receives,
        gives=mine.gives,
        locked=mine.locked,
        reciprocity_source=display.source_text(reciprocity.source),
        ask_form=ask_form,
        lines=_route_lines(rules, supporters, reader.id, now),
        chosen=(ask_form.urgent.data, ask_form.important.data),
        circle=_circle(rows, supporters, reader.id),
        kind_hints=display.KIND_HINTS,
        mine=[r for r in requests if r.requester_id == reader.id],
        for_me=[r for r in requests if r.requester_id != reader.id],
        kind_label=display.kind_label,
        status_labels=display.STATUS_LABELS,
        check_ins=check_ins,
        check_in_source=(
            display.source_text(check_ins.rule.source) if check_ins is not None else None
        ),
        names=names,
        availability_form=availability_form,
        membership=membership,
        rhythm=rhythm,
        rhythm_source=display.source_text(rhythm_rule.source),
        time_form=time_form or SupportTimeForm(formdata=None),
        check_in_form=CheckInForm(formdata=None),
    ), status


@bp.get("/g/<handle>/support")
@login_required
def index(handle: str):
    """Ask for support (with what will happen, from the agreed rules), the requests
    waiting for an answer (mine and those addressed to me), the check-ins due, my
    availability and my rhythm."""
    group = _member_group(handle)
    now = utcnow()
    close_due_polls_before_read(group_id=group.id, now=now)
    services.apply_due_steps_before_read(group_id=group.id, now=now)
    return _render_support(group, now)


@bp.post("/g/<handle>/support")
@login_required
def ask(handle: str):
    """Send a request to the circle (or to the people named)."""
    group = _member_group(handle)
    now = utcnow()
    rules = services.rules_snapshot(group.id, now)
    reciprocity = routing.rule_value(rules, routing.RECIPROCITY).value
    rows = services.current_members(group.id)
    choosable = [
        (s.user_id, u.name)
        for (m, u), s in zip(rows, services.supporter_facts(rows, reciprocity, now), strict=True)
        if s.gives and u.id != me().id
    ]
    channels = list(routing.rule_value(rules, "channels").value or [])
    form = AskForm(channels=channels, supporters=choosable)
    if not form.validate_on_submit():
        return _render_support(group, now, ask_form=form, status=400)
    try:
        request = services.create_request(group, me(), now=now, **form.service_arguments())
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        message = None if error.fields else str(error.message)
        return _render_support(group, now, ask_form=form, error=message, status=error.status)
    flash(_("Your request is sent. You will see here who answers."), "success")
    return redirect(url_for("support.show", request_id=request.id))


@bp.post("/g/<handle>/support/availability")
@login_required
def availability(handle: str):
    """My availability here (available, busy, away until a date) and, unless the
    agreements lock them, whether I give and receive support."""
    group = _member_group(handle)
    now = utcnow()
    membership = membership_of(me(), group)
    rules = services.rules_snapshot(group.id, now)
    locked = services.switches(
        membership, routing.rule_value(rules, routing.RECIPROCITY).value
    ).locked
    form = AvailabilityForm(locked=locked)
    if not form.validate_on_submit():
        return _render_support(group, now, availability_form=form, status=400)
    changes = {
        "availability": form.availability.data,
        "availability_until": form.until.data if form.availability.data == "away" else None,
    }
    if not locked:
        changes["gives_support"] = form.gives_support.data
        changes["receives_support"] = form.receives_support.data
    try:
        update_my_membership(membership, now=now, **changes)
    except DomainError as error:
        db.session.rollback()
        forget_membership(me(), group)
        show_domain_error(form, error)
        return _render_support(group, now, availability_form=form, status=error.status)
    flash(_("Your availability is saved."), "success")
    return redirect(url_for("support.index", handle=group.handle, _anchor="availability"))


@bp.post("/g/<handle>/support/times")
@login_required
def log_time(handle: str):
    """Note a support time by hand ("we had a listening time"), for my rhythm."""
    group = _member_group(handle)
    now = utcnow()
    form = SupportTimeForm()
    if not form.validate_on_submit():
        return _render_support(group, now, time_form=form, status=400)
    try:
        services.log_support_time(group, me(), note=form.note.data or "", now=now)
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        message = None if error.fields else str(error.message)
        return _render_support(group, now, time_form=form, error=message, status=error.status)
    flash(_("Your support time is noted."), "success")
    return redirect(url_for("support.index", handle=group.handle, _anchor="rhythm"))


@bp.post("/g/<handle>/support/check-ins/claim")
@login_required
def claim_check_in(handle: str):
    """ "I'll do it": I take this period's check-in with a member."""
    group = _member_group(handle)
    now = utcnow()
    form = CheckInForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.claim_check_in(group, me(), member_id=form.member_id.data, now=now)
    except DomainError as error:
        db.session.rollback()
        return _render_support(group, now, error=str(error.message), status=error.status)
    flash(_("Noted: you will check in with them."), "success")
    return redirect(url_for("support.index", handle=group.handle, _anchor="check-ins"))


@bp.post("/g/<handle>/support/check-ins")
@login_required
def record_check_in(handle: str):
    """ "We talked" (with an optional private note), or my own "all is well": either
    resets the clock."""
    group = _member_group(handle)
    now = utcnow()
    form = CheckInForm()
    if not form.validate_on_submit():
        message = " ".join(str(m) for msgs in form.errors.values() for m in msgs)
        return _render_support(group, now, error=message, status=400)
    try:
        services.record_check_in(
            group, me(), member_id=form.member_id.data, note=form.note.data or "", now=now
        )
    except DomainError as error:
        db.session.rollback()
        message = " ".join(str(m) for m in error.fields.values()) or str(error.message)
        return _render_support(group, now, error=message, status=error.status)
    if form.member_id.data == me().id:
        flash(_("Thank you: the circle will ask again later."), "success")
    else:
        flash(_("The check-in is recorded."), "success")
    return redirect(url_for("support.index", handle=group.handle, _anchor="check-ins"))


# -- one request -------------------------------------------------------------------------


def _next_step(request: SupportRequest, is_requester: bool) -> str | None:
    """What time will bring to an open request, with its time in the reader's zone."""
    if request.status != "open":
        return None
    if request.urgent and request.important:
        if request.escalated_at is not None:
            return _("Every supporter of the circle has been told.")
        return _(
            "Without an answer by %(time)s, the whole circle is told.",
            time=format_moment(request.escalate_at, "short"),
        )
    if request.urgent:
        return _(
            "If nobody is free by %(time)s, the request ends quietly.",
            time=format_moment(request.lapse_at, "short"),
        )
    if request.important:
        if request.overdue_noted_at is not None:
            return _("Supporters have been reminded.")
        time = format_moment(request.overdue_at, "short")
        if is_requester:
            return _(
                "Without an answer by %(time)s, supporters are reminded and you are asked "
                "whether you still need it.",
                time=time,
            )
        return _("Without an answer by %(time)s, supporters are reminded.", time=time)
    return _("It waits for an answer, without a deadline.")


def _render_request(
    request: SupportRequest,
    now: datetime,
    *,
    answer_form: AnswerForm | None = None,
    error: str | None = None,
    status: int = 200,
):
    reader = me()
    view = services.request_view(request, reader, now)
    rows = services.current_members(request.group_id)
    names = {u.id: u.name for _m, u in rows}
    is_requester = reader.id == request.requester_id
    is_supporter = not is_requester  # whoever else sees it is addressed (can_see_request)
    matched_with_me = request.status == "matched" and request.matched_with_id == reader.id
    said_not_now = any(not r.available and r.supporter_id == reader.id for r in view.responses)
    return render_template(
        "support/show.html",
        req=request,
        requester=request.requester,
        group=request.group,
        view=view,
        now=now,
        error=error,
        kind_label=display.kind_label(request.kind),
        status_label=display.STATUS_LABELS[request.status],
        outcome_label=display.OUTCOME_LABELS.get(request.outcome or ""),
        route_text=display.route_text(view.route.explanation),
        route_source=display.source_text(view.route.source) if view.route.source else None,
        route_has_rule=view.route.rule is not None,
        next_step=_next_step(request, is_requester),
        step_text=display.step_text,
        why_text=display.why_text,
        named=[names.get(i, "") for i in view.supporters or ()],
        is_requester=is_requester,
        may_answer=is_supporter and request.status == "open",
        said_not_now=said_not_now,
        may_release=matched_with_me,
        may_withdraw=is_requester and request.status == "open",
        may_close=request.status == "matched" and (is_requester or matched_with_me),
        answer_form=answer_form or AnswerForm(formdata=None),
        plain_form=PlainForm(formdata=None),
    ), status


@bp.get("/s/<int:request_id>")
@login_required
def show(request_id: int):
    """One request: what is asked, its route (the rule, where it comes from, the next
    step's time), its timeline, the answers, and what the reader can do."""
    now = utcnow()
    return _render_request(_current_request(request_id, now), now)


def _current_request(request_id: int, now: datetime):
    """The request (404 for whoever may not see it), after the steps time brought, in
    their own transaction: pages read it so, and writes start from it, so that a write
    and a due step racing leave one outcome that the answer agrees with."""
    _visible_request(request_id, now)
    services.apply_due_steps_before_read(request_ids=[request_id], now=now)
    return _visible_request(request_id, now)


def _refused(request_id: int, now: datetime, error: DomainError, **kwargs):
    """The request page again, with the error at the top (its status)."""
    db.session.rollback()
    request = _visible_request(request_id, now)
    return _render_request(request, now, error=str(error.message), status=error.status, **kwargs)


@bp.post("/s/<int:request_id>/answer")
@login_required
def answer(request_id: int):
    """ "I am available" (with a message or a time), or "not now" (no reason needed,
    seen by the requester only)."""
    now = utcnow()
    request = _current_request(request_id, now)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_request(request, now, answer_form=form, status=400)
    available = form.available.data == "yes"
    try:
        services.respond(
            request, me(), available=available, message=form.message.data or "", now=now
        )
    except DomainError as error:
        if error.fields:
            db.session.rollback()
            show_domain_error(form, error)
            return _render_request(
                _visible_request(request_id, now), now, answer_form=form, status=error.status
            )
        return _refused(request_id, now, error, answer_form=form)
    if available:
        flash(_("Thank you: they know you are available."), "success")
    else:
        flash(_("Noted: not now. Only the person who asked sees it."), "success")
    return redirect(url_for("support.show", request_id=request_id))


@bp.post("/s/<int:request_id>/release")
@login_required
def release(request_id: int):
    """ "I cannot any more": the matched supporter lets go; asking resumes."""
    now = utcnow()
    request = _current_request(request_id, now)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        services.release(request, me(), now=now)
    except DomainError as error:
        return _refused(request_id, now, error)
    flash(_("Noted: the request is open again for the others."), "success")
    return redirect(url_for("support.show", request_id=request_id))


@bp.post("/s/<int:request_id>/close")
@login_required
def close(request_id: int):
    """ "It happened" / "it did not happen" (either side of a match), or the requester
    withdraws an open request."""
    now = utcnow()
    request = _current_request(request_id, now)
    form = OutcomeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.close_request(request, me(), outcome=form.outcome.data, now=now)
    except DomainError as error:
        return _refused(request_id, now, error)
    messages = {
        "happened": _("Noted: it happened. Thank you."),
        "did_not_happen": _("Noted: it did not happen."),
        "not_needed": _("Your request is withdrawn."),
    }
    flash(messages[form.outcome.data], "success")
    return redirect(url_for("support.show", request_id=request_id))
