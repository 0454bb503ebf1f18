"""Polls and stances: the rules, without HTTP. Services flush, never commit.

Every service takes the time as ``now``. A poll is open while
``now < closing_at`` and no one closed it early; once ``closing_at`` has passed
it is closed even if nothing has finalised it yet (``finalise_if_due`` does
that, as of ``closing_at``, on a read path or from the periodic command).

Concurrency. Stance writes and early closes first lock the poll's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every write transaction
already holds the database's write lock, see ``app/db.py``), so the writes of
one poll are serialised: two stances racing for the same voter both succeed
in some order, and the partial unique index ``uq_stances_current`` guarantees
one current stance per voter whatever happens. Closing is claimed with an
``UPDATE ... WHERE closed_at IS NULL``: among concurrent closers (the author,
the periodic command on several machines, a reader finalising a due poll)
exactly one wins, and only the winner sends ``events.poll_closed``.

What the features above do when a poll closes (a proposal decided, members
notified) they do as subscribers of ``events.poll_closed``; what they answer
(a proposal's outcome, a veto on reopening) comes through ``app/hooks.py``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import LazyString, format_datetime
from flask_babel import lazy_gettext as _l

from .. import events, hooks
from ..auth.models import User
from ..errors import Conflict, Forbidden, ValidationFailed
from ..extensions import db
from ..groups.models import Group, Membership
from ..groups.services import members_at
from ..markdown import render_with_mentions
from ..threads.models import Thread
from ..threads.services import ThreadClosed
from ..timeutil import isoformat_z
from . import tally
from .models import Poll, PollOption, PollVoter, Stance

MAX_TITLE = 200
MAX_DETAILS = 50_000
MAX_STATEMENT = 20_000
MAX_OPTIONS = 50
MAX_OPTION_NAME = 200
#: how far ahead the closing time is suggested, by kind (the forms' default)
DEFAULT_DURATION = {"proposal": timedelta(days=7)}
OTHER_DURATION = timedelta(days=3)

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

# -- errors ----------------------------------------------------------------------


def _when(moment: datetime) -> LazyString:
    """A time in the reader's zone and language, formatted when the message is shown."""
    return LazyString(format_datetime, moment, "medium")


class PollClosed(Conflict):
    """The poll is closed: it takes no stance, and cannot be closed again."""

    code = "poll_closed"
    default_message = _l("This poll is closed.")

    def __init__(self, closed_at: datetime | None = None, **kwargs):
        message = None
        if closed_at is not None:
            message = _l("This poll closed on %(time)s.", time=_when(closed_at))
        self.closed_at = closed_at
        super().__init__(message, **kwargs)


class PollOpen(Conflict):
    code = "poll_open"
    default_message = _l("This poll is still open.")


class PollNotReopenable(Conflict):
    code = "poll_not_reopenable"
    default_message = _l("This poll cannot be reopened.")


class NotEligible(Forbidden):
    code = "not_eligible"
    default_message = _l("You are not among the voters of this poll.")


def _translated(errors: dict[str, tally.Message]) -> dict:
    """The pure validators' messages, in the reader's language."""
    return {name: _l(message.template, **message.params) for name, message in errors.items()}


# -- creating --------------------------------------------------------------------


def default_closing_at(kind: str, now: datetime) -> datetime:
    """The suggested closing time: proposals in 7 days, others in 3 (on the hour)."""
    later = now + DEFAULT_DURATION.get(kind, OTHER_DURATION)
    return later.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def option_label(poll: Poll, option: PollOption):
    """An option's name for display: proposals' fixed options in the reader's language."""
    if poll.kind == "proposal":
        return PROPOSAL_LABELS.get(option.key, option.name)
    return option.name


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
    return moment.astimezone(UTC)


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
    if closing_at is None:
        errors["closing_at"] = _l("This field is required.")
    elif closing_at.tzinfo is None:
        errors["closing_at"] = _l("Give a time with its time zone.")
    elif closing_at <= now:
        errors["closing_at"] = _l("Must be in the future.")
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
        details_html=str(render_with_mentions(details)),
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
    db.session.flush()
    events.poll_opened.send(poll, actor=author, now=now)
    return poll


# -- eligible voters --------------------------------------------------------------


def eligible_voter_ids(poll: Poll, *, at: datetime | None = None) -> set[int]:
    """Who may vote (and whose stance counts): the current members, or the members
    ``at`` a past instant (a closed poll); intersected with the named voters."""
    if at is None:
        ids = set(
            db.session.scalars(
                sa.select(Membership.user_id).where(
                    Membership.group_id == poll.group_id, Membership.revoked_at.is_(None)
                )
            )
        )
    else:
        ids = set(members_at(db.session.get(Group, poll.group_id), at))
    if poll.voters_limited:
        ids &= set(
            db.session.scalars(sa.select(PollVoter.user_id).where(PollVoter.poll_id == poll.id))
        )
    return ids


def is_eligible(poll: Poll, user_id: int) -> bool:
    """Whether this person may vote now (a current member, named if the list is limited)."""
    query = sa.select(Membership.id).where(
        Membership.group_id == poll.group_id,
        Membership.user_id == user_id,
        Membership.revoked_at.is_(None),
    )
    if poll.voters_limited:
        query = query.where(
            sa.exists().where(PollVoter.poll_id == poll.id, PollVoter.user_id == user_id)
        )
    return db.session.scalar(query) is not None


def undecided_voters(poll: Poll) -> list[User]:
    """Eligible voters (now) without a current stance, by name: whom a reminder reaches."""
    eligible = eligible_voter_ids(poll)
    if not eligible:
        return []
    voted = sa.select(Stance.voter_id).where(
        Stance.poll_id == poll.id, Stance.is_current.is_(True), Stance.voter_id.is_not(None)
    )
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.id.in_(sorted(eligible)), User.id.not_in(voted))
            .order_by(User.name, User.id)
        )
    )


def remind_undecided_voters(
    poll: Poll, *, actor: User, message: str | None, now: datetime
) -> int:
    """The manual reminder: each eligible voter without a stance (not the sender) is
    reminded, with the sender's message as written (``events.voters_reminded``); how
    many were reached."""
    recipients = [user.id for user in undecided_voters(poll) if user.id != actor.id]
    text = (message or "").strip() or None
    events.voters_reminded.send(
        poll, actor=actor, recipients=recipients, message=text, now=now
    )
    return len(recipients)


def named_voter_ids(poll: Poll) -> list[int]:
    """The named voters list (empty when every member votes)."""
    return list(
        db.session.scalars(
            sa.select(PollVoter.user_id).where(PollVoter.poll_id == poll.id).order_by(PollVoter.id)
        )
    )


# -- stances ------------------------------------------------------------------------


def _lock(poll: Poll) -> Poll:
    """Lock the poll's row (PostgreSQL) and reload it: its state is now current."""
    return db.session.scalars(
        sa.select(Poll)
        .where(Poll.id == poll.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _ensure_open(poll: Poll, now: datetime) -> None:
    if poll.closed_at is not None:
        raise PollClosed(poll.closed_at)
    if now >= poll.closing_at:
        raise PollClosed(poll.closing_at)


def current_stance(poll: Poll, voter_id: int) -> Stance | None:
    return db.session.scalar(
        sa.select(Stance).where(
            Stance.poll_id == poll.id, Stance.voter_id == voter_id, Stance.is_current.is_(True)
        )
    )


def check_stance(poll: Poll, choice, reason: str | None) -> dict:
    """The stored form of a stance's choice; ``ValidationFailed`` naming each bad field."""
    keys = poll.option_keys
    errors = tally.validate_choice(poll.kind, poll.choice_settings, keys, choice)
    if not errors:
        errors = tally.validate_reason(poll.reasons, reason, choice)
    if errors:
        raise ValidationFailed(fields=_translated(errors))
    return tally.clean_choice(poll.kind, poll.choice_settings, keys, choice)


def cast_stance(
    poll: Poll, voter: User, *, choice, reason: str | None = "", now: datetime
) -> Stance:
    """Take or change a stance: the new one is current, the previous stays in history
    (anonymous polls keep no history: the current stance is replaced).

    ``PollClosed`` (409) at or after ``closing_at`` or once closed; ``NotEligible``
    (403) for someone who is not among the voters; ``ValidationFailed`` (400).
    """
    poll = _lock(poll)
    _ensure_open(poll, now)
    if not is_eligible(poll, voter.id):
        raise NotEligible()
    clean = check_stance(poll, choice, reason)
    reason = (reason or "").strip()
    previous = current_stance(poll, voter.id)
    if previous is not None and poll.anonymous:
        previous.choice = clean
        previous.reason = reason
        previous.created_at = now
        stance = previous
    else:
        if previous is not None:
            previous.is_current = False
            db.session.flush()  # before the insert: one current stance per voter
        stance = Stance(
            poll_id=poll.id, voter_id=voter.id, choice=clean, reason=reason, created_at=now
        )
        db.session.add(stance)
    db.session.flush()
    events.stance_cast.send(stance, poll=poll, voter=voter, now=now)
    return stance


def withdraw_stance(poll: Poll, voter: User, *, now: datetime) -> Stance | None:
    """Be undecided again. The withdrawn stance stays in history (anonymous: deleted).
    Returns it, or None when there was none."""
    poll = _lock(poll)
    _ensure_open(poll, now)
    previous = current_stance(poll, voter.id)
    if previous is None:
        return None
    if poll.anonymous:
        db.session.delete(previous)
    else:
        previous.is_current = False
        previous.withdrawn_at = now
    db.session.flush()
    events.stance_withdrawn.send(poll, voter=voter, now=now)
    return previous


def stance_history(poll: Poll, voter_id: int) -> list[Stance]:
    """A voter's stances, newest first (anonymous polls keep only the current one)."""
    return list(
        db.session.scalars(
            sa.select(Stance)
            .where(Stance.poll_id == poll.id, Stance.voter_id == voter_id)
            .order_by(Stance.created_at.desc(), Stance.id.desc())
        )
    )


def _counted_stances(poll: Poll, eligible: set[int]) -> list[Stance]:
    """Current stances of eligible voters, voters loaded (one query)."""
    stances = db.session.scalars(
        sa.select(Stance)
        .where(Stance.poll_id == poll.id, Stance.is_current.is_(True))
        .options(sa.orm.joinedload(Stance.voter))
        .order_by(Stance.created_at, Stance.id)
    )
    return [s for s in stances if s.voter_id in eligible]


def _votes(stances: list[Stance], anonymous: bool) -> list[tally.Vote]:
    return [
        tally.Vote(
            choice=s.choice,
            voter_id=None if anonymous else s.voter_id,
            voter_name=None if anonymous or s.voter is None else s.voter.name,
            reason=s.reason,
        )
        for s in stances
    ]


def _options(poll: Poll) -> list[tally.Option]:
    return [tally.Option(key=o.key, name=str(option_label(poll, o))) for o in poll.options]


def compute_results(poll: Poll, *, now: datetime) -> tuple[tally.PollResults, list[Stance]]:
    """The results as of now (or as of the close), and the stances they count.

    An anonymous poll that has closed returns its frozen counts (and its
    remaining, voter-less stances).
    """
    if poll.closed_at is not None and poll.frozen_results is not None:
        stances = list(
            db.session.scalars(
                sa.select(Stance).where(Stance.poll_id == poll.id, Stance.is_current.is_(True))
            )
        )
        return tally.results_from_json(poll.frozen_results), stances
    eligible = eligible_voter_ids(poll, at=poll.closed_as_of(now))
    stances = _counted_stances(poll, eligible)
    results = tally.tally(
        poll.kind,
        _options(poll),
        _votes(stances, poll.anonymous),
        eligible=len(eligible),
        anonymous=poll.anonymous,
    )
    return results, stances


# -- closing --------------------------------------------------------------------------


def _after_close(poll: Poll, closed_at: datetime) -> None:
    """What the winner of a close does: freeze the participation line (and, for an
    anonymous poll, the counts, then erase voters), then run the hooks."""
    eligible = eligible_voter_ids(poll, at=closed_at)
    stances = _counted_stances(poll, eligible)
    poll.eligible_at_close = len(eligible)
    poll.participants_at_close = len(stances)
    if poll.anonymous:
        results = tally.tally(
            poll.kind, _options(poll), _votes(stances, True), eligible=len(eligible), anonymous=True
        )
        poll.frozen_results = tally.results_to_json(results)
        counted = [s.id for s in stances]
        # Stances that stopped counting (removed members) leave no trace either.
        db.session.execute(
            sa.update(Stance)
            .where(Stance.poll_id == poll.id, Stance.id.not_in(counted))
            .values(is_current=False)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            sa.update(Stance)
            .where(Stance.poll_id == poll.id)
            # the time of each stance could tell who cast it: keep only the close's
            .values(voter_id=None, created_at=closed_at)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    events.poll_closed.send(poll, closed_by=poll.closed_by_id, now=closed_at)
    db.session.flush()


def close_poll(poll: Poll, *, actor: User, now: datetime) -> Poll:
    """Close early (the author or an admin: see ``can_close_poll``). 409 ``poll_closed``
    when it is closed already, or its closing time has passed (it closed by itself).

    Polls that were due before ``now`` close first, each as of its own closing
    time: closing order decides outcomes (an adopted quorum, a stale amendment)."""
    finalise_due_polls(now, before=poll)
    poll = _lock(poll)
    _ensure_open(poll, now)
    claimed = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.closed_at.is_(None), Poll.closing_at > now)
        .values(closed_at=now, closed_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(poll)
        raise PollClosed(poll.closed_at or poll.closing_at)
    db.session.refresh(poll)
    _after_close(poll, now)
    return poll


def finalise_if_due(poll: Poll, now: datetime) -> bool:
    """Close a poll whose closing time has passed, as of that closing time.

    Idempotent and safe under concurrency: the close is claimed by an UPDATE
    that only one caller wins. Returns True when this call closed it.
    """
    if poll.closed_at is not None or now < poll.closing_at:
        return False
    claimed = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.closed_at.is_(None), Poll.closing_at <= now)
        .values(closed_at=Poll.closing_at, closed_by_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(poll)
    if claimed != 1:
        return False
    _after_close(poll, poll.closed_at)
    return True


def due_poll_ids(now: datetime) -> list[int]:
    """Open polls whose closing time has passed, in closing order."""
    return list(
        db.session.scalars(
            sa.select(Poll.id)
            .where(Poll.closed_at.is_(None), Poll.closing_at <= now)
            .order_by(Poll.closing_at, Poll.id)
        )
    )


def finalise_due_polls(now: datetime, *, before: Poll | None = None) -> list[Poll]:
    """Finalise every due poll, in closing order; returns those this call closed.
    With ``before``, only the other polls that were due before it."""
    closed = []
    for poll_id in due_poll_ids(now):
        if before is not None and poll_id == before.id:
            break
        poll = db.session.get(Poll, poll_id)
        if poll is not None and finalise_if_due(poll, now):
            closed.append(poll)
    return closed


def settle_due_polls(
    *,
    poll_ids: Sequence[int] | None = None,
    thread_id: int | None = None,
    group_id: int | None = None,
    now: datetime,
) -> list[int]:
    """Finalise the due polls a read is about to show, in their own short transaction.

    The one write allowed on a read path (DESIGN.md): a page or a GET that shows
    polls calls this first, narrowed to what it shows (``poll_ids``, a thread's
    or a group's polls; nothing narrows it to every due poll). When nothing is
    due it only runs one query and leaves the read transaction alone. Otherwise
    it ends the read transaction (``rollback``: loaded objects are expired and
    reload on next access), takes the write lock (``BEGIN IMMEDIATE`` on SQLite,
    see ``app/db.py``), finalises due polls as of their closing times, in
    closing order, and commits. Safe against concurrent closers: see
    ``finalise_if_due``. Returns the ids of the polls this call closed.

    Closing order is global: a proposal's outcome depends on what closed
    before it (an adopted quorum rule, an amendment that makes another stale),
    so every poll due at or before the latest one in scope is finalised too,
    earliest first, whatever it belongs to.
    """
    query = sa.select(Poll.id).where(Poll.closed_at.is_(None), Poll.closing_at <= now)
    if poll_ids is not None:
        if not poll_ids:
            return []
        query = query.where(Poll.id.in_(list(poll_ids)))
    if thread_id is not None:
        query = query.where(Poll.thread_id == thread_id)
    if group_id is not None:
        query = query.where(Poll.group_id == group_id)
    latest = db.session.scalar(query.with_only_columns(sa.func.max(Poll.closing_at)))
    if latest is None:
        return []
    due = sa.select(Poll.id).where(Poll.closed_at.is_(None), Poll.closing_at <= latest)
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("settle_due_polls must run before the request changes anything")
    db.session.rollback()  # end the read transaction: the write gets its own
    in_request = has_request_context()
    previous = g.get("force_write_lock") if in_request else None
    if in_request:
        g.force_write_lock = True
    closed: list[int] = []
    try:
        for poll_id in db.session.scalars(due.order_by(Poll.closing_at, Poll.id)).all():
            poll = db.session.get(Poll, poll_id)
            if poll is not None and finalise_if_due(poll, now):
                closed.append(poll_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if in_request:
            g.force_write_lock = previous
    return closed


def reopen_poll(
    poll: Poll, *, closing_at: datetime | None, now: datetime, actor: User | None = None
) -> Poll:
    """Open a closed poll again until a new closing time (not an anonymous poll, nor
    one whose closing changed an agreement: ``can_reopen``)."""
    poll = _lock(poll)
    finalise_if_due(poll, now)
    if poll.closed_at is None:
        raise PollOpen()
    if poll.anonymous:
        raise PollNotReopenable(_l("An anonymous poll cannot be reopened."))
    veto = hooks.poll_reopen_veto.first(poll)
    if veto is not None:
        raise PollNotReopenable(veto)
    if closing_at is None:
        raise ValidationFailed(fields={"closing_at": _l("This field is required.")})
    if closing_at.tzinfo is None:
        raise ValidationFailed(fields={"closing_at": _l("Give a time with its time zone.")})
    if closing_at <= now:
        raise ValidationFailed(fields={"closing_at": _l("Must be in the future.")})
    poll.closing_at = closing_at
    poll.closed_at = None
    poll.closed_by_id = None
    poll.eligible_at_close = None
    poll.participants_at_close = None
    poll.reminder_sent_at = None
    # The statement spoke of the previous close: a new one comes after the next.
    poll.statement = poll.statement_html = None
    poll.statement_review_on = poll.statement_by_id = poll.statement_at = None
    db.session.flush()
    events.poll_reopened.send(poll, actor=actor, now=now)
    return poll


def set_statement(
    poll: Poll, *, author: User, text: str, review_on: date | None = None, now: datetime
) -> Poll:
    """The outcome statement of a closed poll, with an optional review date."""
    finalise_if_due(poll, now)
    if poll.closed_at is None:
        raise PollOpen(_l("Write the statement once the poll has closed."))
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(fields={"text": _l("This field is required.")})
    if len(text) > MAX_STATEMENT:
        raise ValidationFailed(
            fields={"text": _l("Must be at most %(max)s characters long.", max=MAX_STATEMENT)}
        )
    if review_on is not None and review_on <= now.date():
        raise ValidationFailed(fields={"review_on": _l("Must be in the future.")})
    poll.statement = text
    poll.statement_html = str(render_with_mentions(text))
    poll.statement_review_on = review_on
    poll.statement_by_id = author.id
    poll.statement_at = now
    db.session.flush()
    return poll


# -- reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class StanceView:
    """A stance as a reader sees it: ``voter`` None in an anonymous poll."""

    voter: User | None
    choice: dict
    reason: str
    created_at: datetime | None


@dataclass(frozen=True)
class VisibleResults:
    """What ``viewer`` may see of a poll's results.

    ``results`` and ``stances`` are None while hidden (``results_visibility``);
    the participation line (``participants``, ``eligible``, ``undecided``,
    ``participation_percent``) is always there. ``my_stance`` is the viewer's own.
    """

    participation: tally.Participation
    results: tally.PollResults | None
    stances: list[StanceView] | None
    my_stance: Stance | None
    closed: bool

    @property
    def participants(self) -> int:
        return self.participation.cast

    @property
    def eligible(self) -> int:
        return self.participation.eligible

    @property
    def undecided(self) -> int:
        return self.participation.undecided

    @property
    def participation_percent(self) -> int:
        return self.participation.percent


def results_hidden(poll: Poll, *, has_voted: bool, now: datetime) -> bool:
    """Whether ``results_visibility`` hides the results from someone (who voted or not)."""
    if poll.results_visibility == "after_close":
        return not poll.is_closed(now)
    if poll.results_visibility == "after_vote":
        return not (has_voted or poll.is_closed(now))
    return False


def results_for(poll: Poll, viewer: User | None, now: datetime) -> VisibleResults:
    """The results ``viewer`` may see now (reading only: finalising a due poll is
    ``finalise_if_due``'s job, in its own transaction)."""
    results, stances = compute_results(poll, now=now)
    viewer_id = getattr(viewer, "id", None) if getattr(viewer, "is_authenticated", False) else None
    mine = current_stance(poll, viewer_id) if viewer_id is not None else None
    hidden = results_hidden(poll, has_voted=mine is not None, now=now)
    views = None
    if not hidden:
        if poll.anonymous:
            ordered = sorted(stances, key=lambda s: (tally.choice_fingerprint(s.choice), s.reason))
            views = [StanceView(None, s.choice, s.reason, None) for s in ordered]
        else:
            views = [StanceView(s.voter, s.choice, s.reason, s.created_at) for s in stances]
    return VisibleResults(
        participation=results.participation,
        results=None if hidden else results,
        stances=views,
        my_stance=mine,
        closed=poll.is_closed(now),
    )


def poll_outcome(poll: Poll, locale: str | None = None) -> dict | None:
    """The computed outcome of a closed poll (``hooks.poll_outcome``); None while it is
    open, and for the kinds no feature decides."""
    if poll.closed_at is None:
        return None
    return hooks.poll_outcome.first(poll, locale=locale)


def options_for(poll: Poll, viewer: User | None) -> list[PollOption]:
    """The options in the order a voter sees them: shuffled (stably per voter) when
    the poll asks for it."""
    options = list(poll.options)
    if poll.shuffle_options:
        seed = f"{poll.id}:{getattr(viewer, 'id', 0)}"
        random.Random(seed).shuffle(options)  # noqa: S311 - order only, not security
    return options


def load_poll(poll_id: int) -> Poll | None:
    """A poll with its options and author (two queries)."""
    return db.session.scalar(
        sa.select(Poll)
        .where(Poll.id == poll_id)
        .options(sa.orm.selectinload(Poll.options), sa.orm.joinedload(Poll.author))
    )


def thread_poll_list(thread: Thread, *, now: datetime) -> list[Poll]:
    """A thread's polls, oldest first, without their options (one query while none is
    due); due ones are finalised first (``settle_due_polls``), so each shows its status."""

    thread_id = thread.id

    def load() -> list[Poll]:
        return list(
            db.session.scalars(
                sa.select(Poll)
                .where(Poll.thread_id == thread_id)
                .order_by(Poll.created_at, Poll.id)
            )
        )

    polls = load()
    if any(poll.closed_at is None and poll.closing_at <= now for poll in polls):
        settle_due_polls(thread_id=thread_id, now=now)
        polls = load()
    return polls
