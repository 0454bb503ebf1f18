"""Domain events: what happens in a circle, for the features built on top to react to.

One way for side effects. A service does its own work, flushes, and sends the
event right after the flush, inside the same transaction: a subscriber's
writes (an in-app notification, an agreement applied by a proposal) commit or
roll back with the act itself. Anything that leaves the process (email,
webhooks) is never done by a subscriber directly: it is queued with
``app.db.after_commit`` and goes out only once the transaction has committed.

Subscribers are connected in one step of the application factory
(``app.create_app`` → ``connect_subscribers``), never by importing a module.
Each feature that reacts has a ``subscribers.py`` with a ``connect()``:
``app/proposals/subscribers.py`` decides proposals, and
``app/notifications/subscribers.py`` reads as the list of who is told what.

Every event is a blinker signal. The *sender* is the object the event is
about (the poll, the comment, the membership…); the keyword arguments are
listed with each signal and always include ``now``, the time the event
happened as of (for a poll closed by time, its closing time). Receivers take
``(sender, **kwargs)`` and must accept keywords they do not use.

Events tell what happened and expect no answer. Where a feature needs an
answer from the features above it (a veto, a value), it declares an
*extension point* instead: see ``app/hooks.py``.
"""

from __future__ import annotations

from blinker import Namespace

_events = Namespace()

# -- accounts --------------------------------------------------------------------

email_changed = _events.signal(
    "email-changed",
    doc="""An account moved to a new email address (its owner opened the link sent
    there). sender: the ``User``; ``old_email``; ``now``.""",
)
account_deactivated = _events.signal(
    "account-deactivated",
    doc="""A person left every circle and closed their account (signing in again
    within the reactivation delay opens it again). Sessions and tokens are ended.
    sender: the ``User``; ``now``.""",
)
account_reactivated = _events.signal(
    "account-reactivated",
    doc="""A deactivated account was opened again by signing in. sender: the ``User``;
    ``now``.""",
)
account_deleted = _events.signal(
    "account-deleted",
    doc="""An account's personal data was wiped; its contributions stay, shown as
    «Former member». Sent after the wipe, in its transaction.
    sender: the ``User`` (its id still names the contributions); ``now``.""",
)

# -- groups ----------------------------------------------------------------------

member_joined = _events.signal(
    "member-joined",
    doc="""A person became a member (created the group, accepted an invitation,
    joined an open group, was accepted after asking).
    sender: the new ``Membership``; ``now``.""",
)
member_invited = _events.signal(
    "member-invited",
    doc="""An admin invited an email address to the group: sent by the periodic
    command, once per invitation, after it looked the address up (never in the
    inviter's request, whose cost must not depend on the address). The invitation's
    own email went out with the act. Nobody is a member until they accept.
    sender: the ``Invitation``; ``actor`` (the admin who invited, a ``User``);
    ``invitee`` (the ``User`` whose address it is, or None when no account has it);
    ``now``.""",
)
member_left = _events.signal(
    "member-left",
    doc="""A member left the group of their own accord.
    sender: the revoked ``Membership``; ``now``.""",
)
member_removed = _events.signal(
    "member-removed",
    doc="""An admin removed a member.
    sender: the revoked ``Membership``; ``actor`` (the admin, a ``User``); ``now``.""",
)

# -- threads ---------------------------------------------------------------------

thread_written = _events.signal(
    "thread-written",
    doc="""A thread was started, or its context edited.
    sender: the ``Thread``; ``actor`` (``User``); ``previous_body`` (the context before
    an edit, None for a new thread); ``now``.""",
)
comment_written = _events.signal(
    "comment-written",
    doc="""A comment was posted or edited.
    sender: the ``Comment``; ``thread``; ``actor`` (``User``); ``previous_body`` (None
    for a new comment); ``now``.""",
)

# -- polls -----------------------------------------------------------------------

poll_opened = _events.signal(
    "poll-opened",
    doc="""A poll (a proposal too) was created, open for stances.
    sender: the ``Poll``; ``actor`` (its author, ``User``); ``now``.""",
)
stance_cast = _events.signal(
    "stance-cast",
    doc="""A voter took or changed a stance.
    sender: the new current ``Stance``; ``poll``; ``voter`` (``User``); ``now``.""",
)
stance_withdrawn = _events.signal(
    "stance-withdrawn",
    doc="""A voter withdrew their stance and is undecided again.
    sender: the ``Poll``; ``voter`` (``User``); ``now``.""",
)
poll_closed = _events.signal(
    "poll-closed",
    doc="""A poll closed: early (by its author or an admin) or by time, whoever
    closed it. Sent once, by the one winner of the close, in the closing
    transaction, after the participation line (and an anonymous poll's counts)
    were frozen.
    sender: the ``Poll``; ``closed_by`` (a ``User`` id, None for a close by time);
    ``now`` (the closing instant: ``closing_at`` for a close by time).""",
)
poll_reopened = _events.signal(
    "poll-reopened",
    doc="""A closed poll was opened again until a new closing time.
    sender: the ``Poll``; ``actor`` (``User``); ``now``.""",
)
poll_edited = _events.signal(
    "poll-edited",
    doc="""An open poll was corrected (its title, details, closing time, or a proposal's
    agreement change); the edit is kept as a version.
    sender: the ``Poll``; ``actor`` (``User``); ``changed`` (what changed: among
    ``title``, ``details``, ``closing_at``, ``agreement_change``); ``version`` (the
    ``PollVersion``); ``now``.""",
)
poll_deleted = _events.signal(
    "poll-deleted",
    doc="""An open poll nobody had voted on was deleted; sent before its row goes (the
    database then removes what hangs on it).
    sender: the ``Poll``; ``actor`` (``User``); ``now``.""",
)
voters_reminded = _events.signal(
    "voters-reminded",
    doc="""Someone reminded the undecided voters of a poll, with a message.
    sender: the ``Poll``; ``actor`` (``User``); ``recipients`` (user ids: the eligible
    voters without a stance, the actor excepted); ``message`` (text or None); ``now``.""",
)
poll_closing_soon = _events.signal(
    "poll-closing-soon",
    doc="""The automatic reminder is due: the poll closes within a day. Sent once
    per opening, by whoever claimed it (the periodic command).
    sender: the ``Poll``; ``recipients`` (user ids of eligible voters without a
    stance); ``now``.""",
)

# -- proposals and agreements ----------------------------------------------------

proposal_decided = _events.signal(
    "proposal-decided",
    doc="""A proposal's outcome was decided when its poll closed (adopted or not,
    its agreement change applied or not).
    sender: the ``Poll``; ``outcome`` (``ProposalOutcome``); ``now`` (the closing
    instant).""",
)
agreement_adopted = _events.signal(
    "agreement-adopted",
    doc="""A new version of an agreement took effect: version 1 of a new agreement
    (adopt) or version n + 1 (amend).
    sender: the ``AgreementVersion``; ``agreement``; ``poll`` (the proposal that
    adopted it); ``now`` (the adoption time).""",
)
agreement_repealed = _events.signal(
    "agreement-repealed",
    doc="""An agreement was repealed: it no longer counts from ``now`` on.
    sender: the ``Agreement``; ``poll`` (the proposal that repealed it); ``now``.""",
)
agreement_review_due = _events.signal(
    "agreement-review-due",
    doc="""An agreement reached its review date. Sent once per review date, by
    whoever claimed it (the periodic command).
    sender: the ``Agreement``; ``recipients`` (user ids: the group's admins);
    ``title`` (the current version's); ``now``.""",
)

# -- support ---------------------------------------------------------------------

support_requested = _events.signal(
    "support-requested",
    doc="""A member asked for support.
    sender: the ``SupportRequest``; ``notices`` (``routing.Notice``: who is told now,
    through what, when and why); ``now``.""",
)
support_answered = _events.signal(
    "support-answered",
    doc="""A supporter answered: "I am available" (``response.available``, the request is
    then matched with them) or "not now" (seen by the requester only).
    sender: the ``SupportRequest``; ``response`` (``SupportResponse``); ``supporter``
    (``User``); ``matched`` (bool); ``others`` (user ids of the other supporters told,
    who learn that someone is with the requester); ``now``.""",
)
support_released = _events.signal(
    "support-released",
    doc="""The matched supporter cannot after all: the request is open again.
    sender: the ``SupportRequest``; ``supporter`` (``User``); ``now``.""",
)
support_closed = _events.signal(
    "support-closed",
    doc="""A request was closed: it happened, it did not, or it is not needed any more.
    sender: the ``SupportRequest``; ``actor`` (``User``); ``outcome``; ``now``.""",
)
support_escalated = _events.signal(
    "support-escalated",
    doc="""An urgent and important request was unmatched in time: every supporter is told.
    Once, as of its due time.
    sender: the ``SupportRequest``; ``notices`` (``routing.Notice``); ``now``.""",
)
support_lapsed = _events.signal(
    "support-lapsed",
    doc="""An urgent request that is not important found nobody free in time: it ends
    quietly, the requester told gently. sender: the ``SupportRequest``; ``now``.""",
)
support_overdue = _events.signal(
    "support-overdue",
    doc="""An important request is unmatched after the agreed days: supporters reminded
    once, the requester asked whether it is still needed.
    sender: the ``SupportRequest``; ``notices`` (``routing.Notice``); ``now``.""",
)
support_followup = _events.signal(
    "support-followup",
    doc="""A day after a match, both sides are asked (once) whether it happened.
    sender: the ``SupportRequest``; ``now``.""",
)
check_in_due = _events.signal(
    "check-in-due",
    doc="""A receiving member is due for a check-in: supporters are reminded, once per
    period. sender: the ``Membership`` of the member; ``due_since``; ``recipients``
    (user ids); ``rule`` (the provenance of ``relance_after_days``); ``now``.""",
)
check_in_recorded = _events.signal(
    "check-in-recorded",
    doc="""A check-in was recorded (or the member said all is well): the clock restarts.
    sender: the ``CheckIn``; ``now``.""",
)

#: every event, by name (documentation, tests)
ALL = {name: signal for name, signal in _events.items()}
