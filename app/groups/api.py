"""API: groups and memberships.

Additions to DESIGN.md's list (documented here and in the OpenAPI document):
``GET /groups`` (my groups), ``PATCH /groups/{handle}`` (settings) and
``GET /groups/{handle}/memberships`` (current members).
"""

from __future__ import annotations

from flask_babel import gettext as _

from ..api import Blueprint, api_user
from ..api.schemas import ErrorSchema
from ..auth.services import find_user_by_email
from ..errors import Forbidden, NotFound, ValidationFailed
from ..timeutil import utcnow
from .models import Group, Membership
from .permissions import can_manage_group, can_see_group, is_member, membership_of
from .schemas import (
    GroupCreateSchema,
    GroupListSchema,
    GroupSchema,
    GroupUpdateSchema,
    MembershipCreateSchema,
    MembershipListSchema,
    MembershipSchema,
    MyMembershipSchema,
    MyMembershipUpdateSchema,
    RoleUpdateSchema,
)
from .services import (
    add_member,
    change_role,
    create_group,
    current_members,
    current_membership,
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
NOT_ADMIN = "You are not an admin of this group (`forbidden`)."


def _visible_group(handle: str) -> Group:
    """The group, or 404 when it does not exist or the caller may not know it exists."""
    group = lookup_group(handle)
    if group is None or not can_see_group(api_user(), group):
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
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def get_group_view(handle: str):
    """A group. `my_role` is null for a non-member of a closed or open group."""
    return _one_group_out(_visible_group(handle))


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
    """Current members, admins first (members only; an addition to DESIGN.md)."""
    group = _visible_group(handle)
    _require(is_member(api_user(), group))
    return {"items": current_members(group)}


@blp.route("/groups/<handle>/memberships", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(MembershipCreateSchema)
@blp.response(201, MembershipSchema)
@blp.alt_response(
    400,
    schema=ErrorSchema,
    description='No account uses this address: `fields.email` is "No account uses this address." '
    "(the account must exist; invite people without one from the members page).",
)
@blp.alt_response(403, schema=ErrorSchema, description=NOT_ADMIN)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blp.alt_response(
    409, schema=ErrorSchema, description="This person is already a member (`already_member`)."
)
def add_membership_view(data, handle: str):
    """Add an existing account to the group (admins)."""
    group = _visible_group(handle)
    actor = api_user()
    _require(can_manage_group(actor, group))
    user = find_user_by_email(data["email"])
    if user is None:
        raise ValidationFailed(fields={"email": _("No account uses this address.")})
    membership = add_member(group, user, actor=actor, role=data["role"], now=utcnow())
    return membership


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
