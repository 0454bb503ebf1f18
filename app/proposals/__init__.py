"""Proposals: a consent poll that carries one agreement change (adopt, amend, repeal).

``consent`` decides (pure); ``services`` makes a proposal with its change and,
on ``events.poll_closed`` (``subscribers``), stores the outcome and applies the
change once, in the closing transaction. ``views`` and ``forms``: a proposal
started from the agreements pages, and the agreement change on the new-poll page.
"""

from flask import Blueprint

bp = Blueprint("proposals", __name__)
