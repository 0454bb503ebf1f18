"""Groups, memberships and invitations: the rules, without HTTP.

Services flush and never commit; the caller (a view, the API, a command)
commits once per request.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import events, hooks, limits
from ..api import hash_token
from ..auth.models import User
from ..auth.verify import is_verified, mark_verified
from ..collation import sort_key
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..ratelimit import count_or_refuse
from .models import (
    Availability,
    Group,
    Invitation,
    JoinRequest,
    Membership,
    Privacy,
    Role,
    SupportVolume,
    Volume,
)

HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
#: addresses the application uses itself
RESERVED_HANDLES = frozenset({"new", "admin", "api", "static", "settings", "groups", "invitations"})


class HandleTaken(Conflict):
    code = "handle_taken"
    default_message = _l("This handle is already taken.")


class LastAdmin(Conflict):
    code = "last_admin"
    default_message = _l("A group keeps at least one admin: name another admin first.")


class AlreadyMember(Conflict):
    code = "already_member"
    default_message = _l("This person is already a member.")


class InvitationUnusable(Conflict):
    code = "invitation_unusable"
    default_message = _l("This invitation has expired or was already used.")


class InvitationForSomeoneElse(Forbidden):
    code = "invitation_for_someone_else"
    default_message = _l(
        "This invitation was sent to another email address. Sign in with that address to accept it."
    )


class NoInvitation(Forbidden):
    code = "no_invitation"
    default_message = _l(
        "You have no pending invitation to this group. Ask one of its admins to invite you."
    )


class ReciprocityLocked(Conflict):
    """Turning off a support switch that the rule ``reciprocity`` locks on; the message
    names the rule and the agreement that set it (``hooks.SwitchLock``)."""

    code = "reciprocity_locked"
    default_message = _l(
        "The group's agreements require reciprocity: every member both gives and receives support."
    )

    @classmethod
    def for_lock(cls, lock: hooks.SwitchLock | None, switch: str) -> ReciprocityLocked:
        if lock is None:
            message = cls.default_message
        elif lock.agreement_id is None:
            message = _l(
                "Reciprocity is required until the group agrees otherwise (the default "
                "rule, not agreed yet): every member both gives and receives support, so "
                "this switch stays on."
            )
        else:
            message = _l(
                "Reciprocity is required by the agreement “%(title)s” (v%(version)s): every "
                "member both gives and receives support, so this switch stays on.",
                title=lock.title,
                version=lock.version,
            )
        return cls(message, fields={switch: message})


def render_group_markdown(text: str):
    """Markdown of a group's texts, with mentions of its people linked."""
    from ..markdown import render_with_mentions

    return render_with_mentions(text)


def validate_handle(handle: str, field: str = "handle") -> str:
    handle = (handle or "").strip().lower()
    if not HANDLE_RE.match(handle) or handle in RESERVED_HANDLES:
        raise ValidationFailed(
            fields={
                field: _l(
                    "Use 3 to 40 lower-case letters, digits or hyphens, "
                    "starting and ending with a letter or digit."
                )
            }
        )
    return handle


def suggest_handle(name: str) -> str:
    """A free handle made from the group's name."""
    from ..auth.services import _slug

    base = _slug(name)[:36].strip("-") or "cercle"
    if len(base) < 3:
        base = f"{base}-cercle"
    candidate, n = base, 1
    while candidate in RESERVED_HANDLES or db.session.scalar(
        sa.select(Group.id).where(Group.handle == candidate)
    ):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _check_text(name: str | None, field: str, *, required: bool, max_length: int) -> str:
    value = (name or "").strip()
    if required and not value:
        raise ValidationFailed(fields={field: _l("This field is required.")})
    if len(value) > max_length:
        raise ValidationFailed(
            fields={field: _l("Must be at most %(max)s characters long.", max=max_length)}
        )
    return value


def _check_privacy(privacy: str) -> str:
    if privacy not in {p.value for p in Privacy}:
        raise ValidationFailed(fields={"privacy": _l("Must be one of: secret, closed, open.")})
    return privacy


def create_group(
    *,
    creator: User,
    name: str,
    handle: str | None = None,
    description: str = "",
    privacy: str = Privacy.secret.value,
    members_can_start_threads: bool = True,
    members_can_raise_proposals: bool = True,
    now: datetime,
) -> Group:
    """A new group whose creator is its first admin."""
    name = _check_text(name, "name", required=True, max_length=limits.NAME)
    description = _check_text(
        description, "description", required=False, max_length=limits.DOCUMENT
    )
    handle = validate_handle(handle) if handle else suggest_handle(name)
    privacy = _check_privacy(privacy or Privacy.secret.value)
    if db.session.scalar(sa.select(Group.id).where(Group.handle == handle)) is not None:
        raise HandleTaken(fields={"handle": HandleTaken.default_message})
    group = Group(
        handle=handle,
        name=name,
        description=description,
        description_html=str(render_group_markdown(description)),
        privacy=privacy,
        members_can_start_threads=members_can_start_threads,
        members_can_raise_proposals=members_can_raise_proposals,
        created_by_id=creator.id,
        created_at=now,
    )
    db.session.add(group)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise HandleTaken(fields={"handle": HandleTaken.default_message}) from exc
    membership = Membership(group=group, user_id=creator.id, role=Role.admin.value, created_at=now)
    db.session.add(membership)
    db.session.flush()
    events.member_joined.send(membership, now=now)
    return group


def update_group(group: Group, **changes) -> Group:
    """Change name, description, privacy or the members' permissions."""
    if "name" in changes:
        group.name = _check_text(changes["name"], "name", required=True, max_length=limits.NAME)
    if "description" in changes:
        group.description = _check_text(
            changes["description"], "description", required=False, max_length=limits.DOCUMENT
        )
        group.description_html = str(render_group_markdown(group.description))
    if "privacy" in changes:
        group.privacy = _check_privacy(changes["privacy"])
    for flag in ("members_can_start_threads", "members_can_raise_proposals"):
        if flag in changes:
            setattr(group, flag, bool(changes[flag]))
    db.session.flush()
    return group


def current_membership(group: Group, user_id: int) -> Membership | None:
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.group_id == group.id,
            Membership.user_id == user_id,
            Membership.revoked_at.is_(None),
        )
    )


def current_members(group: Group) -> list[Membership]:
    """Current memberships with their people, admins first, then in alphabetical order
    of names (``app/collation.py``: «Élise» before «Sophie»)."""
    found = db.session.scalars(
        sa.select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.group_id == group.id, Membership.revoked_at.is_(None))
        .options(sa.orm.contains_eager(Membership.user))
        .order_by(Membership.id)
    )
    return sorted(found, key=lambda m: (not m.is_admin, sort_key(m.user.name), m.user_id))


def members_at(group: Group, moment: datetime) -> list[int]:
    """The ids of the people who were members at ``moment`` (membership history)."""
    return list(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.group_id == group.id,
                Membership.created_at <= moment,
                sa.or_(Membership.revoked_at.is_(None), Membership.revoked_at > moment),
            )
        )
    )


def past_memberships(group: Group) -> list[Membership]:
    """Membership history: the ended periods, latest first, with their people."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.group_id == group.id, Membership.revoked_at.is_not(None))
            .options(sa.orm.joinedload(Membership.user))
            .order_by(Membership.revoked_at.desc(), Membership.id.desc())
        )
    )


def members_counts(group_ids: list[int]) -> dict[int, int]:
    """How many current members each of these groups has (one query)."""
    if not group_ids:
        return {}
    rows = db.session.execute(
        sa.select(Membership.group_id, sa.func.count(Membership.id))
        .where(Membership.group_id.in_(group_ids), Membership.revoked_at.is_(None))
        .group_by(Membership.group_id)
    )
    return dict(rows.all())


def my_memberships(user: User) -> list[Membership]:
    """The person's current memberships with their groups, by group name (one query)."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Group, Group.id == Membership.group_id)
            .where(Membership.user_id == user.id, Membership.revoked_at.is_(None))
            .options(sa.orm.contains_eager(Membership.group))
            .order_by(sa.func.lower(Group.name), Group.id)
        )
    )


def _admit(
    group: Group,
    user: User,
    *,
    actor: User | None = None,
    role: str = Role.member.value,
    now: datetime,
) -> Membership:
    """Make ``user`` a member; 409 when they already are.

    Only the person's own acts lead here: accepting an invitation, joining an open
    group, or asking to join a closed one (then approved). No admin makes anyone a
    member without their consent: an admin invites (``invite_address``)."""
    if role not in {r.value for r in Role}:
        raise ValidationFailed(fields={"role": _l("Must be one of: admin, member.")})
    if current_membership(group, user.id) is not None:
        raise AlreadyMember()
    membership = Membership(
        group=group,
        user_id=user.id,
        role=role,
        invited_by_id=actor.id if actor else None,
        created_at=now,
    )
    db.session.add(membership)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:  # raced with another add
        raise AlreadyMember() from exc
    events.member_joined.send(membership, now=membership.created_at)
    return membership


def _lock_group(group: Group) -> None:
    """Serialise admin changes of one group (PostgreSQL; SQLite writers are serial)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Group.id).where(Group.id == group.id).with_for_update())


def _admin_count(group: Group) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Membership.id)).where(
            Membership.group_id == group.id,
            Membership.role == Role.admin.value,
            Membership.revoked_at.is_(None),
        )
    )


def change_role(group: Group, membership: Membership, role: str, *, now: datetime) -> Membership:
    """Promote or demote; the last admin cannot be demoted."""
    if role not in {r.value for r in Role}:
        raise ValidationFailed(fields={"role": _l("Must be one of: admin, member.")})
    _lock_group(group)
    if membership.role == Role.admin.value and role != Role.admin.value:
        if _admin_count(group) <= 1:
            raise LastAdmin()
        _cancel_invitations_by(group, membership.user_id, now)
    membership.role = role
    db.session.flush()
    return membership


def revoke_membership(
    group: Group, membership: Membership, *, actor: User, now: datetime
) -> Membership:
    """End a membership (leaving or removal). Contributions stay; a last admin stays."""
    _lock_group(group)
    if membership.revoked_at is not None:
        raise NotFound()
    if membership.role == Role.admin.value and _admin_count(group) <= 1:
        raise LastAdmin()
    membership.revoked_at = now
    membership.revoked_by_id = actor.id
    _cancel_invitations_by(group, membership.user_id, membership.revoked_at)
    db.session.flush()
    if actor.id == membership.user_id:
        events.member_left.send(membership, now=membership.revoked_at)
    else:
        events.member_removed.send(membership, actor=actor, now=membership.revoked_at)
    return membership


def _cancel_invitations_by(group: Group, user_id: int, now: datetime) -> None:
    """An invitation speaks for an admin: it dies when its author stops being one."""
    db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.group_id == group.id,
            Invitation.created_by_id == user_id,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
            Invitation.declined_at.is_(None),
        )
        .values(cancelled_at=now)
        .execution_options(synchronize_session=False)
    )


def reciprocity_lock(group: Group, *, now: datetime) -> hooks.SwitchLock | None:
    """Why the support switches are locked on at ``now`` (rule ``reciprocity``, derived
    from the group's agreements, which answer ``hooks.support_switches_lock``; locked
    until an agreement says otherwise), or None."""
    return hooks.support_switches_lock.first(group, now=now)


def reciprocity_required(group: Group, *, now: datetime) -> bool:
    """Whether the group's active rules require reciprocity (``reciprocity_lock``)."""
    return reciprocity_lock(group, now=now) is not None


#: how far ahead "away until" may be set
AWAY_UNTIL_MAX = timedelta(days=366)


def update_my_membership(
    membership: Membership,
    *,
    now: datetime,
    require_reciprocity: bool | None = None,
    **changes,
) -> Membership:
    """A member's own support switches, availability and email volumes.

    While the group's agreements require reciprocity (``reciprocity_lock``, unless
    ``require_reciprocity`` says otherwise), turning off giving or receiving is refused
    (409, ``reciprocity_locked``, naming the rule and the agreement that set it).
    ``availability_until`` goes with ``away`` only (``busy`` has no end date; another
    availability clears it): a day from today (in the member's time zone) to a year
    ahead, after which they read ``available`` again. ``volume`` and ``support_volume``
    are the member's email settings for the group (``set_volumes``).
    """
    volumes = {name: changes.pop(name) for name in ("volume", "support_volume") if name in changes}
    if not changes:  # only the email settings: the support rules are not involved
        return set_volumes(membership, **volumes)
    lock = None
    if require_reciprocity is None:
        lock = reciprocity_lock(membership.group, now=now)
        require_reciprocity = lock is not None
    for switch in ("gives_support", "receives_support"):
        if switch in changes and changes[switch] is not None:
            value = bool(changes[switch])
            if require_reciprocity and not value:
                raise ReciprocityLocked.for_lock(lock, switch)
    errors = {}
    availability = changes.get("availability") or membership.availability
    if availability not in {a.value for a in Availability}:
        errors["availability"] = _l("Must be one of: available, busy, away.")
    until = changes.get("availability_until", membership.availability_until)
    if availability != membership.availability and "availability_until" not in changes:
        until = None  # a new availability starts without an end date
    if until is not None and availability == Availability.away.value:
        today = now.astimezone(ZoneInfo(membership.user.timezone)).date()
        if until < today:
            errors["availability_until"] = _l("Must not be in the past.")
        elif until > (now + AWAY_UNTIL_MAX).date():
            errors["availability_until"] = _l("Must be within a year.")
    elif "availability_until" in changes and until is not None:
        errors["availability_until"] = _l("Give a date only with “away”: until when are you away?")
    errors.update(volume_errors(**volumes))
    if errors:
        raise ValidationFailed(fields=errors)
    for switch in ("gives_support", "receives_support"):
        if switch in changes and changes[switch] is not None:
            setattr(membership, switch, bool(changes[switch]))
    membership.availability = availability
    membership.availability_until = until if availability == Availability.away.value else None
    return set_volumes(membership, **volumes)


def volume_errors(volume: str | None = None, support_volume: str | None = None) -> dict:
    """The bad ones among a member's email volumes for a group, by field (None: unchanged)."""
    errors = {}
    if volume is not None and volume not in {v.value for v in Volume}:
        errors["volume"] = _l("Must be one of: all, digest, mute.")
    if support_volume is not None and support_volume not in {v.value for v in SupportVolume}:
        errors["support_volume"] = _l("Must be one of: immediate, digest.")
    return errors


def set_volumes(
    membership: Membership, *, volume: str | None = None, support_volume: str | None = None
) -> Membership:
    """A member's email volumes for the group (flushed; None leaves one unchanged):
    ``volume`` ``all`` | ``digest`` | ``mute`` for the group's news, ``support_volume``
    ``immediate`` | ``digest`` for its support requests (urgent and important ones stay
    immediate unless the member is away: the support routing decides). A bad value is
    400 naming its field."""
    errors = volume_errors(volume, support_volume)
    if errors:
        raise ValidationFailed(fields=errors)
    if volume is not None:
        membership.volume = volume
    if support_volume is not None:
        membership.support_volume = support_volume
    db.session.flush()
    return membership


# -- invitations ---------------------------------------------------------------
#
# Two ways in, both accepted by the person themself: a shareable single-use link
# (``email`` None), or an invitation to an address, emailed with its own link and,
# when an account has that address, shown to it in the app (dashboard, group page,
# ``POST …/memberships/me``). Inviting an address answers the same whatever the
# address is (no account, an account, a current member): the admin never learns
# which.


def create_invitation(
    group: Group,
    *,
    actor: User,
    email: str | None = None,
    role: str = Role.member.value,
    days: int = 14,
    note: str = "",
    now: datetime,
) -> tuple[Invitation, str]:
    """An invitation and the secret token of its link (shown or sent once). ``note``:
    whom it is for, in the admins' words, so that their list tells links apart.

    A new invitation to an address replaces the group's pending ones to that address
    (the latest role and expiry count). Nothing here depends on whether an account
    has the address, or is already a member: see ``invite_address``."""
    from ..auth.services import normalise_email

    if role not in {r.value for r in Role}:
        raise ValidationFailed(fields={"role": _l("Must be one of: admin, member.")})
    if not 1 <= days <= 90:
        raise ValidationFailed(
            fields={"days": _l("Must be between %(min)s and %(max)s.", min=1, max=90)}
        )
    note = _check_text(note, "note", required=False, max_length=limits.NAME)
    email = normalise_email(email) if email else None
    if email:
        db.session.execute(
            sa.update(Invitation)
            .where(
                Invitation.group_id == group.id,
                Invitation.email == email,
                *_pending(now),
            )
            .values(cancelled_at=now)
            .execution_options(synchronize_session=False)
        )
    secret = secrets.token_urlsafe(24)
    invitation = Invitation(
        group=group,
        email=email,
        role=role,
        note=note,
        token_hash=hash_token(secret),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, secret


def count_invitation_email(actor_id: int) -> None:
    """One more invitation emailed by this person, pages and API together: past
    ``INVITATION_RATE_LIMIT``, a 429 (each email reaches someone who asked for nothing)."""
    count_or_refuse(
        "INVITATION_RATE_LIMIT",
        "invitation-emails",
        str(actor_id),
        str(_l("You have sent many invitations lately: wait a while before sending more.")),
    )


def invite_address(
    group: Group,
    *,
    actor: User,
    email: str,
    role: str = Role.member.value,
    days: int = 14,
    note: str = "",
    locale: str | None = None,
    now: datetime,
) -> tuple[Invitation, str]:
    """Invite an email address: the invitation and the token of its link, and its email
    (in ``locale``, the inviter's) in the outbox with that link. Nobody becomes a member
    here. (The token goes back to the page only when no mail server is configured: the
    admin then shares the link by hand.)

    The same work whatever the address is (no account, an account, a current member),
    so neither the answer nor its timing tells the inviter which: the address is not
    even looked up here. The periodic command does that later (``announce_invitation``)
    and tells the account, if any, in the app."""
    from ..mail import send_email
    from ..urls import external_url

    invitation, secret = create_invitation(
        group, actor=actor, email=email, role=role, days=days, note=note, now=now
    )
    # A header is one line: a name with a line break would make the email unsendable.
    send_email(
        invitation.email,
        _l(
            "%(name)s invites you to “%(group)s”",
            name=" ".join(actor.name.split()),
            group=" ".join(group.name.split()),
        ),
        "group_invitation",
        locale=locale,
        inviter=actor,
        group=group,
        link=external_url("groups.invitation", token=secret),
        expires_at=invitation.expires_at,
    )
    return invitation, secret


def invitations_to_announce(now: datetime) -> list[int]:
    """Ids of the pending invitations by address not announced yet, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Invitation.id)
            .where(
                Invitation.email.is_not(None),
                Invitation.announced_at.is_(None),
                *_pending(now),
            )
            .order_by(Invitation.id)
        )
    )


def announce_invitation(invitation_id: int, *, now: datetime) -> bool:
    """Look the invited address up and send ``events.member_invited`` (the account with
    that address, if any and if it has confirmed the address, is then told in the
    app), once: claimed by a conditional
    update, so that several periodic commands announce it once. Whether it was this
    call that announced it."""
    from ..auth.services import find_user_by_email

    claimed = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.announced_at.is_(None))
        .values(announced_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    invitation = db.session.get(Invitation, invitation_id)
    db.session.refresh(invitation)
    if invitation.email is None or not invitation.is_usable(now):
        return True
    invitee = find_user_by_email(invitation.email)
    events.member_invited.send(
        invitation,
        actor=invitation.created_by,
        # an account that has not confirmed the address is not told: it may not be its owner's
        invitee=invitee if is_verified(invitee) else None,
        now=now,
    )
    return True


def _pending(now: datetime) -> tuple:
    """Conditions of an invitation that can still be accepted at ``now``."""
    return (
        Invitation.accepted_at.is_(None),
        Invitation.cancelled_at.is_(None),
        Invitation.declined_at.is_(None),
        Invitation.expires_at > now,
    )


def invitation_problem(invitation: Invitation, *, now: datetime) -> str | None:
    """Why an invitation can no longer be used: ``used``, ``cancelled``, ``declined``,
    ``expired``, or None."""
    if invitation.accepted_at is not None:
        return "used"
    if invitation.cancelled_at is not None:
        return "cancelled"
    if invitation.declined_at is not None:
        return "declined"
    if now >= invitation.expires_at:
        return "expired"
    return None


def find_invitation(secret: str) -> Invitation | None:
    return db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(secret or ""))
    )


def _for_someone_else(invitation: Invitation, user: User) -> bool:
    return bool(invitation.email) and invitation.email != (user.email or "").lower()


def accept_invitation(invitation: Invitation, user: User, *, now: datetime) -> Membership:
    """Use the invitation once: the person becomes a member (an invitation to an address:
    only the account with that address)."""
    if _for_someone_else(invitation, user):
        raise InvitationForSomeoneElse()
    inviter = current_membership(invitation.group, invitation.created_by_id)
    if inviter is None or inviter.role != Role.admin.value:
        raise InvitationUnusable()  # its author is no longer an admin of the group
    removed_since = db.session.scalar(
        sa.select(Membership.id).where(
            Membership.group_id == invitation.group_id,
            Membership.user_id == user.id,
            Membership.revoked_at > invitation.created_at,
            Membership.revoked_by_id != user.id,
        )
    )
    if removed_since is not None:
        raise InvitationUnusable()  # removed by an admin after this link was made
    if current_membership(invitation.group, user.id) is not None:
        raise AlreadyMember()  # before claiming: the invitation stays for no one else
    # Claim the invitation atomically: a second acceptance finds it used.
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, *_pending(now))
        .values(accepted_at=now, accepted_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise InvitationUnusable()
    db.session.refresh(invitation)
    return _admit(
        invitation.group,
        user,
        actor=db.session.get(User, invitation.created_by_id),
        role=invitation.role,
        now=now,
    )


def decline_invitation(invitation: Invitation, user: User, *, now: datetime) -> Invitation:
    """The invited person says no: the invitation can no longer be used, and leaves the
    admins' pending list. Only an invitation to the person's own address can be declined
    (a shareable link is the admins' to cancel)."""
    if invitation.email is None or _for_someone_else(invitation, user):
        raise InvitationForSomeoneElse()
    declined = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, *_pending(now))
        .values(declined_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if declined != 1:
        raise InvitationUnusable()
    db.session.refresh(invitation)
    return invitation


def confirm_address_by_link(invitation: Invitation, user: User, *, now: datetime) -> None:
    """Someone signed in with the invited address opened the invitation's emailed link
    before it expired: the link proves they read that mailbox, so the address is
    confirmed (``auth.verify``) and the app may show them what is sent to it."""
    if invitation.email and not _for_someone_else(invitation, user) and now < invitation.expires_at:
        mark_verified(user, now=now)


def invitation_for(group: Group, user, *, now: datetime) -> Invitation | None:
    """The newest invitation to ``user``'s address that they can still accept in
    ``group``, without its emailed link. None for anyone signed out, and for an account
    whose address is not confirmed: whoever registered someone else's address first
    must not see or accept what is sent to it (the emailed link still works)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.email:
        return None
    if not is_verified(user):
        return None
    return db.session.scalar(
        sa.select(Invitation)
        .where(
            Invitation.group_id == group.id,
            Invitation.email == user.email.lower(),
            *_pending(now),
        )
        .options(sa.orm.joinedload(Invitation.created_by))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(1)
    )


def my_invitations(user: User, *, now: datetime) -> list[Invitation]:
    """Invitations to ``user``'s address they can still accept, one per group (the
    newest), with their groups and inviters, newest first (one query). None while the
    address is not confirmed (see ``invitation_for``)."""
    if not is_verified(user):
        return []
    found = db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.email == (user.email or "").lower(), *_pending(now))
        .options(sa.orm.joinedload(Invitation.group), sa.orm.joinedload(Invitation.created_by))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).all()
    mine = set(
        db.session.scalars(
            sa.select(Membership.group_id).where(
                Membership.user_id == user.id, Membership.revoked_at.is_(None)
            )
        )
    )
    seen: set[int] = set()
    result = []
    for invitation in found:
        if invitation.group_id in seen or invitation.group_id in mine:
            continue
        seen.add(invitation.group_id)
        result.append(invitation)
    return result


def accept_my_invitation(group: Group, user: User, *, now: datetime) -> Membership:
    """``POST …/memberships/me``: accept the pending invitation to my address, else join
    an open group. 409 ``already_member``; 403 ``no_invitation`` when neither applies."""
    if current_membership(group, user.id) is not None:
        raise AlreadyMember()
    invitation = invitation_for(group, user, now=now)
    if invitation is not None:
        return accept_invitation(invitation, user, now=now)
    if group.privacy == Privacy.open.value:
        return _admit(group, user, now=now)
    raise NoInvitation()


def cancel_invitation(invitation: Invitation, *, now: datetime) -> Invitation:
    if invitation.accepted_at is None and invitation.cancelled_at is None:
        invitation.cancelled_at = now
        db.session.flush()
    return invitation


def pending_invitations(group: Group, *, now: datetime) -> list[Invitation]:
    """What the admins see: invitations not yet accepted, declined, cancelled or expired."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.group_id == group.id, *_pending(now))
            .options(sa.orm.joinedload(Invitation.created_by))
            .order_by(Invitation.created_at.desc())
        )
    )


# -- joining open and closed groups ------------------------------------------


def join_open_group(group: Group, user: User, *, now: datetime) -> Membership:
    if group.privacy != Privacy.open.value:
        raise Forbidden()
    return _admit(group, user, now=now)


def ask_to_join(group: Group, user: User, message: str = "", *, now: datetime) -> JoinRequest:
    if group.privacy != Privacy.closed.value:
        raise Forbidden()
    if current_membership(group, user.id) is not None:
        raise AlreadyMember()
    pending = pending_join_request(group, user)
    if pending is not None:
        return pending
    join_request = JoinRequest(
        group=group,
        user_id=user.id,
        message=_check_text(message, "message", required=False, max_length=limits.MESSAGE),
        created_at=now,
    )
    db.session.add(join_request)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:  # the same request raced in (double submit): keep that one
        return pending_join_request(group, user)
    return join_request


def pending_join_request(group: Group, user: User) -> JoinRequest | None:
    """The person's request to join that no admin has answered yet."""
    return db.session.scalar(
        sa.select(JoinRequest).where(
            JoinRequest.group_id == group.id,
            JoinRequest.user_id == user.id,
            JoinRequest.decided_at.is_(None),
        )
    )


def pending_join_requests(group: Group) -> list[JoinRequest]:
    """Requests waiting for an admin, oldest first, with their people."""
    return list(
        db.session.scalars(
            sa.select(JoinRequest)
            .where(JoinRequest.group_id == group.id, JoinRequest.decided_at.is_(None))
            .options(sa.orm.joinedload(JoinRequest.user))
            .order_by(JoinRequest.created_at, JoinRequest.id)
        )
    )


def decide_join_request(
    join_request: JoinRequest, *, actor: User, approve: bool, now: datetime
) -> JoinRequest:
    if join_request.decided_at is not None:
        raise Conflict(_l("This request was already answered."))
    join_request.decided_at = now
    join_request.decided_by_id = actor.id
    join_request.approved = approve
    if approve and current_membership(join_request.group, join_request.user_id) is None:
        _admit(join_request.group, join_request.user, actor=actor, now=now)
    db.session.flush()
    return join_request


def lookup_group(handle: str) -> Group | None:
    return db.session.scalar(sa.select(Group).where(Group.handle == (handle or "").lower()))
