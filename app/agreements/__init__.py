"""Agreements: versioned texts a group adopted by consent, and the support rules they set.

``models`` (append-only versions), ``rules`` (the pure derivation of the active
rules), ``diff`` (pure), ``services``, and the pages: the agreements page
(``/g/<handle>/agreements``), one agreement with its versions and diffs, and a
proposal started from there (``views``, ``forms``, ``display``).
"""

from flask import Blueprint

bp = Blueprint("agreements", __name__)
