"""Line diffs of plain text: the one helper, for every feature that compares two
versions (a thread's context, a comment, an agreement, a proposal's change). Pure.

One comparison (``difflib``), three readings of it:

- ``unified_diff``: the text of a unified diff (``---``/``+++`` headers, ``@@`` hunks),
  as the API returns it;
- ``diff_lines``: the same diff as ``(kind, line)`` pairs for the page macro
  ``line_diff`` (``templates/_diff.html``): ``ins``, ``del``, ``same`` or ``hunk``.
  Plain text: the template escapes it;
- ``side_by_side``: every line of both versions, aligned in rows.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

#: what each line of a unified diff is, by its first character
_KINDS = {"+": "ins", "-": "del", " ": "same"}


def _unified(old: Sequence[str], new: Sequence[str], labels: tuple[str, str], context: int):
    return difflib.unified_diff(
        list(old), list(new), fromfile=labels[0], tofile=labels[1], n=context, lineterm=""
    )


def unified_diff(
    old: Sequence[str],
    new: Sequence[str],
    *,
    from_label: str = "",
    to_label: str = "",
    context: int = 3,
) -> str:
    """A unified diff of two lists of lines (``---``/``+++`` headers named by the labels,
    e.g. ``v1``/``v2``; ``context`` lines around each change); an empty string when
    they are the same."""
    return "\n".join(_unified(old, new, (from_label, to_label), context))


def diff_lines(
    old: Sequence[str], new: Sequence[str], *, context: int = 3
) -> list[tuple[str, str]]:
    """``unified_diff`` as ``(kind, line)`` pairs, its two header lines left out:
    ``ins``, ``del``, ``same`` (the line without its first character) or ``hunk`` (an
    ``@@`` line)."""
    out: list[tuple[str, str]] = []
    for line in list(_unified(old, new, ("", ""), context))[2:]:
        if line.startswith("@@"):
            out.append(("hunk", line))
        else:
            out.append((_KINDS[line[:1]], line[1:]))
    return out


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: ``tag`` is ``equal``, ``delete``, ``insert`` or
    ``replace``; a side with no line is None."""

    tag: str
    old: str | None
    new: str | None


def side_by_side(old: Sequence[str], new: Sequence[str]) -> list[DiffRow]:
    """Every line of both versions, aligned in rows.

    The comparison is ``unified_diff``'s: with difflib's ``autojunk`` (from 200
    lines on, a line found in more than 1 % of the new version, a blank line say,
    is not used as an anchor), which keeps two versions of 10,000 short repeated
    lines under half a second where an exact comparison took minutes."""
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new))
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
