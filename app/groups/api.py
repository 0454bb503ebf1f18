"""API: groups and memberships.

Additions to DESIGN.md's list (documented here and in the OpenAPI document):
``GET /groups`` (my groups), ``PATCH /groups/{handle}`` (settings) and
``GET /groups/{handle}/memberships`` (current members).

Adding someone is an invitation they accept: ``POST …/memberships`` answers the same
``{"status": "invited"}`` whatever the address (no account, an account, a current
member), and ``POST …/memberships/me`` is the invited person's acceptance.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from ..api import Blueprint, api_user
from ..api.schemas import ErrorSchema
from ..errors import Forbidden, NotFound
from ..i18n import select_locale
from ..timeutil import utcnow
from .models import Group, Membership
from .permissions import can_manage_group, can_see_group, is_member, membership_of
from .schemas import (
    GroupCreateSchema,
    GroupListSchema,
    GroupSchema,
    GroupUpdateSchema,
    InvitedSchema,
    MembershipCreateSchema,
    MembershipListSchema,
    MembershipSchema,
    MyMembershipSchema,
    MyMembershipUpdateSchema,
    RoleUpdateSchema,
)
from .services import (
    accept_my_invitation,
    change_role,
    count_invitation_email,
    create_group,
    current_members,
    current_membership,
    invitation_for,
    invite_address,
    lookup_group,
    members_counts,
    my_memberships,
    revoke_membership,
    update_group,
    update_my_membership,
)

blp = Blueprint("api_groups", __name__, description="Groups and memberships")

BEARER = [{"bearerAuth": []}]
NOT_FOUND = "No such group, or a secret group you are not a member of (`not_found`)."
NOT_FOUND_INVITED = (
    "No such group, or a secret group you are neither a member of nor invited to (`not_found`)."
)
NOT_ADMIN = "You are not an admin of this group (`forbidden`)."


def _visible_group(handle: str) -> Group:
    """The group, or 404 when it does not exist or the caller may not know it exists."""
    group = lookup_group(handle)
    if group is None or not can_see_group(api_user(), group):
        raise NotFound()
    return group


def _group_seen_by_invitee(handle: str) -> Group:
    """The group, also for a person with a pending invitation to their address (who may
    read a secret group's name before accepting); 404 for anyone else who may not see it."""
    group = lookup_group(handle)
    user = api_user()
    if group is None or not (
        can_see_group(user, group) or invitation_for(group, user, now=utcnow()) is not None
    ):
        raise NotFound()
    return group


def _require(allowed: bool, message=None) -> None:
    if not allowed:
        raise Forbidden(message)


def _group_out(group: Group, membership: Membership | None, count: int) -> dict:
    """A group as the API shows it; ``membership`` is the caller's (None: not a member)."""
    return {
        "handle": group.handle,
        "name": group.name,
        "description": group.description,
        "description_html": group.description_html,
        "privacy": group.privacy,
        "my_role": membership.role if membership else None,
        "my_volume": membership.volume if membership else None,
        "my_support_volume": membership.support_volume if membership else None,
        "members_count": count,
        "members_can_start_threads": group.members_can_start_threads,
        "members_can_raise_proposals": group.members_can_raise_proposals,
        "created_at": group.created_at,
    }


def _one_group_out(group: Group) -> dict:
    membership = membership_of(api_user(), group)
    count = members_counts([group.id]).get(group.id, 0)
    return _group_out(group, membership, count)


def _target_membership(group: Group, user_id: int) -> Membership:
    membership = current_membership(group, user_id)
    if membership is None:
        raise NotFound(_("This person is not a member of the group."))
    return membership


@blp.route("/groups", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(GroupCreateSchema)
@blp.response(201, GroupSchema)
@blp.alt_response(
    400, schema=ErrorSchema, description="Invalid input, e.g. a bad handle (`fields.handle`)."
)
@blp.alt_response(
    409, schema=ErrorSchema, description="The handle is taken (`handle_taken`, `fields.handle`)."
)
def create_group_view(data):
    """Create a group; the caller becomes its first admin."""
    group = create_group(creator=api_user(), now=utcnow(), **data)
    return _group_out(group, membership_of(api_user(), group), 1)


@blp.route("/groups", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, GroupListSchema)
def list_groups_view():
    """My groups (an addition to DESIGN.md): the groups I am a current member of, by name."""
    memberships = my_memberships(api_user())
    counts = members_counts([m.group_id for m in memberships])
    return {"items": [_group_out(m.group, m, counts.get(m.group_id, 0)) for m in memberships]}


@blp.route("/groups/<handle>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, GroupSchema)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND_INVITED)
def get_group_view(handle: str):
    """A group. `my_role` is null for a non-member: someone signed in looking at a closed
    or open group, or a person invited to it (by their address) who has not accepted yet."""
    return _one_group_out(_group_seen_by_invitee(handle))


@blp.route("/groups/<handle>", methods=["PATCH"])
@blp.doc(security=BEARER)
@blp.arguments(GroupUpdateSchema)
@blp.response(200, GroupSchema)
@blp.alt_response(403, schema=ErrorSchema, description=NOT_ADMIN)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def update_group_view(data, handle: str):
    """Change a group's settings (admins; an addition to DESIGN.md). The handle cannot change."""
    group = _visible_group(handle)
    _require(can_manage_group(api_user(), group))
    update_group(group, **data)
    return _one_group_out(group)


@blp.route("/groups/<handle>/memberships", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, MembershipListSchema)
@blp.alt_response(403, schema=ErrorSchema, description="You are not a member (`forbidden`).")
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def list_memberships_view(handle: str):
    """Current members, admins first (members only; an addition to DESIGN.md).

    Pending invitations are not listed, to admins either: an invited person is not a member
    until they accept, and nothing here tells whether an invited address has an account.
    """
    group = _visible_group(handle)
    _require(is_member(api_user(), group))
    return {"items": current_members(group)}


@blp.route("/groups/<handle>/memberships", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(MembershipCreateSchema)
@blp.response(201, InvitedSchema)
@blp.alt_response(
    400,
    schema=ErrorSchema,
    description="`fields.email`: not an email address; `fields.role`: not `admin` or `member`.",
)
@blp.alt_response(403, schema=ErrorSchema, description=NOT_ADMIN)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blp.alt_response(
    429,
    schema=ErrorSchema,
    description="The caller has emailed many invitations lately (30 an hour, 100 a day, "
    "pages and API together); `Retry-After` says when to try again.",
)
def add_membership_view(data, handle: str):
    """Invite an email address to the group (admins). Nobody becomes a member here.

    The address gets an email with a link to accept (valid for the configured number of
    days, `INVITATION_DAYS`); an account with that address, once it has confirmed the
    address, also sees the invitation in the app and may accept it with
    `POST /groups/{handle}/memberships/me`. `role` is the role
    the person will have once they accept.

    The answer is always `201 {"status": "invited"}`, with the same body whatever the
    address: one no account uses, an account's, or a current member's (that member is
    emailed the same invitation and told, when they open it, that they already are one). The
    email goes through the outbox, so no answer waits for a mail server. Inviting the same
    address again replaces its pending invitation (new role and expiry).
    """
    group = _visible_group(handle)
    actor = api_user()
    _require(can_manage_group(actor, group))
    count_invitation_email(actor.id)
    invite_address(
        group,
        actor=actor,
        email=data["email"],
        role=data["role"],
        days=current_app.config["INVITATION_DAYS"],
        locale=actor.locale or select_locale(),
        now=utcnow(),
    )
    return {"status": "invited"}


@blp.route("/groups/<handle>/memberships/me", methods=["POST"])
@blp.doc(security=BEARER)
@blp.response(201, MyMembershipSchema)
@blp.alt_response(
    403,
    schema=ErrorSchema,
    description="No pending invitation to your account's address, and the group is not open "
    "(`no_invitation`). An invitation sent to another address does not count: it is "
    "only for the account with that address, and only once that account has confirmed "
    "the address (the link emailed at sign-up, a password reset, or the invitation's own "
    "link); until then the answer is the same as with no invitation.",
)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND_INVITED)
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="You are already a member (`already_member`), or the invitation can no "
    "longer be used: its admin is no longer one, or an admin removed you after it was sent "
    "(`invitation_unusable`).",
)
def accept_membership_view(handle: str):
    """Become a member: accept the pending invitation sent to my account's address (the
    newest, with its role), or join an open group. Returns my new membership."""
    group = _group_seen_by_invitee(handle)
    return accept_my_invitation(group, api_user(), now=utcnow())


@blp.route("/groups/<handle>/memberships/me", methods=["PATCH"])
@blp.doc(security=BEARER)
@blp.arguments(MyMembershipUpdateSchema)
@blp.response(200, MyMembershipSchema)
@blp.alt_response(403, schema=ErrorSchema, description="You are not a member (`forbidden`).")
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blp.alt_response(
    400,
    schema=ErrorSchema,
    description="A bad field, named: `availability`, `availability_until` (in the past, more "
    "than a year ahead, or without `away`), `volume` (not `all`, `digest` or `mute`) or "
    "`support_volume` (not `immediate` or `digest`).",
)
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="The group's rules require reciprocity: `gives_support` and `receives_support` "
    "cannot be turned off (`reciprocity_locked`, the field named; the message names the rule "
    "and the agreement and version that set it, or says it is the default).",
)
def update_my_membership_view(data, handle: str):
    """My support switches, availability and email settings in this group.

    With the rule `reciprocity` `required` (the default until an agreement says otherwise)
    both switches are locked on: turning one off is a 409, and the stored choice is kept for
    when the rule changes. `volume` and `support_volume` are my notification settings for
    the group (DESIGN's "Notifications"): the answer shows them, and only to me; the group
    shows them too as `my_volume` and `my_support_volume`. Sending only these two leaves
    the support settings untouched. My settings for every group at once, the digest and the
    other email settings are at `/notifications/settings`.
    """
    group = _visible_group(handle)
    membership = membership_of(api_user(), group)
    _require(membership is not None)
    update_my_membership(membership, now=utcnow(), **data)
    return membership


@blp.route("/groups/<handle>/memberships/<int:user_id>", methods=["PATCH"])
@blp.doc(security=BEARER)
@blp.arguments(RoleUpdateSchema)
@blp.response(200, MembershipSchema)
@blp.alt_response(403, schema=ErrorSchema, description=NOT_ADMIN)
@blp.alt_response(
    404, schema=ErrorSchema, description="No such group, or this person is not a member."
)
@blp.alt_response(
    409, schema=ErrorSchema, description="The last admin cannot be demoted (`last_admin`)."
)
def change_role_view(data, handle: str, user_id: int):
    """Make a member an admin, or an admin a member (admins; a group keeps one admin)."""
    group = _visible_group(handle)
    _require(can_manage_group(api_user(), group))
    membership = _target_membership(group, user_id)
    change_role(group, membership, data["role"], now=utcnow())
    return membership


@blp.route("/groups/<handle>/memberships/<int:user_id>", methods=["DELETE"])
@blp.doc(security=BEARER)
@blp.response(204)
@blp.alt_response(403, schema=ErrorSchema, description="Only admins remove others (`forbidden`).")
@blp.alt_response(
    404, schema=ErrorSchema, description="No such group, or this person is not a member."
)
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="The last admin cannot leave or be removed (`last_admin`).",
)
def revoke_membership_view(handle: str, user_id: int):
    """End a membership: an admin removes someone, or a member leaves. What they wrote stays."""
    group = _visible_group(handle)
    actor = api_user()
    _require(user_id == actor.id or can_manage_group(actor, group))
    membership = _target_membership(group, user_id)
    revoke_membership(group, membership, actor=actor, now=utcnow())
