"""Account pages: download my data, close my account, delete it. Each closing step
is its own page with the current password (a confirmation that works without
JavaScript)."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ..auth.forms import PasswordCheckForm
from ..auth.services import REACTIVATION_DAYS, check_password
from ..extensions import db
from ..timeutil import utcnow
from . import bp
from .export import personal_data
from .services import CirclesNeedAdmin, circles_needing_admin, deactivate_account, delete_account


def export_response(user, now) -> Response:
    """The person's data as a JSON download, streamed (``export.py``)."""
    filename = f"cercle-{user.handle}-{now.date().isoformat()}.json"
    return Response(
        stream_with_context(personal_data(user, now=now)),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/profile/data.json")
@login_required
def download():
    """Everything the app keeps about me, as one JSON file."""
    return export_response(current_user._get_current_object(), utcnow())


def _closing_page(template: str, form, status: int = 200, error: str | None = None):
    user = current_user._get_current_object()
    return (
        render_template(
            template,
            form=form,
            blocked=circles_needing_admin(user),
            days=REACTIVATION_DAYS,
            error=error,
        ),
        status,
    )


def _closing_step(template: str, act):
    """The shared shape of closing and deleting: password, then the act, or the page
    again saying what must happen first."""
    user = current_user._get_current_object()
    form = PasswordCheckForm(prefix="close")
    if not form.validate_on_submit():
        return None, _closing_page(template, form, 400)
    if not check_password(user, form.current_password.data):
        form.current_password.errors = [_("This is not your current password.")]
        return None, _closing_page(template, form, 400)
    try:
        act(user, now=utcnow())
    except CirclesNeedAdmin as error:
        db.session.rollback()
        return None, _closing_page(template, form, 409, error=str(error.message))
    return user, None


@bp.route("/profile/close", methods=["GET", "POST"])
@login_required
def close():
    """Leave every circle and close my account; signing in again within 30 days opens it."""
    form = PasswordCheckForm(prefix="close")
    if not form.is_submitted():
        return _closing_page("account/close.html", form)
    _user, page = _closing_step("account/close.html", deactivate_account)
    if page is not None:
        return page
    logout_user()
    flash(
        _(
            "Your account is closed and you have left your circles. Sign in within "
            "%(days)s days to open it again; after that it is deleted.",
            days=REACTIVATION_DAYS,
        ),
        "info",
    )
    return redirect(url_for("auth.signin"))


@bp.route("/profile/delete", methods=["GET", "POST"])
@login_required
def delete():
    """Leave every circle and delete my account: my personal data is wiped, what I wrote
    stays under «Former member»."""
    form = PasswordCheckForm(prefix="close")
    if not form.is_submitted():
        return _closing_page("account/delete.html", form)
    _user, page = _closing_step("account/delete.html", delete_account)
    if page is not None:
        return page
    logout_user()
    flash(_("Your account is deleted. Thank you for the time you spent in your circles."), "info")
    return redirect(url_for("auth.signin"))
