"""Differences between two agreement versions: text and rules. Pure.

- ``text_diff``: a unified diff of title and body (the title is the first
  line, then a blank line, then the body), as ``GET /agreements/{id}/diff``
  returns it;
- ``side_by_side``: the same comparison as rows for a two-column page;
- ``rules_diff``: ``{key: {"from": old, "to": new}}`` for every key whose value
  changed, where a side that does not set the key is left out (DESIGN.md).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .rules import RULE_KEYS


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
    """A unified diff (``---``/``+++`` headers named by the labels, e.g. ``v1``/``v2``);
    an empty string when the texts are the same."""
    lines = difflib.unified_diff(
        version_text(old_title, old_body),
        version_text(new_title, new_body),
        fromfile=from_label,
        tofile=to_label,
        n=context,
        lineterm="",
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: ``tag`` is ``equal``, ``delete``, ``insert`` or
    ``replace``; a side with no line is None."""

    tag: str
    old: str | None
    new: str | None


def side_by_side(old_title: str, old_body: str, new_title: str, new_body: str) -> list[DiffRow]:
    """Every line of both versions, aligned in rows."""
    old = version_text(old_title, old_body)
    new = version_text(new_title, new_body)
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow("equal", line, line) for line in old[i1:i2])
            continue
        olds, news = old[i1:i2], new[j1:j2]
        for index in range(max(len(olds), len(news))):
            left = olds[index] if index < len(olds) else None
            right = news[index] if index < len(news) else None
            if left is not None and right is not None:
                row_tag = "replace"
            else:
                row_tag = "delete" if right is None else "insert"
            rows.append(DiffRow(row_tag, left, right))
    return rows


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
