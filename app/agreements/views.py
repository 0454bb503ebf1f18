"""Agreement pages: what the group agreed (``/g/<handle>/agreements``, as of any date),
one agreement with its versions and the diff between two, an admin's review date,
and a proposal started from these pages.

Each view: load (404) → authorize (403) → validate → service → commit → flash →
redirect. A group the reader may not know of is 404; a group whose content they
may not read is 403. GET pages first close the group's due polls
(``close_due_polls_before_read``): a proposal whose closing time passed is applied before
the page says what is in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import hooks
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..groups.models import Group
from ..groups.permissions import visible_group
from ..i18n import select_timezone
from ..polls.models import Poll
from ..polls.services import close_due_polls_before_read, option_names, read_polls
from ..textcheck import whole_number
from ..timeutil import bounds_problem, end_of_day, utcnow
from ..web import me, require
from . import bp
from .diff import reading_diff, text_diff_lines
from .display import (
    local_today,
    result_text,
    review_state,
    rule_lines,
    rules_diff_rows,
    value_text,
)
from .forms import ReviewDateForm
from .models import Agreement
from .permissions import (
    can_propose_agreement_change,
    can_read_agreements,
    can_set_review_date,
)
from .services import (
    agreements_as_of,
    effective_review_on,
    get_version,
    load_agreement,
    set_review_on,
)


def _readable_group(handle: str) -> Group:
    """The group: 404 when the reader may not know it exists, 403 when they may not
    read its content."""
    group = visible_group(handle, me()) or abort(404)
    require(can_read_agreements(me(), group))
    return group


def _group_agreement(group: Group, agreement_id: int) -> Agreement:
    """An agreement of this group with its versions, or 404."""
    agreement = load_agreement(agreement_id)
    if agreement is None or agreement.group_id != group.id:
        abort(404)
    return agreement


def _polls_by_id(ids) -> dict[int, Poll]:
    """The deciding polls' ids and titles (one query, none when there is no id)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        row.id: row
        for row in db.session.execute(
            sa.select(Poll.id, Poll.title, Poll.thread_id).where(Poll.id.in_(wanted))
        )
    }


@dataclass(frozen=True)
class DecisionRow:
    """One option of a deciding poll: its name, how many chose it and who (nobody named
    in an anonymous poll)."""

    name: str
    count: int
    voters: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    """Who decided a version, and how: the facilitator's conclusion (the poll's outcome
    statement) and the stances by option, names included unless the poll is anonymous."""

    poll_id: int
    anonymous: bool
    statement_html: str | None
    rows: list[DecisionRow]


def _decisions(poll_ids, now: datetime) -> dict[int, Decision]:
    """The deciding polls' conclusions and stances, by poll id, through the polls' one
    read path (``read_polls``: what the reader may see, in a fixed number of queries)."""
    wanted = sorted({i for i in poll_ids if i is not None})
    if not wanted:
        return {}
    polls = list(
        db.session.scalars(
            sa.select(Poll).where(Poll.id.in_(wanted)).options(sa.orm.selectinload(Poll.options))
        )
    )
    decisions = {}
    for reading in read_polls(polls, me(), now):
        poll = reading.poll
        results = reading.visible.results
        if results is None:  # a poll still open (never a version's): nothing to show
            continue
        names = option_names(poll)
        decisions[poll.id] = Decision(
            poll_id=poll.id,
            anonymous=poll.anonymous,
            statement_html=poll.statement_html,
            rows=[
                DecisionRow(
                    names.get(row.key, row.name), row.count, () if poll.anonymous else row.voters
                )
                for row in results.rows
            ],
        )
    return decisions


def _as_of(zone: str, now: datetime) -> tuple[datetime, date | None]:
    """``?as_of=YYYY-MM-DD``: the end of that day in the reader's zone; absent: now.
    A date that does not read is a 400 page that says why."""
    raw = (request.args.get("as_of") or "").strip()
    if not raw:
        return now, None
    try:
        day = date.fromisoformat(raw) if raw.isascii() else None
        if day is None or bounds_problem(day):
            raise ValueError(raw)
    except ValueError:
        raise ValidationFailed(
            _(
                "“%(value)s” is not a date: give it as YYYY-MM-DD, for example 2026-05-12.",
                value=raw,
            ),
            fields={"as_of": _("Give a date (YYYY-MM-DD).")},
        ) from None
    return end_of_day(day, zone), day


# -- the agreements page -----------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    """One agreement on the agreements page."""

    state: object  # services.AgreementState
    poll: object | None
    result: str
    review: str | None
    repealed_by: object | None = None


@bp.get("/g/<handle>/agreements")
@login_required
def index(handle: str):
    """What did we agree? The current agreements, the active rules with where each
    comes from, and the repealed agreements, now or as they stood at the end of a
    day (``?as_of=``, in the reader's time zone). A fixed number of queries."""
    group = _readable_group(handle)
    now = utcnow()
    zone = select_timezone()
    as_of, day = _as_of(zone, now)
    close_due_polls_before_read(group_id=group.id, now=now)
    state = agreements_as_of(group.id, as_of)
    today = day or local_today(now, zone)
    poll_ids = [s.version.poll_id for s in state.active + state.repealed]
    poll_ids += [s.agreement.repealed_by_poll_id for s in state.repealed]
    for rule in state.rules.values():
        if rule.source is not None:
            poll_ids.append(rule.source.poll_id)
        poll_ids += [o.poll_id for o in rule.overridden]
    polls = _polls_by_id(poll_ids)
    current = [
        AgreementRow(
            state=s,
            poll=polls.get(s.version.poll_id),
            result=result_text(s.version.result),
            review=review_state(s.review_on, today),
        )
        for s in state.active
    ]
    repealed = [
        AgreementRow(
            state=s,
            poll=polls.get(s.version.poll_id),
            result=result_text(s.version.result),
            review=None,
            repealed_by=polls.get(s.agreement.repealed_by_poll_id),
        )
        for s in state.repealed
    ]
    return render_template(
        "agreements/index.html",
        group=group,
        current=current,
        repealed=repealed,
        rules=list(state.rules.values()),
        polls=polls,
        value_text=value_text,
        day=day,
        as_of=as_of,
        today=local_today(now, zone),
        due=[row for row in current if row.review == "due"],
        zone=zone,
        may_propose=can_propose_agreement_change(me(), group),
    )


# -- one agreement -----------------------------------------------------------------------


def _version_number(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    number = whole_number(raw, min=1)
    if number is None:
        raise ValidationFailed(
            _("Choose a version number."), fields={name: _("Choose a version number.")}
        )
    return number


def _render_agreement(group: Group, agreement: Agreement, *, review_form=None, status=200):
    now = utcnow()
    zone = select_timezone()
    versions = agreement.versions
    current = versions[-1]
    polls = _polls_by_id([v.poll_id for v in versions] + [agreement.repealed_by_poll_id])
    numbers = [v.version for v in versions]
    diff = None
    from_number = _version_number("from")
    to_number = _version_number("to")
    if from_number is None and to_number is None and len(versions) > 1:
        from_number, to_number = numbers[-2], numbers[-1]
    elif from_number is not None or to_number is not None:
        from_number = from_number if from_number is not None else numbers[0]
        to_number = to_number if to_number is not None else numbers[-1]
    if from_number is not None:
        old = get_version(agreement, from_number)
        new = get_version(agreement, to_number)
        diff = {
            "from": old,
            "to": new,
            "text": text_diff_lines(old.title, old.body, new.title, new.body),
            "words": reading_diff(old.title, old.body, new.title, new.body),
            "rules": rules_diff_rows(old.rules, new.rules),
        }
    review_on = effective_review_on(agreement, current) if agreement.is_active else None
    if review_form is None:
        review_form = ReviewDateForm(formdata=None, data={"review_on": agreement.review_on})
    return render_template(
        "agreements/show.html",
        group=group,
        agreement=agreement,
        current=current,
        versions=list(reversed(versions)),
        polls=polls,
        result_text=result_text,
        decisions=_decisions([v.poll_id for v in versions], now),
        rule_lines=rule_lines,
        diff=diff,
        numbers=numbers,
        review_on=review_on,
        review=review_state(review_on, local_today(now, zone)),
        review_form=review_form,
        touching=(
            hooks.agreement_open_proposals.first(agreement, now=now) or []
            if agreement.is_active
            else []
        ),
        may_propose=agreement.is_active and can_propose_agreement_change(me(), group),
        may_review=agreement.is_active and can_set_review_date(me(), group),
    ), status


@bp.get("/g/<handle>/agreements/<int:agreement_id>")
@login_required
def show(handle: str, agreement_id: int):
    """One agreement: its current text, every version with the poll that decided it,
    and the diff between two versions (``?from=&to=``, text and rules)."""
    group = _readable_group(handle)
    close_due_polls_before_read(group_id=group.id, now=utcnow())
    return _render_agreement(group, _group_agreement(group, agreement_id))


@bp.post("/g/<handle>/agreements/<int:agreement_id>/review")
@login_required
def review(handle: str, agreement_id: int):
    """An admin sets (or clears) the review date of an active agreement."""
    group = _readable_group(handle)
    agreement = _group_agreement(group, agreement_id)
    require(can_set_review_date(me(), group))
    if not agreement.is_active:
        raise Conflict(_("This agreement has been repealed."))
    form = ReviewDateForm()
    if form.validate_on_submit():
        try:
            set_review_on(agreement, form.review_on.data, now=utcnow())
        except ValidationFailed as error:
            db.session.rollback()
            form.review_on.errors = [*form.review_on.errors, *map(str, error.fields.values())]
        else:
            flash(
                _("The review date is saved.")
                if form.review_on.data
                else _("The review date is cleared."),
                "success",
            )
            return redirect(
                url_for("agreements.show", handle=group.handle, agreement_id=agreement.id)
            )
    return _render_agreement(
        group, _group_agreement(group, agreement_id), review_form=form, status=400
    )
