"""The support rules an agreement can set, and the group's active rules.

Pure: plain values in and out, no Flask, no database, no clock (the time
is a parameter, ``as_of``). The services load agreement versions into
``VersionFacts`` and call ``derive_active_rules``; pages, the API and the
support features read the ``ActiveRule`` values it returns.

The derivation follows DESIGN.md ("Support rules, derived from agreements"):

1. take the current version, as of T, of every agreement active as of T
   (adopted at or before T, not repealed at or before T);
2. per key, the value comes from the version adopted most recently; other
   current versions that set the key are listed as *overridden*;
3. a key that no such version sets takes its default (``is_default``: not
   agreed yet).

Ties on the adoption time are broken by the poll: the version adopted by the
poll with the greater id (the later poll) wins; then by agreement id and
version number, so the result never depends on input order (``precedence``).

Labels and help texts are English source strings marked with ``N_`` for
extraction; callers translate them at read time (``gettext(spec.label)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..polls.tally import N_, Message

#: at most this many channels, each at most this many characters
MAX_CHANNELS = 20
MAX_CHANNEL_LENGTH = 60


@dataclass(frozen=True)
class RuleSpec:
    """One rule key: its type, allowed values, unit, default and English texts.

    ``type`` is ``choice`` (one of ``choices``), ``bool``, ``int``
    (``minimum``..``maximum``, or None when ``nullable``) or ``list``
    (of short non-empty strings).
    """

    key: str
    type: str
    default: Any
    label: str
    help: str
    choices: tuple[str, ...] = ()
    #: English names of the choices (marked for translation)
    choice_labels: Mapping[str, str] = field(default_factory=dict)
    minimum: int | None = None
    maximum: int | None = None
    nullable: bool = False
    #: ``days``, ``minutes``, ``hours``, ``per_week``, ``percent`` or None
    unit: str | None = None


RULE_SPECS: dict[str, RuleSpec] = {
    spec.key: spec
    for spec in (
        RuleSpec(
            key="reciprocity",
            type="choice",
            default="required",
            choices=("required", "not_required"),
            choice_labels={
                "required": N_("Required"),
                "not_required": N_("Not required"),
            },
            label=N_("Reciprocity"),
            help=N_(
                "Required: every member both gives and receives support, and cannot turn "
                "either off. Not required: a member may only give, or only receive."
            ),
        ),
        RuleSpec(
            key="availability_check",
            type="bool",
            default=True,
            label=N_("Check availability first"),
            help=N_(
                "A request first asks \u201care you available?\u201d, and is matched when "
                "one supporter accepts."
            ),
        ),
        RuleSpec(
            key="relance_after_days",
            type="int",
            default=None,
            minimum=1,
            maximum=365,
            nullable=True,
            unit="days",
            label=N_("Check-in after"),
            help=N_(
                "A member who receives support and has not asked for it for this many days "
                "appears under \u201ccheck-ins due\u201d; supporters are reminded once per period. "
                "Empty: no check-ins."
            ),
        ),
        RuleSpec(
            key="rhythm_per_week",
            type="int",
            default=None,
            minimum=1,
            maximum=21,
            nullable=True,
            unit="per_week",
            label=N_("Support rhythm"),
            help=N_(
                "Each member's target of support times a week, shown against what happened. "
                "Empty: no target."
            ),
        ),
        RuleSpec(
            key="urgent_response_minutes",
            type="int",
            default=60,
            minimum=5,
            maximum=1440,
            unit="minutes",
            label=N_("Urgent response time"),
            help=N_(
                "Urgent and important requests notify every available supporter at once; "
                "unmatched after this long, every supporter is notified, away ones too."
            ),
        ),
        RuleSpec(
            key="urgent_minor_lapse_hours",
            type="int",
            default=12,
            minimum=1,
            maximum=168,
            unit="hours",
            label=N_("Urgent but not important: lapses after"),
            help=N_(
                "Urgent requests that are not important (a celebration) are notified at once "
                "and lapse quietly if no one is free within this time."
            ),
        ),
        RuleSpec(
            key="important_response_days",
            type="int",
            default=3,
            minimum=1,
            maximum=30,
            unit="days",
            label=N_("Important but not urgent: overdue after"),
            help=N_(
                "Important requests that are not urgent go in the digest, and are overdue "
                "after this many days."
            ),
        ),
        RuleSpec(
            key="channels",
            type="list",
            default=(),
            label=N_("Ways of meeting"),
            help=N_(
                "The ways of meeting the group agreed on: in person, phone, Jitsi, Matrix\u2026"
            ),
        ),
        RuleSpec(
            key="decision_quorum_percent",
            type="int",
            default=50,
            minimum=0,
            maximum=100,
            unit="percent",
            label=N_("Decision quorum"),
            help=N_("The share of the voters who must take part for a proposal to be adopted."),
        ),
    )
}

RULE_KEYS: tuple[str, ...] = tuple(RULE_SPECS)


def default_value(key: str) -> Any:
    """The default of a rule, as a fresh JSON-ready value (lists are lists)."""
    default = RULE_SPECS[key].default
    return list(default) if isinstance(default, tuple) else default


# -- checking --------------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(spec: RuleSpec, value) -> Message | None:
    if spec.type == "choice":
        if not isinstance(value, str) or value not in spec.choices:
            return Message(N_("Must be one of: %(choices)s."), choices=", ".join(spec.choices))
        return None
    if spec.type == "bool":
        if not isinstance(value, bool):
            return Message(N_("Must be true or false."))
        return None
    if spec.type == "int":
        if value is None and spec.nullable:
            return None
        if not _is_int(value) or not spec.minimum <= value <= spec.maximum:
            if spec.nullable:
                return Message(
                    N_("Must be a whole number from %(min)s to %(max)s, or empty."),
                    min=spec.minimum,
                    max=spec.maximum,
                )
            return Message(
                N_("Must be a whole number from %(min)s to %(max)s."),
                min=spec.minimum,
                max=spec.maximum,
            )
        return None
    if spec.type == "list":
        if not isinstance(value, list | tuple) or len(value) > MAX_CHANNELS:
            return Message(N_("Give a list of at most %(max)s names."), max=MAX_CHANNELS)
        for item in value:
            if not isinstance(item, str) or not item.strip():
                return Message(N_("Each name must be a non-empty text."))
            if len(item.strip()) > MAX_CHANNEL_LENGTH:
                return Message(
                    N_("Each name must be at most %(max)s characters long."),
                    max=MAX_CHANNEL_LENGTH,
                )
        return None
    raise ValueError(f"unknown rule type {spec.type!r}")  # a bug in RULE_SPECS


def validate_rules(rules) -> dict[str, Message]:
    """Errors keyed ``rules.<key>`` (or ``rules`` when it is not an object); empty when valid.

    Unknown keys, wrong types (a bool must be a real bool, a number a real
    integer) and values out of range are refused. ``relance_after_days`` and
    ``rhythm_per_week`` accept null; ``channels`` is a list of short non-empty names.
    """
    if not isinstance(rules, Mapping):
        return {"rules": Message(N_("Give the rules as an object of rule keys and values."))}
    errors: dict[str, Message] = {}
    for key, value in rules.items():
        spec = RULE_SPECS.get(key) if isinstance(key, str) else None
        if spec is None:
            errors[f"rules.{key}"] = Message(N_("Unknown rule: %(key)s."), key=str(key))
            continue
        problem = _check(spec, value)
        if problem is not None:
            errors[f"rules.{key}"] = problem
    return errors


def clean_rules(rules: Mapping) -> dict[str, Any]:
    """The stored form of valid rules (call ``validate_rules`` first): keys in
    ``RULE_SPECS`` order, channel names stripped, repeated names dropped."""
    out: dict[str, Any] = {}
    for key in RULE_KEYS:
        if key not in rules:
            continue
        value = rules[key]
        if RULE_SPECS[key].type == "list":
            seen: list[str] = []
            for item in value:
                name = item.strip()
                if name not in seen:
                    seen.append(name)
            value = seen
        out[key] = value
    return out


# -- deriving ------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionFacts:
    """What the derivation needs of one adopted agreement version.

    ``repealed_at`` is the agreement's (None while it is active): from that
    time on, none of its versions counts.
    """

    agreement_id: int
    version: int
    title: str
    rules: Mapping[str, Any]
    adopted_at: datetime
    poll_id: int | None = None
    repealed_at: datetime | None = None

    def precedence(self) -> tuple:
        """Later adoption wins; same instant: the later poll (greater id), then the
        greater agreement id and version (deterministic whatever the input order)."""
        return (
            self.adopted_at,
            self.poll_id if self.poll_id is not None else -1,
            self.agreement_id,
            self.version,
        )


@dataclass(frozen=True)
class RuleSource:
    """Where a rule's value comes from (or an overridden version, with what it set)."""

    agreement_id: int
    version: int
    title: str
    poll_id: int | None
    adopted_at: datetime
    value: Any


@dataclass(frozen=True)
class ActiveRule:
    """A rule as it stands: its value, whether it is the default (not agreed yet), its
    source (None for a default) and the current versions it overrides, latest first."""

    key: str
    value: Any
    is_default: bool
    source: RuleSource | None
    overridden: list[RuleSource] = field(default_factory=list)

    @property
    def spec(self) -> RuleSpec:
        return RULE_SPECS[self.key]


def counts_at(facts: VersionFacts, as_of: datetime) -> bool:
    """Whether a version was adopted by ``as_of`` and its agreement not yet repealed."""
    if facts.adopted_at > as_of:
        return False
    return facts.repealed_at is None or facts.repealed_at > as_of


def current_versions(versions: Iterable[VersionFacts], as_of: datetime) -> list[VersionFacts]:
    """The current version, as of ``as_of``, of every agreement active then: the highest
    version adopted by then, for agreements not repealed by then. Latest adopted first."""
    latest: dict[int, VersionFacts] = {}
    for facts in versions:
        if not counts_at(facts, as_of):
            continue
        known = latest.get(facts.agreement_id)
        if known is None or facts.version > known.version:
            latest[facts.agreement_id] = facts
    return sorted(latest.values(), key=VersionFacts.precedence, reverse=True)


def _source(facts: VersionFacts, key: str) -> RuleSource:
    return RuleSource(
        agreement_id=facts.agreement_id,
        version=facts.version,
        title=facts.title,
        poll_id=facts.poll_id,
        adopted_at=facts.adopted_at,
        value=facts.rules[key],
    )


def derive_active_rules(versions: Iterable[VersionFacts], as_of: datetime) -> dict[str, ActiveRule]:
    """The active rules as of ``as_of``, one per key of ``RULE_SPECS``, in that order.

    ``versions``: every adopted version of the group's agreements (any order; those
    adopted after ``as_of``, and those of agreements repealed by then, are ignored).
    Keys a version sets that are not rule keys are ignored.
    """
    current = current_versions(versions, as_of)
    active: dict[str, ActiveRule] = {}
    for key in RULE_KEYS:
        setters = [facts for facts in current if key in facts.rules]
        if not setters:
            active[key] = ActiveRule(key, default_value(key), True, None, [])
            continue
        winner, *others = setters
        active[key] = ActiveRule(
            key=key,
            value=winner.rules[key],
            is_default=False,
            source=_source(winner, key),
            overridden=[_source(facts, key) for facts in others],
        )
    return active


def rule_values(active: Mapping[str, ActiveRule]) -> dict[str, Any]:
    """Just the values: ``{key: value}``."""
    return {key: rule.value for key, rule in active.items()}
