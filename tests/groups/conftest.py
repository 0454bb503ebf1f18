"""Fixtures for the group tests: a small world of people, groups and pending things."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow


@pytest.fixture
def people(make_user):
    """An admin, a member and an outsider (English speakers, to read pages in English)."""
    return SimpleNamespace(
        admin=make_user(name="Alice Admin", email="alice@example.org", locale="en"),
        member=make_user(name="Bob Member", email="bob@example.org", locale="en"),
        outsider=make_user(name="Olga Outsider", email="olga@example.org", locale="en"),
    )


@pytest.fixture
def membership_id(app):
    """``membership_id(group, user)``: the id of the user's current membership, or None."""
    from app.groups.models import Membership

    def find(group, user) -> int | None:
        with app.app_context():
            return db.session.scalar(
                sa.select(Membership.id).where(
                    Membership.group_id == group.id,
                    Membership.user_id == user.id,
                    Membership.revoked_at.is_(None),
                )
            )

    return find


@pytest.fixture
def make_invitation(app):
    """``make_invitation(group, admin, email=None, days=14)`` → record with ``token`` and ``id``."""
    from app.auth.models import User
    from app.groups.models import Group
    from app.groups.services import create_invitation

    def make(group, admin, email=None, days=14, role="member"):
        with app.app_context():
            invitation, secret = create_invitation(
                db.session.get(Group, group.id),
                actor=db.session.get(User, admin.id),
                email=email,
                days=days,
                role=role,
                now=utcnow(),
            )
            db.session.commit()
            return SimpleNamespace(id=invitation.id, token=secret, email=invitation.email)

    return make


@pytest.fixture
def make_join_request(app):
    """``make_join_request(group, user, message="")`` → its id (written directly, any privacy)."""
    from app.groups.models import JoinRequest

    def make(group, user, message=""):
        with app.app_context():
            join_request = JoinRequest(group_id=group.id, user_id=user.id, message=message)
            db.session.add(join_request)
            db.session.commit()
            return join_request.id

    return make


@pytest.fixture
def expire_invitation(app):
    """Move an invitation's expiry into the past."""
    from app.groups.models import Invitation
    from app.timeutil import utcnow

    def expire(invitation_id):
        with app.app_context():
            invitation = db.session.get(Invitation, invitation_id)
            invitation.expires_at = utcnow() - timedelta(minutes=1)
            db.session.commit()

    return expire
