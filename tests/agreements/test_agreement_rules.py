"""The rule keys, their checking, and the pure derivation of the active rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.agreements.rules import (
    RULE_KEYS,
    RULE_SPECS,
    VersionFacts,
    clean_rules,
    current_versions,
    derive_active_rules,
    rule_values,
    validate_rules,
)

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

DEFAULTS = {
    "reciprocity": "required",
    "availability_check": True,
    "relance_after_days": None,
    "rhythm_per_week": None,
    "urgent_response_minutes": 60,
    "urgent_minor_lapse_hours": 12,
    "important_response_days": 3,
    "channels": [],
    "decision_quorum_percent": 50,
}


def v(agreement_id, version, rules, adopted_at, poll_id=None, repealed_at=None, title=None):
    return VersionFacts(
        agreement_id=agreement_id,
        version=version,
        title=title or f"Accord {agreement_id}",
        rules=rules,
        adopted_at=adopted_at,
        poll_id=poll_id if poll_id is not None else agreement_id * 100 + version,
        repealed_at=repealed_at,
    )


# -- specs ------------------------------------------------------------------------


def test_every_key_of_the_design_table_with_its_default():
    assert list(RULE_KEYS) == list(DEFAULTS)
    rules = derive_active_rules([], T0)
    assert rule_values(rules) == DEFAULTS
    assert all(rule.is_default and rule.source is None for rule in rules.values())


def test_specs_carry_units_ranges_and_texts():
    assert RULE_SPECS["relance_after_days"].unit == "days"
    assert (RULE_SPECS["relance_after_days"].minimum, RULE_SPECS["relance_after_days"].maximum) == (
        1,
        365,
    )
    assert RULE_SPECS["rhythm_per_week"].nullable
    assert RULE_SPECS["decision_quorum_percent"].unit == "percent"
    assert RULE_SPECS["reciprocity"].choices == ("required", "not_required")
    for spec in RULE_SPECS.values():
        assert spec.label and spec.help


# -- checking ---------------------------------------------------------------------


def test_valid_rules_pass_and_are_cleaned():
    rules = {
        "channels": [" Jitsi ", "téléphone", "Jitsi"],
        "reciprocity": "not_required",
        "availability_check": False,
        "relance_after_days": 21,
        "rhythm_per_week": None,
        "urgent_response_minutes": 5,
        "urgent_minor_lapse_hours": 168,
        "important_response_days": 30,
        "decision_quorum_percent": 0,
    }
    assert validate_rules(rules) == {}
    cleaned = clean_rules(rules)
    assert list(cleaned) == list(RULE_KEYS)
    assert cleaned["channels"] == ["Jitsi", "téléphone"]
    assert validate_rules({}) == {}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("reciprocity", "sometimes"),
        ("reciprocity", True),
        ("availability_check", 1),
        ("availability_check", "true"),
        ("availability_check", None),
        ("relance_after_days", 0),
        ("relance_after_days", 366),
        ("relance_after_days", 21.0),
        ("relance_after_days", "21"),
        ("relance_after_days", True),
        ("rhythm_per_week", 22),
        ("urgent_response_minutes", 4),
        ("urgent_response_minutes", None),
        ("urgent_minor_lapse_hours", 169),
        ("important_response_days", 0),
        ("decision_quorum_percent", 101),
        ("decision_quorum_percent", -1),
        ("channels", "Jitsi"),
        ("channels", ["Jitsi", ""]),
        ("channels", ["   "]),
        ("channels", [3]),
        ("channels", ["x" * 61]),
        ("channels", [f"c{i}" for i in range(21)]),
    ],
)
def test_invalid_values_are_refused_naming_the_key(key, value):
    errors = validate_rules({key: value})
    assert list(errors) == [f"rules.{key}"]
    assert str(errors[f"rules.{key}"])


def test_null_is_accepted_only_where_the_table_allows_it():
    assert validate_rules({"relance_after_days": None, "rhythm_per_week": None}) == {}
    assert "rules.important_response_days" in validate_rules({"important_response_days": None})


def test_unknown_keys_and_non_objects_are_refused():
    errors = validate_rules({"reciprocity": "required", "bedtime": 22})
    assert list(errors) == ["rules.bedtime"]
    assert "bedtime" in errors["rules.bedtime"]
    assert list(validate_rules(["reciprocity"])) == ["rules"]
    assert list(validate_rules(None)) == ["rules"]


def test_every_bad_key_is_named_at_once():
    errors = validate_rules({"relance_after_days": 0, "rhythm_per_week": 99, "x": 1})
    assert set(errors) == {"rules.relance_after_days", "rules.rhythm_per_week", "rules.x"}


def test_messages_keep_their_template_for_translation():
    message = validate_rules({"relance_after_days": 0})["rules.relance_after_days"]
    assert message == "Must be a whole number from 1 to 365, or empty."
    assert message.template == "Must be a whole number from %(min)s to %(max)s, or empty."
    assert message.params == {"min": 1, "max": 365}


# -- deriving -------------------------------------------------------------------------


def test_a_set_key_comes_from_its_agreement_with_provenance():
    facts = v(1, 1, {"relance_after_days": 21}, T0, poll_id=7, title="Nos accords d'écoute")
    rules = derive_active_rules([facts], T0 + DAY)
    rule = rules["relance_after_days"]
    assert (rule.value, rule.is_default, rule.overridden) == (21, False, [])
    assert rule.source.agreement_id == 1
    assert rule.source.version == 1
    assert rule.source.title == "Nos accords d'écoute"
    assert rule.source.poll_id == 7
    assert rule.source.adopted_at == T0
    # Keys it does not set keep their defaults, marked as not agreed yet.
    assert rules["rhythm_per_week"].is_default and rules["rhythm_per_week"].value is None


def test_the_most_recently_adopted_version_wins_and_overrides_the_others():
    old = v(1, 1, {"relance_after_days": 21, "reciprocity": "not_required"}, T0)
    newer = v(2, 1, {"relance_after_days": 14}, T0 + DAY)
    newest = v(3, 1, {"relance_after_days": 7}, T0 + 2 * DAY)
    for order in ([old, newer, newest], [newest, old, newer]):
        rules = derive_active_rules(order, T0 + 3 * DAY)
        rule = rules["relance_after_days"]
        assert rule.value == 7
        assert rule.source.agreement_id == 3
        # Overridden ones, latest first, with what they set.
        assert [(o.agreement_id, o.value) for o in rule.overridden] == [(2, 14), (1, 21)]
        # A key only the old one sets still comes from it.
        assert rules["reciprocity"].value == "not_required"
        assert rules["reciprocity"].source.agreement_id == 1
        assert rules["reciprocity"].overridden == []


def test_ties_on_the_adoption_time_go_to_the_later_poll():
    first = v(5, 1, {"rhythm_per_week": 2}, T0, poll_id=41)
    second = v(4, 1, {"rhythm_per_week": 3}, T0, poll_id=42)
    for order in ([first, second], [second, first]):
        rule = derive_active_rules(order, T0)["rhythm_per_week"]
        assert (rule.value, rule.source.poll_id) == (3, 42)
        assert [o.poll_id for o in rule.overridden] == [41]


def test_only_the_current_version_of_an_agreement_counts():
    v1 = v(1, 1, {"rhythm_per_week": 2, "relance_after_days": 21}, T0)
    v2 = v(1, 2, {"rhythm_per_week": 3}, T0 + DAY)  # the rule set replaced: no relance
    other = v(2, 1, {"rhythm_per_week": 1}, T0 + DAY / 2)
    rules = derive_active_rules([v1, v2, other], T0 + 2 * DAY)
    assert rules["rhythm_per_week"].value == 3
    assert (
        rules["rhythm_per_week"].source.agreement_id,
        rules["rhythm_per_week"].source.version,
    ) == (
        1,
        2,
    )
    # v1 is history, not an overridden current version.
    assert [(o.agreement_id, o.version) for o in rules["rhythm_per_week"].overridden] == [(2, 1)]
    assert rules["relance_after_days"].is_default


def test_an_amendment_that_is_older_than_another_agreement_loses_to_it():
    a1 = v(1, 1, {"rhythm_per_week": 2}, T0)
    b1 = v(2, 1, {"rhythm_per_week": 4}, T0 + 2 * DAY)
    a2 = v(1, 2, {"rhythm_per_week": 3}, T0 + DAY)  # amended before b was adopted
    rule = derive_active_rules([a1, b1, a2], T0 + 3 * DAY)["rhythm_per_week"]
    assert (rule.value, rule.source.agreement_id) == (4, 2)
    assert [(o.agreement_id, o.version, o.value) for o in rule.overridden] == [(1, 2, 3)]


def test_a_repealed_agreement_no_longer_counts_from_that_time_on():
    repealed_at = T0 + 5 * DAY
    quorum = v(1, 1, {"decision_quorum_percent": 75}, T0, repealed_at=repealed_at)
    other = v(2, 1, {"decision_quorum_percent": 60}, T0 - DAY)
    before = derive_active_rules([quorum, other], repealed_at - timedelta(seconds=1))
    assert before["decision_quorum_percent"].value == 75
    assert [o.agreement_id for o in before["decision_quorum_percent"].overridden] == [2]
    at = derive_active_rules([quorum, other], repealed_at)
    assert at["decision_quorum_percent"].value == 60
    assert at["decision_quorum_percent"].overridden == []
    alone = derive_active_rules([quorum], repealed_at + DAY)
    assert alone["decision_quorum_percent"].is_default
    assert alone["decision_quorum_percent"].value == 50


def test_as_of_before_adoption_after_adoption_and_between_versions():
    v1 = v(1, 1, {"relance_after_days": 21, "rhythm_per_week": 2}, T0)
    v2 = v(1, 2, {"relance_after_days": 14, "rhythm_per_week": 2}, T0 + 10 * DAY)
    versions = [v1, v2]
    assert derive_active_rules(versions, T0 - timedelta(seconds=1))["relance_after_days"].is_default
    assert derive_active_rules(versions, T0)["relance_after_days"].value == 21  # inclusive
    middle = derive_active_rules(versions, T0 + 5 * DAY)["relance_after_days"]
    assert (middle.value, middle.source.version) == (21, 1)
    later = derive_active_rules(versions, T0 + 10 * DAY)["relance_after_days"]
    assert (later.value, later.source.version) == (14, 2)


def test_as_of_before_a_repeal_sees_the_agreement_and_after_it_does_not():
    facts = [
        v(1, 1, {"reciprocity": "not_required"}, T0, repealed_at=T0 + 3 * DAY),
        v(
            1,
            2,
            {"reciprocity": "not_required", "channels": ["Jitsi"]},
            T0 + DAY,
            repealed_at=T0 + 3 * DAY,
        ),
    ]
    assert [f.version for f in current_versions(facts, T0 + 2 * DAY)] == [2]
    assert current_versions(facts, T0 + 3 * DAY) == []
    assert derive_active_rules(facts, T0 + 2 * DAY)["channels"].value == ["Jitsi"]
    assert derive_active_rules(facts, T0 + 4 * DAY)["reciprocity"].value == "required"


def test_defaults_are_fresh_values():
    rules = derive_active_rules([], T0)
    rules["channels"].value.append("x")
    assert derive_active_rules([], T0)["channels"].value == []


def test_keys_that_are_not_rules_are_ignored():
    rules = derive_active_rules([v(1, 1, {"bedtime": 22}, T0)], T0)
    assert set(rules) == set(RULE_KEYS)
    assert all(rule.is_default for rule in rules.values())
