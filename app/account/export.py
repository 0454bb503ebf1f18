"""Everything the app keeps about one person, as one JSON document, written piece by
piece: each list is read from the database in batches and sent as it comes, so memory
stays flat however much the person wrote.

What is in it (format ``cercle-personal-data``, version 1): the profile and settings,
memberships (with their support and notification settings), threads started, comments
with their earlier versions, reactions, polls started, stances as the app stores them
(an anonymous poll's stances only while the poll is open: at its close the link to the
voter is erased, and nothing here restores it), support requests made, answers given,
check-ins, support times, notification settings per thread, sign-in sessions, and API
tokens (name, first characters, dates: never a secret, which the app does not keep).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time

import sqlalchemy as sa

from ..auth.models import ApiToken, SignInSession, User
from ..extensions import db
from ..groups.models import Group, JoinRequest, Membership
from ..notifications.models import ThreadPreference
from ..polls.models import Poll, Stance
from ..support.models import CheckIn, SupportRequest, SupportResponse, SupportTime
from ..threads.models import Comment, CommentVersion, Reaction, Thread
from ..timeutil import isoformat_z

FORMAT = "cercle-personal-data"
VERSION = 1
#: rows read from the database at a time
BATCH = 500


def _default(value):
    if isinstance(value, datetime):
        return isoformat_z(value)
    if isinstance(value, date | time):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _dumps(value) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False)


def _rows(query) -> Iterator:
    """The query's rows in batches (a server-side cursor where the driver has one)."""
    yield from db.session.execute(query.execution_options(yield_per=BATCH))


def profile(user: User) -> dict:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "email_verified_at": user.email_verified_at,
        "handle": user.handle,
        "locale": user.locale,
        "timezone": user.timezone,
        "created_at": user.created_at,
        "deactivated_at": user.deactivated_at,
        "notifications": {
            "quiet_from": user.quiet_from,
            "quiet_until": user.quiet_until,
            "quiet_wake": user.quiet_wake,
            "digest_hour": user.digest_hour,
            "digest_days": user.digest_days,
            "email_discreet": user.email_discreet,
            "email_off": user.email_off,
        },
    }


def _sections(uid: int) -> Iterator[tuple[str, Iterator[dict]]]:
    yield (
        "memberships",
        (
            {
                "group": {"handle": handle, "name": name},
                "role": m.role,
                "created_at": m.created_at,
                "revoked_at": m.revoked_at,
                "gives_support": m.gives_support,
                "receives_support": m.receives_support,
                "availability": m.availability,
                "availability_until": m.availability_until,
                "volume": m.volume,
                "support_volume": m.support_volume,
            }
            for m, handle, name in _rows(
                sa.select(Membership, Group.handle, Group.name)
                .join(Group, Group.id == Membership.group_id)
                .where(Membership.user_id == uid)
                .order_by(Membership.id)
            )
        ),
    )
    yield (
        "join_requests",
        (
            {
                "group": handle,
                "message": r.message,
                "created_at": r.created_at,
                "decided_at": r.decided_at,
                "approved": r.approved,
            }
            for r, handle in _rows(
                sa.select(JoinRequest, Group.handle)
                .join(Group, Group.id == JoinRequest.group_id)
                .where(JoinRequest.user_id == uid)
                .order_by(JoinRequest.id)
            )
        ),
    )
    yield (
        "threads",
        (
            {
                "id": t.id,
                "group": handle,
                "title": t.title,
                "body": t.body,
                "created_at": t.created_at,
                "edited_at": t.edited_at,
            }
            for t, handle in _rows(
                sa.select(Thread, Group.handle)
                .join(Group, Group.id == Thread.group_id)
                .where(Thread.author_id == uid)
                .order_by(Thread.id)
            )
        ),
    )
    yield "comments", _comments(uid)
    yield (
        "reactions",
        (
            {"comment_id": r.comment_id, "emoji": r.emoji, "created_at": r.created_at}
            for (r,) in _rows(
                sa.select(Reaction).where(Reaction.user_id == uid).order_by(Reaction.id)
            )
        ),
    )
    yield (
        "polls",
        (
            {
                "id": p.id,
                "thread_id": p.thread_id,
                "kind": p.kind,
                "title": p.title,
                "details": p.details,
                "created_at": p.created_at,
                "closing_at": p.closing_at,
                "closed_at": p.closed_at,
                "anonymous": p.anonymous,
                "statement": p.statement if p.statement_by_id == uid else None,
            }
            for (p,) in _rows(sa.select(Poll).where(Poll.author_id == uid).order_by(Poll.id))
        ),
    )
    yield (
        "stances",
        (
            {
                "poll_id": s.poll_id,
                "poll_title": title,
                "anonymous_poll": anonymous,
                "choice": s.choice,
                "reason": s.reason,
                "created_at": s.created_at,
                "current": s.is_current,
                "withdrawn_at": s.withdrawn_at,
            }
            for s, title, anonymous in _rows(
                sa.select(Stance, Poll.title, Poll.anonymous)
                .join(Poll, Poll.id == Stance.poll_id)
                .where(Stance.voter_id == uid)
                .order_by(Stance.id)
            )
        ),
    )
    yield (
        "support_requests",
        (
            {
                "id": r.id,
                "group": handle,
                "kind": r.kind,
                "urgent": r.urgent,
                "important": r.important,
                "body": r.body,
                "when": r.when_text,
                "channel": r.channel,
                "status": r.status,
                "outcome": r.outcome,
                "created_at": r.created_at,
                "matched_at": r.matched_at,
                "closed_at": r.closed_at,
            }
            for r, handle in _rows(
                sa.select(SupportRequest, Group.handle)
                .join(Group, Group.id == SupportRequest.group_id)
                .where(SupportRequest.requester_id == uid)
                .order_by(SupportRequest.id)
            )
        ),
    )
    yield (
        "support_answers",
        (
            {
                "request_id": r.request_id,
                "available": r.available,
                "message": r.message,
                "created_at": r.created_at,
            }
            for (r,) in _rows(
                sa.select(SupportResponse)
                .where(SupportResponse.supporter_id == uid)
                .order_by(SupportResponse.id)
            )
        ),
    )
    yield (
        "check_ins",
        (
            {
                "group": handle,
                "member_id": c.member_id,
                "by_id": c.by_id,
                "kind": c.kind,
                "note": c.note,
                "created_at": c.created_at,
            }
            for c, handle in _rows(
                sa.select(CheckIn, Group.handle)
                .join(Group, Group.id == CheckIn.group_id)
                .where(sa.or_(CheckIn.member_id == uid, CheckIn.by_id == uid))
                .order_by(CheckIn.id)
            )
        ),
    )
    yield (
        "support_times",
        (
            {"group": handle, "at": t.at, "note": t.note, "request_id": t.request_id}
            for t, handle in _rows(
                sa.select(SupportTime, Group.handle)
                .join(Group, Group.id == SupportTime.group_id)
                .where(SupportTime.member_id == uid)
                .order_by(SupportTime.id)
            )
        ),
    )
    yield (
        "thread_notification_settings",
        (
            {"thread_id": p.thread_id, "volume": p.volume, "updated_at": p.updated_at}
            for (p,) in _rows(
                sa.select(ThreadPreference)
                .where(ThreadPreference.user_id == uid)
                .order_by(ThreadPreference.id)
            )
        ),
    )
    yield (
        "sessions",
        (
            {
                "device": s.user_agent,
                "created_at": s.created_at,
                "last_seen_at": s.last_seen_at,
                "ended_at": s.ended_at,
            }
            for (s,) in _rows(
                sa.select(SignInSession)
                .where(SignInSession.user_id == uid)
                .order_by(SignInSession.id)
            )
        ),
    )
    yield (
        "api_tokens",
        (
            {"name": t.name, "starts_with": t.prefix, "created_at": t.created_at}
            for (t,) in _rows(
                sa.select(ApiToken).where(ApiToken.user_id == uid).order_by(ApiToken.id)
            )
        ),
    )


def _comments(uid: int) -> Iterator[dict]:
    """The person's comments, each with its earlier versions (two queries a batch)."""
    batch: list[Comment] = []

    def flush() -> Iterator[dict]:
        versions: dict[int, list[dict]] = {c.id: [] for c in batch}
        for (v,) in db.session.execute(
            sa.select(CommentVersion)
            .where(CommentVersion.comment_id.in_(list(versions)))
            .order_by(CommentVersion.comment_id, CommentVersion.number)
        ):
            versions[v.comment_id].append(
                {"number": v.number, "body": v.body, "created_at": v.created_at}
            )
        for c in batch:
            yield {
                "id": c.id,
                "thread_id": c.thread_id,
                "parent_id": c.parent_id,
                "body": c.body,
                "created_at": c.created_at,
                "edited_at": c.edited_at,
                "deleted_at": c.deleted_at,
                "versions": versions[c.id],
            }

    for (comment,) in _rows(
        sa.select(Comment).where(Comment.author_id == uid).order_by(Comment.id)
    ):
        batch.append(comment)
        if len(batch) >= BATCH:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def personal_data(user: User, *, now: datetime) -> Iterator[str]:
    """The document, in pieces of text that join into one JSON object. Its head is made
    now, the lists as they are read (the response is sent after the request's commit:
    they use the account's id only)."""
    head = "{" + f'"format": {_dumps(FORMAT)}, "version": {VERSION}, '
    head += f'"exported_at": {_dumps(now)}, "profile": {_dumps(profile(user))}'
    return _document(head, user.id)


def _document(head: str, uid: int) -> Iterator[str]:
    yield head
    for name, items in _sections(uid):
        yield f", {_dumps(name)}: ["
        first = True
        for item in items:
            yield ("" if first else ", ") + _dumps(item)
            first = False
        yield "]"
    yield "}\n"
