"""Differences between two agreement versions: text and rules. Pure.

The text of a version is compared as lines (``version_text``: the title, a blank
line, the body) by the shared line-diff helper, ``app/textdiff.py``:

- ``text_diff``: a unified diff, as ``GET /agreements/{id}/diff`` returns it;
- ``text_diff_lines``: the same as ``(kind, line)`` pairs for the pages;
- ``side_by_side``: the same comparison as rows for a two-column page;
- ``reading_diff``: the same two versions as people read them (rendered Markdown,
  as plain text), compared block by block and word by word, for the pages;
- ``rules_diff``: ``{key: {"from": old, "to": new}}`` for every key whose value
  changed, where a side that does not set the key is left out (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import textdiff
from ..markdown import text_blocks
from ..textdiff import DiffRow, WordBlock
from .rules import RULE_KEYS

__all__ = [
    "DiffRow",
    "WordBlock",
    "reading_diff",
    "rules_diff",
    "side_by_side",
    "text_diff",
    "text_diff_lines",
    "version_text",
]


def version_text(title: str, body: str) -> list[str]:
    """The lines compared: the title, a blank line, the body."""
    return [title or "", "", *((body or "").splitlines())]


def text_diff(
    old_title: str,
    old_body: str,
    new_title: str,
    new_body: str,
    *,
    from_label: str = "",
    to_label: str = "",
    context: int = 3,
) -> str:
    """A unified diff of two versions (``---``/``+++`` headers named by the labels, e.g.
    ``v1``/``v2``); an empty string when the texts are the same."""
    return textdiff.unified_diff(
        version_text(old_title, old_body),
        version_text(new_title, new_body),
        from_label=from_label,
        to_label=to_label,
        context=context,
    )


def text_diff_lines(
    old_title: str, old_body: str, new_title: str, new_body: str
) -> list[tuple[str, str]]:
    """The same diff as ``(kind, line)`` pairs for the page (``textdiff.diff_lines``)."""
    return textdiff.diff_lines(version_text(old_title, old_body), version_text(new_title, new_body))


def reading_diff(
    old_title: str, old_body: str, new_title: str, new_body: str
) -> list[WordBlock] | None:
    """What changed as people read it: the title, then the body's blocks (rendered
    Markdown as plain text), word by word (``textdiff.word_diff``); None when a version
    is too long to compare so (the page then shows the line diff)."""
    return textdiff.word_diff(
        [("title", "", old_title or ""), *text_blocks(old_body)],
        [("title", "", new_title or ""), *text_blocks(new_body)],
    )


def side_by_side(old_title: str, old_body: str, new_title: str, new_body: str) -> list[DiffRow]:
    """Every line of both versions, aligned in rows (``textdiff.side_by_side``)."""
    return textdiff.side_by_side(
        version_text(old_title, old_body), version_text(new_title, new_body)
    )


def rules_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{key: {"from": ..., "to": ...}}`` for each key set differently by the two
    versions; ``from`` is left out when the old version does not set the key, ``to``
    when the new one does not. Keys in rule order (unknown keys last, sorted)."""
    keys = [k for k in RULE_KEYS if k in old or k in new]
    keys += sorted(k for k in {*old, *new} if k not in RULE_KEYS)
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        if key in old and key in new and old[key] == new[key]:
            continue
        change: dict[str, Any] = {}
        if key in old:
            change["from"] = old[key]
        if key in new:
            change["to"] = new[key]
        out[key] = change
    return out
