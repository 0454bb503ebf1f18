"""Agreements: versioned texts a group adopted by consent, and the support rules they set.

No pages or API yet: ``models`` (append-only versions), ``rules`` (the pure
derivation of the active rules), ``diff`` (pure) and ``services``.
"""
