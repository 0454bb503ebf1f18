"""A circle out and in: the whole group as one versioned JSON document
(``format.py`` describes it, ``exporting.py`` streams it, ``importing.py`` restores it),
and the agreements page and a thread as Markdown (``markdown.py``).

This feature sits on top of the others: it reads their tables and is imported by none.
"""

from flask import Blueprint

bp = Blueprint("transfer", __name__)
