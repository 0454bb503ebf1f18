"""The French catalog keeps the glossary's vocabulary."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

from app.glossary import CHECKED_TERMS

CATALOG = Path(__file__).resolve().parent.parent / "app/translations/fr/LC_MESSAGES/messages.po"


def test_french_messages_use_the_glossary_words():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    off = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, str) else " ".join(message.id)
        source = re.sub(r"%\(\w+\)s", "", source)  # a placeholder's name is no word
        target = message.string if isinstance(message.string, str) else " ".join(message.string)
        for english, french in CHECKED_TERMS.items():
            if (
                re.search(rf"\b{english}s?\b", source, re.IGNORECASE)
                and french not in target.lower()
            ):
                off.append(f"{source!r} → {target!r} (expected {french!r})")
    assert not off, "\n".join(off[:20])
