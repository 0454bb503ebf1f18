"""Extension points: where a feature asks the features built on top of it.

Features are layered (``api`` < ``auth`` < ``groups`` < ``threads`` < ``polls`` <
``agreements`` < ``proposals``, ``support`` < ``notifications`` < ``webhooks`` <
``account`` < ``dashboard``, ``jobs``, ``demo``) and a lower one never imports a
higher one. When a lower feature needs an *answer* from above (may this poll be
reopened? what is its outcome? what else belongs on this page?), it asks through one of the
extension points below; the features above answer by connecting a function
in the factory's ``connect_subscribers`` step. Events (``app/events.py``) say
what happened and expect nothing back; extension points expect an answer.

The choice, for the two the architecture asked about:

- **the veto on reopening** (``poll_reopen_veto``) is a *veto*: every answer
  counts, and one reason is enough to refuse. The proposals feature vetoes a
  poll whose close changed an agreement. A veto carries its reason, shown to
  the person.
- **the outcome of a poll** (``poll_outcome``) is a *first answer*: the feature
  that knows a kind of poll answers, the others return None. The proposals
  feature answers for proposals with DESIGN.md's ``outcome``.

Each extension point is a blinker signal too (one mechanism for both); its
documentation says what the sender is, which keywords come, and what an
answer is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from blinker import Namespace

_points = Namespace()


class ExtensionPoint:
    """A named question that the features above may answer."""

    def __init__(self, name: str, doc: str):
        self.name = name
        self.signal = _points.signal(name, doc=doc)
        self.__doc__ = doc

    def connect(self, receiver: Callable) -> Callable:
        """Answer this question with ``receiver(sender, **keywords)`` (once per function)."""
        self.signal.connect(receiver, weak=False)
        return receiver

    def disconnect(self, receiver: Callable) -> None:
        self.signal.disconnect(receiver)

    def answers(self, sender: Any, **keywords) -> list:
        """Every receiver's answer, None ones dropped, in connection order."""
        replies = self.signal.send(sender, **keywords)
        return [value for _receiver, value in replies if value is not None]

    def first(self, sender: Any, **keywords):
        """The first answer that is not None, or None."""
        for value in self.answers(sender, **keywords):
            return value
        return None

    def __repr__(self) -> str:
        return f"<ExtensionPoint {self.name}>"


# -- accounts --------------------------------------------------------------------


@dataclass(frozen=True)
class Landing:
    """Where a new account goes instead of ``next``, and what it is told there."""

    url: str
    message: str


after_signup = ExtensionPoint(
    "after-signup",
    doc="""What follows the sign-up of a person who came for a page of the features above.
    sender: the new ``User`` (flushed, signed in); ``next`` (the path they came for,
    already checked to stay on this site); ``now``.
    answer: a ``Landing``, or None (the groups feature: ``next`` is an invitation's link
    that this account may use: the invitation is accepted, as the link's button would
    have, and the person lands in the group).""",
)

# -- groups ----------------------------------------------------------------------


@dataclass(frozen=True)
class SwitchLock:
    """Why the support switches are locked on: the rule, and the agreement version that
    set it (``agreement_id`` None: the rule's default, not agreed yet)."""

    rule: str
    agreement_id: int | None = None
    version: int | None = None
    title: str | None = None
    poll_id: int | None = None


support_switches_lock = ExtensionPoint(
    "support-switches-lock",
    doc="""Whether the support switches (gives / receives support) are locked on.
    sender: the ``Group``; ``now``.
    answer: a ``SwitchLock`` naming the rule and its agreement when locked (the
    agreements feature, while the rule ``reciprocity`` is ``required``), None
    otherwise; turning a locked switch off is 409 ``reciprocity_locked``, whose
    message names them.""",
)
group_page_sections = ExtensionPoint(
    "group-page-sections",
    doc="""What the features above add to a group's page.
    sender: the ``Group``; ``viewer`` (``User``); ``first_page`` (True unless the reader
    asked for a later page of the group's lists: ``?after=``, ``?before=``, ``?page=``);
    ``now``.
    answer: a ``PageSection`` (``app/web.py``): a template and its context.""",
)

# -- threads ---------------------------------------------------------------------

thread_timeline = ExtensionPoint(
    "thread-timeline",
    doc="""Entries that other features place in a thread's timeline, among comments.
    sender: the ``Thread``; ``viewer`` (``User``); ``now``; ``close_due`` (True on a
    GET, when closing due polls first is allowed).
    answer: a list of ``(at, kind, item)``; the thread page renders ``item`` with the
    macro for ``kind`` (the polls feature: ``poll``, ``poll_closed`` and
    ``block_lifted``).""",
)
thread_json = ExtensionPoint(
    "thread-json",
    doc="""Keys that other features add to a thread's API JSON.
    sender: the ``Thread``; ``viewer`` (``User``); ``now``.
    answer: a dict merged into the JSON (the polls feature: ``polls``).""",
)
thread_list_marks = ExtensionPoint(
    "thread-list-marks",
    doc="""Short marks that other features put on threads in a group's thread list, for a
    page of threads at once, in a fixed number of queries.
    sender: the list of thread ids; ``now``.
    answer: ``{thread_id: text}`` (the polls feature: a vote is open in the thread); a
    thread shows each answer's text as a badge.""",
)
page_viewer_state = ExtensionPoint(
    "page_viewer_state",
    """What every page shows of the signed-in reader beyond the content, for pages'
    validators (``app/caching.py``): ``receiver(user)`` returns a value that changes
    when that does (the notifications' unread count).""",
)

signed_in_columns = ExtensionPoint(
    "signed-in-columns",
    doc="""Values every page of a signed-in person shows of them, read with the person
    in the sign-in loader's statement rather than one statement each.
    sender: the ``User`` model; ``user_id`` (the bind parameter of the person's id).
    answer: ``(name, scalar subquery)`` using only that parameter (the notifications
    feature: the unread count); the values are ``user.signed_in_values[name]`` for the
    request that loaded the person. Asked once, when the statement is first built.""",
)

thread_reader_columns = ExtensionPoint(
    "thread-reader-columns",
    doc="""Values the thread page needs of its reader, read in the page's first statement
    (with the thread) rather than one statement each.
    sender: the ``Thread`` model; ``reader`` (the bind parameter of the reader's id).
    answer: ``(name, scalar subquery)`` correlated with ``threads`` (the notifications
    feature: the reader's email setting for the thread); the page's sections find the
    values with ``threads.services.thread_reader_values``. Asked once, when the
    statement is first built.""",
)

thread_page_sections = ExtensionPoint(
    "thread-page-sections",
    doc="""What the features above add at the end of a thread's page.
    sender: the ``Thread``; ``viewer`` (``User``); ``now``.
    answer: a ``PageSection`` (``app/web.py``), or None (the notifications feature: the
    reader's emails about this discussion, for members of its group).""",
)

# -- polls -----------------------------------------------------------------------

poll_outcome = ExtensionPoint(
    "poll-outcome",
    doc="""The computed outcome of a closed poll: the first answer wins.
    sender: the ``Poll`` (closed); ``locale`` (optional: the language of the
    explanation).
    answer: a JSON-ready dict, or None for kinds one does not decide.""",
)
poll_reopen_veto = ExtensionPoint(
    "poll-reopen-veto",
    doc="""Whether a closed poll may be reopened: one reason is a veto.
    sender: the ``Poll``.
    answer: None, or the reason (a message for the person).""",
)
poll_panels = ExtensionPoint(
    "poll-panels",
    doc="""What the features above show on poll cards (the proposals feature: the
    agreement change and the outcome), for several polls at once, in a fixed number
    of queries.
    sender: the list of ``Poll``; ``now``.
    answer: ``{poll_id: panel}``; a card shows its poll's panel.""",
)
poll_json_extras = ExtensionPoint(
    "poll-json-extras",
    doc="""Keys that other features add to a poll's API JSON.
    sender: the ``Poll``; ``viewer``; ``now``.
    answer: a dict merged into the JSON (the proposals feature: ``agreement_change``).""",
)

poll_maker = ExtensionPoint(
    "poll-maker",
    doc="""Who makes a poll whose payload carries more than a poll's fields.
    sender: the kind (``"proposal"``); ``extras`` (the payload's keys among
    ``POLL_EXTRAS``).
    answer: ``make(thread, *, author, now, **poll_fields) -> Poll``, used instead of
    ``polls.services.create_poll`` (the proposals feature: ``make_proposal`` with the
    ``agreement_change``).""",
)
poll_form_addition = ExtensionPoint(
    "poll-form-addition",
    doc="""What the new-poll page adds to its form for a kind of poll.
    sender: the ``Group``; ``kind``; ``now``.
    answer: an object with ``form`` (a sub-form or None), ``make(thread, *, author,
    now, **poll_fields) -> Poll``, ``form.show_errors(error) -> bool`` and
    ``rechoosing`` (True: the form only asks to be drawn again, with what was typed;
    nothing is made) (the proposals feature: the agreement change, ``ChangeChoice``).""",
)
poll_state_extra = ExtensionPoint(
    "poll-state-extra",
    doc="""What the features above keep of an open poll's state in each of its versions.
    sender: the ``Poll``.
    answer: a JSON-ready dict (the proposals feature: ``{"agreement_change": {...}}``),
    or None.""",
)
poll_edit_extra = ExtensionPoint(
    "poll-edit-extra",
    doc="""An open poll is being edited (its row locked): the features above apply the
    edit of their own part, or refuse it by raising a ``DomainError``.
    sender: the ``Poll``; ``extras`` (the edit's keys among ``POLL_EXTRAS``, maybe
    empty); ``voted`` (whether anyone ever took a stance on it); ``now``.
    answer: the list of what changed (``["agreement_change"]``), or None.""",
)
poll_write_locks = ExtensionPoint(
    "poll-write-locks",
    doc="""A poll is about to be closed, edited, reopened or deleted (its row and its
    thread's row just locked): the features above lock the rows of theirs that the
    write will update (PostgreSQL), before anything is written, so that every
    transaction takes its row locks in one order: thread, agreement, circle
    (``app/revisions.py``).
    sender: the ``Poll``.
    answer: None.""",
)
poll_edit_form_addition = ExtensionPoint(
    "poll-edit-form-addition",
    doc="""What the poll's edit page adds to its form (a proposal's agreement change).
    sender: the ``Poll``; ``voted``; ``now``.
    answer: an object with ``form`` (a sub-form, or None when it cannot be edited),
    ``note`` (why, or None), ``extras()`` (the ``extras`` of ``edit_poll``) and
    ``form.show_errors(error) -> bool``, or None.""",
)
agreement_open_proposals = ExtensionPoint(
    "agreement-open-proposals",
    doc="""Open proposals that would amend or repeal an agreement (the agreement's page
    warns of them).
    sender: the ``Agreement``; ``now``.
    answer: a list of ``Poll``.""",
)

#: payload keys of ``POST /threads/{id}/polls`` and poll JSON keys that the
#: features above own (declared by the polls' schemas, filled through the hooks)
POLL_EXTRAS = ("agreement_change",)

#: every extension point, by name (documentation, tests)
ALL = {
    point.name: point
    for point in (
        support_switches_lock,
        group_page_sections,
        thread_timeline,
        thread_json,
        thread_page_sections,
        poll_outcome,
        poll_reopen_veto,
        poll_panels,
        poll_json_extras,
        poll_maker,
        poll_form_addition,
        poll_state_extra,
        poll_edit_extra,
        poll_edit_form_addition,
        agreement_open_proposals,
    )
}
