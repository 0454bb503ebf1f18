"""The periodic work, step by step. Like a view, each step commits: every poll is
handled in its own short transaction, so a failure leaves the others done and
no lock is held for long.

Safe to run from several processes or machines at once: every effect is
claimed by a conditional UPDATE that only one transaction wins (closing:
``UPDATE polls SET closed_at=... WHERE closed_at IS NULL``, in
``polls.services.close_if_due``; the automatic reminder:
``UPDATE polls SET reminder_sent_at=... WHERE reminder_sent_at IS NULL``), and
only the winner does the work that follows, in the same transaction. On
PostgreSQL a loser waits on the row lock until the winner commits, then finds
nothing to update; on SQLite write transactions are serialised (``app/db.py``).
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from .. import events, outbox
from ..account.services import delete_expired, expired_account_ids
from ..agreements.models import Agreement, AgreementVersion
from ..agreements.services import (
    REVIEW_BATCH,
    claim_review_reminder,
    review_reminders_due,
    settle_review_dates,
)
from ..extensions import db
from ..groups.models import Group, Membership, Role
from ..groups.services import announce_invitation, invitations_to_announce
from ..notifications import digest
from ..polls.models import Poll, Stance
from ..polls.services import close_if_due, due_poll_ids, eligible_voter_ids
from ..support.models import SupportRequest
from ..support.services import apply_due_steps, due_request_ids, remind_due_check_ins

log = logging.getLogger(__name__)

#: the automatic reminder goes out this long before a poll closes
REMINDER_BEFORE = timedelta(hours=24)


@dataclass
class RunFigures:
    """What one run did."""

    closed_polls: int = 0
    reminded_polls: int = 0
    reminders: int = 0
    review_reminders: int = 0
    support_steps: int = 0
    check_in_reminders: int = 0
    digests: int = 0
    invitations_announced: int = 0
    accounts_deleted: int = 0
    emails_and_posts: outbox.DeliveryFigures = field(default_factory=outbox.DeliveryFigures)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"closed {self.closed_polls} poll{'s' if self.closed_polls != 1 else ''}, "
            f"sent {self.reminders} reminder{'s' if self.reminders != 1 else ''}, "
            f"{self.review_reminders} agreement review"
            f"{'s' if self.review_reminders != 1 else ''} due, "
            f"{self.support_steps} support step{'s' if self.support_steps != 1 else ''}, "
            f"{self.check_in_reminders} check-in reminder"
            f"{'s' if self.check_in_reminders != 1 else ''}, "
            f"{self.digests} digest{'s' if self.digests != 1 else ''}, "
            f"{self.invitations_announced} invitation"
            f"{'s' if self.invitations_announced != 1 else ''} announced"
        )
        if self.accounts_deleted:
            text += f", {self.accounts_deleted} closed account(s) deleted"
        sent = self.emails_and_posts
        text += f"; outbox: {sent.sent} sent, {sent.retried} to retry, {sent.failed} failed"
        if sent.cancelled:
            text += f", {sent.cancelled} cancelled"
        if self.failures:
            text += f", {len(self.failures)} failed ({'; '.join(self.failures)})"
        return text


def _in_own_transaction(step, label: str, figures: RunFigures):
    """Run ``step()`` and commit; on error roll back, log, and note the failure."""
    try:
        result = step()
        db.session.commit()
        return result
    except Exception as exc:  # noqa: BLE001 - one bad poll must not stop the others
        db.session.rollback()
        log.exception("periodic job: %s failed", label)
        figures.failures.append(f"{label}: {exc.__class__.__name__}")
        return None


def close_due(now: datetime, figures: RunFigures) -> None:
    """Close every poll whose closing time has passed, in closing order, each as
    of its closing time (``events.poll_closed``'s receivers, e.g. the closing notification,
    run once, in the winner's transaction). A failure stops the sequence: later
    polls wait for the earlier one, so that closing order holds."""
    ids = due_poll_ids(now)
    db.session.commit()  # end the read: each poll gets its own transaction
    for poll_id in ids:

        def step(poll_id=poll_id) -> bool:
            poll = db.session.get(Poll, poll_id)
            return poll is not None and close_if_due(poll, now)

        failures = len(figures.failures)
        if _in_own_transaction(step, f"closing poll {poll_id}", figures):
            figures.closed_polls += 1
        if len(figures.failures) > failures:
            # Closing order matters (an outcome depends on what closed before it):
            # stop here; the next run starts again from this poll.
            break


def reminder_due_poll_ids(now: datetime) -> list[int]:
    """Open polls closing within ``REMINDER_BEFORE`` whose reminder has not gone out."""
    return list(
        db.session.scalars(
            sa.select(Poll.id)
            .where(
                Poll.closed_at.is_(None),
                Poll.reminder_sent_at.is_(None),
                Poll.closing_at > now,
                Poll.closing_at <= now + REMINDER_BEFORE,
            )
            .order_by(Poll.closing_at, Poll.id)
        )
    )


def send_reminder(poll_id: int, now: datetime) -> int | None:
    """Claim a poll's automatic reminder and send it to the eligible members who have
    no current stance. None when another run claimed it first; else how many were sent."""
    claimed = db.session.execute(
        sa.update(Poll)
        .where(
            Poll.id == poll_id,
            Poll.reminder_sent_at.is_(None),
            Poll.closed_at.is_(None),
            Poll.closing_at > now,
        )
        .values(reminder_sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return None
    poll = db.session.get(Poll, poll_id)
    voted = set(
        db.session.scalars(
            sa.select(Stance.voter_id).where(Stance.poll_id == poll_id, Stance.is_current.is_(True))
        )
    )
    waiting = sorted(eligible_voter_ids(poll) - voted)
    events.poll_closing_soon.send(poll, recipients=waiting, now=now)
    return len(waiting)


def send_due_reminders(now: datetime, figures: RunFigures) -> None:
    """The automatic reminder of each poll closing within 24 hours, once per poll."""
    ids = reminder_due_poll_ids(now)
    db.session.commit()
    for poll_id in ids:
        sent = _in_own_transaction(
            lambda poll_id=poll_id: send_reminder(poll_id, now),
            f"reminding poll {poll_id}",
            figures,
        )
        if sent is not None:
            figures.reminded_polls += 1
            figures.reminders += sent


def send_review_reminder(agreement_id: int, review_on, now: datetime) -> int | None:
    """Claim an agreement's review reminder for ``review_on`` and notify the group's
    admins and the proposer of its current version. None when another run claimed it
    first (or it was repealed meanwhile); else how many were notified."""
    if not claim_review_reminder(agreement_id, review_on):
        return None
    agreement = db.session.get(Agreement, agreement_id)
    proposer = db.session.scalar(
        sa.select(AgreementVersion.proposer_id).where(
            AgreementVersion.agreement_id == agreement_id,
            AgreementVersion.version == agreement.current_version,
        )
    )
    members = sa.select(Membership.user_id).where(
        Membership.group_id == agreement.group_id, Membership.revoked_at.is_(None)
    )
    admins = set(db.session.scalars(members.where(Membership.role == Role.admin.value)))
    people = admins | set(db.session.scalars(members.where(Membership.user_id == proposer)))
    events.agreement_review_due.send(agreement, recipients=sorted(people), now=now)
    return len(people)


def review_reminders(now: datetime, figures: RunFigures) -> None:
    """On an agreement's review day (UTC date; or the first run after it), notify the
    group's admins and the proposer, once per review date. The due dates are read
    ``REVIEW_BATCH`` at a time, each batch after what the last one read, so that a date
    whose reminder failed is not read again in the same run."""
    after = None
    while True:
        batch = review_reminders_due(now.date(), after=after, limit=REVIEW_BATCH)
        db.session.commit()
        for agreement_id, review_on in batch.due:
            sent = _in_own_transaction(
                lambda agreement_id=agreement_id, review_on=review_on: send_review_reminder(
                    agreement_id, review_on, now
                ),
                f"review reminder of agreement {agreement_id}",
                figures,
            )
            if sent is not None:
                figures.review_reminders += 1
        if batch.after is None:
            break
        after = batch.after
    # the versions' dates now reminded, replaced or repealed leave the index the next
    # run reads (``ix_agreement_versions_review_pending``)
    _in_own_transaction(lambda: settle_review_dates(now.date()), "settling review dates", figures)


def support_steps(now: datetime, figures: RunFigures) -> None:
    """The steps time brings to support requests (escalate, lapse, overdue, the
    follow-up a day after a match), each once, as of its due time, each request in its
    own transaction."""
    ids = due_request_ids(now)
    db.session.commit()
    for request_id in ids:

        def step(request_id=request_id) -> int:
            request = db.session.get(SupportRequest, request_id)
            return len(apply_due_steps(request, now)) if request is not None else 0

        taken = _in_own_transaction(step, f"support request {request_id}", figures)
        figures.support_steps += taken or 0


def check_in_reminders(now: datetime, figures: RunFigures) -> None:
    """Remind supporters of the check-ins due in each group whose agreements set
    ``relance_after_days``, once per period."""
    group_ids = list(db.session.scalars(sa.select(Group.id).order_by(Group.id)))
    db.session.commit()
    for group_id in group_ids:

        def step(group_id=group_id) -> int:
            return remind_due_check_ins(db.session.get(Group, group_id), now)

        sent = _in_own_transaction(step, f"check-ins of group {group_id}", figures)
        figures.check_in_reminders += sent or 0


def daily_digests(now: datetime, figures: RunFigures) -> None:
    """Write the daily digest of each reader whose local hour has come today (on their
    weekdays), once a day: each reader's day is claimed by a conditional UPDATE in the
    transaction that writes their digest to the outbox (``notifications.digest``)."""
    due = digest.due_readers(now)
    db.session.commit()
    for user_id, today in due:
        written = _in_own_transaction(
            lambda user_id=user_id, today=today: digest.write(user_id, today, now),
            f"digest of user {user_id}",
            figures,
        )
        if written:
            figures.digests += 1


def announce_invitations(now: datetime, figures: RunFigures) -> None:
    """Tell the accounts whose addresses were invited, each invitation once and in its
    own transaction (``groups.services.announce_invitation``)."""
    ids = invitations_to_announce(now)
    db.session.commit()
    for invitation_id in ids:

        def step(invitation_id=invitation_id) -> bool:
            return announce_invitation(invitation_id, now=now)

        if _in_own_transaction(step, f"announcing invitation {invitation_id}", figures):
            figures.invitations_announced += 1


def delete_expired_accounts(now: datetime, figures: RunFigures) -> None:
    """Delete the accounts closed more than 30 days ago, each in its own transaction,
    claimed by a conditional UPDATE (``account.services.delete_expired``): two machines
    never both do one."""
    ids = expired_account_ids(now)
    db.session.commit()
    for user_id in ids:

        def step(user_id=user_id) -> bool:
            return delete_expired(user_id, now=now)

        if _in_own_transaction(step, f"deleting closed account {user_id}", figures):
            figures.accounts_deleted += 1


def deliver(now: datetime, figures: RunFigures) -> None:
    """Send the outbox's due emails and webhook posts (``app/outbox.py``): each claimed
    by one run only, sent outside any transaction, its result recorded."""
    try:
        figures.emails_and_posts = outbox.deliver_due(now)
    except Exception as exc:  # noqa: BLE001 - the next run tries again
        db.session.rollback()
        log.exception("periodic job: delivering failed")
        figures.failures.append(f"delivering: {exc.__class__.__name__}")


def run_once(now: datetime) -> RunFigures:
    """Every due step, in order: closing first (a due poll gets no reminder; a closing
        may adopt a version with its own review date, or a rule support follows), then
        reminders, then support, then the daily digests (which tell what the steps before
    left waiting), then what all these wrote to the outbox is sent. The run
        ends with a heartbeat admins can see."""
    figures = RunFigures()
    close_due(now, figures)
    send_due_reminders(now, figures)
    review_reminders(now, figures)
    support_steps(now, figures)
    check_in_reminders(now, figures)
    daily_digests(now, figures)
    announce_invitations(now, figures)
    delete_expired_accounts(now, figures)
    deliver(now, figures)
    try:
        outbox.beat("jobs", now, socket.gethostname(), figures.summary())
    except Exception:  # noqa: BLE001 - a missed heartbeat must not fail the run
        db.session.rollback()
        log.exception("periodic job: heartbeat failed")
    return figures
