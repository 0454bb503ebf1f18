"""Group pages: creation, the group page, settings, members, invitations, joining, and a
person's page (the groups we share)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import hooks
from ..auth.models import User
from ..bidi import bidi_text
from ..confirm import back_to, confirmation_page
from ..errors import DomainError
from ..extensions import db
from ..i18n import format_moment, select_locale
from ..mail import mail_server_configured
from ..timeutil import utcnow
from ..urls import external_url
from ..web import me, page_number, require, show_domain_error
from . import bp
from .forms import (
    DecisionForm,
    GroupSettingsForm,
    InvitationForm,
    JoinRequestForm,
    NewGroupForm,
    RoleForm,
)
from .models import Group, Invitation, JoinRequest, Membership
from .permissions import (
    can_leave,
    can_manage_group,
    can_read_content,
    can_remove_member,
    can_see_group,
    forget_admin_count,
    forget_membership,
    is_member,
    membership_of,
)
from .services import (
    AlreadyMember,
    InvitationForSomeoneElse,
    InvitationUnusable,
    LastAdmin,
    accept_invitation,
    ask_to_join,
    cancel_invitation,
    change_role,
    confirm_address_by_link,
    count_invitation_email,
    create_group,
    create_invitation,
    current_members,
    decide_join_request,
    decline_invitation,
    find_invitation,
    invitation_for,
    invitation_problem,
    invite_address,
    join_open_group,
    lookup_group,
    past_memberships,
    pending_invitations,
    pending_join_request,
    pending_join_requests,
    revoke_membership,
    suggest_handle,
    update_group,
)

#: what the invitation page says when the link no longer works (status 410)
INVITATION_PROBLEMS = {
    "used": _l("This invitation was already used: each invitation works once."),
    "cancelled": _l("This invitation was cancelled by an admin of the group."),
    "declined": _l("You declined this invitation."),
    "expired": _l("This invitation has expired."),
}


def _load_group(handle: str) -> Group:
    """The group, or 404 when it does not exist or the reader may not know it exists."""
    group = lookup_group(handle)
    if group is None or not can_see_group(current_user, group):
        abort(404)
    return group


def _load_group_for_invitee(handle: str) -> tuple[Group, Invitation | None]:
    """The group and my pending invitation to it (by my address), if any: an invitation
    lets me see a secret group's name and description before I accept. 404 otherwise
    when I may not know the group exists."""
    group = lookup_group(handle)
    if group is None:
        abort(404)
    invitation = None
    if not is_member(current_user, group):
        invitation = invitation_for(group, current_user, now=utcnow())
    if invitation is None and not can_see_group(current_user, group):
        abort(404)
    return group, invitation


# -- creating and reading a group ------------------------------------------------


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def new_group():
    """Create a group; its creator becomes its first admin."""
    form = NewGroupForm()
    status = 200
    if form.validate_on_submit():
        try:
            group = create_group(
                creator=me(),
                name=form.name.data,
                handle=form.handle.data or None,
                description=form.description.data or "",
                privacy=form.privacy.data,
                members_can_start_threads=form.members_can_start_threads.data,
                members_can_raise_proposals=form.members_can_raise_proposals.data,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
            status = error.status
        else:
            flash(
                _("The group “%(name)s” is created. Invite its members.", name=group.name),
                "success",
            )
            return redirect(url_for("groups.show", handle=group.handle))
    elif request.method == "POST":
        status = 400
    if request.method == "POST" and not form.handle.data and form.name.data:
        form.handle.data = suggest_handle(form.name.data)
    return render_template("groups/new.html", form=form), status


@bp.get("/g/<handle>")
@login_required
def show(handle: str):
    """The group: description, threads (pinned first, newest activity first) and members.
    A person invited to it sees the invitation, to accept or decline."""
    group, invitation = _load_group_for_invitee(handle)
    if not can_read_content(current_user, group):
        # Seen from outside: its name, its description, my invitation or a way to ask.
        return render_template(
            "groups/outside.html",
            group=group,
            invitation=invitation,
            form=JoinRequestForm(formdata=None),
            pending=pending_join_request(group, me()),
        )
    # the first page of lists: no position in them (``?after=``, ``?before=``, or an old
    # ``?page=N`` link, which the thread list sends where that page starts)
    first_page = page_number() == 1 and not (
        request.args.get("after") or request.args.get("before")
    )
    sections = sorted(
        hooks.group_page_sections.answers(group, viewer=me(), first_page=first_page, now=utcnow()),
        key=lambda section: section.order,
    )
    return render_template(
        "groups/show.html",
        group=group,
        invitation=invitation,
        membership=membership_of(current_user, group),
        sections=sections,
        members=current_members(group),
    )


@bp.route("/g/<handle>/settings", methods=["GET", "POST"])
@login_required
def settings(handle: str):
    """Name, description, privacy and what members may start (admins)."""
    group = _load_group(handle)
    require(can_manage_group(current_user, group))
    form = GroupSettingsForm(obj=group)
    status = 200
    if form.validate_on_submit():
        try:
            update_group(
                group,
                name=form.name.data,
                description=form.description.data or "",
                privacy=form.privacy.data,
                members_can_start_threads=form.members_can_start_threads.data,
                members_can_raise_proposals=form.members_can_raise_proposals.data,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
            status = error.status
        else:
            flash(_("The group's settings are saved."), "success")
            return redirect(url_for("groups.show", handle=group.handle))
    elif request.method == "POST":
        status = 400
    return render_template("groups/settings.html", group=group, form=form), status


# -- members -------------------------------------------------------------------

#: the session key holding a link just made, shown once on the next members page
NEW_LINK_KEY = "groups.new_invitation_link"


def _render_members(group: Group, *, invitation_form=None, status: int = 200):
    """The members page; admins also see invitations, requests and history."""
    manage = can_manage_group(current_user, group)
    new_link = None
    if manage and request.method == "GET":
        # A link made by the POST just before (post-redirect-get): shown once.
        shown = session.get(NEW_LINK_KEY)
        if shown and shown.get("group") == group.handle:
            new_link = session.pop(NEW_LINK_KEY)
    context = {
        "group": group,
        "members": current_members(group),
        "manage": manage,
        "invitations": [],
        "join_requests": [],
        "history": [],
        "invitation_form": None,
        "new_link": new_link,
    }
    if manage:
        context.update(
            invitations=pending_invitations(group, now=utcnow()),
            join_requests=pending_join_requests(group),
            history=past_memberships(group),
            invitation_form=invitation_form
            or InvitationForm(formdata=None, days=current_app.config["INVITATION_DAYS"]),
        )
    return render_template("groups/members.html", **context), status


@bp.get("/g/<handle>/members")
@login_required
def members(handle: str):
    """Current members with their roles; for admins, the tools to manage them."""
    group = _load_group(handle)
    require(is_member(current_user, group))
    return _render_members(group)


def _members_url(group: Group) -> str:
    return url_for("groups.members", handle=group.handle)


def _load_membership(group: Group, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.group_id != group.id or membership.revoked_at:
        abort(404)
    return membership


def _refused(message: str, back: str):
    """A refused act: why, in plain words, and back where the person was."""
    db.session.rollback()
    flash(message, "error")
    return redirect(back)


#: why the only admin may not do something (a group keeps one admin)
SOLE_ADMIN_DEMOTE = _l(
    "You are the group's only admin: make another member an admin first, then you can "
    "become a plain member."
)
SOLE_ADMIN_LEAVE = _l(
    "You are the group's only admin: make another member an admin first, then you can leave."
)
LAST_ADMIN_REMOVE = _l(
    "This person is the group's only admin: a group keeps one. Make another member an admin first."
)


@bp.post("/g/<handle>/members/<int:membership_id>/role")
@login_required
def set_role(handle: str, membership_id: int):
    """Promote a member to admin, or make an admin a member again (admins)."""
    group = _load_group(handle)
    require(can_manage_group(current_user, group))
    membership = _load_membership(group, membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    back = back_to(_members_url(group))
    try:
        change_role(group, membership, form.role.data, now=utcnow())
    except LastAdmin:
        mine = membership.user_id == current_user.id
        return _refused(str(SOLE_ADMIN_DEMOTE if mine else LAST_ADMIN_REMOVE), back)
    forget_membership(membership.user, group)
    forget_admin_count(group)
    flash(
        _("%(name)s is now an admin.", name=membership.user.name)
        if membership.is_admin
        else _("%(name)s is now a member.", name=membership.user.name),
        "success",
    )
    return redirect(back)


@bp.route("/g/<handle>/members/<int:membership_id>/remove", methods=["GET", "POST"])
@login_required
def remove_member(handle: str, membership_id: int):
    """End someone's membership (admins), after a confirmation step (GET). What they
    wrote stays."""
    group = _load_group(handle)
    require(can_manage_group(current_user, group))
    membership = _load_membership(group, membership_id)
    back = back_to(_members_url(group))
    name = membership.user.name
    if request.method == "GET":
        allowed = can_remove_member(current_user, group, membership)
        return confirmation_page(
            title=_("Remove %(name)s from the group", name=bidi_text(name)),
            question=_(
                "Remove %(name)s from “%(group)s”?",
                name=bidi_text(name),
                group=bidi_text(group.name),
            ),
            details=[
                _("What they wrote stays in the group, under their name."),
                _("They will need a new invitation to come back."),
            ],
            confirm_label=_("Yes, remove %(name)s", name=bidi_text(name)),
            back=back,
            refusal=None
            if allowed
            else str(
                SOLE_ADMIN_LEAVE if membership.user_id == current_user.id else LAST_ADMIN_REMOVE
            ),
        )
    if membership.user_id == current_user.id:
        return redirect(url_for("groups.leave", handle=group.handle, next=back))
    try:
        revoke_membership(group, membership, actor=me(), now=utcnow())
    except LastAdmin:
        return _refused(str(LAST_ADMIN_REMOVE), back)
    flash(_("%(name)s is no longer a member.", name=name), "success")
    return redirect(back)


@bp.route("/g/<handle>/leave", methods=["GET", "POST"])
@login_required
def leave(handle: str):
    """Leave the group, after a confirmation step (GET). What I wrote stays; the only
    admin cannot leave (the page says why)."""
    group = _load_group(handle)
    membership = membership_of(current_user, group)
    require(membership is not None)
    back = back_to(url_for("groups.show", handle=group.handle))
    if request.method == "GET":
        return confirmation_page(
            title=_("Leave “%(group)s”", group=bidi_text(group.name)),
            question=_("Leave “%(group)s”?", group=bidi_text(group.name)),
            details=[
                _("What you wrote stays in the group, under your name."),
                _("You will need a new invitation to come back."),
            ],
            confirm_label=_("Yes, leave the group"),
            back=back,
            refusal=None if can_leave(current_user, group) else str(SOLE_ADMIN_LEAVE),
        )
    try:
        revoke_membership(group, membership, actor=me(), now=utcnow())
    except LastAdmin:
        return _refused(str(SOLE_ADMIN_LEAVE), back)
    flash(_("You have left “%(name)s”.", name=group.name), "success")
    return redirect(url_for("dashboard.index"))


# -- invitations -----------------------------------------------------------------


@bp.post("/g/<handle>/invitations")
@login_required
def invite(handle: str):
    """Invite by email (an invitation is sent) or make a single-use link to share (admins).

    Inviting an address says the same whatever it is (no account, an account, a member):
    the admin never learns whether someone uses it. Then back to the members page (a
    reload there repeats nothing); a new link is shown there once."""
    group = _load_group(handle)
    require(can_manage_group(current_user, group))
    form = InvitationForm()
    if not form.validate_on_submit():
        return _render_members(group, invitation_form=form, status=400)
    try:
        if form.email.data:
            count_invitation_email(current_user.id)
            invitation, secret = invite_address(
                group,
                actor=me(),
                email=form.email.data,
                role=form.role.data,
                days=form.days.data,
                note=form.note.data or "",
                locale=current_user.locale or select_locale(),
                now=utcnow(),
            )
        else:
            invitation, secret = create_invitation(
                group,
                actor=me(),
                role=form.role.data,
                days=form.days.data,
                note=form.note.data or "",
                now=utcnow(),
            )
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        return _render_members(group, invitation_form=form, status=error.status)
    if invitation.email is None or not mail_server_configured():
        # Shown once, on the page the redirect leads to: only the token's hash is kept.
        # Without a mail server no email leaves: the admin shares the link themself.
        session[NEW_LINK_KEY] = {
            "group": group.handle,
            "id": invitation.id,
            "url": external_url("groups.invitation", token=secret),
            "email": invitation.email,
            "note": invitation.note,
            "expires_at": invitation.expires_at.isoformat(),
        }
        return redirect(url_for("groups.members", handle=group.handle, _anchor="new-link"))
    flash(_("An invitation is sent to %(email)s.", email=invitation.email), "success")
    return redirect(url_for("groups.members", handle=group.handle))


@bp.route("/g/<handle>/invitations/<int:invitation_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(handle: str, invitation_id: int):
    """Cancel a pending invitation, after a confirmation step (GET): its link stops
    working (admins)."""
    group = _load_group(handle)
    require(can_manage_group(current_user, group))
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.group_id != group.id:
        abort(404)
    back = back_to(_members_url(group))
    if request.method == "GET":
        return confirmation_page(
            title=_("Cancel an invitation"),
            question=_("Cancel the invitation %(which)s?", which=invitation_label(invitation)),
            details=[_("Its link will stop working; you can make a new one at any time.")],
            confirm_label=_("Yes, cancel the invitation"),
            back=back,
            refusal=None
            if invitation_problem(invitation, now=utcnow()) is None
            else _("This invitation can no longer be used: there is nothing to cancel."),
        )
    cancel_invitation(invitation, now=utcnow())
    flash(_("The invitation is cancelled: its link no longer works."), "success")
    return redirect(back)


def invitation_label(invitation: Invitation) -> str:
    """How the admins tell an invitation apart: its address or its note, else its date."""
    who = invitation.email or invitation.note
    if who:
        return _("for %(who)s", who=bidi_text(who))
    return _("made on %(date)s", date=format_moment(invitation.created_at, "short"))


def _render_invitation(invitation: Invitation, *, problem: str | None = None, status: int = 200):
    return (
        render_template(
            "groups/invitation.html",
            invitation=invitation,
            group=invitation.group,
            problem=problem,
            problem_message=INVITATION_PROBLEMS.get(problem or ""),
            member=current_user.is_authenticated and is_member(current_user, invitation.group),
        ),
        status,
    )


def _wrong_account(invitation: Invitation) -> bool:
    return bool(invitation.email) and invitation.email != current_user.email


@bp.get("/invitations/<token>")
def invitation(token: str):
    """An invitation: the group's name and a button to accept (sign in first)."""
    invitation = find_invitation(token)
    if invitation is None:
        abort(404)
    if current_user.is_authenticated:
        confirm_address_by_link(invitation, me(), now=utcnow())
    if current_user.is_authenticated and is_member(current_user, invitation.group):
        return _render_invitation(invitation)
    problem = invitation_problem(invitation, now=utcnow())
    if problem:
        return _render_invitation(invitation, problem=problem, status=410)
    if current_user.is_authenticated and _wrong_account(invitation):
        return _render_invitation(invitation, problem="someone_else", status=403)
    return _render_invitation(invitation)


@bp.post("/invitations/<token>")
@login_required
def accept(token: str):
    """Accept an invitation: I become a member and land on the group's page."""
    invitation = find_invitation(token)
    if invitation is None:
        abort(404)
    confirm_address_by_link(invitation, me(), now=utcnow())
    group = invitation.group
    if is_member(current_user, group):
        flash(_("You are already a member of this group."), "info")
        return redirect(url_for("groups.show", handle=group.handle))
    problem = invitation_problem(invitation, now=utcnow())
    if problem:
        return _render_invitation(invitation, problem=problem, status=410)
    try:
        accept_invitation(invitation, me(), now=utcnow())
    except InvitationForSomeoneElse:
        db.session.rollback()
        return _render_invitation(invitation, problem="someone_else", status=403)
    except (InvitationUnusable, AlreadyMember):
        return _invitation_gone(invitation)
    forget_membership(current_user, group)
    flash(_("Welcome to “%(name)s”!", name=group.name), "success")
    return redirect(url_for("groups.show", handle=group.handle))


def _invitation_gone(invitation: Invitation):
    """The invitation was used, declined, cancelled or expired meanwhile (another tab,
    another person): a 410 page saying which, nothing written."""
    db.session.rollback()
    db.session.refresh(invitation)
    return _render_invitation(
        invitation,
        problem=invitation_problem(invitation, now=utcnow()) or "cancelled",
        status=410,
    )


@bp.post("/invitations/<token>/decline")
@login_required
def decline_link(token: str):
    """Decline an invitation sent to my address, from its emailed link."""
    invitation = find_invitation(token)
    if invitation is None:
        abort(404)
    confirm_address_by_link(invitation, me(), now=utcnow())
    return _decline(invitation)


def _decline(invitation: Invitation):
    group = invitation.group
    try:
        decline_invitation(invitation, me(), now=utcnow())
    except InvitationForSomeoneElse:
        db.session.rollback()
        return _render_invitation(invitation, problem="someone_else", status=403)
    except InvitationUnusable:
        return _invitation_gone(invitation)
    flash(_("You declined the invitation to “%(name)s”.", name=group.name), "info")
    return redirect(url_for("dashboard.index"))


@bp.post("/g/<handle>/invitation/accept")
@login_required
def accept_mine(handle: str):
    """Accept the pending invitation to my address (from the dashboard or the group's page,
    without the emailed link)."""
    group, invitation = _load_group_for_invitee(handle)
    if is_member(current_user, group):
        flash(_("You are already a member of this group."), "info")
        return redirect(url_for("groups.show", handle=group.handle))
    if invitation is None:
        flash(_("You have no pending invitation to this group."), "error")
        return redirect(url_for("groups.show", handle=group.handle))
    try:
        accept_invitation(invitation, me(), now=utcnow())
    except (InvitationUnusable, AlreadyMember):
        return _invitation_gone(invitation)
    forget_membership(current_user, group)
    flash(_("Welcome to “%(name)s”!", name=group.name), "success")
    return redirect(url_for("groups.show", handle=group.handle))


@bp.post("/g/<handle>/invitation/decline")
@login_required
def decline_mine(handle: str):
    """Decline the pending invitation to my address."""
    group, invitation = _load_group_for_invitee(handle)
    if invitation is None:
        flash(_("You have no pending invitation to this group."), "error")
        return redirect(url_for("dashboard.index"))
    return _decline(invitation)


# -- joining ---------------------------------------------------------------------


@bp.post("/g/<handle>/join")
@login_required
def join(handle: str):
    """Join an open group."""
    group = _load_group(handle)
    if is_member(current_user, group):
        flash(_("You are already a member of this group."), "info")
        return redirect(url_for("groups.show", handle=group.handle))
    try:
        join_open_group(group, me(), now=utcnow())
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            abort(403)
        flash(str(error.message), "error")
        return redirect(url_for("groups.show", handle=group.handle))
    forget_membership(current_user, group)
    flash(_("Welcome to “%(name)s”!", name=group.name), "success")
    return redirect(url_for("groups.show", handle=group.handle))


@bp.post("/g/<handle>/join-requests")
@login_required
def request_to_join(handle: str):
    """Ask the admins of a closed group to let me in."""
    group = _load_group(handle)
    if is_member(current_user, group):
        flash(_("You are already a member of this group."), "info")
        return redirect(url_for("groups.show", handle=group.handle))
    form = JoinRequestForm()
    if not form.validate_on_submit():
        return (
            render_template("groups/outside.html", group=group, form=form, pending=None),
            400,
        )
    try:
        ask_to_join(group, me(), form.message.data or "", now=utcnow())
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            abort(403)
        flash(str(error.message), "error")
        return redirect(url_for("groups.show", handle=group.handle))
    flash(_("Your request is sent. An admin of the group will answer it."), "success")
    return redirect(url_for("groups.show", handle=group.handle))


@bp.post("/g/<handle>/join-requests/<int:request_id>")
@login_required
def decide(handle: str, request_id: int):
    """Approve or decline a request to join (admins)."""
    group = _load_group(handle)
    require(can_manage_group(current_user, group))
    join_request = db.session.get(JoinRequest, request_id)
    if join_request is None or join_request.group_id != group.id:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    approve = form.decision.data == "approve"
    try:
        decide_join_request(join_request, actor=me(), approve=approve, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("groups.members", handle=group.handle))
    name = join_request.user.name
    if approve:
        flash(_("%(name)s is now a member.", name=name), "success")
    else:
        flash(_("The request of %(name)s is declined.", name=name), "info")
    return redirect(url_for("groups.members", handle=group.handle))


@bp.get("/u/<handle>")
@login_required
def person(handle: str):
    """A person's page: name, handle, and the groups we share."""
    user = db.session.scalar(sa.select(User).where(User.handle == handle.lower()))
    if user is None:
        abort(404)
    mine = sa.select(Membership.group_id).where(
        Membership.user_id == current_user.id, Membership.revoked_at.is_(None)
    )
    shared = db.session.scalars(
        sa.select(Group)
        .join(Membership, Membership.group_id == Group.id)
        .where(
            Membership.user_id == user.id,
            Membership.revoked_at.is_(None),
            Group.id.in_(mine),
        )
        .order_by(Group.name)
    ).all()
    if user.id != current_user.id and not shared:
        abort(404)  # people are only visible to those who share a group with them
    return render_template("groups/person.html", person=user, shared_groups=shared)


#: how many people the mention suggestions list at most
MENTION_SUGGESTIONS = 8


@bp.get("/g/<handle>/mention-suggestions")
@login_required
def mention_suggestions(handle: str):
    """The members a text may mention, for the ``@`` autocomplete of the writing
    fields (``?q=``: what was typed after ``@``): at most eight, as JSON
    ``{"items": [{"name", "handle", "mention"}]}``, ``mention`` being what to type
    after ``@``. Members only (404 for others)."""
    from ..mentions import mention_text, suggest
    from .subscribers import members_of

    group = _load_group(handle)
    if not is_member(current_user, group):
        abort(404)
    query = (request.args.get("q") or "")[:100]
    people = members_of(group.id)
    items = [
        {"name": p.name, "handle": p.handle, "mention": mention_text(p, people)}
        for p in suggest(people, query, limit=MENTION_SUGGESTIONS)
    ]
    return {"items": items}
