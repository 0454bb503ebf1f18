"""In-app notifications: sending, listing, reading. Services flush, never commit.

A notification is stored as structured data (kind, group, thread, poll,
comment, actor, and a manual reminder's own message); ``describe`` writes its
sentence when it is read, in the reader's language. No sentence ever contains
a poll's counts or who chose what, so results hidden until closing cannot leak
through a notification.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, has_request_context, url_for
from flask_babel import gettext as _

from .. import outbox
from ..agreements import display as agreement_display
from ..agreements.models import Agreement
from ..agreements.rules import RuleSource
from ..auth.models import User
from ..auth.verify import is_verified
from ..bidi import bidi_text
from ..db import KeysetPage, generic_plan, keyset_page
from ..extensions import db
from ..groups.models import Membership
from ..i18n import LONG, format_moment
from ..proposals import consent
from ..support import display as support_display
from ..support import routing
from ..support.services import quiet_hours
from ..urls import external_url
from . import models as kinds
from . import preferences
from .models import (
    AGREEMENT_ADOPTED,
    AGREEMENT_AMENDED,
    AGREEMENT_REPEALED,
    AGREEMENT_REVIEW,
    DECISION_KINDS,
    KINDS,
    MENTION,
    POLL_CLOSED,
    POLL_OPENED,
    POLL_REMIND,
    POLL_REMINDER,
    PROPOSAL_OUTCOME,
    REPLY,
    STANCE_BLOCK,
    SUPPORT_KINDS,
    Notification,
)

PER_PAGE = 30
MAX_MESSAGE = 2_000


def _id(value) -> int | None:
    if value is None:
        return None
    return value if isinstance(value, int) else value.id


def notify(
    recipients: Iterable[User | int],
    kind: str,
    *,
    group=None,
    thread=None,
    poll=None,
    comment=None,
    actor=None,
    message: str | None = None,
    agreement=None,
    support_request=None,
    rule: dict | None = None,
    channels: dict[int, tuple[str, datetime]] | None = None,
    now: datetime,
) -> list[Notification]:
    """Notify each recipient once: current members of the group only (revoked
    members and strangers are skipped), never the actor themself.

    ``group``, ``thread``, ``poll``, ``comment`` and ``actor`` are objects or
    ids; the group defaults to the poll's or thread's. ``message`` is a manual
    reminder's text, stored as written. Returns the new notifications (flushed).

    Each notification's email is decided here (``preferences.email_plan``) and, when
    it goes at once, written to the outbox in the same transaction, due after the
    reader's quiet hours. ``channels`` maps a reader to the support routing's
    ``(channel, deliver_at)`` for them. ``URGENT_NEWS_KINDS`` (a block, to the
    facilitator) go at once to readers whose volume is ``digest``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind: {kind!r}")
    poll_id, thread_id, comment_id = _id(poll), _id(thread), _id(comment)
    group_id = _id(group)
    if group_id is None and poll is not None and not isinstance(poll, int):
        group_id = poll.group_id
    if group_id is None and thread is not None and not isinstance(thread, int):
        group_id = thread.group_id
    if group_id is None and support_request is not None and not isinstance(support_request, int):
        group_id = support_request.group_id
    if thread_id is None and poll is not None and not isinstance(poll, int):
        thread_id = poll.thread_id
    actor_id = _id(actor)
    wanted = {_id(r) for r in recipients} - {None, actor_id}
    if not wanted:
        return []
    if group_id is not None:
        wanted &= set(
            db.session.scalars(
                sa.select(Membership.user_id).where(
                    Membership.group_id == group_id,
                    Membership.revoked_at.is_(None),
                    Membership.user_id.in_(wanted),
                )
            )
        )
    message = (message or "").strip()[:MAX_MESSAGE] or None
    created = [
        Notification(
            user_id=user_id,
            kind=kind,
            group_id=group_id,
            thread_id=thread_id,
            poll_id=poll_id,
            comment_id=comment_id,
            agreement_id=_id(agreement),
            support_request_id=_id(support_request),
            rule=rule,
            actor_id=actor_id,
            message=message,
            created_at=now,
        )
        for user_id in sorted(wanted)
    ]
    db.session.add_all(created)
    db.session.flush()
    unread_written()
    _plan_emails(created, kind, group_id, thread_id, channels or {}, now)
    return created


#: kinds that reach a reader at once even when their volume is ``digest`` (a block is
#: news the facilitator must get at once)
URGENT_NEWS_KINDS = frozenset({STANCE_BLOCK})


def _volumes(
    user_ids: list[int], group_id: int | None, thread_id: int | None
) -> tuple[dict[int, tuple[str, str]], dict[int, str]]:
    """The readers' ``(volume, support_volume)`` in the group and their thread
    overrides: two queries, whatever the number of readers."""
    volumes: dict[int, tuple[str, str]] = {}
    if group_id is not None:
        volumes = {
            user_id: (volume, support_volume)
            for user_id, volume, support_volume in db.session.execute(
                sa.select(Membership.user_id, Membership.volume, Membership.support_volume).where(
                    Membership.group_id == group_id,
                    Membership.revoked_at.is_(None),
                    Membership.user_id.in_(user_ids),
                )
            )
        }
    overrides: dict[int, str] = {}
    if thread_id is not None:
        overrides = dict(
            db.session.execute(
                sa.select(kinds.ThreadPreference.user_id, kinds.ThreadPreference.volume).where(
                    kinds.ThreadPreference.thread_id == thread_id,
                    kinds.ThreadPreference.user_id.in_(user_ids),
                )
            ).all()
        )
    return volumes, overrides


def _plan(notification: Notification, user: User, volumes, overrides, routed) -> str | None:
    """``preferences.email_plan`` for one notification and its reader."""
    volume, support_volume = volumes.get(user.id, (preferences.ALL, preferences.IMMEDIATE))
    support = notification.kind in SUPPORT_KINDS
    return preferences.email_plan(
        support=support,
        email_off=user.email_off,
        group_volume=volume,
        thread_volume=None if support else overrides.get(user.id),
        support_volume=support_volume,
        support_channel=routed[0] if routed else None,
        urgent_news=notification.kind in URGENT_NEWS_KINDS,
    )


def _plan_emails(created, kind, group_id, thread_id, channels, now) -> None:
    """Decide each new notification's email and write those that go now to the outbox."""
    if not created:
        return
    ids = [n.user_id for n in created]
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    volumes, overrides = _volumes(ids, group_id, thread_id if kind not in SUPPORT_KINDS else None)
    for notification in created:
        user = users[notification.user_id]
        routed = channels.get(user.id)
        plan = _plan(notification, user, volumes, overrides, routed)
        notification.email = plan
        if plan != preferences.NOW:
            continue
        if routed is not None:
            due = routed[1]
        else:
            due = routing.deliver_at(quiet_hours(user), now, urgent_and_important=False)
        outbox.enqueue(
            outbox.EMAIL,
            kind,
            now=now,
            due_at=due,
            user_id=user.id,
            notification_id=notification.id,
        )


# -- reading --------------------------------------------------------------------


def _mine(user, *, verified: bool | None = None):
    """``user``'s notifications about groups they still belong to: someone who left
    or was removed no longer reads the group's titles through old notifications. An
    invitation is the exception: it tells a group to someone who is not in it (yet),
    once they have confirmed the invited address (``auth.verify``)."""
    # ``user``: a person, an id, or a bound parameter (then ``verified`` says which)
    who = user if isinstance(user, sa.BindParameter) else _id(user)
    current_groups = sa.select(Membership.group_id).where(
        Membership.user_id == who, Membership.revoked_at.is_(None)
    )
    shown = [Notification.group_id.is_(None), Notification.group_id.in_(current_groups)]
    if is_verified(user) if verified is None else verified:
        shown.append(Notification.kind == kinds.INVITATION)
    return sa.and_(Notification.user_id == who, sa.or_(*shown))


#: the header counts unread notifications up to this many, and shows «99+» beyond
UNREAD_CAP = 99


#: ``unread_count``'s statements, built once for each shape (verified or not, cap)
_UNREAD_STATEMENTS: dict[tuple[bool, int], sa.Select] = {}


def unread_count(user, cap: int = UNREAD_CAP) -> int:
    """How many of ``user``'s notifications are unread, counting at most ``cap + 1`` of
    them (one query that stops there, however many there are: more than ``cap`` is
    shown as «99+»)."""
    shape = (is_verified(user), int(cap))
    statement = _UNREAD_STATEMENTS.get(shape)
    if statement is None:
        unread = (
            sa.select(Notification.id)
            .where(
                _mine(sa.bindparam("user_id"), verified=shape[0]), Notification.read_at.is_(None)
            )
            .limit(shape[1] + 1)
            .subquery()
        )
        statement = _UNREAD_STATEMENTS[shape] = sa.select(sa.func.count()).select_from(unread)
    return db.session.scalar(statement, {"user_id": _id(user)})


def unread_count_column(user_model, *, user_id, **_kw) -> tuple[str, sa.ScalarSelect]:
    """``unread_count`` read with the person in the sign-in loader's statement
    (``hooks.signed_in_columns``): the same rows, whether the person has confirmed their
    address (invitations) asked of the database rather than of the loaded person."""
    person = sa.orm.aliased(user_model)
    verified = sa.exists().where(person.id == user_id, person.email_verified_at.is_not(None))
    current_groups = sa.select(Membership.group_id).where(
        Membership.user_id == user_id, Membership.revoked_at.is_(None)
    )
    unread = (
        sa.select(Notification.id)
        .where(
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
            sa.or_(
                Notification.group_id.is_(None),
                Notification.group_id.in_(current_groups),
                sa.and_(Notification.kind == kinds.INVITATION, verified),
            ),
        )
        .limit(UNREAD_CAP + 1)
        .subquery()
    )
    return "unread_notifications", sa.select(sa.func.count()).select_from(unread).scalar_subquery()


def unread_written() -> None:
    """This request wrote notifications or read marks: the unread count read with the
    person (``unread_count_column``) no longer holds; it is counted again when shown."""
    if has_request_context():
        g.notifications_written = True
        g.pop("unread_notifications", None)


def page_for(user, *, per_page: int = PER_PAGE, after=None, before=None) -> KeysetPage:
    """One page of ``user``'s notifications, newest first (ties: the higher id first),
    with what they are about loaded: after the position ``after`` or before ``before``
    (``(created_at, id)``), else from the top. The page and the API list read it the
    same way: a range of the index ``(user_id, created_at DESC, id DESC)``, however deep,
    and no total count."""
    with generic_plan():  # six joins: planning them each time cost more than reading
        return keyset_page(
            listing(user),
            Notification.created_at,
            Notification.id,
            limit=per_page,
            after=after,
            before=before,
        )


def position_of(notification: Notification) -> tuple[datetime, int]:
    """``notification``'s place in its reader's list (what a cursor holds)."""
    return notification.created_at, notification.id


def page_start(user, page: int, per_page: int = PER_PAGE) -> Notification | None:
    """The notification just before page ``page`` of the list as an old ``?page=N``
    link counted it (None for the first page or past the end)."""
    if page <= 1:
        return None
    return db.session.scalar(
        sa.select(Notification)
        .where(_mine(user))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page - 1)
        .limit(1)
    )


def listing(user):
    """``user``'s notifications, newest first, what they are about loaded, unpaged
    (``page_for`` reads a page of it)."""
    return (
        sa.select(Notification)
        .where(_mine(user))
        .options(
            sa.orm.joinedload(Notification.actor),
            sa.orm.joinedload(Notification.group),
            sa.orm.joinedload(Notification.thread),
            sa.orm.joinedload(Notification.poll),
            # an agreement's title is its current version's: no query when none is named
            sa.orm.selectinload(Notification.agreement).selectinload(Agreement.versions),
            sa.orm.joinedload(Notification.support_request),
            # a proposal's verdict: no query when no notification names a proposal's poll
            sa.orm.selectinload(Notification.outcome),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def get_for(user, notification_id: int) -> Notification | None:
    """One of ``user``'s notifications (None for anyone else's)."""
    return db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, _mine(user))
    )


def mark_read(user, ids: Iterable[int] | str | None = "all", *, now: datetime) -> int:
    """Mark ``user``'s unread notifications ``ids`` (or ``"all"``) as read; how many."""
    query = (
        sa.update(Notification)
        .where(Notification.user_id == _id(user), Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    if ids != "all":
        wanted = [int(i) for i in (ids or ())]
        if not wanted:
            return 0
        query = query.where(Notification.id.in_(wanted))
    count = db.session.execute(query).rowcount
    db.session.flush()
    unread_written()
    return count


# -- presenting -------------------------------------------------------------------


def describe(notification: Notification, *, provenance: bool = True) -> str:
    """The notification's sentence, in the reader's language and time zone.

    Never counts, percentages or choices: what a poll's results show stays on
    the poll's page, under its own visibility rule. ``provenance``: end a
    sentence an agreed rule decided with "(as «…» v2 says)" (the page leaves it
    out: its ``reason`` line says it).
    """
    n = notification
    # People's names and titles isolated: a bidi control in one cannot reorder the sentence.
    actor = bidi_text(n.actor.name) if n.actor is not None else _("Someone")
    title = bidi_text(n.poll.title) if n.poll is not None else ""
    thread = bidi_text(n.thread.title) if n.thread is not None else ""
    if n.kind in DECISION_KINDS or n.kind == REPLY:
        return _describe_decision(n, actor, title, thread)
    if n.kind == POLL_REMINDER and n.poll is not None:
        return _(
            "The poll “%(title)s” closes on %(time)s and you have not voted yet.",
            title=title,
            time=format_moment(n.poll.closing_at, LONG),
        )
    if n.kind == POLL_REMIND:
        return _("%(name)s reminds you to vote on “%(title)s”.", name=actor, title=title)
    if n.kind == POLL_OPENED:
        if _is_proposal(n):
            return _("%(name)s made a proposal: “%(title)s”.", name=actor, title=title)
        return _("%(name)s started a poll: “%(title)s”.", name=actor, title=title)
    if n.kind == kinds.POLL_EDITED:
        return _edited_text(n, actor, title)
    if n.kind == POLL_CLOSED:
        if _is_proposal(n):
            return _("The proposal “%(title)s” has closed.", title=title)
        return _("The poll “%(title)s” has closed.", title=title)
    if n.kind == MENTION:
        return _("%(name)s mentioned you in “%(thread)s”.", name=actor, thread=thread)
    if n.kind == AGREEMENT_REVIEW and n.agreement is not None:
        versions = n.agreement.versions
        return _(
            "The agreement “%(title)s” is due for review.",
            title=bidi_text(versions[-1].title) if versions else "",
        )
    if n.kind in SUPPORT_KINDS:
        return _describe_support(n, actor, provenance)
    if n.kind == kinds.INVITATION:
        return _(
            "%(name)s invites you to join “%(group)s”.",
            name=actor,
            group=n.group.name if n.group is not None else "",
        )
    if n.kind == kinds.WEBHOOK_DISABLED:
        return _(
            "A webhook of “%(group)s” was turned off: it failed or its address is gone.",
            group=bidi_text(n.group.name) if n.group is not None else "",
        )
    return _("Something happened in “%(thread)s”.", thread=thread)


def _edited_text(n: Notification, actor: str, title: str) -> str:
    """ "Alice corrected “…”, which you voted on: the title, the closing time (now …)."
    What changed comes from the poll's version written with the notification."""
    from ..polls.models import PollVersion

    # The edit's version was written with the notification: the latest one by then.
    version = db.session.scalar(
        sa.select(PollVersion)
        .where(
            PollVersion.poll_id == n.poll_id,
            PollVersion.number > 1,
            PollVersion.created_at <= n.created_at,
        )
        .order_by(PollVersion.number.desc())
        .limit(1)
    )
    words = {
        "title": lambda: _("the title"),
        "details": lambda: _("the details"),
        "closing_at": lambda: _(
            "the closing time (now %(time)s)", time=format_moment(n.poll.closing_at, "medium")
        ),
        "agreement_change": lambda: _("the agreement change"),
    }
    changed = [words[c]() for c in (version.changed if version else []) if c in words]
    if _is_proposal(n):
        text = _("%(name)s corrected the proposal “%(title)s”, which you voted on.")
    else:
        text = _("%(name)s corrected the poll “%(title)s”, which you voted on.")
    text = text % {"name": actor, "title": title}
    if changed:
        text += " " + _("Changed: %(what)s.", what=", ".join(changed))
    return text


def _is_proposal(n: Notification) -> bool:
    return n.poll is not None and n.poll.kind == "proposal"


def _is_author(n: Notification) -> bool:
    return n.poll is not None and n.poll.author_id == n.user_id


def _describe_decision(n: Notification, actor: str, title: str, thread: str) -> str:
    """A reply, a block, a proposal's verdict, an agreement adopted, amended or repealed."""
    if n.kind == REPLY:
        return _("%(name)s replied to you in “%(thread)s”.", name=actor, thread=thread)
    if n.kind == STANCE_BLOCK:
        name = actor if _blocker_shown(n) else _("Someone")
        if _is_author(n):
            return _(
                "%(name)s blocked your proposal “%(title)s”: talk it through before it closes.",
                name=name,
                title=title,
            )
        return _("%(name)s blocked the proposal “%(title)s”.", name=name, title=title)
    if n.kind == PROPOSAL_OUTCOME:
        return _verdict(n, title)
    agreement = _agreement_title(n)
    if n.kind == AGREEMENT_ADOPTED:
        return _(
            "The agreement “%(agreement)s” was adopted (v1) by the proposal “%(title)s”.",
            agreement=agreement,
            title=title,
        )
    if n.kind == AGREEMENT_AMENDED:
        return _(
            "The agreement “%(agreement)s” was amended (v%(version)s) by the proposal “%(title)s”.",
            agreement=agreement,
            version=_adopted_version(n).version if _adopted_version(n) else "",
            title=title,
        )
    return _(
        "The agreement “%(agreement)s” was repealed by the proposal “%(title)s”.",
        agreement=agreement,
        title=title,
    )


def _blocker_shown(n: Notification) -> bool:
    """Who blocked is named only where the poll shows who chose what to everyone: not
    in an anonymous poll, and not while results wait for the close (or for a vote)."""
    poll = n.poll
    if poll is None or poll.anonymous:
        return False
    return poll.results_visibility == "always" or poll.closed_at is not None


def _adopted_version(n: Notification):
    """The agreement's version the notification's proposal adopted (None for a repeal)."""
    if n.agreement is None:
        return None
    for version in n.agreement.versions:
        if n.poll_id is not None and version.poll_id == n.poll_id:
            return version
    return None


def _agreement_title(n: Notification) -> str:
    version = _adopted_version(n)
    if version is None and n.agreement is not None and n.agreement.versions:
        version = n.agreement.versions[-1]
    return bidi_text(version.title) if version is not None else ""


def _verdict(n: Notification, title: str) -> str:
    """A proposal's verdict and why, in one short clause from its outcome: which
    condition failed, never the counts behind it, never who chose what."""
    outcome = n.outcome
    if outcome is None:
        return _("The proposal “%(title)s” has closed.", title=title)
    if outcome.adopted:
        code = (outcome.not_applied_reason or {}).get("code")
        if code == "stale":
            return _(
                "The proposal “%(title)s” was adopted but not applied: the agreement "
                "changed in the meantime.",
                title=title,
            )
        if code == "repealed":
            return _(
                "The proposal “%(title)s” was adopted but not applied: the agreement "
                "was repealed in the meantime.",
                title=title,
            )
        return _(
            "The proposal “%(title)s” was adopted: no block, more agree than disagree, "
            "and the quorum was reached.",
            title=title,
        )
    failed = [c["code"] for c in outcome.conditions or [] if not c.get("held")]
    first = failed[0] if failed else None
    if first == consent.NO_BLOCK:
        return _("The proposal “%(title)s” was not adopted: it was blocked.", title=title)
    if first == consent.MORE_AGREE:
        return _(
            "The proposal “%(title)s” was not adopted: not more agree than disagree.",
            title=title,
        )
    if first == consent.QUORUM:
        return _(
            "The proposal “%(title)s” was not adopted: participation is below the quorum.",
            title=title,
        )
    return _("The proposal “%(title)s” was not adopted.", title=title)


def _because(rule: dict | None) -> str:
    """ " (as «Nos accords d'écoute» v2 says)" for a notification an agreed rule decided."""
    if not rule or rule.get("agreement_id") is None:
        return ""
    return " " + _(
        "(as “%(title)s” v%(version)s says)", title=rule.get("title", ""), version=rule["version"]
    )


def _describe_support(n: Notification, actor: str, provenance: bool = True) -> str:
    """A support notification's sentence: who, what kind of support, and the rule."""
    request = n.support_request
    what = support_display.kind_label(request.kind).lower() if request is not None else ""
    because = _because(n.rule) if provenance else ""
    if n.kind == kinds.CHECK_IN_DUE:
        return (
            _("%(name)s has not asked for support for a while: check in with them?", name=actor)
            + because
        )
    texts = {
        kinds.SUPPORT_ASKED: _("%(name)s asks for support: %(what)s."),
        kinds.SUPPORT_ESCALATED: _(
            "Nobody has answered %(name)s in time: they ask for support (%(what)s)."
        ),
        kinds.SUPPORT_MATCHED: _("%(name)s is available for you (%(what)s)."),
        kinds.SUPPORT_TAKEN: _("Someone is with %(name)s now (%(what)s): thank you."),
        kinds.SUPPORT_DECLINED: _("%(name)s cannot now (%(what)s)."),
        kinds.SUPPORT_RELEASED: _(
            "%(name)s cannot any more: your request is open again (%(what)s)."
        ),
        kinds.SUPPORT_LAPSED: _(
            "Nobody was free in time for your request (%(what)s): it has ended. "
            "You can ask again whenever you like."
        ),
        kinds.SUPPORT_OVERDUE: _("%(name)s still has no answer (%(what)s)."),
        kinds.SUPPORT_STILL_NEEDED: _("Nobody has answered yet (%(what)s): is it still needed?"),
        kinds.SUPPORT_FOLLOWUP: _("Did it happen? (%(what)s with %(name)s)"),
        kinds.SUPPORT_CLOSED: _("%(name)s closed the request (%(what)s)."),
    }
    return texts[n.kind] % {"name": actor, "what": what} + because


# -- why it came ------------------------------------------------------------------------


def reason(notification: Notification) -> str:
    """Why the reader got it, in their language: the agreed rule that decided it ("As
    «Nos accords d'écoute» v2 says (…)."), else what they are to it ("You were
    mentioned.", "You proposed it.", "You are an admin of this circle."…)."""
    n = notification
    if n.rule and n.rule.get("key"):
        return _rule_reason(n, n.rule)
    kind = n.kind
    if kind == MENTION:
        return _("You were mentioned.")
    if kind == REPLY:
        return _("Someone replied to you.")
    if kind == POLL_OPENED:
        return _("You can vote on it.")
    if kind in (POLL_REMINDER, POLL_REMIND):
        return _("You can vote on it and have not voted yet.")
    if kind == POLL_CLOSED:
        return _("You could vote on it.")
    if kind == kinds.POLL_EDITED:
        return _("You voted on it.")
    if kind == PROPOSAL_OUTCOME:
        return _("You proposed it.") if _is_author(n) else _("You could vote on it.")
    if kind == STANCE_BLOCK:
        return _("You proposed it.") if _is_author(n) else _("You are an admin of this circle.")
    if kind == AGREEMENT_REVIEW:
        versions = n.agreement.versions if n.agreement is not None else []
        if versions and versions[-1].proposer_id == n.user_id:
            return _("You proposed its current version.")
        return _("You are an admin of this circle.")
    if kind in (AGREEMENT_ADOPTED, AGREEMENT_AMENDED, AGREEMENT_REPEALED):
        return _("You are a member of this circle.")
    if kind == kinds.WEBHOOK_DISABLED:
        return _("You are an admin of this circle.")
    if kind == kinds.INVITATION:
        return _("An admin of this circle invited your email address.")
    if kind in SUPPORT_KINDS:
        request = n.support_request
        if request is not None and request.requester_id == n.user_id:
            return _("You asked for support.")
        if kind in (kinds.SUPPORT_FOLLOWUP, kinds.SUPPORT_CLOSED):
            return _("You answered this request.")
        return _("You give support in this circle.")
    if n.group_id is not None:
        return _("You are a member of this circle.")
    return ""


#: the support routing's explanation of a notice, by the rule that decided it
_ROUTE_CODES = {
    routing.URGENT_RESPONSE: routing.URGENT_IMPORTANT,
    routing.URGENT_MINOR_LAPSE: routing.URGENT_MINOR,
    routing.IMPORTANT_RESPONSE: routing.IMPORTANT,
    routing.AVAILABILITY_CHECK: routing.MATCHED_AT_ONCE,
}


def _rule_value(n: Notification, rule: dict):
    if "value" in rule:
        return rule["value"]
    request = n.support_request
    kept = (request.rules or {}).get(rule["key"]) if request is not None else None
    return kept.get("value") if kept else None


def _rule_effect(n: Notification, rule: dict) -> str:
    """What the rule did here, in the support feature's words: the route that told a
    supporter ("urgent and important: every available supporter at once"), else the
    rule's name and value ("check-in after 21 days")."""
    key = rule["key"]
    value = _rule_value(n, rule)
    why = None
    if n.kind == kinds.SUPPORT_ASKED and key in _ROUTE_CODES:
        why = {"code": _ROUTE_CODES[key], "params": {}}
    elif n.kind == kinds.SUPPORT_ESCALATED and key == routing.URGENT_RESPONSE and value:
        why = {"code": routing.ESCALATED, "params": {"minutes": value}}
    elif n.kind == kinds.SUPPORT_OVERDUE and key == routing.IMPORTANT_RESPONSE and value:
        why = {"code": routing.OVERDUE_REMINDER, "params": {"days": value}}
    text = support_display.why_text(why) if why else ""
    if not text:
        label = agreement_display.key_label(key)
        text = label if value is None else f"{label} {agreement_display.value_text(key, value)}"
    return text[:1].lower() + text[1:]


def _rule_reason(n: Notification, rule: dict) -> str:
    effect = _rule_effect(n, rule)
    if rule.get("agreement_id") is None:
        return _("By the default rule, not agreed yet (%(effect)s).", effect=effect)
    source = RuleSource(
        agreement_id=rule["agreement_id"],
        version=rule.get("version"),
        title=rule.get("title") or "",
        poll_id=rule.get("poll_id"),
        adopted_at=None,
        value=rule.get("value"),
    )
    return _(
        "As %(source)s says (%(effect)s).",
        source=support_display.source_text(source),
        effect=effect,
    )


def target_url(notification: Notification, *, external: bool = False) -> str:
    """Where reading the notification leads: the request, the poll's page, or the
    thread (at the comment that mentioned the reader). ``external``: an absolute link
    on the configured public address (for emails)."""
    build = external_url if external else url_for
    n = notification
    if n.support_request_id is not None and "support.show" in current_app.view_functions:
        return build("support.show", request_id=n.support_request_id)
    if (
        n.kind == kinds.CHECK_IN_DUE
        and n.group is not None
        and "support.index" in current_app.view_functions
    ):
        return build("support.index", handle=n.group.handle)
    if (
        n.kind == kinds.WEBHOOK_DISABLED
        and n.group is not None
        and "webhooks.index" in current_app.view_functions
    ):
        return build("webhooks.index", handle=n.group.handle)
    if n.agreement_id is not None and n.group is not None:
        return build("agreements.show", handle=n.group.handle, agreement_id=n.agreement_id)
    if n.poll_id is not None and "polls.show" in current_app.view_functions:
        return build("polls.show", poll_id=n.poll_id)
    if n.thread_id is not None:
        anchor = f"comment-{n.comment_id}" if n.comment_id is not None else None
        return build("threads.show", thread_id=n.thread_id, _anchor=anchor)
    if n.group is not None:
        return build("groups.show", handle=n.group.handle)
    return build("notifications.index")


def email_still_wanted(notification: Notification) -> bool:
    """Whether the reader still wants this email now that it is to be sent: a thread or
    circle muted (or moved to the digest) while it waited, e.g. for the end of the quiet
    hours, cancels it. Support emails follow the routing decided when they were written
    (only ``email_off`` and leaving the circle stop them)."""
    n = notification
    if n.user.email_off:
        return False
    if n.kind in SUPPORT_KINDS or n.group_id is None:
        return True
    volumes, overrides = _volumes([n.user_id], n.group_id, n.thread_id)
    return _plan(n, n.user, volumes, overrides, None) == preferences.NOW


def still_concerns(notification: Notification) -> bool:
    """Whether the reader still belongs to the notification's group (an email waiting
    in the outbox is not sent to someone who left meanwhile)."""
    if notification.group_id is None:
        return True
    return (
        db.session.scalar(
            sa.select(Membership.id).where(
                Membership.group_id == notification.group_id,
                Membership.user_id == notification.user_id,
                Membership.revoked_at.is_(None),
            )
        )
        is not None
    )
