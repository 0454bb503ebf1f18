"""The dashboard page."""

from flask import render_template
from flask_login import current_user

from ..groups.services import my_memberships
from ..polls.cards import polls_awaiting_vote
from ..timeutil import utcnow
from . import bp


@bp.get("/")
def index():
    """Dashboard for people signed in (my groups, polls awaiting my vote); a short
    welcome for others."""
    if not current_user.is_authenticated:
        return render_template("dashboard/welcome.html")
    me = current_user._get_current_object()
    return render_template(
        "dashboard/index.html",
        memberships=my_memberships(me),
        awaiting=polls_awaiting_vote(me, utcnow()),
    )
