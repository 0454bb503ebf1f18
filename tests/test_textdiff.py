"""The one line-diff helper (``app/textdiff.py``), shared by threads and agreements."""

from __future__ import annotations

from app.textdiff import DiffRow, diff_lines, side_by_side, unified_diff


def test_diff_lines_are_kinds_and_lines_without_headers():
    old = ["Bonjour", "à tous", "le lundi", "à 18 h"]
    new = ["Bonjour", "à toutes et à tous", "le lundi", "à 18 h", "en visio"]
    assert diff_lines(old, new, context=1) == [
        ("hunk", "@@ -1,4 +1,5 @@"),
        ("same", "Bonjour"),
        ("del", "à tous"),
        ("ins", "à toutes et à tous"),
        ("same", "le lundi"),
        ("same", "à 18 h"),
        ("ins", "en visio"),
    ]
    assert diff_lines(old, old) == []


def test_lines_that_look_like_headers_are_kept():
    assert diff_lines(["-- Alice", "++ ok"], ["++ ok"]) == [
        ("hunk", "@@ -1,2 +1 @@"),
        ("del", "-- Alice"),
        ("same", "++ ok"),
    ]


def test_the_context_is_the_callers():
    old = [f"ligne {i}" for i in range(10)]
    new = [*old[:5], "changée", *old[6:]]
    assert [kind for kind, _line in diff_lines(old, new, context=2)].count("same") == 4
    assert [kind for kind, _line in diff_lines(old, new, context=3)].count("same") == 6


def test_unified_diff_names_its_sides():
    text = unified_diff(["a"], ["b"], from_label="v1", to_label="v2")
    assert text.splitlines() == ["--- v1", "+++ v2", "@@ -1 +1 @@", "-a", "+b"]
    assert unified_diff(["a"], ["a"]) == ""


def test_side_by_side_aligns_rows():
    assert side_by_side(["a", "b"], ["a", "B", "c"]) == [
        DiffRow("equal", "a", "a"),
        DiffRow("replace", "b", "B"),
        DiffRow("insert", None, "c"),
    ]


def test_side_by_side_and_the_unified_diff_agree_on_a_long_text_of_repeated_lines():
    """Both views make one comparison (difflib's autojunk past 200 lines): an exact
    one on 10,000 repeated short lines took minutes for one page."""
    from app.textdiff import diff_lines, side_by_side

    old, new = ["", "a"] * 150, ["a", ""] * 150
    rows = side_by_side(old, new)
    changed = (
        sum(r.old is not None and r.tag != "equal" for r in rows),
        sum(r.new is not None and r.tag != "equal" for r in rows),
    )
    lines = diff_lines(old, new, context=0)
    assert changed == (
        sum(kind == "del" for kind, _ in lines),
        sum(kind == "ins" for kind, _ in lines),
    )
    assert [r.old for r in rows if r.old is not None] == old
    assert [r.new for r in rows if r.new is not None] == new
