"""Text and rules differences between two agreement versions (pure)."""

from __future__ import annotations

from app.agreements.diff import DiffRow, rules_diff, side_by_side, text_diff


def test_unified_diff_of_title_and_body():
    out = text_diff(
        "Nos accords",
        "Pas de réciprocité.\nRelance après 3 semaines.",
        "Nos accords d'écoute",
        "Pas de réciprocité.\nRelance après 2 semaines.",
        from_label="v1",
        to_label="v2",
    )
    lines = out.splitlines()
    assert lines[0] == "--- v1"
    assert lines[1] == "+++ v2"
    assert "-Nos accords" in lines
    assert "+Nos accords d'écoute" in lines
    assert "-Relance après 3 semaines." in lines
    assert "+Relance après 2 semaines." in lines
    assert " Pas de réciprocité." in lines


def test_same_texts_make_an_empty_diff():
    assert text_diff("A", "b\nc", "A", "b\nc", from_label="v1", to_label="v2") == ""


def test_side_by_side_rows_align_both_versions():
    rows = side_by_side("T", "a\nb\nc", "T", "a\nB\nc\nd")
    assert rows == [
        DiffRow("equal", "T", "T"),
        DiffRow("equal", "", ""),
        DiffRow("equal", "a", "a"),
        DiffRow("replace", "b", "B"),
        DiffRow("equal", "c", "c"),
        DiffRow("insert", None, "d"),
    ]
    assert side_by_side("T", "a\nb", "T", "a")[-1] == DiffRow("delete", "b", None)


def test_rules_diff_lists_changed_keys_in_rule_order():
    old = {"rhythm_per_week": 2, "relance_after_days": 21, "channels": ["Jitsi"]}
    new = {"relance_after_days": 14, "rhythm_per_week": 2, "channels": ["Jitsi", "téléphone"]}
    assert rules_diff(old, new) == {
        "relance_after_days": {"from": 21, "to": 14},
        "channels": {"from": ["Jitsi"], "to": ["Jitsi", "téléphone"]},
    }
    assert list(rules_diff(old, new)) == ["relance_after_days", "channels"]


def test_a_side_that_does_not_set_the_key_is_left_out():
    old = {"reciprocity": "not_required", "relance_after_days": None}
    new = {"availability_check": False, "relance_after_days": None}
    assert rules_diff(old, new) == {
        "reciprocity": {"from": "not_required"},
        "availability_check": {"to": False},
    }


def test_null_is_a_value_not_an_absence():
    assert rules_diff({"rhythm_per_week": None}, {}) == {"rhythm_per_week": {"from": None}}
    assert rules_diff({}, {"rhythm_per_week": None}) == {"rhythm_per_week": {"to": None}}
    assert rules_diff({}, {}) == {}
