"""Notification pages: the list, reading one (marks it read), marking all as read; the
notification settings (per circle, per thread, the digest, quiet hours, discreet and
no email at all); the one-click unsubscribe link.

GET never writes: opening a notification is a POST (a button per item) that
marks it read and redirects to what it is about.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_timedelta, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import fragments
from ..api.schemas import MAX_CURSOR, decode_time_cursor, encode_cursor
from ..auth.forms import QuietHoursForm
from ..errors import DomainError, ValidationFailed
from ..extensions import csrf, db
from ..groups.permissions import membership_of
from ..threads.permissions import can_read_thread
from ..threads.services import load_thread, thread_reader_values
from ..timeutil import utcnow
from ..web import LazyContext, PageSection, me, page_number, require
from . import bp, services, settings, unsubscribe
from .forms import THREAD_CHOICES, VOLUME_NAMES, NotificationSettingsForm, ThreadEmailForm


@bp.app_context_processor
def unread_notifications():
    """``unread_notifications()`` for the header: one query, only when a signed-in
    person's page shows it (cached for the request), counting at most
    ``unread_cap + 1`` (more is shown as «99+»)."""

    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        return unread_state(current_user)

    def badge() -> Markup:
        """The header's unread count (a placeholder in a fragment: app/fragments.py)."""
        if fragments.in_fragment():
            return fragments.mark("u")
        return unread_badge_html(count())

    return {
        "unread_notifications": count,
        "unread_cap": services.UNREAD_CAP,
        "unread_badge": badge,
    }


def unread_badge_html(unread: int) -> Markup:
    """`` (3)`` after «Notifications», with its words for screen readers (``(99+)``
    past the cap); nothing at 0."""
    if not unread:
        return Markup("")
    if unread > services.UNREAD_CAP:
        return Markup(
            ' <strong class="unread-count" aria-hidden="true">({}+)</strong>'
            '<span class="visually-hidden">{}</span>'
        ).format(services.UNREAD_CAP, _("(more than %(num)d unread)", num=services.UNREAD_CAP))
    words = ngettext("(%(num)d unread)", "(%(num)d unread)", unread)
    return Markup(
        ' <strong class="unread-count" aria-hidden="true">({})</strong>'
        '<span class="visually-hidden">{}</span>'
    ).format(unread, words)


def _unread_placeholder(_argument: str) -> str:
    if not current_user.is_authenticated:
        return ""
    return str(unread_badge_html(unread_state(current_user)))


def unread_state(user, **_kw) -> int:
    """Every page's header shows the unread count: pages' validators include it (read
    once per request, shared with the header): read with the person when the request
    signed them in (``hooks.signed_in_columns``) and wrote no notification since."""
    if "unread_notifications" not in g:
        kept = getattr(user, "signed_in_values", {}).get("unread_notifications")
        if kept is None or g.get("notifications_written"):
            kept = services.unread_count(user)
        g.unread_notifications = kept
    return g.unread_notifications


def _position(name: str):
    """``(created_at, id)`` from ``?after=`` / ``?before=``; a forged one is a 400 page
    naming the parameter."""
    cursor = request.args.get(name)
    if not cursor:
        return None
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValidationFailed(fields={name: ""})
        return decode_time_cursor(cursor)
    except ValidationFailed as exc:
        problem = _("This link to a page of notifications is not valid.")
        raise ValidationFailed(fields={name: problem}) from exc


@bp.get("/notifications")
@login_required
def index():
    """My notifications, newest first, unread ones marked, a page at a time (``?after=``
    or ``?before=`` a notification's position). An old ``?page=N`` link is sent to where
    that page starts (to the top past the end)."""
    after = _position("after")
    before = None if after else _position("before")
    if after is None and before is None and page_number() > 1:
        start = services.page_start(me(), page_number())
        cursor = encode_cursor(*services.position_of(start)) if start is not None else None
        return redirect(url_for("notifications.index", after=cursor))
    page = services.page_for(me(), after=after, before=before)
    if not page.items and (after or before):
        # a position past the end (read with a link kept too long): the list from the top
        return redirect(url_for("notifications.index"))
    return render_template(
        "notifications/index.html",
        notifications=page.items,
        newer=page.newer and encode_cursor(*services.position_of(page.newer)),
        older=page.older and encode_cursor(*services.position_of(page.older)),
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


# -- settings --------------------------------------------------------------------------


def _render_settings(form: NotificationSettingsForm, quiet_form: QuietHoursForm, status=200):
    user = me()
    now = utcnow()
    jobs = settings.jobs_state(now=now)
    late_by = None
    if jobs.late and jobs.last_run_at is not None:
        late_by = format_timedelta(jobs.last_run_at - now, add_direction=True)
    return render_template(
        "notifications/settings.html",
        form=form,
        quiet_form=quiet_form,
        overrides=settings.thread_overrides(user),
        volume_names=VOLUME_NAMES,
        thread_names=dict(THREAD_CHOICES),
        jobs=jobs,
        late_by=late_by,
    ), status


@bp.route("/notifications/settings", methods=["GET", "POST"], endpoint="settings")
@login_required
def settings_page():
    """My notification settings, saved with one form: each circle's email volume and
    support requests, the daily digest (hour, weekdays or never), quiet hours (the
    profile's form and rules), discreet support emails, and no notification email at
    all. Per-thread overrides are listed, each with a button to remove it."""
    user = me()
    memberships = settings.circles(user)
    if request.method == "GET":
        return _render_settings(
            NotificationSettingsForm.initial(user, memberships),
            QuietHoursForm(prefix="quiet", obj=user, formdata=None),
        )
    form = NotificationSettingsForm.for_memberships(memberships)
    quiet_form = QuietHoursForm(prefix="quiet", meta={"csrf": False})
    valid = form.validate_on_submit()
    valid = quiet_form.validate() and valid
    if not valid:
        flash(_("Some settings are not valid: see the fields marked below."), "error")
        return _render_settings(form, quiet_form, status=400)
    now = utcnow()
    try:
        settings.set_circle_volumes(user, form.circle_choices(), now=now)
        settings.update_user_settings(
            user,
            now=now,
            digest_hour=form.digest_hour.data,
            digest_days=form.chosen_days(),
            email_discreet=form.email_discreet.data,
            email_off=form.email_off.data,
        )
    except DomainError as error:
        db.session.rollback()
        for message in error.fields.values() or [error.message]:
            flash(str(message), "error")
        return _render_settings(form, quiet_form, status=error.status)
    quiet_form.populate_obj(user)
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("notifications.settings"))


@bp.post(
    "/notifications/settings/threads/<int:thread_id>/remove",
    endpoint="remove_thread_override",
)
@login_required
def remove_thread_override(thread_id: int):
    """Forget my own setting for one discussion: its emails follow its circle's again."""
    if settings.remove_thread_override(me(), thread_id, now=utcnow()):
        flash(_("This discussion's emails follow its circle's setting again."), "success")
    return redirect(url_for("notifications.settings", _anchor="threads"))


@bp.post("/t/<int:thread_id>/emails", endpoint="thread_emails")
@login_required
def thread_emails(thread_id: int):
    """My emails about one discussion: like its circle, or all / digest / mute (members of
    the thread's group only)."""
    thread = load_thread(thread_id)
    if thread is None or not can_read_thread(me(), thread):
        abort(404)
    require(membership_of(me(), thread.group) is not None)
    form = ThreadEmailForm()
    target = url_for("threads.show", thread_id=thread.id, _anchor="thread-emails")
    if not form.validate_on_submit():
        flash(_("Choose one of the settings offered for this discussion's emails."), "error")
        return redirect(target)
    volume = form.volume.data or None
    settings.set_thread_override(me(), thread, volume, now=utcnow())
    flash(
        _("Emails about this discussion: %(choice)s.", choice=dict(THREAD_CHOICES)[volume or ""]),
        "success",
    )
    return redirect(target)


def thread_email_section(thread, *, viewer, now, **_kw) -> PageSection | None:
    """The thread page's email control, for members of the thread's group."""
    membership = membership_of(viewer, thread.group)
    if membership is None:
        return None
    kept = thread_reader_values(thread, viewer) or {}
    if "thread_volume" in kept:  # read with the thread (``hooks.thread_reader_columns``)
        current = kept["thread_volume"]
    else:
        current = settings.thread_volume(viewer, thread)
    return PageSection(
        "notifications/_thread_emails.html",
        LazyContext(
            {"thread": thread, "group_volume": VOLUME_NAMES[membership.volume]},
            form=lambda: ThreadEmailForm(formdata=None, data={"volume": current or ""}),
        ),
        state=(current, membership.volume),
    )


@bp.record_once
def _answer_the_thread_page(_state) -> None:
    """The thread page asks the features above what to add (``hooks.thread_page_sections``):
    this page-level answer is a form, so it lives with the views and is connected when the
    blueprint is registered (connecting twice keeps one connection)."""
    from .. import hooks

    hooks.thread_page_sections.connect(thread_email_section)
    hooks.thread_reader_columns.connect(settings.thread_volume_column)
    hooks.page_viewer_state.connect(unread_state)
    hooks.signed_in_columns.connect(services.unread_count_column)
    fragments.PAGE_HANDLERS["u"] = _unread_placeholder
