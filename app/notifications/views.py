"""Notification pages: the list, reading one (marks it read), marking all as read.

GET never writes: opening a notification is a POST (a button per item) that
marks it read and redirects to what it is about.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import csrf
from ..timeutil import utcnow
from ..web import me
from . import bp, services, unsubscribe


@bp.app_context_processor
def unread_notifications():
    """``unread_notifications()`` for the header: one query, only when a signed-in
    person's page shows it (cached for the request)."""

    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        if "unread_notifications" not in g:
            g.unread_notifications = services.unread_count(current_user)
        return g.unread_notifications

    return {"unread_notifications": count}


@bp.get("/notifications")
@login_required
def index():
    """My notifications, newest first, unread ones marked."""
    page = request.args.get("page", 1, type=int)
    pagination = services.list_for(me(), page=max(page, 1))
    return render_template(
        "notifications/index.html",
        pagination=pagination,
        notifications=pagination.items,
        describe=services.describe,
    )


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Mark one of my notifications as read and go to what it is about."""
    notification = services.get_for(me(), notification_id)
    if notification is None:
        abort(404)
    target = services.target_url(notification)
    services.mark_read(me(), [notification.id], now=utcnow())
    return redirect(target)


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    """Mark all my notifications as read."""
    services.mark_read(me(), "all", now=utcnow())
    flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


# -- one-click unsubscribe (RFC 8058) -------------------------------------------------


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
def unsubscribe_link(token: str):
    """An email's unsubscribe link. GET only shows what the button will do (mail
    scanners and previews open links); POST applies it at once, without a session or
    a CSRF token: the mail client's one-click POST (``List-Unsubscribe=One-Click``) or
    the page's button. A forged or broken token is 404."""
    found = unsubscribe.read_token(token)
    if found is None:
        abort(404)
    user_id, scope = found
    label = unsubscribe.describe_scope(scope)
    if request.method == "GET":
        return render_template("notifications/unsubscribe.html", label=label, done=False)
    if not unsubscribe.apply(user_id, scope, now=utcnow()):
        # Nothing to mute any more (the reader left that circle): say so, calmly.
        return render_template("notifications/unsubscribe.html", label=label, done=False, gone=True)
    return render_template("notifications/unsubscribe.html", label=label, done=True)


csrf.exempt(unsubscribe_link)
