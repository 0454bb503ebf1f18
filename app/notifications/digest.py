"""The daily digest: one email a day at the reader's own local hour, on the weekdays
they chose, only when there is something to tell (DESIGN, "Notifications").

A reader is *due* when, in their time zone, the hour ``digest_hour`` has come today,
today's ISO weekday is in ``digest_days`` ("" is never) and ``digest_done_on`` is
before today. Their day is *claimed* by a conditional UPDATE of ``digest_done_on``
(only one of two racing runs wins it), in the transaction that writes the digest to
the outbox: a digest exists once for the day, or not at all. A day with nothing to
tell is claimed too, and sends nothing.

What it gathers, in the circles the reader belongs to:

- the support requests waiting that they could answer (open, addressed to them, not
  theirs, not one they said "not now" to: ``support.overview``), and the check-ins
  due they could do (not one another supporter took on);
- the polls awaiting their vote, those closing within 24 hours first;
- the agreements due for review, for the circle's admins and the proposer of the
  current version;
- the notifications put aside for the digest (``Notification.email == "digest"``)
  since the previous digest, less those about a request or poll already listed;
- the new comments by others since the previous digest in the discussions whose
  volume for them (the thread's override, else the circle's) is ``all`` or ``digest``:
  how many per discussion, and the latest few with their author.

"Since the previous digest" is since the last digest written to the outbox for the
reader, at most ``LOOKBACK`` ago (a first digest, or one after weeks without). The
number of queries is bounded per reader, whatever they have waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import mail, outbox
from ..agreements.services import agreements_due_for_review
from ..auth.models import User
from ..extensions import db
from ..groups.models import Group, Membership, Role
from ..polls.cards import polls_awaiting_vote
from ..support import display as support_display
from ..support import routing
from ..support.overview import support_overview
from ..support.services import quiet_hours
from ..threads.models import Comment, Thread
from ..urls import external_url, public_host
from . import emails, preferences, services, unsubscribe
from .models import Notification, ThreadPreference

KIND = "digest"
#: how far back a digest looks at most
LOOKBACK = timedelta(days=8)
#: a poll closing within this is "closing soon"
CLOSING_SOON = timedelta(hours=24)
#: at most this many items per section; discussions listed; comments shown per discussion
MAX_ITEMS = 20
MAX_THREADS = 15
LATEST_COMMENTS = 3
#: a comment's excerpt, in characters
EXCERPT = 280


# -- who is due ----------------------------------------------------------------------


def is_due(*, zone_now: datetime, digest_hour: int, digest_days: str, done_on: date | None) -> bool:
    """Whether a reader's digest is due at their local time ``zone_now``: the hour has
    come today, today is one of their weekdays, and today's digest is not done."""
    if not digest_days or str(zone_now.isoweekday()) not in digest_days:
        return False
    if zone_now.hour < digest_hour:
        return False
    return done_on is None or done_on < zone_now.date()


def due_readers(now: datetime) -> list[tuple[int, date]]:
    """``(user id, their local today)`` of the readers whose digest is due (one query)."""
    # Any reader's local date is within a day of UTC's: those done after tomorrow-UTC
    # cannot be due.
    utc_today = now.date()
    rows = db.session.execute(
        sa.select(User.id, User.timezone, User.digest_hour, User.digest_days, User.digest_done_on)
        .where(
            User.digest_days != "",
            User.email_off.is_(False),
            sa.or_(User.digest_done_on.is_(None), User.digest_done_on <= utc_today),
        )
        .order_by(User.id)
    )
    due = []
    for user_id, zone, hour, days, done_on in rows:
        zone_now = now.astimezone(emails.zone_named(zone))
        if is_due(zone_now=zone_now, digest_hour=hour, digest_days=days, done_on=done_on):
            due.append((user_id, zone_now.date()))
    return due


def claim_day(user_id: int, today: date) -> bool:
    """Take the reader's digest of ``today`` (their local date): True for the one run
    whose conditional UPDATE changed the row."""
    return (
        db.session.execute(
            sa.update(User)
            .where(
                User.id == user_id,
                sa.or_(User.digest_done_on.is_(None), User.digest_done_on < today),
            )
            .values(digest_done_on=today)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


# -- what it tells -------------------------------------------------------------------


@dataclass
class ThreadActivity:
    thread_id: int
    title: str
    group_handle: str
    count: int
    url: str
    latest: list[dict] = field(default_factory=list)


@dataclass
class Contents:
    """One reader's digest, before it is written."""

    requests: list[dict] = field(default_factory=list)
    check_ins: list[dict] = field(default_factory=list)
    polls: list[dict] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)
    notifications: list[dict] = field(default_factory=list)
    threads: list[ThreadActivity] = field(default_factory=list)
    #: the handles of the circles it speaks of
    handles: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        """How many things it tells (a discussion counts once, whatever its comments)."""
        return (
            len(self.requests)
            + len(self.check_ins)
            + len(self.polls)
            + len(self.reviews)
            + len(self.notifications)
            + len(self.threads)
        )


def previous_digest_at(user_id: int) -> datetime | None:
    """When the reader's last digest was written to the outbox."""
    return db.session.scalar(
        sa.select(sa.func.max(outbox.Delivery.created_at)).where(
            outbox.Delivery.user_id == user_id,
            outbox.Delivery.channel == outbox.EMAIL,
            outbox.Delivery.kind == KIND,
        )
    )


def _excerpt(text: str) -> str:
    flat = emails.one_line(text or "")
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rstrip() + "…"


def gather(user: User, now: datetime, today: date) -> Contents:
    """What the reader's digest tells at ``now`` (``today``: their local date). Call it
    before changing anything in the transaction: taking a support request's due step
    on the way has its own short transaction (``support.overview``)."""
    found = Contents()
    overview = support_overview(user, now, limit=MAX_ITEMS)
    since = max(previous_digest_at(user.id) or now - LOOKBACK, now - LOOKBACK)
    shown_requests: set[int] = set()
    for request in overview.requests:
        shown_requests.add(request.id)
        found.handles.add(request.group.handle)
        found.requests.append(
            {
                "requester": request.requester.name,
                "group": request.group.name,
                "kind": support_display.kind_label(request.kind),
                "urgent": request.urgent,
                "important": request.important,
                "when": request.when_text,
                "channel": request.channel,
                "body": None if user.email_discreet else _excerpt(request.body),
                "url": external_url("support.show", request_id=request.id),
            }
        )
    for item in overview.check_ins:
        if item.claimed_by is not None and item.claimed_by != user.id:
            continue  # another supporter said "I'll do it"
        found.handles.add(item.group_handle)
        found.check_ins.append(
            {
                "name": item.name,
                "group": item.group_name,
                "due_since": item.due_since,
                "mine": item.claimed_by == user.id,
                "url": external_url("support.index", handle=item.group_handle),
            }
        )
    shown_polls: set[int] = set()
    for poll in polls_awaiting_vote(user, now, limit=MAX_ITEMS):
        shown_polls.add(poll.id)
        found.handles.add(poll.group.handle)
        found.polls.append(
            {
                "title": poll.title,
                "group": poll.group.name,
                "closing_at": poll.closing_at,
                "soon": poll.closing_at <= now + CLOSING_SOON,
                "url": external_url("polls.show", poll_id=poll.id),
            }
        )
    found.polls.sort(key=lambda p: (not p["soon"], p["closing_at"]))
    reviews = agreements_due_for_review(user, today, limit=MAX_ITEMS)
    if reviews:
        admin_of = set(
            db.session.scalars(
                sa.select(Membership.group_id).where(
                    Membership.user_id == user.id,
                    Membership.revoked_at.is_(None),
                    Membership.role == Role.admin.value,
                )
            )
        )
        for due in reviews:
            if due.group.id not in admin_of and due.version.proposer_id != user.id:
                continue
            found.handles.add(due.group.handle)
            found.reviews.append(
                {
                    "title": due.version.title,
                    "group": due.group.name,
                    "review_on": due.review_on,
                    "url": external_url(
                        "agreements.show", handle=due.group.handle, agreement_id=due.agreement.id
                    ),
                }
            )
    for notification in db.session.scalars(
        services.listing(user)
        .where(
            Notification.email == preferences.DIGEST,
            Notification.created_at > since,
            Notification.created_at <= now,
        )
        .limit(MAX_ITEMS)
    ):
        if notification.support_request_id in shown_requests or (
            notification.poll_id in shown_polls
        ):
            continue
        if notification.group is not None:
            found.handles.add(notification.group.handle)
        found.notifications.append(
            {
                "sentence": emails.one_line(services.describe(notification)),
                "at": notification.created_at,
                "url": services.target_url(notification, external=True),
            }
        )
    found.threads = thread_activity(user, since, now)
    found.handles.update(t.group_handle for t in found.threads)
    return found


def thread_activity(user: User, since: datetime, now: datetime) -> list[ThreadActivity]:
    """New comments by others in the reader's discussions whose volume is ``all`` or
    ``digest``: per discussion, how many and the latest few (three queries)."""
    volume = sa.func.coalesce(ThreadPreference.volume, Membership.volume)
    rows = db.session.execute(
        sa.select(
            Thread.id,
            Thread.title,
            Group.handle,
            sa.func.count(Comment.id),
            sa.func.max(Comment.created_at),
        )
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Group, Group.id == Thread.group_id)
        .join(
            Membership,
            sa.and_(
                Membership.group_id == Thread.group_id,
                Membership.user_id == user.id,
                Membership.revoked_at.is_(None),
            ),
        )
        .outerjoin(
            ThreadPreference,
            sa.and_(ThreadPreference.thread_id == Thread.id, ThreadPreference.user_id == user.id),
        )
        .where(
            Comment.created_at > since,
            Comment.created_at <= now,
            Comment.author_id != user.id,
            Comment.deleted_at.is_(None),
            volume.in_((preferences.ALL, preferences.DIGEST)),
        )
        .group_by(Thread.id, Thread.title, Group.handle)
        .order_by(sa.func.max(Comment.created_at).desc(), Thread.id)
        .limit(MAX_THREADS)
    ).all()
    if not rows:
        return []
    found = {
        thread_id: ThreadActivity(
            thread_id=thread_id,
            title=title,
            group_handle=handle,
            count=count,
            url=external_url("threads.show", thread_id=thread_id),
        )
        for thread_id, title, handle, count, _latest in rows
    }
    # The latest few of each: newest first, at most a bounded number of rows in all.
    comments = db.session.execute(
        sa.select(Comment.id, Comment.thread_id, Comment.body, Comment.created_at, User.name)
        .join(User, User.id == Comment.author_id)
        .where(
            Comment.thread_id.in_(list(found)),
            Comment.created_at > since,
            Comment.created_at <= now,
            Comment.author_id != user.id,
            Comment.deleted_at.is_(None),
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(MAX_THREADS * LATEST_COMMENTS * 4)
    )
    for comment_id, thread_id, body, created_at, author in comments:
        activity = found[thread_id]
        if len(activity.latest) < LATEST_COMMENTS:
            activity.latest.append(
                {
                    "author": author,
                    "at": created_at,
                    "excerpt": _excerpt(body),
                    "url": external_url(
                        "threads.show", thread_id=thread_id, _anchor=f"comment-{comment_id}"
                    ),
                }
            )
    return [found[thread_id] for thread_id, *_rest in rows]


# -- writing it ------------------------------------------------------------------------


def subject(contents: Contents) -> str:
    """``[Cercle] Votre courriel du jour — 3 choses`` (``[handle]`` when it speaks of one
    circle only)."""
    prefix = f"[{next(iter(contents.handles))}]" if len(contents.handles) == 1 else "[Cercle]"
    words = ngettext(
        "Your daily email — %(num)d thing", "Your daily email — %(num)d things", contents.count
    )
    return f"{prefix} {words}"


def render(user: User, contents: Contents, today: date) -> dict:
    """The digest as an outbox payload, in the reader's language and time zone."""
    scope = unsubscribe.DIGEST
    headers = emails.list_headers(None, user.id, scope)
    headers["List-Id"] = f'"Cercle" <digest.{public_host()}>'
    headers["Message-ID"] = mail.message_id(f"digest/{user.id}/{today.isoformat()}")
    with emails.for_reader(user):
        context = {
            "user": user,
            "lang": emails.reader_locale(user),
            "digest": contents,
            "discreet": user.email_discreet,
            "today": today,
            "reason": _(
                "You receive this daily email because you chose it in your settings; "
                "it comes only when there is something to tell."
            ),
            **emails.footer_context(user.id, scope),
        }
        text = render_template("email/digest.txt", **context)
        html = render_template("email/digest.html", **context)
        title = subject(contents)
    return mail.payload(user.email, title, text, html, headers=headers)


def write(user_id: int, today: date, now: datetime) -> bool | None:
    """The reader's digest of ``today``: gathered, then their day claimed and, when
    there is something, written to the outbox (due after their quiet hours), in the
    caller's transaction. None when another run had claimed the day; else whether an
    email was written."""
    user = db.session.get(User, user_id)
    if user is None or user.email_off or not user.digest_days:
        return None
    with emails.for_reader(user):  # the sentences and labels gathered are the reader's
        contents = gather(user, now, today)
    payload = render(user, contents, today) if contents.count else None
    if not claim_day(user_id, today):
        return None
    if payload is None:
        return False
    due = routing.deliver_at(quiet_hours(user), now, urgent_and_important=False)
    outbox.enqueue(outbox.EMAIL, KIND, now=now, due_at=due, user_id=user_id, payload=payload)
    current_app.logger.debug("digest of user %s: %s things", user_id, contents.count)
    return True
