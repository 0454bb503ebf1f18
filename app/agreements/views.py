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

import functools
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from .. import fragments, hooks
from ..bidi import bdi
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
    PageWords,
    key_label,
    local_today,
    result_text,
    review_state,
    rule_lines,
    rules_diff_rows,
    sentence,
    url_pattern,
)
from .forms import ReviewDateForm
from .models import Agreement, AgreementVersion
from .permissions import (
    can_propose_agreement_change,
    can_read_agreements,
    can_set_review_date,
)
from .services import (
    effective_review_on,
    get_version,
    load_agreement,
    read_agreements_as_of,
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


def _decisions(polls: list[Poll], now: datetime) -> dict[int, Decision]:
    """The deciding polls' conclusions and stances, by poll id, through the polls' one
    read path (``read_polls``: what the reader may see, in a fixed number of queries)."""
    if not polls:
        return {}
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


@dataclass(frozen=True, slots=True)
class AgreementCard:
    """One agreement on the agreements page, in words: its dates, its deciding poll
    and its links worked out in the view, once per page for what repeats."""

    id: int
    title: str
    version: int
    body_html: str
    #: "Adopted on … by the proposal “…”: …." (Markup)
    decided: Markup
    review_on: date | None
    #: ``due``, ``soon`` or None
    review: str | None
    #: "Repealed on … by the proposal “…”." (Markup), for a repealed one
    repealed: Markup | None = None


@dataclass(frozen=True, slots=True)
class SourceLink:
    """A version a rule comes from (or overrides), with the link to it."""

    url: str
    title: str
    version: int
    value: str = ""


@dataclass(frozen=True, slots=True)
class RuleCard:
    """One row of the active rules, in words."""

    key: str
    label: str
    value: str
    is_default: bool
    source: SourceLink | None
    poll_url: str | None
    adopted_at: datetime | None
    adopted_on: str
    overridden: list[SourceLink]


class _Sentences:
    """The agreements page's sentences with a date, a poll or a count in them: each
    translated once per request, then filled in per agreement (as the templates' ``_()``
    does: the translation as Markup, the values escaped)."""

    def __init__(self, words: PageWords, poll_url):
        self.words = words
        self.poll_url = poll_url
        self.by_poll_with_result = sentence(
            _("Adopted on %(date)s by the proposal “%(title)s”: %(result)s.")
        )
        self.by_poll = sentence(_("Adopted on %(date)s by the proposal “%(title)s”."))
        self.with_result = sentence(_("Adopted on %(date)s: %(result)s."))
        self.adopted = sentence(_("Adopted on %(date)s."))
        self.repealed_on = sentence(_("Repealed on %(date)s"))
        self.by_the_proposal = sentence(_("by the proposal “%(title)s”"))
        self._results: dict[tuple, str] = {}

    def result(self, result) -> str:
        counts = (result or {}).get("counts") or {}
        key = (
            tuple(sorted(counts.items())),
            (result or {}).get("participants"),
            (result or {}).get("eligible"),
        )
        text = self._results.get(key)
        if text is None:
            text = self._results[key] = result_text(result)
        return text

    def poll_link(self, poll) -> Markup:
        return Markup('<a href="{}">{}</a>').format(self.poll_url(poll.id), bdi(poll.title))

    def decided(self, version, poll) -> Markup:
        date_text = self.words.day(version.adopted_at, "long")
        result = self.result(version.result)
        if poll and result:
            return self.by_poll_with_result % {
                "date": date_text,
                "title": self.poll_link(poll),
                "result": result,
            }
        if poll:
            return self.by_poll % {"date": date_text, "title": self.poll_link(poll)}
        if result:
            return self.with_result % {"date": date_text, "result": result}
        return self.adopted % {"date": date_text}

    def repealed(self, repealed_at, poll) -> Markup:
        text = self.repealed_on % {"date": self.words.day(repealed_at, "long")}
        if poll:
            text += Markup(" ") + self.by_the_proposal % {"title": self.poll_link(poll)}
        return text + Markup(".")


def _agreement_cards(state, polls, today: date, words: PageWords):
    """The page's current and repealed agreements, in words."""
    sentences = _Sentences(words, url_pattern("polls.show", "poll_id"))

    def card(s, **rest) -> AgreementCard:
        return AgreementCard(
            id=s.id,
            title=s.title,
            version=s.version.version,
            body_html=s.version.body_html,
            decided=sentences.decided(s.version, polls.get(s.version.poll_id)),
            **rest,
        )

    current = [
        card(s, review_on=s.review_on, review=review_state(s.review_on, today))
        for s in state.active
    ]
    repealed = [
        card(
            s,
            review_on=None,
            review=None,
            repealed=sentences.repealed(s.repealed_at, polls.get(s.agreement.repealed_by_poll_id)),
        )
        for s in state.repealed
    ]
    return current, repealed


def _rule_cards(group: Group, state, polls, words: PageWords) -> list[RuleCard]:
    """The active rules with where each comes from, in words."""
    agreement_url = url_pattern("agreements.show", "agreement_id", handle=group.handle)
    poll_url = url_pattern("polls.show", "poll_id")

    def link(source, value="") -> SourceLink:
        return SourceLink(
            url=f"{agreement_url(source.agreement_id)}#v{int(source.version)}",
            title=source.title,
            version=source.version,
            value=value,
        )

    cards = []
    for rule in state.rules.values():
        source = rule.source
        cards.append(
            RuleCard(
                key=rule.key,
                label=key_label(rule.key),
                value=words.value(rule.key, rule.value),
                is_default=rule.is_default,
                source=None if rule.is_default else link(source),
                poll_url=(
                    poll_url(source.poll_id)
                    if not rule.is_default and source.poll_id in polls
                    else None
                ),
                adopted_at=None if rule.is_default else source.adopted_at,
                adopted_on="" if rule.is_default else words.day(source.adopted_at),
                overridden=[
                    link(o, words.value(rule.key, o.value))
                    for o in (() if rule.is_default else rule.overridden)
                ],
            )
        )
    return cards


@dataclass(frozen=True, slots=True)
class IndexParts:
    """The agreements page's shared parts (HTML), around the viewer's button.

    ``valid_until``: the first adoption or repeal time after the moment shown, when the
    page shows *now* and the circle has one (written with a clock ahead of this one):
    the parts no longer say what stands from then on."""

    head: Markup
    lists: Markup
    valid_until: datetime | None = None


def _next_change_statement():
    """SQL: the first adoption or repeal in a circle (``:group_id``) after ``:as_of``."""
    after = sa.bindparam("as_of", type_=AgreementVersion.adopted_at.type)
    adoption = (
        sa.select(sa.func.min(AgreementVersion.adopted_at))
        .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
        .where(Agreement.group_id == sa.bindparam("group_id"), AgreementVersion.adopted_at > after)
        .scalar_subquery()
    )
    repeal = (
        sa.select(sa.func.min(Agreement.repealed_at))
        .where(Agreement.group_id == sa.bindparam("group_id"), Agreement.repealed_at > after)
        .scalar_subquery()
    )
    return sa.select(adoption, repeal)


_NEXT_CHANGE = functools.cache(_next_change_statement)


def _rendered(html: str) -> Markup:
    return Markup(html)  # noqa: S704 - a template of ours, autoescaped


def _index_parts(group: Group, as_of: datetime, day: date | None, today: date, zone: str):
    """Render the page's shared parts (what ``fragments`` caches): the same for every
    reader of this circle in this language, zone and day, at this revision."""
    state = read_agreements_as_of(group.id, as_of)
    review_today = day or today
    poll_ids = [s.version.poll_id for s in state.active + state.repealed]
    poll_ids += [s.agreement.repealed_by_poll_id for s in state.repealed]
    for rule in state.rules.values():
        if rule.source is not None:
            poll_ids.append(rule.source.poll_id)
        poll_ids += [o.poll_id for o in rule.overridden]
    polls = _polls_by_id(poll_ids)
    words = PageWords()
    current, repealed = _agreement_cards(state, polls, review_today, words)
    valid_until = None
    if day is None and fragments.cache().enabled:
        valid_until = min(
            (
                t
                for t in db.session.execute(
                    _NEXT_CHANGE(), {"group_id": group.id, "as_of": as_of}
                ).one()
                if t
            ),
            default=None,
        )
    shared = {"group": group, "day": day, "zone": zone}
    return IndexParts(
        head=_rendered(
            render_template(
                "agreements/_index_head.html",
                **shared,
                today=today,
                due=[card for card in current if card.review == "due"],
            )
        ),
        lists=_rendered(
            render_template(
                "agreements/_index_lists.html",
                **shared,
                current=current,
                repealed=repealed,
                rules=_rule_cards(group, state, polls, words),
                agreement_url=url_pattern("agreements.show", "agreement_id", handle=group.handle),
                # translated once, filled in per agreement (``label % {"n": …}``)
                version_label=sentence(_("version %(n)s")),
                changed_label=sentence(_("What changed in version %(n)s")),
            )
        ),
        valid_until=valid_until,
    )


@bp.get("/g/<handle>/agreements")
@login_required
def index(handle: str):
    """What did we agree? The current agreements, the active rules with where each
    comes from, and the repealed agreements, now or as they stood at the end of a
    day (``?as_of=``, in the reader's time zone). A fixed number of queries.

    What everyone sees alike is rendered once per circle revision, language, zone and
    day (``app/fragments.py``); the button that depends on the viewer is added here."""
    group = _readable_group(handle)
    now = utcnow()
    zone = select_timezone()
    as_of, day = _as_of(zone, now)
    close_due_polls_before_read(group_id=group.id, now=now)
    today = local_today(now, zone)

    def render() -> IndexParts:
        return _index_parts(group, as_of, day, today, zone)

    key = (
        group.id,
        group.revision,
        str(get_locale()),
        zone,
        today.isoformat(),
        day.isoformat() if day else "now",
    )
    parts = fragments.get_or_render("agreements-index", key, render)
    if parts.valid_until is not None and parts.valid_until <= now:
        parts = render()
    return render_template(
        "agreements/index.html",
        group=group,
        parts=parts,
        day=day,
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
    # the deciding polls and the repealing one, loaded once: their titles for the links,
    # and the deciding ones' results
    wanted = {v.poll_id for v in versions} | {agreement.repealed_by_poll_id}
    wanted.discard(None)
    loaded = (
        db.session.scalars(
            sa.select(Poll)
            .where(Poll.id.in_(sorted(wanted)))
            .options(sa.orm.selectinload(Poll.options))
        ).all()
        if wanted
        else []
    )
    polls = {poll.id: poll for poll in loaded}
    deciding = {v.poll_id for v in versions}
    sentences = _Sentences(PageWords(), url_pattern("polls.show", "poll_id"))
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
        decided={v.version: sentences.decided(v, polls.get(v.poll_id)) for v in versions},
        decisions=_decisions(
            sorted((p for p in loaded if p.id in deciding), key=lambda p: p.id), now
        ),
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
