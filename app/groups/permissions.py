"""Who may see and do what in a group: named predicates for views, API and templates."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context

from ..extensions import db
from .models import Group, Membership, Privacy, Role


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def membership_of(user, group: Group) -> Membership | None:
    """The person's current membership of the group (cached for the request)."""
    if not _signed_in(user):
        return None
    key = (user.id, group.id)
    cache = g.setdefault("_memberships", {}) if has_request_context() else {}
    if key not in cache:
        cache[key] = db.session.scalar(
            sa.select(Membership).where(
                Membership.group_id == group.id,
                Membership.user_id == user.id,
                Membership.revoked_at.is_(None),
            )
        )
    return cache[key]


def remember_membership(user, group: Group, membership: Membership | None) -> None:
    """Keep for the request a membership (or its absence) loaded along with something
    else (the thread API reads it in the thread's own statement)."""
    if has_request_context() and _signed_in(user):
        g.setdefault("_memberships", {})[(user.id, group.id)] = membership


def forget_membership(user, group: Group) -> None:
    """Drop the cached membership after it changed within the request."""
    if has_request_context() and _signed_in(user):
        g.setdefault("_memberships", {}).pop((user.id, group.id), None)


def is_member(user, group: Group) -> bool:
    return membership_of(user, group) is not None


def is_admin(user, group: Group) -> bool:
    membership = membership_of(user, group)
    return membership is not None and membership.role == Role.admin.value


def can_see_group(user, group: Group) -> bool:
    """Knowing the group exists: members always; closed and open groups: anyone signed in."""
    if is_member(user, group):
        return True
    return _signed_in(user) and group.privacy in (Privacy.closed.value, Privacy.open.value)


def can_read_content(user, group: Group) -> bool:
    """Threads and comments: members; open groups: anyone signed in."""
    if is_member(user, group):
        return True
    return _signed_in(user) and group.privacy == Privacy.open.value


def can_manage_group(user, group: Group) -> bool:
    """Settings, invitations, roles, removals: admins."""
    return is_admin(user, group)


def admin_count(group: Group) -> int:
    """How many admins the group has now (cached for the request: the members page asks
    for each admin on it)."""
    cache = g.setdefault("_admin_counts", {}) if has_request_context() else {}
    if group.id not in cache:
        cache[group.id] = db.session.scalar(
            sa.select(sa.func.count(Membership.id)).where(
                Membership.group_id == group.id,
                Membership.role == Role.admin.value,
                Membership.revoked_at.is_(None),
            )
        )
    return cache[group.id]


def forget_admin_count(group: Group) -> None:
    """Drop the cached count after roles changed within the request."""
    if has_request_context():
        g.setdefault("_admin_counts", {}).pop(group.id, None)


def is_sole_admin(user, group: Group) -> bool:
    """The person is the group's only admin: a group keeps one, so they may neither
    leave nor become a plain member until they name another admin."""
    return is_admin(user, group) and admin_count(group) <= 1


def can_leave(user, group: Group) -> bool:
    """Members may leave, except the only admin."""
    return is_member(user, group) and not is_sole_admin(user, group)


def can_change_role(user, group: Group, membership: Membership) -> bool:
    """Admins promote anyone, and make an admin a plain member while another admin stays."""
    if not can_manage_group(user, group):
        return False
    return not membership.is_admin or admin_count(group) > 1


def can_remove_member(user, group: Group, membership: Membership) -> bool:
    """Admins remove others (one leaves oneself), never the group's only admin."""
    if not can_manage_group(user, group) or membership.user_id == user.id:
        return False
    return not membership.is_admin or admin_count(group) > 1


def can_start_thread(user, group: Group) -> bool:
    membership = membership_of(user, group)
    if membership is None:
        return False
    return membership.role == Role.admin.value or group.members_can_start_threads


def can_raise_proposal(user, group: Group) -> bool:
    membership = membership_of(user, group)
    if membership is None:
        return False
    return membership.role == Role.admin.value or group.members_can_raise_proposals


def can_join_directly(user, group: Group) -> bool:
    """Open groups let any signed-in person join."""
    return _signed_in(user) and not is_member(user, group) and group.privacy == Privacy.open.value


def can_ask_to_join(user, group: Group) -> bool:
    """Closed groups take requests from signed-in people."""
    return _signed_in(user) and not is_member(user, group) and group.privacy == Privacy.closed.value


def visible_group(handle: str, user) -> Group | None:
    """The group with this handle, if ``user`` may know it exists (else None: a 404)."""
    group = db.session.scalar(sa.select(Group).where(Group.handle == (handle or "").lower()))
    return group if group is not None and can_see_group(user, group) else None
