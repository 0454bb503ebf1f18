"""Who is told what, in the app: one receiver per event, connected by the factory.

- ``thread_written``, ``comment_written``: the members of the group newly named
  as ``@handle`` (``mention``);
- ``comment_written`` (a new reply): the author of the comment it answers, unless they
  wrote it or the reply mentions them (``reply``: one notification, the mention wins);
- ``poll_opened``: the eligible voters, not the author (``poll_opened``, a poll or a
  proposal);
- ``poll_edited``: the voters with a current stance, not the editor (``poll_edited``:
  what changed is told when read);
- ``poll_closed``: the members who were eligible when it closed, not the person
  who closed it (``poll_closed``), for polls that are not proposals; an anonymous
  proposal's blocks forget who blocked;
- ``proposal_decided``: the voters eligible at the close and the author learn the
  verdict and why (``proposal_outcome``, instead of ``poll_closed``);
- ``stance_cast`` (a block on a proposal that is not anonymous): its author and the
  group's admins, at once, whatever their ``digest`` volume (``stance_block``); once
  per voter and poll;
- ``agreement_adopted``, ``agreement_repealed``: every member (``agreement_adopted``
  for a version 1, ``agreement_amended`` for a later one, ``agreement_repealed``);
- ``voters_reminded``: the undecided voters, with the sender's message
  (``poll_remind``);
- ``poll_closing_soon``: the undecided voters, a day before the close
  (``poll_reminder``);
- ``agreement_review_due``: the group's admins and the proposer of the current
  version (``agreement_review``).
- ``support_requested``: each supporter the route tells now (``support_asked``), naming
  the rule that routed it;
- ``support_escalated``: everyone the escalation tells (``support_escalated``);
- ``support_answered``: "available": the requester (``support_matched``) and the other
  supporters told, who learn someone is there (``support_taken``); "not now": the
  requester only (``support_declined``);
- ``support_released``: the requester (``support_released``);
- ``support_lapsed``: the requester, gently (``support_lapsed``);
- ``support_overdue``: the supporters reminded (``support_overdue``) and the requester,
  asked whether it is still needed (``support_still_needed``);
- ``support_followup``: both sides of the match (``support_followup``);
- ``support_closed``: the other side (``support_closed``);
- ``check_in_due``: the supporters reminded, once a period (``check_in_due``), naming
  the rule ``relance_after_days``;
- ``member_invited``: the account whose address an admin invited, unless already a
  member (``invitation``; in the app only: the invitation's email is already in the
  outbox). The one notification about a group its reader is not a member of.

``notify`` keeps to current members of the group and never tells the actor of
their own act. Receivers run inside the transaction of the act itself: a
notification exists if and only if what it tells did happen.
"""

from __future__ import annotations

import sqlalchemy as sa

from .. import events
from ..auth.models import User
from ..extensions import db
from ..groups.models import Membership, Role
from ..markdown import mentioned_handles
from ..polls.models import Stance
from ..polls.services import eligible_voter_ids
from ..threads.models import Comment
from . import models as kinds
from .models import (
    AGREEMENT_REVIEW,
    MENTION,
    POLL_CLOSED,
    POLL_OPENED,
    POLL_REMIND,
    POLL_REMINDER,
    Notification,
)
from .services import notify


def _mentioned(text: str, previous: str | None, group_id: int) -> list[int]:
    """Ids of the people newly named in ``text`` (not already in ``previous``), by
    handle or, among the group's members, by display name."""
    handles = mentioned_handles(text, group_id)
    if previous is not None:
        handles -= mentioned_handles(previous, group_id)
    if not handles:
        return []
    return list(db.session.scalars(sa.select(User.id).where(User.handle.in_(handles))))


def mentions_in_thread(thread, *, actor, previous_body, now, **_):
    notify(
        _mentioned(thread.body, previous_body, thread.group_id),
        MENTION,
        thread=thread,
        actor=actor,
        now=now,
    )


def mentions_in_comment(comment, *, thread, actor, previous_body, now, **_):
    people = _mentioned(comment.body, previous_body, thread.group_id)
    mentioned = notify(people, MENTION, thread=thread, comment=comment, actor=actor, now=now)
    if previous_body is not None or comment.parent_id is None:
        return  # an edit tells only the newly mentioned
    told = {n.user_id for n in mentioned}
    parent_author = db.session.scalar(
        sa.select(Comment.author_id).where(Comment.id == comment.parent_id)
    )
    if parent_author is not None and parent_author not in told:
        notify([parent_author], kinds.REPLY, thread=thread, comment=comment, actor=actor, now=now)


def poll_opened(poll, *, actor, now, **_):
    notify(eligible_voter_ids(poll), POLL_OPENED, poll=poll, actor=actor, now=now)


def poll_edited(poll, *, actor, now, **_):
    """The voters who already took a stance learn what changed in what they voted on."""
    voters = db.session.scalars(
        sa.select(Stance.voter_id).where(
            Stance.poll_id == poll.id,
            Stance.is_current.is_(True),
            Stance.withdrawn_at.is_(None),
            Stance.voter_id.is_not(None),
        )
    )
    notify(set(voters), kinds.POLL_EDITED, poll=poll, actor=actor, now=now)


def poll_closed(poll, *, closed_by, now, **_):
    if poll.kind == "proposal":
        if poll.anonymous:
            _forget_blockers(poll)
        return  # told with its verdict (``proposal_decided``)
    notify(eligible_voter_ids(poll, at=now), POLL_CLOSED, poll=poll, actor=closed_by, now=now)


def _forget_blockers(poll) -> None:
    """An anonymous poll forgets at its close who chose what: so do its block
    notifications (who blocked was kept only to tell each blocker's block once)."""
    db.session.execute(
        sa.update(Notification)
        .where(Notification.poll_id == poll.id, Notification.kind == kinds.STANCE_BLOCK)
        .values(actor_id=None)
        .execution_options(synchronize_session=False)
    )


def proposal_decided(poll, *, outcome, now, **_):
    people = eligible_voter_ids(poll, at=now) | {poll.author_id}
    # no actor: the author is told too, and a close by time has no one behind it
    notify(people, kinds.PROPOSAL_OUTCOME, poll=poll, now=now)


def _admin_ids(group_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.group_id == group_id,
                Membership.role == Role.admin.value,
                Membership.revoked_at.is_(None),
            )
        )
    )


def stance_block(stance, *, poll, voter, now, **_):
    """A block on a proposal: news its author (the facilitator) and the admins get at
    once. A voter's second block in the same poll tells no one again. Not in an
    anonymous proposal: a block told while it is open would be a live result, and its
    time would match a name leaving the undecided; its outcome tells the blocks."""
    if poll.kind != "proposal" or poll.anonymous or (stance.choice or {}).get("key") != "block":
        return
    already = db.session.scalar(
        sa.select(Notification.id)
        .where(
            Notification.poll_id == poll.id,
            Notification.kind == kinds.STANCE_BLOCK,
            Notification.actor_id == voter.id,
        )
        .limit(1)
    )
    if already is not None:
        return
    people = _admin_ids(poll.group_id) | {poll.author_id}
    notify(people, kinds.STANCE_BLOCK, poll=poll, actor=voter, now=now)


def _members(group_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.group_id == group_id, Membership.revoked_at.is_(None)
            )
        )
    )


def agreement_adopted(version, *, agreement, poll, now, **_):
    kind = kinds.AGREEMENT_ADOPTED if version.version == 1 else kinds.AGREEMENT_AMENDED
    notify(_members(agreement.group_id), kind, agreement=agreement, poll=poll, now=now)


def agreement_repealed(agreement, *, poll, now, **_):
    notify(
        _members(agreement.group_id),
        kinds.AGREEMENT_REPEALED,
        agreement=agreement,
        poll=poll,
        now=now,
    )


def voters_reminded(poll, *, actor, recipients, message, now, **_):
    notify(recipients, POLL_REMIND, poll=poll, actor=actor, message=message, now=now)


def poll_closing_soon(poll, *, recipients, now, **_):
    notify(recipients, POLL_REMINDER, poll=poll, now=now)


def agreement_review_due(agreement, *, recipients, now, **_):
    notify(recipients, AGREEMENT_REVIEW, group=agreement.group_id, agreement=agreement, now=now)


def _rule(request, key: str | None) -> dict | None:
    """``{key, agreement_id, version, poll_id, title, value}`` of a rule the request
    keeps (nulls for its default), or None when no rule decided."""
    if key is None:
        return None
    kept = (request.rules or {}).get(key, {})
    source = kept.get("source")
    if source is None:
        return {
            "key": key,
            "agreement_id": None,
            "version": None,
            "poll_id": None,
            "value": kept.get("value"),
        }
    return {
        "key": key,
        "agreement_id": source["agreement_id"],
        "version": source["version"],
        "poll_id": source.get("poll_id"),
        "title": source.get("title", ""),
        "value": kept.get("value"),
    }


def _notices(request, notices, kind: str, now) -> None:
    """One notification per notice, grouped by the rule that decided it."""
    by_rule: dict = {}
    for notice in notices:
        by_rule.setdefault(notice.rule, []).append(notice.user_id)
    channels = {notice.user_id: (notice.channel, notice.deliver_at) for notice in notices}
    for key, people in by_rule.items():
        notify(
            people,
            kind,
            support_request=request,
            actor=request.requester_id,
            rule=_rule(request, key),
            channels=channels,
            now=now,
        )


def support_requested(request, *, notices, now, **_):
    _notices(request, notices, kinds.SUPPORT_ASKED, now)


def support_escalated(request, *, notices, now, **_):
    _notices(request, notices, kinds.SUPPORT_ESCALATED, now)


def support_overdue(request, *, notices, now, **_):
    _notices(request, notices, kinds.SUPPORT_OVERDUE, now)
    notify(
        [request.requester_id],
        kinds.SUPPORT_STILL_NEEDED,
        support_request=request,
        rule=_rule(request, "important_response_days"),
        now=now,
    )


def support_answered(request, *, supporter, matched, others, now, **_):
    if matched:
        notify(
            [request.requester_id],
            kinds.SUPPORT_MATCHED,
            support_request=request,
            actor=supporter,
            now=now,
        )
        notify(
            others,
            kinds.SUPPORT_TAKEN,
            support_request=request,
            actor=request.requester_id,
            now=now,
        )
    else:
        notify(
            [request.requester_id],
            kinds.SUPPORT_DECLINED,
            support_request=request,
            actor=supporter,
            now=now,
        )


def support_released(request, *, supporter, now, **_):
    notify(
        [request.requester_id],
        kinds.SUPPORT_RELEASED,
        support_request=request,
        actor=supporter,
        now=now,
    )


def support_lapsed(request, *, now, **_):
    rule = _rule(request, "urgent_minor_lapse_hours")
    notify(
        [request.requester_id], kinds.SUPPORT_LAPSED, support_request=request, rule=rule, now=now
    )


def support_followup(request, *, now, **_):
    notify(
        [request.requester_id],
        kinds.SUPPORT_FOLLOWUP,
        support_request=request,
        actor=request.matched_with_id,
        now=now,
    )
    notify(
        [request.matched_with_id],
        kinds.SUPPORT_FOLLOWUP,
        support_request=request,
        actor=request.requester_id,
        now=now,
    )


def support_closed(request, *, actor, now, **_):
    other = request.matched_with_id if actor.id == request.requester_id else request.requester_id
    notify([other], kinds.SUPPORT_CLOSED, support_request=request, actor=actor, now=now)


def check_in_due(membership, *, recipients, rule, now, **_):
    source = rule.source
    notify(
        recipients,
        kinds.CHECK_IN_DUE,
        group=membership.group_id,
        actor=membership.user_id,
        rule={
            "key": "relance_after_days",
            "agreement_id": source.agreement_id if source else None,
            "version": source.version if source else None,
            "poll_id": source.poll_id if source else None,
            "title": source.title if source else "",
            "value": rule.value,
        },
        now=now,
    )


def member_invited(invitation, *, actor, invitee, now, **_):
    """Written directly, not through ``notify``: the reader is not a member (yet)."""
    if invitee is None or invitee.id == actor.id:
        return
    member = db.session.scalar(
        sa.select(Membership.id).where(
            Membership.group_id == invitation.group_id,
            Membership.user_id == invitee.id,
            Membership.revoked_at.is_(None),
        )
    )
    if member is not None:
        return
    db.session.add(
        Notification(
            user_id=invitee.id,
            kind=kinds.INVITATION,
            group_id=invitation.group_id,
            actor_id=actor.id,
            created_at=now,
            email=None,
        )
    )
    db.session.flush()


def connect() -> None:
    """Subscribe each receiver to its event; send the outbox's emails."""
    from .. import outbox
    from . import emails

    outbox.register_sender(outbox.EMAIL, emails.send)
    events.thread_written.connect(mentions_in_thread)
    events.comment_written.connect(mentions_in_comment)
    events.poll_opened.connect(poll_opened)
    events.poll_closed.connect(poll_closed)
    events.poll_edited.connect(poll_edited)
    events.proposal_decided.connect(proposal_decided)
    events.stance_cast.connect(stance_block)
    events.agreement_adopted.connect(agreement_adopted)
    events.agreement_repealed.connect(agreement_repealed)
    events.voters_reminded.connect(voters_reminded)
    events.poll_closing_soon.connect(poll_closing_soon)
    events.agreement_review_due.connect(agreement_review_due)
    events.support_requested.connect(support_requested)
    events.support_escalated.connect(support_escalated)
    events.support_overdue.connect(support_overdue)
    events.support_answered.connect(support_answered)
    events.support_released.connect(support_released)
    events.support_lapsed.connect(support_lapsed)
    events.support_followup.connect(support_followup)
    events.support_closed.connect(support_closed)
    events.check_in_due.connect(check_in_due)
    events.member_invited.connect(member_invited)
