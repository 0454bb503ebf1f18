"""Proposal pages: a proposal to adopt, amend or repeal an agreement started from the
agreements pages (the thread's new-poll page adds the same agreement change through
``hooks.poll_form_addition``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..agreements.permissions import can_propose_agreement_change, can_read_agreements
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..groups.models import Group
from ..groups.permissions import can_start_thread, visible_group
from ..groups.services import current_members
from ..i18n import select_timezone
from ..polls.forms import MARKDOWN_HINT, PollForm, to_local
from ..polls.services import default_closing_at
from ..threads.models import Thread
from ..threads.services import MAX_TITLE as MAX_THREAD_TITLE
from ..threads.services import start_thread
from ..timeutil import utcnow
from ..web import me, require
from . import bp
from .forms import WhereForm, change_choice


def _readable_group(handle: str) -> Group:
    """The group: 404 when the reader may not know it exists, 403 when they may not
    read its agreements."""
    group = visible_group(handle, me()) or abort(404)
    require(can_read_agreements(me(), group))
    return group


# -- a proposal started from the agreements pages -------------------------------------------


def _open_threads(group: Group) -> list[Thread]:
    """The group's open threads, latest activity first (one query)."""
    return list(
        db.session.scalars(
            sa.select(Thread)
            .where(Thread.group_id == group.id, Thread.closed_at.is_(None))
            .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
            .limit(100)
        )
    )


def _proposal_thread(group: Group, where: WhereForm, title: str, details: str, now) -> Thread:
    """The thread chosen for the proposal, or a new one named after it."""
    if where.thread.data == "new":
        name = _("Proposal: %(title)s", title=title)
        if len(name) > MAX_THREAD_TITLE:
            name = name[: MAX_THREAD_TITLE - 1] + "…"
        return start_thread(group, author=me(), title=name, body=details, now=now)
    thread = db.session.get(Thread, int(where.thread.data))
    if thread is None or thread.group_id != group.id or thread.is_closed:
        raise ValidationFailed(fields={"thread": _("Choose an open thread of this group.")})
    return thread


@bp.route("/g/<handle>/agreements/propose", methods=["GET", "POST"])
@login_required
def propose(handle: str):
    """A proposal to adopt, amend or repeal an agreement, started from the agreements
    pages: the same form as in a thread, plus where to discuss it (a new thread
    "Proposal: <title>", created with the proposal, or an existing open thread)."""
    group = _readable_group(handle)
    reader = me()
    require(can_propose_agreement_change(reader, group))
    threads = _open_threads(group)
    may_start = can_start_thread(reader, group)
    require(may_start or bool(threads))
    now = utcnow()
    zone = select_timezone()
    where = WhereForm(threads=threads, may_start_thread=may_start)
    members = [(m.user_id, m.user.name) for m in current_members(group)]
    form = PollForm(kind="proposal", members=members, zone=zone)
    if not form.is_submitted():
        form.closing_at.data = to_local(default_closing_at("proposal", now), zone)
    change = change_choice(group, now)
    status = 200
    if form.is_submitted() and not change.rechoosing:
        valid = form.validate_on_submit()
        valid = where.validate() and valid
        if change.form is not None:
            valid = change.form.validate() and valid
        if valid:
            try:
                thread = _proposal_thread(
                    group, where, form.title.data, form.details.data or "", now
                )
                poll = change.make(thread, author=reader, now=now, **form.service_arguments())
            except DomainError as error:
                db.session.rollback()
                placed = change.form is not None and change.form.show_errors(error)
                if not placed:
                    _poll_form_errors(form, where, error)
                status = error.status
            else:
                flash(_("The proposal is open."), "success")
                return redirect(url_for("polls.show", poll_id=poll.id))
        else:
            status = 400
    return render_template(
        "polls/new.html",
        thread=None,
        group=group,
        form=form,
        where_form=where,
        kind="proposal",
        kind_name=_("Proposal"),
        zone=zone,
        hint=MARKDOWN_HINT,
        change=change,
        page_title=_("New proposal"),
        action_url=url_for("proposals.propose", handle=group.handle, **request.args),
    ), status


def _poll_form_errors(form, where: WhereForm, error: DomainError) -> None:
    """A service's field errors next to the proposal's fields (else flashed)."""
    for name, message in error.fields.items():
        target = where.thread if name == "thread" else form.field_for(name)
        if target is not None:
            target.errors = [*target.errors, str(message)]
        else:
            flash(str(message), "error")
    if not error.fields:
        flash(str(error.message), "error")
