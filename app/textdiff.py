"""Line diffs of plain text: the one helper, for every feature that compares two
versions (a thread's context, a comment, an agreement, a proposal's change). Pure.

One comparison (``difflib``), three readings of it:

- ``unified_diff``: the text of a unified diff (``---``/``+++`` headers, ``@@`` hunks),
  as the API returns it;
- ``diff_lines``: the same diff as ``(kind, line)`` pairs for the page macro
  ``line_diff`` (``templates/_diff.html``): ``ins``, ``del``, ``same`` or ``hunk``.
  Plain text: the template escapes it;
- ``side_by_side``: every line of both versions, aligned in rows.

And ``word_diff``: what people read (the blocks of rendered Markdown, as plain
text) compared word by word, for pages where the text is prose, not code.
"""

from __future__ import annotations

import difflib
import re
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


# -- word diff of what people read -------------------------------------------------

#: a word or one other character, with the spaces after it: what the word diff compares
_WORD_RE = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")
#: beyond this many words (and signs) on either side, the word diff is not computed
#: (``word_diff`` returns None: the page shows the line diff); a text at the length
#: limit (20,000 characters) has about 4,000 words
MAX_WORDS = 12_000
#: difflib drops, from a new block of at least 200 words, the words found in more than
#: 1 % of it (``autojunk``), which keeps long blocks fast (10,000 words in 0.4 s at
#: worst); below that, comparing two blocks costs up to their word counts multiplied
#: by the shorter one's, so such pairs share this budget of word pairs (a pair past it
#: is shown as one removed and one added block): at worst about half a second
SMALL_PAIR_BUDGET = 400_000
_AUTOJUNK_FROM = 200
#: paired blocks less alike than this (``SequenceMatcher.quick_ratio``) are shown as
#: one removed and one added block
MIN_LIKENESS = 0.4


@dataclass(frozen=True)
class WordBlock:
    """One block of a word diff: ``kind`` and ``marker`` as the block says
    (``markdown.text_blocks``), ``change`` ``same``, ``ins`` (a new block), ``del`` (a
    removed one) or ``changed``, and ``parts``: ``(op, text)`` with ``op`` ``same``,
    ``ins`` or ``del``. Plain text: the template escapes it."""

    kind: str
    marker: str
    change: str
    parts: tuple[tuple[str, str], ...]


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def _merge(parts: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Neighbouring parts of the same kind as one; a lone space between two changes
    joins them (``del a`` `` `` ``del b`` reads better as ``del "a b"``)."""
    out: list[list[str]] = []
    for index, (op, text) in enumerate(parts):
        if (
            op == "same"
            and text.isspace()
            and out
            and out[-1][0] != "same"
            and index + 1 < len(parts)
            and parts[index + 1][0] != "same"
        ):
            # the space belongs to both sides of the change
            out.append(["del", text])
            out.append(["ins", text])
            continue
        out.append([op, text])
    merged: list[list[str]] = []
    dels: list[str] = []
    ins: list[str] = []
    for op, text in out:
        if op == "del":
            dels.append(text)
        elif op == "ins":
            ins.append(text)
        else:
            if dels:
                merged.append(["del", "".join(dels)])
            if ins:
                merged.append(["ins", "".join(ins)])
            dels, ins = [], []
            if merged and merged[-1][0] == "same":
                merged[-1][1] += text
            else:
                merged.append(["same", text])
    if dels:
        merged.append(["del", "".join(dels)])
    if ins:
        merged.append(["ins", "".join(ins)])
    return tuple((op, text) for op, text in merged)


def _block_diff(a: list[str], b: list[str]) -> tuple[tuple[str, str], ...] | None:
    """Word by word, or None when the two are too unlike to compare. Words are
    compared without the spaces after them (a last word is the same word)."""
    matcher = difflib.SequenceMatcher(None, [w.rstrip() for w in a], [w.rstrip() for w in b])
    if matcher.quick_ratio() < MIN_LIKENESS:
        return None
    parts: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(("same", "".join(b[j1:j2])))  # with the new text's spaces
            continue
        if i2 > i1:
            parts.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(("ins", "".join(b[j1:j2])))
    return _merge(parts)


def word_diff(
    old: Sequence[tuple[str, str, str]], new: Sequence[tuple[str, str, str]]
) -> list[WordBlock] | None:
    """What changed between two texts as people read them, block by block and word by
    word: every block of the new text, with the removed ones where they were. The
    blocks are ``(kind, marker, text)`` (``markdown.text_blocks``). None when either
    side has more than ``MAX_WORDS`` words."""
    if max(sum(len(_words(b[2])) for b in side) for side in (old, new)) > MAX_WORDS:
        return None
    out: list[WordBlock] = []
    matcher = difflib.SequenceMatcher(None, list(old), list(new))
    budget = SMALL_PAIR_BUDGET

    def whole(block, change):
        return WordBlock(block[0], block[1], change, ((change, block[2]),))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(WordBlock(b[0], b[1], "same", (("same", b[2]),)) for b in new[j1:j2])
            continue
        olds, news = old[i1:i2], new[j1:j2]
        for index in range(max(len(olds), len(news))):
            left = olds[index] if index < len(olds) else None
            right = news[index] if index < len(news) else None
            parts = None
            if left is not None and right is not None:
                a, b = _words(left[2]), _words(right[2])
                work = 0 if len(b) >= _AUTOJUNK_FROM else len(a) * len(b)
                if work <= budget:
                    budget -= work
                    parts = _block_diff(a, b)
            if parts is not None:
                out.append(WordBlock(right[0], right[1], "changed", parts))
                continue
            if left is not None:
                out.append(whole(left, "del"))
            if right is not None:
                out.append(whole(right, "ins"))
    return out
