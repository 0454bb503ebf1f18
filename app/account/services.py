"""Closing and deleting an account, across every feature. No HTTP here; services flush.

- **Leaving every circle** comes first, through the groups' own rule that a circle
  always keeps an admin: when the person is the only admin somewhere, nothing happens
  and ``CirclesNeedAdmin`` names those circles (another admin must be named first).
  Their support requests are settled as they leave (``support.services``).
- **Deactivating** leaves every circle and closes the account (``auth.services``):
  signed out everywhere, tokens revoked. Signing in within ``REACTIVATION_DAYS``
  opens it again; after that, ``jobs run`` deletes it (``delete_expired``).
- **Deleting** leaves every circle and wipes the personal data; contributions stay,
  under «Former member». Stances of anonymous polls are not touched: a closed one
  holds no link to its voter any more, an open one counts as any departed member's.

Deletion is claimed by a conditional UPDATE (``deleted_at IS NULL``): of two
machines (or a double click) only one does it; the other finds nothing to do.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from .. import outbox
from ..auth.models import User
from ..auth.services import REACTIVATION_DAYS, deactivate_user, wipe_user
from ..errors import Conflict
from ..extensions import db
from ..groups.models import Group, JoinRequest, Membership, Role
from ..groups.services import my_memberships, revoke_membership
from ..notifications.models import Notification, ThreadPreference
from ..support.services import settle_for_departing_member
from ..threads.models import ThreadVisit


class CirclesNeedAdmin(Conflict):
    """The person is the only admin of these circles: they cannot be left without one."""

    code = "sole_admin"

    def __init__(self, groups: list[Group]):
        self.groups = groups
        names = ", ".join(gettext("“%(name)s”", name=g.name) for g in groups)
        super().__init__(
            _l(
                "You are the only admin of %(circles)s. A circle always keeps an admin: "
                "first make another member admin there (on the circle's members page), "
                "then come back.",
                circles=names,
            )
        )


def circles_needing_admin(user: User) -> list[Group]:
    """The circles where ``user`` is the only current admin, by name (one query)."""
    admins = (
        sa.select(Membership.group_id)
        .where(Membership.role == Role.admin.value, Membership.revoked_at.is_(None))
        .group_by(Membership.group_id)
        .having(sa.func.count(Membership.id) == 1)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Group)
            .join(Membership, Membership.group_id == Group.id)
            .where(
                Membership.user_id == user.id,
                Membership.role == Role.admin.value,
                Membership.revoked_at.is_(None),
                Group.id.in_(admins),
            )
            .order_by(sa.func.lower(Group.name), Group.id)
        )
    )


def leave_every_circle(user: User, *, now: datetime) -> int:
    """End every current membership of ``user`` (their own leaving: the usual events),
    after settling their support requests; pending requests to join are withdrawn.
    All or nothing: ``CirclesNeedAdmin`` before anything changes. How many were left."""
    blocked = circles_needing_admin(user)
    if blocked:
        raise CirclesNeedAdmin(blocked)
    memberships = my_memberships(user)
    for membership in memberships:
        settle_for_departing_member(membership.group_id, user, now=now)
        # the groups' own rule (a last admin stays) is checked again under its lock
        revoke_membership(membership.group, membership, actor=user, now=now)
    db.session.execute(
        sa.delete(JoinRequest).where(
            JoinRequest.user_id == user.id, JoinRequest.decided_at.is_(None)
        )
    )
    db.session.flush()
    return len(memberships)


def _claim(user_id: int, now: datetime, *conditions, **values) -> bool:
    """Change the account only if it is still as ``conditions`` say: of two machines
    (or a double click) one wins, the other waits for it on PostgreSQL, then finds
    nothing to do. Claimed first, so that the loser does none of the work."""
    won = db.session.execute(
        sa.update(User)
        .where(User.id == user_id, User.deleted_at.is_(None), *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    return won == 1


def deactivate_account(user: User, *, now: datetime) -> bool:
    """Leave every circle and close the account (flushed); False when it was closed
    already. ``CirclesNeedAdmin`` (nothing done: the caller rolls back) when the person
    is the only admin of a circle."""
    if not _claim(user.id, now, User.deactivated_at.is_(None), deactivated_at=now):
        return False
    leave_every_circle(user, now=now)
    deactivate_user(user, now=now)
    return True


def _forget(user: User) -> None:
    """What only concerned the person: their in-app notifications, settings per thread,
    what they had read, and the emails still waiting for them."""
    db.session.execute(sa.delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(sa.delete(ThreadPreference).where(ThreadPreference.user_id == user.id))
    db.session.execute(sa.delete(ThreadVisit).where(ThreadVisit.user_id == user.id))
    db.session.execute(
        sa.update(outbox.Delivery)
        .where(outbox.Delivery.user_id == user.id, outbox.Delivery.status == outbox.PENDING)
        .values(status=outbox.CANCELLED, last_error="account deleted")
    )


def _delete(user: User, now: datetime, *conditions) -> bool:
    if not _claim(user.id, now, *conditions, deleted_at=now):
        return False
    leave_every_circle(user, now=now)
    _forget(user)
    wipe_user(user, now=now)
    return True


def delete_account(user: User, *, now: datetime) -> bool:
    """Leave every circle, then wipe the personal data (flushed); False when it was
    already deleted. ``CirclesNeedAdmin`` (nothing done: the caller rolls back) when
    the person is the only admin of a circle."""
    return _delete(user, now)


def expired_account_ids(now: datetime) -> list[int]:
    """Accounts deactivated more than ``REACTIVATION_DAYS`` ago and not yet deleted."""
    cutoff = now - timedelta(days=REACTIVATION_DAYS)
    return list(
        db.session.scalars(
            sa.select(User.id)
            .where(User.deactivated_at <= cutoff, User.deleted_at.is_(None))
            .order_by(User.id)
        )
    )


def delete_expired(user_id: int, *, now: datetime) -> bool:
    """Delete one account whose reactivation delay ran out, if it still has (the owner
    may have signed in meanwhile) and nobody deleted it yet; True when this call did."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    cutoff = now - timedelta(days=REACTIVATION_DAYS)
    return _delete(user, now, User.deactivated_at <= cutoff)
