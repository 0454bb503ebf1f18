"""Who may read a group's agreements, set a review date and propose a change."""

from __future__ import annotations

from ..groups.models import Group
from ..groups.permissions import can_raise_proposal, can_read_content, is_admin


def can_read_agreements(user, group: Group) -> bool:
    """The agreements page and each agreement: whoever reads the group's content
    (members; anyone signed in for an open group)."""
    return can_read_content(user, group)


def can_set_review_date(user, group: Group) -> bool:
    """An agreement's review date after adoption: admins."""
    return is_admin(user, group)


def can_propose_agreement_change(user, group: Group) -> bool:
    """Start a proposal that adopts, amends or repeals an agreement: members who may
    raise proposals (admins always may)."""
    return can_raise_proposal(user, group)
