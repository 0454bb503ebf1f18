"""The agreements API's list and rules as plain, typed functions.

What ``AgreementListSchema().dump(...)`` and ``RulesSchema().dump(...)`` give, byte
for byte (``tests/agreements/test_agreement_json.py`` compares them on a rich circle);
the schemas in ``schemas.py`` stay the documented shape.
"""

from __future__ import annotations

from typing import Any, TypedDict

from ..api.serialize import day, utc
from . import rules as rule_specs
from .services import AgreementState


class AgreementSummaryJSON(TypedDict):
    id: int
    title: str
    status: str
    version: int
    body: str
    body_html: str
    rules: dict[str, Any]
    adopted_at: str
    poll_id: int | None
    review_on: str | None
    repealed_at: str | None


def agreement_summary_json(state: AgreementState) -> AgreementSummaryJSON:
    """An agreement of the list, as it stood at the list's ``as_of``
    (``AgreementSummarySchema``)."""
    version = state.version
    return {
        "id": state.agreement.id,
        "title": version.title,
        "status": "active" if state.active else "repealed",
        "version": version.version,
        "body": version.body,
        "body_html": version.body_html,
        "rules": dict(version.rules or {}),
        "adopted_at": utc(version.adopted_at),
        "poll_id": version.poll_id,
        "review_on": day(state.review_on),
        "repealed_at": utc(state.repealed_at),
    }


def rule_source_json(source: rule_specs.RuleSource) -> dict:
    """``RuleSourceSchema``."""
    return {
        "agreement_id": source.agreement_id,
        "version": source.version,
        "title": source.title,
        "poll_id": source.poll_id,
        "adopted_at": utc(source.adopted_at),
    }


def active_rule_json(rule: rule_specs.ActiveRule) -> dict:
    """``ActiveRuleSchema``: the value, whether it is the default, its source and the
    versions it overrides (each with what it sets)."""
    return {
        "value": rule.value,
        "default": rule.is_default,
        "source": rule_source_json(rule.source) if rule.source is not None else None,
        "overridden": [
            {**rule_source_json(other), "value": other.value} for other in rule.overridden
        ],
    }


def rules_json(as_of, active: dict[str, rule_specs.ActiveRule]) -> dict:
    """``RulesSchema``: ``{as_of, rules: {key: ...}}`` in rule order."""
    return {"as_of": utc(as_of), "rules": {key: active_rule_json(r) for key, r in active.items()}}
