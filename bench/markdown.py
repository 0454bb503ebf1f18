"""Render the worst Markdown we know of at the longest length a field accepts.

```sh
.venv/bin/python bench/markdown.py                # every shape, as a comment and as a document
.venv/bin/python bench/markdown.py --repeat 5 --only '[' '!['
```

Each shape is a short pattern repeated up to the limit (``app/limits.py``:
``COMMENT`` and ``DOCUMENT``), and goes the way a comment goes when it is
written: parsed once, its ``@handles`` found (all of them known, so every one is
linked), rendered to HTML. The figure is the best of ``--repeat`` runs, in
milliseconds of CPU time; ``*`` marks one over the goal. Exit status 0; the goal is a
figure to watch, not a test (``tests/security/test_markdown_limits.py`` checks
the same shapes for what they produce).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import limits  # noqa: E402
from app.markdown import (  # noqa: E402
    MAX_MARKUP_WEIGHT,
    markup_weight,
    mentioned_handles,
    people,
    register_people,
    render_with_mentions,
)

#: milliseconds: the goal for one text at its limit
GOAL_MS = 50.0

#: (name, unit): the unit is repeated up to the length measured
UNITS: list[tuple[str, str]] = [
    ("prose", "Une phrase ordinaire, avec des mots, "),
    ("image openers ![", "!["),
    ("link openers [", "["),
    ("nested labels [[]", "[[]"),
    ("unclosed destinations [](", "[]("),
    ("reference-like [a][", "[a]["),
    ("images ![a](", "![a]("),
    ("angle destinations [x](<", "[x](<"),
    ("links [a](b)", "[a](b) "),
    ("stars *", "*"),
    ("underscores _a", "_a"),
    ("mixed emphasis *_", "*_"),
    ("strong openers **a", "**a"),
    ("emphasis runs *a **b", "*a **b "),
    ("strikethrough ~~a", "~~a"),
    ("backticks `", "`"),
    ("code spans `a", "`a"),
    ("angle brackets <", "<"),
    ("autolinks <http://a>", "<http://a>"),
    ("tag-like <a", "<a"),
    ("backslashes \\", "\\"),
    ("entities &#", "&#"),
    ("entities &#1;", "&#1;"),
    ("blockquotes >", ">"),
    ("quoted lines > a", "> a\n"),
    ("list markers - ", "- "),
    ("numbered lines 1. a", "1. a\n"),
    ("headings # a", "# a\n"),
    ("setext a ==", "a\n==\n"),
    ("line breaks a", "a\n"),
    ("hard breaks a␣␣", "a  \n"),
    ("newlines", "\n"),
    ("fences ```", "```\n"),
    ("indented code", "    a\n"),
    ("reference definitions", "[a]: /u\n"),
    ("table rows", "|a|b|\n"),
    ("bare links http://", "http://a.b "),
    ("scheme-like a://", "a://"),
    ("www links", "www.a.fr "),
    ("emails", "a@b.fr "),
    ("at signs @", "@"),
    ("mentions @ab", "@ab "),
    ("glued mentions @ab", "@ab"),
]


def shapes(length: int) -> list[tuple[str, str]]:
    """Every shape, ``length`` characters long (or one unit less)."""
    out = [(name, unit * (length // len(unit))) for name, unit in UNITS]
    columns = (length - 4) // 4
    out.append(("table columns", "|" + "a|" * columns + "\n|" + "-|" * columns))
    depth = 1
    while sum(2 * i + 4 for i in range(depth + 1)) <= length:
        depth += 1
    out.append(("nested lists", "".join("  " * i + "- a\n" for i in range(depth))))
    return out


def at_the_cap(text: str, length: int) -> str:
    """The longest start of a shape that Markdown still parses (its weight at most
    ``MAX_MARKUP_WEIGHT``; a heavier text is shown as plain text), padded with prose to
    ``length``: the most work an accepted text can ask of the parser."""
    room = MAX_MARKUP_WEIGHT - markup_weight("\n")  # the line before the padding
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if markup_weight(text[:middle]) <= room:
            low = middle
        else:
            high = middle - 1
    prose = UNITS[0][1]
    start = text[:low]
    padding = (prose * (length // len(prose) + 1))[: max(0, length - len(start) - 1)]
    capped = start + "\n" + padding if padding else start
    assert markup_weight(capped) <= MAX_MARKUP_WEIGHT, "the text must stay under the cap"
    return capped


def render_once(text: str) -> str:
    """What writing a comment costs: ``render_with_mentions`` (one parse, the
    mentions looked up, the HTML), then the notifications' ``mentioned_handles``."""
    html = render_with_mentions(text)
    mentioned_handles(text)
    return str(html)


def measure(text: str, repeat: int) -> float:
    """The best of ``repeat`` runs, in milliseconds of this process's CPU time (so
    that other work on a shared machine does not count)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        render_once(text)
        best = min(best, time.process_time() - start)
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    saved = (people.known_handles, people.url_for_handle)
    register_people(lambda handles: handles, lambda handle: f"/u/{handle}")  # all exist
    try:
        return _run(argv)
    finally:
        register_people(*saved)


def _run(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="units or names to measure")
    args = parser.parse_args(argv)
    sizes = [("comment", limits.COMMENT), ("document", limits.DOCUMENT)]
    capped = f"at the cap {limits.DOCUMENT:,}"
    print(
        f"goal: {GOAL_MS:.0f} ms; CPU time, best of {args.repeat}; Python {sys.version.split()[0]}"
    )
    print(f"{'shape':32} " + " ".join(f"{f'{n} {s:,}':>18}" for n, s in sizes) + f" {capped:>18}")
    worst = {name: 0.0 for name, _ in sizes}
    worst[capped] = 0.0
    texts = {name: shapes(size) for name, size in sizes}
    texts[capped] = [(name, at_the_cap(text, limits.DOCUMENT)) for name, text in texts["document"]]
    sizes.append((capped, limits.DOCUMENT))
    for index, (shape, unit) in enumerate(UNITS + [("table columns", ""), ("nested lists", "")]):
        if args.only and shape not in args.only and unit not in args.only:
            continue
        cells = []
        for size_name, _size in sizes:
            ms = measure(texts[size_name][index][1], args.repeat)
            worst[size_name] = max(worst[size_name], ms)
            cells.append(f"{ms:>16.1f}{' *' if ms > GOAL_MS else '  '}")
        print(f"{shape:32} " + " ".join(cells), flush=True)
    print("worst: " + ", ".join(f"{n} {ms:.1f} ms" for n, ms in worst.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
