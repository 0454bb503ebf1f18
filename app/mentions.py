"""Who an ``@`` names, the way people type it: a display name (``@Bernard``,
``@bernard dupont``, ``@Élise``) or a handle (``@bernard-dupont``). Pure: people
are plain values, the text is a string.

At each ``@`` (not inside a word, an address or a path) the longest match wins,
among the people given (a group's members):

- a handle, typed whole;
- a display name, typed from its first word on, whole words, case and accents
  ignored (``@helene`` names Hélène Roux, and so does ``@Hélène Roux``).

A match that names two people at once (``@Bernard`` with Bernard Dupont and
Bernard Martin in the circle) names nobody, unless one of them is called exactly
that; the one who types says ``@Bernard D`` no more than ``@Bernard Dupont``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

#: a handle as people type it after ``@``
HANDLE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{1,39}", re.IGNORECASE)
#: an ``@`` that may start a mention: not inside a word, an address or a path
AT_RE = re.compile(r"(?<![\w@/])@(?=\w)")
#: how much of the text after ``@`` a mention may take (a display name is at most
#: 100 characters, see ``app/limits.py``)
MAX_MENTION = 101
_SPACE = re.compile(r"[ \u00a0\u202f]{1,3}")


@dataclass(frozen=True)
class Person:
    """Someone who may be named: the handle identifies them, the name is how people
    write it."""

    handle: str
    name: str


@dataclass(frozen=True)
class Mention:
    """The ``@`` at ``start``, to ``end`` (excluded), names ``person``."""

    start: int
    end: int
    person: Person


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base.casefold()[:1] or char


def fold(text: str) -> str:
    """``text`` compared as people type it: accents dropped, case folded, one
    character for one character (so that positions stay those of ``text``)."""
    return "".join(map(_fold_char, text))


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _name_match(after: str, folded_after: str, words: list[str]) -> tuple[int, bool]:
    """How many characters of ``after`` (the text after ``@``) spell the name's first
    words, and whether that is the whole name; (0, False) when not even the first."""
    pos = 0
    length = 0
    for index, word in enumerate(words):
        end = pos + len(word)
        if folded_after[pos:end] != word or (end < len(after) and _is_word(after[end])):
            break
        length = end
        if index == len(words) - 1:
            return length, True
        space = _SPACE.match(after, end)
        if space is None:
            break
        pos = space.end()
    return length, False


class Directory:
    """The people given, ready to be matched many times."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.people = list(people)
        self._by_handle = {p.handle.lower(): p for p in self.people}
        #: people by the folded first word of their name
        self._by_first: dict[str, list[tuple[Person, list[str]]]] = {}
        for person in self.people:
            words = fold(person.name).split()
            if words:
                self._by_first.setdefault(words[0], []).append((person, words))
        self._first_lengths = sorted({len(first) for first in self._by_first})
        longest = max((len(p.name) for p in self.people), default=0)
        self._window = max(longest, 40) + 1

    def match(self, after: str, folded: str | None = None) -> tuple[int, Person] | None:
        """The person named by the text right after an ``@`` (``folded``: the same,
        already folded), with the length of the text naming them; None when nobody,
        or more than one person, is named."""
        after = after[: self._window]
        folded = fold(after) if folded is None else folded[: self._window]
        found: dict[str, tuple[int, bool, Person]] = {}
        handle = typed_handle(after)
        if handle is not None and (person := self._by_handle.get(handle)) is not None:
            found[person.handle] = (len(handle), True, person)
        for size in self._first_lengths:
            for person, words in self._by_first.get(folded[:size], ()):
                length, whole = _name_match(after, folded, words)
                if length and length >= found.get(person.handle, (0, False, person))[0]:
                    found[person.handle] = (length, whole, person)
        if not found:
            return None
        longest = max(length for length, _whole, _p in found.values())
        best = [(whole, p) for length, whole, p in found.values() if length == longest]
        if len(best) > 1:
            best = [(whole, p) for whole, p in best if whole]
        if len(best) != 1:
            return None
        return longest, best[0][1]

    def mentions(self, text: str) -> Iterator[Mention]:
        """Every mention in a plain text, in order."""
        folded = fold(text)
        pos = 0
        while True:
            at = AT_RE.search(text, pos)
            if at is None:
                return
            start = at.end()
            end = start + self._window
            found = self.match(text[start:end], folded[start:end])
            if found is None:
                pos = start
                continue
            length, person = found
            yield Mention(at.start(), start + length, person)
            pos = start + length


def sites(text: str) -> list[str]:
    """The text after each ``@`` that may start a mention (at most ``MAX_MENTION``
    characters): what a directory is later asked about."""
    return [text[m.end() : m.end() + MAX_MENTION] for m in AT_RE.finditer(text)]


def typed_handle(after: str) -> str | None:
    """The handle typed right after an ``@``, lower-cased, if any."""
    handle = HANDLE_RE.match(after)
    if handle is None or (handle.end() < len(after) and _is_word(after[handle.end()])):
        return None
    return handle.group(0).lower()


def mention_text(person: Person, people: Iterable[Person]) -> str:
    """What to type after ``@`` to name ``person`` among ``people``: the display name
    when it names nobody else, else the handle."""
    directory = Directory(people)
    name = " ".join(person.name.split())
    if name and (found := directory.match(name)) and found[1] == person:
        if found[0] == len(name):
            return name
    return person.handle


def suggest(people: Iterable[Person], query: str, *, limit: int = 8) -> list[Person]:
    """The people whose display name has a word starting with what was typed after
    ``@`` (or the whole typed words, in order), or whose handle starts with it, by
    name; at most ``limit``."""
    typed = fold(" ".join(query.split()))
    found = []
    for person in people:
        name = fold(" ".join(person.name.split()))
        words = name.split(" ")
        starts = (" ".join(words[i:]) for i in range(len(words)))
        if not typed or person.handle.startswith(typed) or any(s.startswith(typed) for s in starts):
            found.append(person)
    found.sort(key=lambda p: (fold(p.name), p.handle))
    return found[:limit]
