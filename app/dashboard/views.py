"""The dashboard page."""

from flask import render_template
from flask_login import current_user

from ..groups.services import my_memberships
from . import bp


@bp.get("/")
def index():
    """Dashboard for people signed in (my groups); a short welcome for others."""
    if not current_user.is_authenticated:
        return render_template("dashboard/welcome.html")
    return render_template(
        "dashboard/index.html", memberships=my_memberships(current_user._get_current_object())
    )
