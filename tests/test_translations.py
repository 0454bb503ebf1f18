"""French is complete: every string of the code is in the catalog and translated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "app" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def _extract(tmp_path) -> set:
    out = tmp_path / "messages.pot"
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(out),
            ".",
        ],
        check=True,
        cwd=ROOT,
    )
    with out.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def test_french_catalog_is_complete(tmp_path):
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    in_code = _extract(tmp_path)
    missing = sorted(str(i) for i in in_code if catalog.get(i) is None)
    assert not missing, f"strings missing from the French catalog: {missing[:20]}"

    def translated(message) -> bool:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        return not message.fuzzy and all(strings)

    untranslated = sorted(
        str(m.id) for m in catalog if m.id and m.id in in_code and not translated(m)
    )
    assert not untranslated, f"untranslated or fuzzy French strings: {untranslated[:20]}"
