"""What the groups feature answers to the features below it: a new account that came
from an invitation's link lands in the group; who may be named by display name in a
group's texts (Markdown's mentions). Connected once by the application factory."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from .. import hooks, markdown
from ..auth.models import User
from ..errors import DomainError
from ..extensions import db
from ..mentions import Person
from .models import Membership
from .permissions import forget_membership
from .services import (
    accept_invitation,
    confirm_address_by_link,
    find_invitation,
    invitation_problem,
)


def accept_after_signup(user, *, next: str, now, **_kw) -> hooks.Landing | None:
    """``next`` is an invitation's link (``/invitations/<token>``): accept it for the new
    account, as its button would have, with the same rules (an invitation to an address:
    only that address; once; before it expires; its author still an admin). None when
    it is not such a link or cannot be used: the person then lands on the invitation's
    page, which says why."""
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(
            urlsplit(next).path, method="GET"
        )
    except HTTPException:
        return None
    if endpoint != "groups.invitation":
        return None
    invitation = find_invitation(args.get("token", ""))
    if invitation is None or invitation_problem(invitation, now=now) is not None:
        return None
    confirm_address_by_link(invitation, user, now=now)
    try:
        with db.session.begin_nested():
            accept_invitation(invitation, user, now=now)
    except DomainError:
        return None
    forget_membership(user, invitation.group)
    return hooks.Landing(
        url=url_for("groups.show", handle=invitation.group.handle),
        message=_("Welcome to “%(name)s”!", name=invitation.group.name),
    )


def members_of(group_id: int) -> list[Person]:
    """The current members of a group, as people a mention may name (one query)."""
    rows = db.session.execute(
        sa.select(User.handle, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group_id, Membership.revoked_at.is_(None))
    )
    return [Person(handle, name) for handle, name in rows]


def connect() -> None:
    hooks.after_signup.connect(accept_after_signup)
    markdown.register_members(members_of)
