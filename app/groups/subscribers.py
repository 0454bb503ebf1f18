"""What the groups feature tells the layers below it: who may be named by display
name in a group's texts (Markdown's mentions). Connected once by the application
factory."""

from __future__ import annotations

import sqlalchemy as sa

from .. import markdown
from ..auth.models import User
from ..extensions import db
from ..mentions import Person
from .models import Membership


def members_of(group_id: int) -> list[Person]:
    """The current members of a group, as people a mention may name (one query)."""
    rows = db.session.execute(
        sa.select(User.handle, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group_id, Membership.revoked_at.is_(None))
    )
    return [Person(handle, name) for handle, name in rows]


def connect() -> None:
    """Register the members directory."""
    markdown.register_members(members_of)
