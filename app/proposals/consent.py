"""The consent rule: is a proposal adopted? Pure, no Flask, no database.

adopted ⇔ no ``block`` ∧ ``agree`` > ``disagree`` ∧ participation ≥
``decision_quorum_percent`` of the eligible voters. Abstentions count for
participation only. The verdict keeps each condition with whether it held
and the figures behind it, so that the explanation can be written at read
time in the reader's language (``app.proposals.services.explain``), never
stored as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..polls.tally import truncated_percent

#: the conditions, in the order they are explained
NO_BLOCK = "no_block"
MORE_AGREE = "more_agree_than_disagree"
QUORUM = "quorum"
CONDITION_CODES = (NO_BLOCK, MORE_AGREE, QUORUM)


@dataclass(frozen=True)
class Condition:
    """One condition of the rule: ``code`` (above), ``held``, and its figures."""

    code: str
    held: bool
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Condition:
        return cls(code=data["code"], held=bool(data["held"]), params=dict(data.get("params", {})))


@dataclass(frozen=True)
class Verdict:
    adopted: bool
    conditions: list[Condition]

    @property
    def failed(self) -> list[Condition]:
        return [c for c in self.conditions if not c.held]


def quorum_reached(participants: int, eligible: int, quorum_percent: int) -> bool:
    """participants / eligible ≥ quorum %, in exact integer arithmetic (no rounding:
    2 of 3 reaches 66 % but not 67 %)."""
    return participants * 100 >= quorum_percent * eligible


def consent_verdict(
    counts: Mapping[str, int], participants: int, eligible: int, quorum_percent: int
) -> Verdict:
    """The verdict for ``counts`` (``agree``, ``abstain``, ``disagree``, ``block``; a
    missing key counts 0), ``participants`` of ``eligible`` voters, and the quorum.

    The seed's poll, 5 agree, 8 abstain, 3 disagree, 2 block, 18 of 18: not adopted
    (blocked), although the two other conditions hold.
    """
    agree = int(counts.get("agree", 0))
    disagree = int(counts.get("disagree", 0))
    block = int(counts.get("block", 0))
    conditions = [
        Condition(NO_BLOCK, block == 0, {"block": block}),
        Condition(MORE_AGREE, agree > disagree, {"agree": agree, "disagree": disagree}),
        Condition(
            QUORUM,
            quorum_reached(participants, eligible, quorum_percent),
            {
                "participants": participants,
                "eligible": eligible,
                "percent": truncated_percent(participants, eligible),
                "quorum": quorum_percent,
            },
        ),
    ]
    return Verdict(adopted=all(c.held for c in conditions), conditions=conditions)
