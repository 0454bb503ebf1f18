"""The dashboard page."""

from flask import render_template
from flask_login import current_user

from ..agreements.display import local_today
from ..agreements.services import agreements_due_for_review
from ..groups.services import my_invitations, my_memberships
from ..i18n import select_timezone
from ..polls.cards import polls_awaiting_vote
from ..support.display import kind_label
from ..support.overview import support_overview
from ..timeutil import utcnow
from . import bp

#: the check-ins due shown on the dashboard, longest due first (the rest: a link to
#: each circle's support page, which lists them all)
CHECK_INS_SHOWN = 15


@bp.get("/")
def index():
    """Dashboard for people signed in (invitations waiting for my answer, my groups,
    polls awaiting my vote, the support requests I can answer and the check-ins due,
    agreements due for review); a short welcome for others."""
    if not current_user.is_authenticated:
        return render_template("dashboard/welcome.html")
    me = current_user._get_current_object()
    now = utcnow()
    # First: it may take the due steps of the requests it shows (its own transaction).
    support = support_overview(me, now, check_ins_limit=CHECK_INS_SHOWN)
    return render_template(
        "dashboard/index.html",
        memberships=my_memberships(me),
        invitations=my_invitations(me, now=now),
        support=support,
        kind_label=kind_label,
        awaiting=polls_awaiting_vote(me, now),
        reviews_due=agreements_due_for_review(me, local_today(now, select_timezone())),
    )
