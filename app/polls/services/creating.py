"""Creating a poll: its kind, options and settings checked, every bad field named at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ... import events, limits
from ...auth.models import User
from ...errors import ValidationFailed
from ...extensions import db
from ...groups.models import Membership
from ...markdown import render_with_mentions
from ...threads.models import Thread
from ...threads.services import ThreadClosed, mark_seen
from ...timeutil import in_bounds, isoformat_z, to_utc_or_none
from .. import tally
from ..models import Poll, PollOption, PollVoter

MAX_TITLE = limits.TITLE
MAX_DETAILS = limits.DOCUMENT
MAX_STATEMENT = limits.STATEMENT
MAX_OPTIONS = 50
MAX_OPTION_NAME = limits.TITLE
#: how far ahead the closing time is suggested, by kind (the forms' default)
DEFAULT_DURATION = {"proposal": timedelta(days=7)}
OTHER_DURATION = timedelta(days=3)
#: the latest closing time a poll may be given, from now (on creation and reopening):
#: a year, leap day included
MAX_CLOSING_AHEAD = timedelta(days=366)
#: what a closing time off the calendar's range is told (before it, after it): the
#: closing rule's own words, not the calendar's
CLOSING_OUT_OF_RANGE = (
    _l("Must be in the future."),
    _l("Must be at most %(days)s days from now.", days=MAX_CLOSING_AHEAD.days),
)

#: option keys and the English names stored for a proposal (pages show ``option_label``)
PROPOSAL_OPTIONS = (
    ("agree", "Agree"),
    ("abstain", "Abstain"),
    ("disagree", "Disagree"),
    ("block", "Block"),
)
PROPOSAL_LABELS = {
    "agree": _l("Agree"),
    "abstain": _l("Abstain"),
    "disagree": _l("Disagree"),
    "block": _l("Block"),
}
#: what each proposal option means, shown to the voter
PROPOSAL_MEANINGS = {
    "agree": _l("I consent: I can live with this proposal."),
    "abstain": _l("I step aside: I let the group decide."),
    "disagree": _l("I have concerns, but I will not stop the group."),
    "block": _l("I have a fundamental objection: this should not go ahead."),
}
#: the prompt for the reason, by option
PROPOSAL_PROMPTS = {
    "agree": _l("What do you like about it?"),
    "abstain": _l("What would help you take part?"),
    "disagree": _l("What are your concerns?"),
    "block": _l("What is your objection, and what would resolve it?"),
}


def default_closing_at(kind: str, now: datetime) -> datetime:
    """The suggested closing time: proposals in 7 days, others in 3 (on the hour)."""
    later = now + DEFAULT_DURATION.get(kind, OTHER_DURATION)
    return later.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def closing_at_error(closing_at: datetime | None, now: datetime):
    """What is wrong with a closing time given at ``now`` (None: nothing): it must be
    aware, in the future and at most ``MAX_CLOSING_AHEAD`` from now."""
    if closing_at is None:
        return _l("This field is required.")
    if closing_at.tzinfo is None:
        return _l("Give a time with its time zone.")
    if closing_at <= now:
        return CLOSING_OUT_OF_RANGE[0]
    if closing_at - now > MAX_CLOSING_AHEAD:
        return CLOSING_OUT_OF_RANGE[1]
    return None


def _parse_slot(value) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    if moment.tzinfo is None:
        return None
    moment = to_utc_or_none(moment)
    return moment if moment is not None and in_bounds(moment) else None


def _clean_options(kind: str, options, errors: dict) -> list[dict]:
    """``[{key, name, starts_at}]`` in display order, or field errors."""
    if kind == "proposal":
        if options:
            errors["options"] = _l(
                "A proposal's options are fixed: agree, abstain, disagree, block."
            )
        return [{"key": k, "name": n, "starts_at": None} for k, n in PROPOSAL_OPTIONS]
    if options is None or not isinstance(options, list | tuple):
        errors["options"] = _l("Give at least 2 options.")
        return []
    if len(options) < 2:
        errors["options"] = _l("Give at least 2 options.")
        return []
    if len(options) > MAX_OPTIONS:
        errors["options"] = _l("At most %(max)s options.", max=MAX_OPTIONS)
        return []
    cleaned: list[dict] = []
    seen: set = set()
    for index, raw in enumerate(options):
        field = f"options.{index}"
        if kind == "meeting":
            moment = _parse_slot(raw)
            if moment is None:
                errors[field] = _l("Give a date and time with its time zone (ISO 8601).")
                continue
            if moment in seen:
                errors[field] = _l("This time slot is given twice.")
                continue
            seen.add(moment)
            cleaned.append({"name": isoformat_z(moment), "starts_at": moment})
            continue
        name = raw.strip() if isinstance(raw, str) else ""
        if not name:
            errors[field] = _l("This field is required.")
        elif len(name) > MAX_OPTION_NAME:
            errors[field] = _l("Must be at most %(max)s characters long.", max=MAX_OPTION_NAME)
        elif name.casefold() in seen:
            errors[field] = _l("This option is given twice.")
        else:
            seen.add(name.casefold())
            cleaned.append({"name": name, "starts_at": None})
    if kind == "meeting":
        cleaned.sort(key=lambda o: o["starts_at"])
    for position, option in enumerate(cleaned, start=1):
        option["key"] = f"o{position}"
    return cleaned


def _check_int(value, field: str, low: int, high: int, errors: dict) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors[field] = _l("Must be between %(min)s and %(max)s.", min=low, max=high)
        return None
    return value


def _check_settings(kind: str, settings: dict, n_options: int, errors: dict) -> dict:
    """The kind's settings with their defaults, checked."""
    out = {"min_choices": 1, "max_choices": 1, "min_score": 0, "max_score": 5, "dots": 8}
    if kind == "choice":
        top = max(n_options, 1)
        low = _check_int(settings.get("min_choices", 1), "min_choices", 1, top, errors)
        high = _check_int(settings.get("max_choices", 1), "max_choices", 1, top, errors)
        if low is not None and high is not None:
            if low > high:
                errors["min_choices"] = _l("Must not be more than max_choices.")
            out.update(min_choices=low, max_choices=high)
    elif kind == "score":
        low = _check_int(settings.get("min_score", 0), "min_score", -100, 100, errors)
        high = _check_int(settings.get("max_score", 5), "max_score", -100, 100, errors)
        if low is not None and high is not None:
            if low >= high:
                errors["max_score"] = _l("Must be more than min_score.")
            out.update(min_score=low, max_score=high)
    elif kind == "dot":
        dots = _check_int(settings.get("dots", 8), "dots", 1, 1000, errors)
        if dots is not None:
            out["dots"] = dots
    return out


def create_poll(
    thread: Thread,
    *,
    author: User,
    kind: str,
    title: str,
    closing_at: datetime | None,
    now: datetime,
    details: str = "",
    options: Sequence | None = None,
    anonymous: bool = False,
    results_visibility: str = "always",
    reasons: str | None = None,
    voters: Sequence[int] | None = None,
    shuffle_options: bool = False,
    **settings,
) -> Poll:
    """A new poll in ``thread``; every bad field is named at once (``ValidationFailed``).

    ``options``: none for a proposal (agree, abstain, disagree, block), else at
    least 2 names (ISO 8601 date-times with a zone for a meeting). ``settings``:
    ``min_choices``/``max_choices`` (choice, 1 and 1 by default: a single
    choice), ``min_score``/``max_score`` (score, 0..5), ``dots`` (dot, 8).
    ``reasons`` defaults to ``required_for_block`` for proposals, else
    ``optional``. ``voters``: user ids who alone may vote (current members).
    """
    if thread.is_closed:
        raise ThreadClosed()
    errors: dict = {}
    unknown = set(settings) - {"min_choices", "max_choices", "min_score", "max_score", "dots"}
    if unknown:
        raise TypeError(f"unexpected settings: {sorted(unknown)}")
    if kind not in tally.KINDS:
        raise ValidationFailed(
            fields={"kind": _l("Must be one of: %(choices)s.", choices=", ".join(tally.KINDS))}
        )
    title = (title or "").strip()
    if not title:
        errors["title"] = _l("This field is required.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _l("Must be at most %(max)s characters long.", max=MAX_TITLE)
    details = (details or "").strip()
    if len(details) > MAX_DETAILS:
        errors["details"] = _l("Must be at most %(max)s characters long.", max=MAX_DETAILS)
    closing_error = closing_at_error(closing_at, now)
    if closing_error is not None:
        errors["closing_at"] = closing_error
    if results_visibility not in tally.RESULTS_VISIBILITIES:
        errors["results_visibility"] = _l(
            "Must be one of: %(choices)s.", choices=", ".join(tally.RESULTS_VISIBILITIES)
        )
    if reasons is None:
        reasons = "required_for_block" if kind == "proposal" else "optional"
    if reasons not in tally.REASON_RULES:
        errors["reasons"] = _l(
            "Must be one of: %(choices)s.", choices=", ".join(tally.REASON_RULES)
        )
    elif reasons == "required_for_block" and kind != "proposal":
        errors["reasons"] = _l("Only a proposal has a block option.")
    if shuffle_options and kind in ("proposal", "meeting"):
        errors["shuffle_options"] = _l("The options of this kind of poll keep their order.")
    cleaned = _clean_options(kind, options, errors)
    checked = _check_settings(kind, settings, len(cleaned), errors)
    voter_ids: list[int] = []
    if voters is not None:
        voter_ids = sorted(
            {int(v) for v in voters if isinstance(v, int) and not isinstance(v, bool)}
        )
        if not voter_ids or len(voter_ids) != len(set(voters)):
            errors["voters"] = _l("Give the ids of members of this group.")
        else:
            members = set(
                db.session.scalars(
                    sa.select(Membership.user_id).where(
                        Membership.group_id == thread.group_id,
                        Membership.revoked_at.is_(None),
                        Membership.user_id.in_(voter_ids),
                    )
                )
            )
            strangers = [str(v) for v in voter_ids if v not in members]
            if strangers:
                errors["voters"] = _l(
                    "Not members of this group: %(ids)s.", ids=", ".join(strangers)
                )
    if errors:
        raise ValidationFailed(fields=errors)

    poll = Poll(
        thread_id=thread.id,
        group_id=thread.group_id,
        author_id=author.id,
        kind=kind,
        title=title,
        details=details,
        details_html=str(render_with_mentions(details, thread.group_id)),
        created_at=now,
        closing_at=closing_at,
        anonymous=bool(anonymous),
        results_visibility=results_visibility,
        reasons=reasons,
        shuffle_options=bool(shuffle_options),
        voters_limited=voters is not None,
        **checked,
    )
    poll.options = [
        PollOption(key=o["key"], name=o["name"], position=i, starts_at=o["starts_at"])
        for i, o in enumerate(cleaned, start=1)
    ]
    db.session.add(poll)
    db.session.flush()
    for user_id in voter_ids:
        db.session.add(PollVoter(poll_id=poll.id, user_id=user_id))
    thread.last_activity_at = now
    mark_seen(thread, author, now=now)  # one's own poll is no news to oneself
    db.session.flush()
    events.poll_opened.send(poll, actor=author, now=now)
    return poll
