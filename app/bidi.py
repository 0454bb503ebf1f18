"""Isolating people's text from the page around it (Unicode bidi).

A name, title or comment may hold right-to-left text or bidi controls (U+202E, RIGHT-TO-LEFT
OVERRIDE, turns "Alice (admin)" into "(nimda) ecilA" and can make a link read as
another). Every piece of user-written text is shown isolated, so that it can never
reorder what follows it: inline, in ``<bdi>`` (``|bdi``); where no element can be used
(``<title>``, an attribute, a name within a translated sentence), between FIRST STRONG
ISOLATE and POP DIRECTIONAL ISOLATE (``|bidi_text``). Blocks of rendered Markdown are
their own bidi paragraphs (``.markdown``, isolated in ``static/app.css``).

Text with no right-to-left letter and no bidi control cannot reorder anything on a
left-to-right page: it is shown as it is (the same page, byte for byte).
"""

from __future__ import annotations

import unicodedata

from markupsafe import Markup, escape

FSI = "\u2068"
PDI = "\u2069"

#: bidi classes that can change the order of the text around them: right-to-left
#: letters (and RLM) and the explicit embeddings, overrides and isolates
REORDERING = {"R", "AL", "RLE", "LRE", "RLO", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"}


def needs_isolation(text: str) -> bool:
    """Whether ``text`` holds a right-to-left letter or a bidi control."""
    return not text.isascii() and any(unicodedata.bidirectional(c) in REORDERING for c in text)


def bdi(value) -> Markup:
    """``value`` (escaped, unless it is already ``Markup``), in a ``<bdi>`` element when
    it could reorder the page."""
    if value is None:
        return Markup("")
    if not needs_isolation(str(value)):
        return escape(value)
    return Markup("<bdi>%s</bdi>") % escape(value)


def bidi_text(value) -> str:
    """``value`` as an isolate in plain text (for ``<title>``, attributes and sentences)
    when it could reorder the text around it."""
    if value is None:
        return ""
    text = str(value)
    return f"{FSI}{text}{PDI}" if needs_isolation(text) else text
