"""Support, lived by the rules: requests and their route, answers, escalation, lapse
and overdue, check-ins (relance), rhythm (DESIGN.md, "Support, lived by the rules").

``routing`` is the pure decision logic (who is asked, when, through what; which
step is due; which check-ins are due; the rhythm), over plain values with the
active rules and ``now`` as parameters.
"""

from flask import Blueprint

bp = Blueprint("support", __name__)
