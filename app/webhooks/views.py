"""The admins' webhook pages: the list with the form to connect one, a hook's delivery
log, and the buttons to test, re-enable and delete.

Who: the group's admins. A non-member gets 404 (even of an open group: a group's
connections are none of an outsider's business); a member who is not an admin gets
403, as on the group's settings page. The API answers the same.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import db
from ..groups.models import Group
from ..groups.permissions import can_manage_group, is_member
from ..groups.services import lookup_group
from ..timeutil import utcnow
from ..web import me, page_number, require, show_domain_error
from . import bp, services
from .forms import WebhookForm
from .models import Webhook
from .subscribers import make_test_post

PER_PAGE = 50


def _load_group(handle: str) -> Group:
    """The group (404 for a non-member), for its admins only (else 403)."""
    group = lookup_group(handle)
    if group is None or not is_member(current_user, group):
        abort(404)
    require(can_manage_group(current_user, group))
    return group


def _load_hook(group: Group, webhook_id: int) -> Webhook:
    hook = db.session.get(Webhook, webhook_id)
    if hook is None or hook.group_id != group.id:
        abort(404)
    return hook


def _render_index(group: Group, form: WebhookForm, *, created=None, secret=None, status=200):
    now = utcnow()
    last_run, late = services.heartbeat_state(now)
    return (
        render_template(
            "webhooks/index.html",
            group=group,
            hooks=services.webhooks_of(group),
            form=form,
            created=created,
            secret=secret,
            last_run=last_run,
            late=late,
            mask=services.mask,
            kind_labels=services.KIND_LABELS,
            event_labels=services.EVENT_LABELS,
            reasons=services.DISABLED_REASONS,
            allow_private=current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"),
        ),
        status,
    )


@bp.get("/g/<handle>/webhooks")
@login_required
def index(handle: str):
    """The group's chat connections and signed hooks, and the form to add one (admins)."""
    group = _load_group(handle)
    return _render_index(group, WebhookForm(formdata=None))


@bp.post("/g/<handle>/webhooks")
@login_required
def create(handle: str):
    """Connect a hook. A signed hook's secret is shown on this answer only."""
    group = _load_group(handle)
    form = WebhookForm()
    if not form.validate_on_submit():
        return _render_index(group, form, status=400)
    try:
        hook, secret = services.create_webhook(
            group,
            actor=me(),
            kind=form.kind.data,
            url=form.url.data,
            events=form.events.data,
            allow_private=bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE")),
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        return _render_index(group, form, status=error.status)
    if secret is None:
        flash(_("The webhook is connected. Send a test to check it."), "success")
        return redirect(url_for("webhooks.index", handle=group.handle))
    # Shown once, never stored in the session: the page answers with it directly.
    return _render_index(group, WebhookForm(formdata=None), created=hook, secret=secret)


@bp.get("/g/<handle>/webhooks/<int:webhook_id>")
@login_required
def show(handle: str, webhook_id: int):
    """One hook and its delivery log, newest first, a page at a time."""
    group = _load_group(handle)
    hook = _load_hook(group, webhook_id)
    page = page_number()
    if page < 1:
        abort(404)
    pagination = db.paginate(
        services.deliveries_query(hook), page=page, per_page=PER_PAGE, error_out=False
    )
    last_run, late = services.heartbeat_state(utcnow())
    return render_template(
        "webhooks/show.html",
        group=group,
        hook=hook,
        pagination=pagination,
        deliveries=pagination.items,
        last_run=last_run,
        late=late,
        mask=services.mask,
        kind_labels=services.KIND_LABELS,
        event_labels=services.EVENT_LABELS,
        reasons=services.DISABLED_REASONS,
    )


@bp.post("/g/<handle>/webhooks/<int:webhook_id>/test")
@login_required
def test(handle: str, webhook_id: int):
    """Write a test post to the outbox; the next periodic run sends it."""
    group = _load_group(handle)
    hook = _load_hook(group, webhook_id)
    if not hook.is_active:
        flash(_("This webhook is turned off: turn it on again first."), "error")
        return redirect(url_for("webhooks.show", handle=group.handle, webhook_id=hook.id))
    services.send_test(hook, make_test_post(hook), now=utcnow())
    flash(
        _(
            "A test post is waiting: it goes with the next periodic run. "
            "Its result appears in the log below."
        ),
        "success",
    )
    return redirect(url_for("webhooks.show", handle=group.handle, webhook_id=hook.id))


@bp.post("/g/<handle>/webhooks/<int:webhook_id>/enable")
@login_required
def enable(handle: str, webhook_id: int):
    """Turn a disabled hook on again."""
    group = _load_group(handle)
    hook = _load_hook(group, webhook_id)
    services.enable(hook, now=utcnow())
    flash(_("The webhook is on again. Send a test to check it."), "success")
    return redirect(url_for("webhooks.show", handle=group.handle, webhook_id=hook.id))


@bp.route("/g/<handle>/webhooks/<int:webhook_id>/delete", methods=["GET", "POST"])
@login_required
def delete(handle: str, webhook_id: int):
    """GET: ask before deleting; POST: delete the hook and its log."""
    group = _load_group(handle)
    hook = _load_hook(group, webhook_id)
    if request.method == "GET":
        return render_template(
            "webhooks/delete.html",
            group=group,
            hook=hook,
            mask=services.mask,
            kind_labels=services.KIND_LABELS,
        )
    services.delete_webhook(hook)
    flash(_("The webhook is deleted: nothing more is posted there."), "success")
    return redirect(url_for("webhooks.index", handle=group.handle))
