"""The word diff of what people read (textdiff.word_diff over markdown.text_blocks):
no Markdown marks, words rather than lines, bounded."""

from __future__ import annotations

import time

from app import textdiff
from app.agreements.diff import reading_diff
from app.markdown import text_blocks


def changes(blocks):
    return [(b.change, [(op, text) for op, text in b.parts if op != "same"]) for b in blocks]


def test_blocks_are_what_a_reader_sees_without_markdown_marks():
    text = (
        "# Règles\n\nOn **vérifie** la [disponibilité](https://x.fr).\n\n1. un\n2. deux\n\n> cité"
    )
    assert text_blocks(text) == [
        ("heading", "", "Règles"),
        ("paragraph", "", "On vérifie la disponibilité."),
        ("item", "1.", "un"),
        ("item", "2.", "deux"),
        ("quote", "", "cité"),
    ]


def test_changed_words_are_marked_word_by_word_and_new_blocks_whole():
    blocks = reading_diff(
        "Nos accords",
        "Pas de **réciprocité** obligatoire.\n\n- trois semaines",
        "Nos accords d'écoute",
        "Pas de réciprocité obligatoire, jamais.\n\n- quatre semaines\n\nNouveau.",
    )
    assert changes(blocks) == [
        ("changed", [("ins", "d'écoute")]),
        ("changed", [("ins", ", jamais")]),
        ("changed", [("del", "trois "), ("ins", "quatre ")]),
        ("ins", [("ins", "Nouveau.")]),
    ]
    assert blocks[2].marker == "•"


def test_an_unlike_block_is_removed_then_added():
    blocks = reading_diff("T", "On vérifie la disponibilité.", "T", "Tout autre chose ici.")
    assert [b.change for b in blocks] == ["same", "del", "ins"]


def test_huge_texts_fall_back_and_long_ones_stay_fast():
    assert textdiff.word_diff([("paragraph", "", "mot " * 13_000)], []) is None
    # a hundred repetitive paragraphs of 100 words, each changed: the small pairs'
    # budget keeps the worst case near half a second
    old = "\n\n".join(f"{i} " + "a " * 98 for i in range(100))
    new = "\n\n".join(f"{i} " + "a b " * 49 for i in range(100))
    start = time.process_time()
    assert reading_diff("T", old, "T", new) is not None
    assert time.process_time() - start < 3
