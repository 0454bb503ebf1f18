"""The dashboard page."""

from flask import render_template
from flask_login import current_user

from . import bp


@bp.get("/")
def index():
    """Dashboard for people signed in; a short welcome for others."""
    if not current_user.is_authenticated:
        return render_template("dashboard/welcome.html")
    return render_template("dashboard/index.html")
