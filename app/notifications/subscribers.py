"""Who is told what, in the app: one receiver per event, connected by the factory.

- ``thread_written``, ``comment_written``: the members of the group newly named
  as ``@handle`` (``mention``);
- ``poll_closed``: the members who were eligible when it closed, not the person
  who closed it (``poll_closed``);
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
  the rule ``relance_after_days``.

``notify`` keeps to current members of the group and never tells the actor of
their own act. Receivers run inside the transaction of the act itself: a
notification exists if and only if what it tells did happen.
"""

from __future__ import annotations

import sqlalchemy as sa

from .. import events
from ..auth.models import User
from ..extensions import db
from ..markdown import mentioned_handles
from ..polls.services import eligible_voter_ids
from . import models as kinds
from .models import (
    AGREEMENT_REVIEW,
    MENTION,
    POLL_CLOSED,
    POLL_REMIND,
    POLL_REMINDER,
)
from .services import notify


def _mentioned(text: str, previous: str | None) -> list[int]:
    """Ids of the people newly named in ``text`` (not already in ``previous``)."""
    handles = mentioned_handles(text)
    if previous is not None:
        handles -= mentioned_handles(previous)
    if not handles:
        return []
    return list(db.session.scalars(sa.select(User.id).where(User.handle.in_(handles))))


def mentions_in_thread(thread, *, actor, previous_body, now, **_):
    notify(_mentioned(thread.body, previous_body), MENTION, thread=thread, actor=actor, now=now)


def mentions_in_comment(comment, *, thread, actor, previous_body, now, **_):
    people = _mentioned(comment.body, previous_body)
    notify(people, MENTION, thread=thread, comment=comment, actor=actor, now=now)


def poll_closed(poll, *, closed_by, now, **_):
    notify(eligible_voter_ids(poll, at=now), POLL_CLOSED, poll=poll, actor=closed_by, now=now)


def voters_reminded(poll, *, actor, recipients, message, now, **_):
    notify(recipients, POLL_REMIND, poll=poll, actor=actor, message=message, now=now)


def poll_closing_soon(poll, *, recipients, now, **_):
    notify(recipients, POLL_REMINDER, poll=poll, now=now)


def agreement_review_due(agreement, *, recipients, now, **_):
    notify(recipients, AGREEMENT_REVIEW, group=agreement.group_id, agreement=agreement, now=now)


def _rule(request, key: str | None) -> dict | None:
    """``{key, agreement_id, version, poll_id, title}`` of a rule the request keeps, or
    None (no rule, or its default)."""
    if key is None:
        return None
    source = (request.rules or {}).get(key, {}).get("source")
    if source is None:
        return {"key": key, "agreement_id": None, "version": None, "poll_id": None}
    return {
        "key": key,
        "agreement_id": source["agreement_id"],
        "version": source["version"],
        "poll_id": source.get("poll_id"),
        "title": source.get("title", ""),
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
        },
        now=now,
    )


def connect() -> None:
    """Subscribe each receiver to its event; send the outbox's emails."""
    from .. import outbox
    from . import emails

    outbox.register_sender(outbox.EMAIL, emails.send)
    events.thread_written.connect(mentions_in_thread)
    events.comment_written.connect(mentions_in_comment)
    events.poll_closed.connect(poll_closed)
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
