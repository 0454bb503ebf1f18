"""Support, lived by the rules: the pure decision logic (DESIGN.md, "Support, lived by
the rules").

Who is asked, when and through what; which step of a request is due (escalate,
lapse, overdue, the follow-up a day after a match); which transitions are allowed;
which check-ins (relance) are due; the rhythm. Plain values in and out: no Flask, no
database, no clock (``now`` is always a parameter, an aware datetime, and every time
returned is aware UTC).

A request follows the rules in force when it was made: the services take a snapshot
of the active rules (``snapshot``) when it is made, keep it with the request
(``snapshot_to_json``), and give that snapshot back to these functions. Routing
depends on nothing else, so a later change of the agreements never reroutes it.

Explanations are codes with parameters (``Explanation``), never sentences: the
services write them in the reader's language when they are read.

Decisions where DESIGN.md is silent, each documented where it is made:

- "away until 5 Dec" means away through the whole of 5 Dec in the member's time zone;
  it reads ``available`` from midnight starting 6 Dec there. ``busy`` has no end date.
- Quiet hours are ``[start, end)`` in local wall time; ``start == end`` means none.
  An end time skipped by a DST change ends them when the clocks jump past it; an end
  time that happens twice ends them the first time (or the second, when ``now`` is
  already in the repeated hour).
- ``busy`` and ``away`` supporters are not asked when a request is made, whatever its
  urgency; escalation (urgent and important) reaches every addressed supporter, busy
  and away ones too; the overdue reminder (important, not urgent) reaches busy ones
  too but not away ones; a request neither urgent nor important never reaches them.
  Supporters who already said "not now" are not asked again by a later step.
- The durations of the route (minutes, hours, days) are exact durations from the
  moment the request was made (3 days = 72 hours), in no one's time zone.
- A step due while the request was matched is taken, once it is open again, as of the
  moment it reopened ("asking resumes where it was").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..agreements.rules import ActiveRule, RuleSource, default_value
from ..timeutil import FAR_FUTURE, shifted

# -- words ---------------------------------------------------------------------------

AVAILABLE, BUSY, AWAY = "available", "busy", "away"
AVAILABILITIES = (AVAILABLE, BUSY, AWAY)

REQUIRED, NOT_REQUIRED = "required", "not_required"

OPEN, MATCHED, CLOSED, LAPSED = "open", "matched", "closed", "lapsed"
STATUSES = (OPEN, MATCHED, CLOSED, LAPSED)

#: how a notice leaves besides the in-app list (always written at once): email and
#: the like at ``deliver_at``, or email in the member's next digest
IMMEDIATE, DIGEST = "immediate", "digest"
SUPPORT_VOLUMES = (IMMEDIATE, DIGEST)

#: the rules that govern a request's next step
URGENT_RESPONSE = "urgent_response_minutes"
URGENT_MINOR_LAPSE = "urgent_minor_lapse_hours"
IMPORTANT_RESPONSE = "important_response_days"
AVAILABILITY_CHECK = "availability_check"
RECIPROCITY = "reciprocity"

#: route and notice codes: one per row of DESIGN's routing table, then the later steps
URGENT_IMPORTANT = "urgent_important"
URGENT_MINOR = "urgent_not_important"
IMPORTANT = "important_not_urgent"
DIGEST_ONLY = "digest"
MATCHED_AT_ONCE = "matched_at_once"
ESCALATED = "escalated"
OVERDUE_REMINDER = "overdue"

#: steps that become due with time
ESCALATE, LAPSE, OVERDUE = "escalate", "lapse", "overdue"

#: what changes a request's status (``LAPSE`` too)
MATCH, RELEASE = "match", "release"
HAPPENED, DID_NOT_HAPPEN, NOT_NEEDED = "happened", "did_not_happen", "not_needed"

#: from status, by action, to status (DESIGN's table of transitions); nothing leaves
#: ``closed`` or ``lapsed``
TRANSITIONS: Mapping[str, Mapping[str, str]] = {
    OPEN: {MATCH: MATCHED, LAPSE: LAPSED, NOT_NEEDED: CLOSED},
    MATCHED: {RELEASE: OPEN, HAPPENED: CLOSED, DID_NOT_HAPPEN: CLOSED},
    CLOSED: {},
    LAPSED: {},
}
ACTIONS = frozenset(action for moves in TRANSITIONS.values() for action in moves)

#: both sides are asked whether it happened this long after the match
FOLLOWUP_AFTER = timedelta(days=1)

#: which moment started a member's check-in clock
SINCE_REQUEST, SINCE_CHECK_IN, SINCE_RECEIVING, SINCE_RULE = (
    "request",
    "check_in",
    "receiving",
    "rule",
)


def _utc(moment: datetime, name: str = "now") -> datetime:
    """``moment`` in UTC; a naive time is refused, as everywhere in the app (always a bug)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Explanation:
    """A decision in words to be: a stable ``code`` and the figures the sentence needs."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"code", "params"}``, as a request's timeline stores it."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Explanation:
        """The inverse of ``to_json``."""
        return cls(code=data["code"], params=dict(data.get("params") or {}))


# -- the rules a request keeps -------------------------------------------------------


@dataclass(frozen=True)
class RuleValue:
    """One rule of a request's snapshot: its value and where it came from (None: the
    default, not agreed yet)."""

    value: Any
    source: RuleSource | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"value", "source": {agreement_id, version, title, poll_id, adopted_at} | null}``."""
        source = None
        if self.source is not None:
            source = {
                "agreement_id": self.source.agreement_id,
                "version": self.source.version,
                "title": self.source.title,
                "poll_id": self.source.poll_id,
                "adopted_at": _utc(self.source.adopted_at, "adopted_at").isoformat(),
            }
        return {"value": self.value, "source": source}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuleValue:
        """The inverse of ``to_json``."""
        value, source = data.get("value"), data.get("source")
        if source is None:
            return cls(value)
        return cls(
            value,
            RuleSource(
                agreement_id=source["agreement_id"],
                version=source["version"],
                title=source["title"],
                poll_id=source.get("poll_id"),
                adopted_at=_utc(datetime.fromisoformat(source["adopted_at"]), "adopted_at"),
                value=value,
            ),
        )


#: the rules in force when a request was made, by key
Snapshot = Mapping[str, RuleValue]


def snapshot(active: Mapping[str, ActiveRule]) -> dict[str, RuleValue]:
    """The snapshot a new request keeps, from the group's active rules at that moment."""
    return {key: RuleValue(rule.value, rule.source) for key, rule in active.items()}


def snapshot_to_json(rules: Snapshot) -> dict[str, dict[str, Any]]:
    """The stored form of a snapshot: ``{key: {"value", "source"}}``."""
    return {key: rule.to_json() for key, rule in rules.items()}


def snapshot_from_json(data: Mapping[str, Mapping[str, Any]]) -> dict[str, RuleValue]:
    """A snapshot back from its stored form."""
    return {key: RuleValue.from_json(value) for key, value in data.items()}


def rule_value(rules: Snapshot, key: str) -> RuleValue:
    """The snapshot's value of ``key``; a key it lacks (a snapshot older than the key)
    reads as the default, not agreed yet."""
    rule = rules.get(key)
    return rule if rule is not None else RuleValue(default_value(key))


# -- who gives, who receives, who is available ------------------------------------------


@dataclass(frozen=True)
class Switches:
    """A member's effective switches, and whether the rules lock them on."""

    gives: bool
    receives: bool
    locked: bool


def effective_switches(gives_stored: bool, receives_stored: bool, reciprocity: str) -> Switches:
    """What counts: with reciprocity ``required`` both switches are on whatever is stored
    (the stored choice is kept and counts again once the rule is ``not_required``)."""
    if reciprocity == REQUIRED:
        return Switches(gives=True, receives=True, locked=True)
    if reciprocity == NOT_REQUIRED:
        return Switches(gives=gives_stored, receives=receives_stored, locked=False)
    raise ValueError(f"unknown reciprocity {reciprocity!r}")


def refused_switches(reciprocity: str, changes: Mapping[str, bool]) -> tuple[str, ...]:
    """The fields of ``changes`` (``gives_support``, ``receives_support``) that the rule
    refuses: turning one off while reciprocity is ``required`` (409 ``reciprocity_locked``)."""
    if not effective_switches(True, True, reciprocity).locked:
        return ()
    return tuple(
        name
        for name in ("gives_support", "receives_support")
        if name in changes and changes[name] is False
    )


def away_ends_at(away_until: date, zone: str) -> datetime:
    """When "away until ``away_until``" ends: the midnight after that day in the member's
    zone (they are away through the whole day they named), as UTC."""
    try:
        return _first_instants(away_until + timedelta(days=1), time(0), ZoneInfo(zone))[0]
    except OverflowError:  # away until the calendar's last days: away for good
        return FAR_FUTURE


def effective_availability(
    availability: str, away_until: date | None, now: datetime, zone: str
) -> str:
    """``available``, ``busy`` or ``away`` as of ``now``: ``away`` with an until-date
    reads ``available`` once that day is over in the member's zone, without any job.
    ``busy`` has no end date (DESIGN gives one to ``away`` only)."""
    if availability not in AVAILABILITIES:
        raise ValueError(f"unknown availability {availability!r}")
    if availability == AWAY and away_until is not None:
        if _utc(now) >= away_ends_at(away_until, zone):
            return AVAILABLE
    return availability


# -- quiet hours ---------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """A member's quiet hours, local wall times in their IANA ``zone``: ``[start, end)``,
    across midnight when ``start > end`` (22:00–07:00); ``start == end`` is none.
    ``wake``: urgent and important requests still reach them."""

    start: time
    end: time
    zone: str
    wake: bool = True


def _first_instants(day: date, wall: time, zone: ZoneInfo) -> list[datetime]:
    """The instants (UTC, in order) at which the clock in ``zone`` first reads ``wall``
    on ``day``: one; two when the clocks go back and the time happens twice; or, when
    the clocks go forward over it, the moment they jump past it."""
    naive = datetime.combine(day, wall)
    early = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    late = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if early.astimezone(zone).replace(tzinfo=None) == naive:
        return [early] if early == late else [early, late]
    # Skipped wall time: fold=1 maps it before the jump, fold=0 after. The clock first
    # reads ``wall`` or later at the jump itself, found to the second (transitions fall
    # on whole minutes).
    low, high = min(early, late), max(early, late)
    while high - low > timedelta(seconds=1):
        mid = low + timedelta(seconds=(high - low) // timedelta(seconds=1) // 2)
        if mid.astimezone(zone).replace(tzinfo=None) >= naive:
            high = mid
        else:
            low = mid
    return [high]


def quiet_hours_end(quiet: QuietHours | None, now: datetime) -> datetime | None:
    """When the quiet hours that ``now`` falls in end (aware UTC), or None when ``now``
    is outside them (or there are none)."""
    if quiet is None or quiet.start == quiet.end:
        return None
    now = _utc(now)
    zone = ZoneInfo(quiet.zone)
    local = now.astimezone(zone)
    wall = local.time()
    if quiet.start < quiet.end:  # within a day: 13:00–14:00
        if not quiet.start <= wall < quiet.end:
            return None
        end_day = local.date()
    elif wall >= quiet.start:  # across midnight, before it: ends tomorrow
        end_day = local.date() + timedelta(days=1)
    elif wall < quiet.end:  # across midnight, after it: ends today
        end_day = local.date()
    else:
        return None
    # When the clocks go back, the end may happen twice; in the repeated hour the first
    # one is already past, so the quiet hours end at the second.
    for instant in _first_instants(end_day, quiet.end, zone):
        if instant > now:
            return instant
    return now  # not reached: the wall clock is before the end on ``end_day``


def deliver_at(quiet: QuietHours | None, now: datetime, *, urgent_and_important: bool) -> datetime:
    """When a notification may reach the member (UTC): ``now`` outside their quiet hours,
    or for an urgent and important request when they allow it to wake them; else the
    end of the quiet hours."""
    now = _utc(now)
    end = quiet_hours_end(quiet, now)
    if end is None or (urgent_and_important and quiet is not None and quiet.wake):
        return now
    return end


# -- routing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFacts:
    """What routing needs of a request. ``supporters``: the named supporters' user ids,
    or None for the whole circle."""

    requester_id: int
    urgent: bool
    important: bool
    created_at: datetime
    supporters: tuple[int, ...] | None = None

    @property
    def named(self) -> bool:
        """Whether the requester named supporters rather than asking the whole circle."""
        return self.supporters is not None


@dataclass(frozen=True)
class Supporter:
    """A member of the group as routing sees them, with effective values: ``gives``
    (``effective_switches``), ``availability`` (``effective_availability``), their quiet
    hours and their choice for support requests (``immediate`` or ``digest``)."""

    user_id: int
    gives: bool = True
    availability: str = AVAILABLE
    quiet: QuietHours | None = None
    support_volume: str = IMMEDIATE


@dataclass(frozen=True)
class Notice:
    """One supporter told: in-app at once, and by ``channel``: ``immediate`` (email and
    the like at ``deliver_at``, after their quiet hours where they apply) or ``digest``
    (email in their next digest; ``deliver_at`` is then the in-app moment). ``rule`` is
    the key that decided it (None for a digest-only request)."""

    user_id: int
    channel: str
    deliver_at: datetime
    why: Explanation
    rule: str | None


@dataclass(frozen=True)
class Route:
    """How a request goes: the rule governing its next step (None for a digest-only
    request) with its provenance (None for a default), the times of the steps that apply
    (else None), the route in words, the notices sent when it is made, the supporters
    asked only later (busy or away ones, on escalation or the overdue reminder) and the
    supporter it is matched with at once (availability check off, one named supporter)."""

    rule: str | None
    source: RuleSource | None
    escalate_at: datetime | None
    lapse_at: datetime | None
    overdue_at: datetime | None
    explanation: Explanation
    notices: tuple[Notice, ...] = ()
    later: tuple[int, ...] = ()
    matched_with: int | None = None


def governing_rule(urgent: bool, important: bool) -> str | None:
    """The rule key that governs a request's next step, by its row of the routing table."""
    if urgent and important:
        return URGENT_RESPONSE
    if urgent:
        return URGENT_MINOR_LAPSE
    if important:
        return IMPORTANT_RESPONSE
    return None


def _row_code(urgent: bool, important: bool) -> str:
    """The code of a request's row of the routing table (its route and first notices)."""
    if urgent and important:
        return URGENT_IMPORTANT
    if urgent:
        return URGENT_MINOR
    if important:
        return IMPORTANT
    return DIGEST_ONLY


#: each governing rule: its parameter's name in explanations, the time it sets, its unit
_STEPS: Mapping[str, tuple[str, str, timedelta]] = {
    URGENT_RESPONSE: ("minutes", "escalate_at", timedelta(minutes=1)),
    URGENT_MINOR_LAPSE: ("hours", "lapse_at", timedelta(hours=1)),
    IMPORTANT_RESPONSE: ("days", "overdue_at", timedelta(days=1)),
}


def _rule_params(rules: Snapshot, key: str | None) -> dict[str, Any]:
    """The governing rule's value, named by its unit, for explanations: ``{"minutes": 30}``."""
    if key is None:
        return {}
    name, _, _ = _STEPS[key]
    return {name: rule_value(rules, key).value}


def addressed_supporters(request: RequestFacts, supporters: Iterable[Supporter]) -> list[Supporter]:
    """The supporters a request addresses, in the order given: giving members, never the
    requester, only the named ones when it names some (each once)."""
    named = set(request.supporters) if request.supporters is not None else None
    seen: set[int] = set()
    found = []
    for supporter in supporters:
        if (
            not supporter.gives
            or supporter.user_id == request.requester_id
            or (named is not None and supporter.user_id not in named)
            or supporter.user_id in seen
        ):
            continue
        seen.add(supporter.user_id)
        found.append(supporter)
    return found


def _channel(supporter: Supporter, urgent: bool, important: bool) -> str:
    """Requests that are not urgent go to the digest; urgent ones follow the member's
    choice, except urgent and important ones, immediate unless the member is away."""
    if not urgent:
        return DIGEST
    if important and supporter.availability != AWAY:
        return IMMEDIATE
    return supporter.support_volume


def _notice(
    supporter: Supporter,
    request: RequestFacts,
    now: datetime,
    *,
    code: str,
    rule: str | None,
    params: Mapping[str, Any],
    channel: str | None = None,
) -> Notice:
    """One supporter's notice at ``now``: its channel, when it may reach them, and why."""
    channel = channel or _channel(supporter, request.urgent, request.important)
    pressing = request.urgent and request.important
    if channel == IMMEDIATE:
        at = deliver_at(supporter.quiet, now, urgent_and_important=pressing)
    else:  # the digest goes out at the member's own hour; the in-app line is now
        at = _utc(now)
    # "woken": told in their quiet hours because they allow it, which the why says.
    in_quiet_hours = quiet_hours_end(supporter.quiet, now) is not None
    woken = channel == IMMEDIATE and in_quiet_hours and at == _utc(now)
    why = Explanation(code, {**params, "named": request.named, "woken": woken})
    return Notice(supporter.user_id, channel, at, why, rule)


def route_request(
    request: RequestFacts, rules: Snapshot, supporters: Iterable[Supporter] = ()
) -> Route:
    """The route of a request made at ``request.created_at`` under ``rules`` (its
    snapshot), per DESIGN's routing table; without ``supporters``, just its rule, times
    and explanation (what a page shows)."""
    created = _utc(request.created_at, "created_at")
    key = governing_rule(request.urgent, request.important)
    params = _rule_params(rules, key)
    times: dict[str, datetime | None] = {"escalate_at": None, "lapse_at": None, "overdue_at": None}
    if key is not None:
        name, field_name, unit = _STEPS[key]
        times[field_name] = shifted(created, unit * params[name])
    code = _row_code(request.urgent, request.important)
    explanation = Explanation(code, {**params, "named": request.named})

    addressed = addressed_supporters(request, supporters)
    notices: list[Notice] = []
    later: list[int] = []
    matched_with = None
    if (
        request.named
        and len(addressed) == 1
        and rule_value(rules, AVAILABILITY_CHECK).value is False
    ):
        # No availability check: the one named supporter is matched at once, whatever
        # their availability (checking it is what the group agreed not to do); they can
        # still say "not now", which reopens the request.
        only = addressed[0]
        matched_with = only.user_id
        notices.append(
            _notice(
                only, request, created, code=MATCHED_AT_ONCE, rule=AVAILABILITY_CHECK, params=params
            )
        )
    else:
        for supporter in addressed:
            if supporter.availability == AVAILABLE:
                notices.append(
                    _notice(supporter, request, created, code=code, rule=key, params=params)
                )
            elif code == URGENT_IMPORTANT or (code == IMPORTANT and supporter.availability == BUSY):
                # Busy (and, on escalation, away) supporters are asked only by a later step.
                later.append(supporter.user_id)
    source = rule_value(rules, key).source if key is not None else None
    return Route(
        rule=key,
        source=source,
        explanation=explanation,
        notices=tuple(notices),
        later=tuple(later),
        matched_with=matched_with,
        **times,
    )


def escalation_notices(
    request: RequestFacts,
    rules: Snapshot,
    supporters: Iterable[Supporter],
    now: datetime,
    *,
    declined: Collection[int] = (),
) -> tuple[Notice, ...]:
    """Who is told when an urgent and important request escalates (once, at ``now``):
    every supporter it addresses, busy and away ones too, but not those who already
    said "not now"; immediate, waking those who allow it."""
    if not (request.urgent and request.important):
        raise ValueError("only urgent and important requests escalate")
    params = _rule_params(rules, URGENT_RESPONSE)
    return tuple(
        _notice(s, request, now, code=ESCALATED, rule=URGENT_RESPONSE, params=params)
        for s in addressed_supporters(request, supporters)
        if s.user_id not in declined
    )


def overdue_notices(
    request: RequestFacts,
    rules: Snapshot,
    supporters: Iterable[Supporter],
    now: datetime,
    *,
    declined: Collection[int] = (),
) -> tuple[Notice, ...]:
    """Who is reminded, once, when an important request that is not urgent is overdue:
    the supporters it addresses who are not away (busy ones too) and have not said "not
    now"; in-app and in the digest, like the request itself. (Asking the requester
    whether it is still needed is the services' part.)"""
    if request.urgent or not request.important:
        raise ValueError("only important requests that are not urgent become overdue")
    params = _rule_params(rules, IMPORTANT_RESPONSE)
    return tuple(
        _notice(
            s,
            request,
            now,
            code=OVERDUE_REMINDER,
            rule=IMPORTANT_RESPONSE,
            params=params,
            channel=DIGEST,
        )
        for s in addressed_supporters(request, supporters)
        if s.availability != AWAY and s.user_id not in declined
    )


# -- what is due ----------------------------------------------------------------------


@dataclass(frozen=True)
class DueStep:
    """A step due on a request, to be taken as of ``at`` (not as of whenever a job or a
    reader happens to notice it)."""

    step: str
    at: datetime


def due_step(
    status: str,
    *,
    urgent: bool,
    important: bool,
    escalate_at: datetime | None,
    lapse_at: datetime | None,
    overdue_at: datetime | None,
    escalated_at: datetime | None,
    overdue_noted_at: datetime | None,
    now: datetime,
    reopened_at: datetime | None = None,
) -> DueStep | None:
    """The step due now on a request, if any: ``escalate`` (urgent and important, once),
    ``lapse`` (urgent, not important) or ``overdue`` (important, not urgent, once); only
    while it is ``open``. Due at its time exactly, not a second before.

    ``reopened_at``: when a released request became open again; a step that fell due
    while it was matched is taken as of that moment.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if status != OPEN:
        return None
    now = _utc(now)
    if urgent and important:
        step, due, done = ESCALATE, escalate_at, escalated_at is not None
    elif urgent:
        step, due, done = LAPSE, lapse_at, False  # lapsing leaves ``open``: once by itself
    elif important:
        step, due, done = OVERDUE, overdue_at, overdue_noted_at is not None
    else:
        return None
    if due is None or done:
        return None
    due = _utc(due, "due time")
    if now < due:
        return None
    if reopened_at is not None:
        due = max(due, _utc(reopened_at, "reopened_at"))
    return DueStep(step, due)


def is_overdue(
    status: str, *, urgent: bool, important: bool, overdue_at: datetime | None, now: datetime
) -> bool:
    """Whether a request shows as overdue: important, not urgent, still open (unmatched)
    at or after its ``overdue_at``."""
    return (
        status == OPEN
        and important
        and not urgent
        and overdue_at is not None
        and _utc(now) >= _utc(overdue_at, "overdue_at")
    )


def followup_due(
    status: str, matched_at: datetime | None, asked_at: datetime | None, now: datetime
) -> datetime | None:
    """When both sides of a match are to be asked whether it happened, if that is due
    now: a day after the match, once per match (a new match after a release asks again).
    None when not due."""
    if status != MATCHED or matched_at is None:
        return None
    matched_at = _utc(matched_at, "matched_at")
    if asked_at is not None and _utc(asked_at, "asked_at") >= matched_at:
        return None  # already asked about this match
    due = shifted(matched_at, FOLLOWUP_AFTER)
    return due if _utc(now) >= due else None


# -- transitions -------------------------------------------------------------------------


class TransitionRefused(Exception):
    """An action the request's status does not allow (a 409); ``code`` says why."""

    def __init__(self, status: str, action: str, code: str):
        """Keep the status, the refused action and the 409's code."""
        super().__init__(f"cannot {action} a request that is {status} ({code})")
        self.status = status
        self.action = action
        self.code = code


def transition_refusal(status: str, action: str) -> str | None:
    """None when ``action`` is allowed from ``status``; else the 409's code:
    ``request_closed``, ``request_lapsed``, ``request_matched`` (an action of an open
    request) or ``request_not_matched`` (an action of a matched one)."""
    if status not in TRANSITIONS:
        raise ValueError(f"unknown status {status!r}")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action in TRANSITIONS[status]:
        return None
    return "request_not_matched" if status == OPEN else f"request_{status}"


def next_status(status: str, action: str) -> str:
    """The status ``action`` leads to from ``status``; raises ``TransitionRefused``."""
    code = transition_refusal(status, action)
    if code is not None:
        raise TransitionRefused(status, action, code)
    return TRANSITIONS[status][action]


# -- check-ins (relance) -----------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFacts:
    """What is recorded for one check-in period of a member, named by its ``due_since``:
    who said "I'll do it", and when supporters were last reminded."""

    due_since: datetime
    claimed_by: int | None = None
    reminded_at: datetime | None = None


@dataclass(frozen=True)
class CheckInFacts:
    """A receiving member's clock: since when they receive support in this group, their
    last request and last check-in ("all is well" included), and their latest period."""

    member_id: int
    receives_since: datetime
    last_request_at: datetime | None = None
    last_check_in_at: datetime | None = None
    period: PeriodFacts | None = None


@dataclass(frozen=True)
class CheckInDue:
    """A member due for a check-in: since when (``due_since`` also names the period),
    which moment started the clock (``since``), who said "I'll do it" for this period,
    and whether the supporters' reminder for this period is still to send."""

    member_id: int
    due_since: datetime
    since: str
    last_request_at: datetime | None
    last_check_in_at: datetime | None
    claimed_by: int | None
    remind: bool


def _clock_start(
    *,
    rule_set_at: datetime | None,
    receives_since: datetime,
    last_request_at: datetime | None,
    last_check_in_at: datetime | None,
) -> tuple[datetime, str]:
    """The latest of the four moments, and which it was (ties: the first in this order)."""
    candidates = [
        (last_request_at, SINCE_REQUEST),
        (last_check_in_at, SINCE_CHECK_IN),
        (receives_since, SINCE_RECEIVING),
        (rule_set_at, SINCE_RULE),
    ]
    present = [
        (_utc(moment, name), -rank, name)
        for rank, (moment, name) in enumerate(candidates)
        if moment is not None
    ]
    moment, _, name = max(present)  # never empty: ``receives_since`` is always given
    return moment, name


def check_in_due_since(
    days: int | None,
    *,
    rule_set_at: datetime | None,
    receives_since: datetime,
    last_request_at: datetime | None = None,
    last_check_in_at: datetime | None = None,
) -> datetime | None:
    """``relance_after_days`` after the latest of the member's last request, last check-in,
    the moment they began to receive support here and the adoption of the version that set
    the rule (``rule_set_at``); None when the rule is unset (no check-ins at all)."""
    if days is None:
        return None
    start, _ = _clock_start(
        rule_set_at=rule_set_at,
        receives_since=receives_since,
        last_request_at=last_request_at,
        last_check_in_at=last_check_in_at,
    )
    return shifted(start, timedelta(days=days))


def claimed_by(due_since: datetime, period: PeriodFacts | None) -> int | None:
    """Who said "I'll do it" for the period starting at ``due_since`` (a claim of an
    earlier period, before the clock was reset, no longer counts)."""
    if period is None or _utc(period.due_since, "due_since") != _utc(due_since, "due_since"):
        return None
    return period.claimed_by


def reminder_due(due_since: datetime, now: datetime, last_reminded_at: datetime | None) -> bool:
    """Whether supporters are to be reminded of a due check-in now: once per period, so
    not when the last reminder was sent in this period (at or after ``due_since``)."""
    due_since = _utc(due_since, "due_since")
    if _utc(now) < due_since:
        return False
    return last_reminded_at is None or _utc(last_reminded_at, "last_reminded_at") < due_since


def reminder_recipients(
    member_id: int, supporter_ids: Iterable[int], claimed: int | None
) -> tuple[int, ...]:
    """Whom a check-in reminder goes to: the supporters other than the member, or only the
    one who said "I'll do it" (the others are not reminded for that period)."""
    ids = tuple(dict.fromkeys(i for i in supporter_ids if i != member_id))
    if claimed is not None:
        return tuple(i for i in ids if i == claimed)
    return ids


def check_ins_due(
    days: int | None,
    rule_set_at: datetime | None,
    members: Iterable[CheckInFacts],
    now: datetime,
) -> list[CheckInDue]:
    """The receiving members due for a check-in as of ``now`` (``due_since <= now``),
    longest due first; none when ``relance_after_days`` is unset."""
    if days is None:
        return []
    now = _utc(now)
    due = []
    for member in members:
        start, since = _clock_start(
            rule_set_at=rule_set_at,
            receives_since=member.receives_since,
            last_request_at=member.last_request_at,
            last_check_in_at=member.last_check_in_at,
        )
        due_since = shifted(start, timedelta(days=days))
        if now < due_since:
            continue
        # What was recorded counts only for this very period: a reset clock starts anew.
        period = member.period
        if period is not None and _utc(period.due_since, "due_since") != due_since:
            period = None
        due.append(
            CheckInDue(
                member_id=member.member_id,
                due_since=due_since,
                since=since,
                last_request_at=member.last_request_at,
                last_check_in_at=member.last_check_in_at,
                claimed_by=period.claimed_by if period is not None else None,
                remind=reminder_due(due_since, now, period.reminded_at if period else None),
            )
        )
    due.sort(key=lambda d: (d.due_since, d.member_id))
    return due


# -- rhythm --------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCount:
    """One ISO week in the member's zone: its label (``2026-W48``), its Monday, and the
    support times in it."""

    week: str
    start: date
    count: int


@dataclass(frozen=True)
class Rhythm:
    """The target (None when unset) and the weeks, oldest first, this week last."""

    target: int | None
    weeks: tuple[WeekCount, ...]

    @property
    def this_week(self) -> WeekCount:
        """The current week (the last one)."""
        return self.weeks[-1]


def week_label(day: date) -> str:
    """The ISO week of ``day``: ``2026-W48`` (1 Jan 2027 is in ``2026-W53``)."""
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def rhythm(
    target: int | None,
    support_times: Iterable[datetime],
    zone: str,
    now: datetime,
    weeks: int = 8,
) -> Rhythm:
    """The member's support times per ISO week of their zone, for the ``weeks`` weeks that
    end with this one (this week included), against ``target``. Times after ``now`` have
    not happened yet and are not counted."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    tz = ZoneInfo(zone)
    now = _utc(now)
    today = now.astimezone(tz).date()
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    counts = dict.fromkeys(mondays, 0)
    for moment in support_times:
        moment = _utc(moment, "support time")
        if moment > now:
            continue
        day = moment.astimezone(tz).date()
        monday = day - timedelta(days=day.weekday())
        if monday in counts:
            counts[monday] += 1
    return Rhythm(
        target=target,
        weeks=tuple(WeekCount(week_label(m), m, counts[m]) for m in mondays),
    )
