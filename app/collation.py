"""The order of people's names (and other words) in lists: alphabetical the way a
French (or English) reader expects it, accents and case aside.

A database's ``ORDER BY name`` sorts by code point: «Élise Girard» comes after
«Sophie Martin» (and after every name in lower case). Here the key compares the
letters without their accents and case first (``Élise`` sits with ``Elise``), then
breaks ties with the accents and the case, so the order is stable whatever the
database.

Why not a collation library: PyICU has no wheel (it builds against the system's ICU
headers, ``libicu-dev``, at install), which every operator would then need; Babel
has no collation. For Latin-script names, the Unicode decomposition (NFKD) with its
combining marks dropped, then ``casefold``, gives the order of the French
dictionary's first level (ICU's ``fr`` collation differs only in rare ties).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def _base_letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def sort_key(text: str | None) -> tuple[str, str, str]:
    """The key that sorts ``text`` among others: letters without accents or case
    first, then with accents, then exactly (``"Élise" < "elise2" < "Sophie"``)."""
    text = (text or "").strip()
    return (_base_letters(text), unicodedata.normalize("NFC", text).casefold(), text)


def sorted_by_name(items: Iterable[T], name: Callable[[T], str | None] = str) -> list[T]:
    """``items`` in alphabetical order of ``name(item)`` (stable for equal names)."""
    return sorted(items, key=lambda item: sort_key(name(item)))
