"""The group export format, version 1 (``docs/export-format.md`` explains it to people).

A document is one JSON object::

    {"format": "cercle-group", "version": 1, "exported_at": "…Z",
     "group": {...}, "users": [...], "memberships": [...], "threads": [...], ...}

Each section below is a list of rows in the order of their ``id``; a row holds the
section's ``fields`` as the database stores them (times in UTC ISO 8601 with ``Z``,
dates ``YYYY-MM-DD``, local times ``HH:MM:SS``). ``id`` and every reference to another
row are the exporting database's ids: they mean something only inside the file, and an
import gives every row a new one. Rendered HTML is not in the file: an import renders
each Markdown text again, so a file can never bring HTML in.

This module is the one description of the format: the export, the import, the
documentation test and ``canonical`` all read ``SECTIONS``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..agreements.models import Agreement, AgreementVersion
from ..auth.models import User
from ..groups.models import Group, JoinRequest, Membership
from ..notifications.models import ThreadPreference
from ..polls.models import Poll, PollOption, PollVersion, PollVoter, Stance
from ..proposals.models import AgreementChange, ProposalOutcome
from ..support.models import (
    CheckIn,
    CheckInPeriod,
    SupportAddressee,
    SupportRequest,
    SupportResponse,
    SupportStep,
    SupportTime,
)
from ..threads.models import Comment, CommentVersion, Reaction, Thread, ThreadVersion, ThreadVisit

FORMAT = "cercle-group"
VERSION = 1


@dataclass(frozen=True)
class Nested:
    """References held inside a JSON column: ``holders`` finds the objects of its value
    that hold them, ``refs`` maps their keys to the sections whose ``id`` they hold."""

    column: str
    holders: Callable[[Any], Iterator[dict]]
    refs: dict[str, str]


@dataclass(frozen=True)
class Section:
    """One kind of row in the document."""

    #: the key of the document that holds the rows
    name: str
    table: sa.Table
    #: the columns written, ``id`` first; references among them are in ``refs``
    fields: tuple[str, ...]
    #: column → the section whose ``id`` it holds
    refs: dict[str, str] = field(default_factory=dict)
    #: the Markdown column → its HTML column, rendered again on import
    rendered: dict[str, str] = field(default_factory=dict)
    #: how a row belongs to the group: None (a ``group_id`` column), or the
    #: reference to the parent section whose rows belong to it
    parent: str | None = None
    #: columns deliberately left out of the file (with ``rendered``'s HTML and ``group_id``)
    omitted: tuple[str, ...] = ()
    #: references inside a JSON column, remapped like ``refs``
    nested: Nested | None = None

    @property
    def html_columns(self) -> tuple[str, ...]:
        return tuple(self.rendered.values())


def _columns(model, *names: str) -> tuple[str, ...]:
    table = model.__table__
    for name in names:
        assert name in table.c, f"{table.name}.{name}"  # noqa: S101 - a typo in this module
    return ("id", *names)


U = "users"

#: the group's own row (a single object in the document, not a list)
GROUP = Section(
    "group",
    Group.__table__,
    _columns(
        Group,
        "handle",
        "name",
        "description",
        "privacy",
        "members_can_start_threads",
        "members_can_raise_proposals",
        "created_at",
        "created_by_id",
    ),
    refs={"created_by_id": U},
    rendered={"description": "description_html"},
    # the database's own counter of writes (``app/revisions.py``), kept by triggers
    omitted=("revision",),
)

#: the people the circle's rows name; an import matches them by email
USERS = Section(
    U,
    User.__table__,
    _columns(
        User,
        "email",
        "name",
        "handle",
        "locale",
        "timezone",
        "created_at",
        "email_verified_at",
        "quiet_from",
        "quiet_until",
        "quiet_wake",
        "digest_hour",
        "digest_days",
        "email_discreet",
        "email_off",
        "deleted_at",
    ),
    # secrets and this instance's bookkeeping stay on the instance (a closed account
    # is a state of this instance's sign-in: the import makes a passwordless account)
    omitted=("password_hash", "session_epoch", "digest_done_on", "deactivated_at"),
)


def rule_sources(rules: dict | None) -> Iterator[dict]:
    """The ``source`` objects of a support request's ``rules`` snapshot (they hold an
    ``agreement_id`` and a ``poll_id``)."""
    if not isinstance(rules, dict):
        return
    for value in rules.values():
        if isinstance(value, dict) and isinstance(value.get("source"), dict):
            yield value["source"]


def change_holders(extra: dict | None) -> Iterator[dict]:
    """The agreement change a poll version keeps in ``extra`` (it holds an
    ``agreement_id``: the agreement it amends or repeals)."""
    if isinstance(extra, dict) and isinstance(extra.get("agreement_change"), dict):
        yield extra["agreement_change"]


#: every other section, in an order where a row's references come before it
SECTIONS: tuple[Section, ...] = (
    Section(
        "memberships",
        Membership.__table__,
        _columns(
            Membership,
            "user_id",
            "role",
            "gives_support",
            "receives_support",
            "availability",
            "availability_until",
            "volume",
            "support_volume",
            "created_at",
            "revoked_at",
            "revoked_by_id",
            "invited_by_id",
        ),
        refs={"user_id": U, "revoked_by_id": U, "invited_by_id": U},
    ),
    Section(
        "join_requests",
        JoinRequest.__table__,
        _columns(
            JoinRequest,
            "user_id",
            "message",
            "created_at",
            "decided_at",
            "decided_by_id",
            "approved",
        ),
        refs={"user_id": U, "decided_by_id": U},
    ),
    Section(
        "threads",
        Thread.__table__,
        _columns(
            Thread,
            "author_id",
            "title",
            "body",
            "created_at",
            "edited_at",
            "last_activity_at",
            "closed_at",
            "pinned_at",
        ),
        refs={"author_id": U},
        rendered={"body": "body_html"},
        # kept by the database's triggers as the comments are imported
        # both kept by the database's triggers as the rows are inserted
        omitted=("comments_count", "revision"),
    ),
    Section(
        "thread_versions",
        ThreadVersion.__table__,
        _columns(ThreadVersion, "thread_id", "number", "title", "body", "editor_id", "created_at"),
        refs={"thread_id": "threads", "editor_id": U},
        rendered={"body": "body_html"},
        parent="thread_id",
    ),
    Section(
        "comments",
        Comment.__table__,
        _columns(
            Comment,
            "thread_id",
            "author_id",
            "parent_id",
            "body",
            "created_at",
            "edited_at",
            "deleted_at",
        ),
        refs={"thread_id": "threads", "author_id": U, "parent_id": "comments"},
        rendered={"body": "body_html"},
        parent="thread_id",
    ),
    Section(
        "comment_versions",
        CommentVersion.__table__,
        _columns(CommentVersion, "comment_id", "number", "body", "created_at"),
        refs={"comment_id": "comments"},
        rendered={"body": "body_html"},
        parent="comment_id",
    ),
    Section(
        "reactions",
        Reaction.__table__,
        _columns(Reaction, "comment_id", "user_id", "emoji", "created_at"),
        refs={"comment_id": "comments", "user_id": U},
        parent="comment_id",
    ),
    Section(
        "thread_visits",
        ThreadVisit.__table__,
        _columns(ThreadVisit, "thread_id", "user_id", "seen_at"),
        refs={"thread_id": "threads", "user_id": U},
        parent="thread_id",
    ),
    Section(
        "thread_preferences",
        ThreadPreference.__table__,
        _columns(ThreadPreference, "user_id", "thread_id", "volume", "updated_at"),
        refs={"thread_id": "threads", "user_id": U},
        parent="thread_id",
    ),
    Section(
        "polls",
        Poll.__table__,
        _columns(
            Poll,
            "thread_id",
            "author_id",
            "kind",
            "title",
            "details",
            "created_at",
            "closing_at",
            "closed_at",
            "closed_by_id",
            "anonymous",
            "results_visibility",
            "reasons",
            "min_choices",
            "max_choices",
            "min_score",
            "max_score",
            "dots",
            "shuffle_options",
            "voters_limited",
            "reminder_sent_at",
            "statement",
            "statement_review_on",
            "statement_by_id",
            "statement_at",
            "frozen_results",
            "eligible_at_close",
            "participants_at_close",
        ),
        refs={
            "thread_id": "threads",
            "author_id": U,
            "closed_by_id": U,
            "statement_by_id": U,
        },
        rendered={"details": "details_html", "statement": "statement_html"},
    ),
    Section(
        "poll_options",
        PollOption.__table__,
        _columns(PollOption, "poll_id", "key", "name", "position", "starts_at"),
        refs={"poll_id": "polls"},
        parent="poll_id",
    ),
    Section(
        "poll_voters",
        PollVoter.__table__,
        _columns(PollVoter, "poll_id", "user_id"),
        refs={"poll_id": "polls", "user_id": U},
        parent="poll_id",
    ),
    Section(
        # As stored: an anonymous poll's stances lose their voter when it closes.
        "stances",
        Stance.__table__,
        _columns(
            Stance,
            "poll_id",
            "voter_id",
            "choice",
            "reason",
            "created_at",
            "is_current",
            "withdrawn_at",
        ),
        refs={"poll_id": "polls", "voter_id": U},
        parent="poll_id",
    ),
    Section(
        "agreements",
        Agreement.__table__,
        _columns(
            Agreement,
            "status",
            "created_at",
            "current_version",
            "repealed_at",
            "repealed_by_poll_id",
            "review_on",
            "review_notified_on",
        ),
        refs={"repealed_by_poll_id": "polls"},
    ),
    Section(
        "agreement_versions",
        AgreementVersion.__table__,
        _columns(
            AgreementVersion,
            "agreement_id",
            "version",
            "title",
            "body",
            "rules",
            "change_summary",
            "review_on",
            "poll_id",
            "adopted_at",
            "result",
            "proposer_id",
        ),
        refs={"agreement_id": "agreements", "poll_id": "polls", "proposer_id": U},
        rendered={"body": "body_html"},
        # the periodic job's bookkeeping: its next run settles them again
        omitted=("review_settled",),
        parent="agreement_id",
    ),
    Section(
        "agreement_changes",
        AgreementChange.__table__,
        _columns(
            AgreementChange,
            "poll_id",
            "action",
            "agreement_id",
            "base_version",
            "title",
            "body",
            "rules",
            "review_on",
            "change_summary",
            "created_at",
        ),
        refs={"poll_id": "polls", "agreement_id": "agreements"},
        rendered={"body": "body_html"},
        parent="poll_id",
    ),
    Section(
        "proposal_outcomes",
        ProposalOutcome.__table__,
        _columns(
            ProposalOutcome,
            "poll_id",
            "adopted",
            "applied",
            "conditions",
            "not_applied_reason",
            "agreement_id",
            "version",
            "decided_at",
        ),
        refs={"poll_id": "polls", "agreement_id": "agreements"},
        parent="poll_id",
    ),
    Section(
        # After the agreements: a proposal's version keeps its agreement change in
        # ``extra``, whose ``agreement_id`` is a reference too.
        "poll_versions",
        PollVersion.__table__,
        _columns(
            PollVersion,
            "poll_id",
            "number",
            "title",
            "details",
            "closing_at",
            "extra",
            "changed",
            "editor_id",
            "created_at",
        ),
        refs={"poll_id": "polls", "editor_id": U},
        rendered={"details": "details_html"},
        parent="poll_id",
        nested=Nested("extra", change_holders, {"agreement_id": "agreements"}),
    ),
    Section(
        # ``rules`` keeps the rules in force when the request was made, each with its
        # source: its ``agreement_id`` and ``poll_id`` are references too.
        "support_requests",
        SupportRequest.__table__,
        _columns(
            SupportRequest,
            "requester_id",
            "kind",
            "urgent",
            "important",
            "body",
            "when_text",
            "channel",
            "named",
            "status",
            "created_at",
            "matched_with_id",
            "matched_at",
            "closed_at",
            "closed_by_id",
            "outcome",
            "lapsed_at",
            "escalated_at",
            "overdue_noted_at",
            "followup_at",
            "reopened_at",
            "rules",
            "escalate_at",
            "lapse_at",
            "overdue_at",
        ),
        refs={"requester_id": U, "matched_with_id": U, "closed_by_id": U},
        rendered={"body": "body_html"},
        nested=Nested("rules", rule_sources, {"agreement_id": "agreements", "poll_id": "polls"}),
    ),
    Section(
        "support_addressees",
        SupportAddressee.__table__,
        _columns(SupportAddressee, "request_id", "user_id"),
        refs={"request_id": "support_requests", "user_id": U},
        parent="request_id",
    ),
    Section(
        "support_responses",
        SupportResponse.__table__,
        _columns(
            SupportResponse, "request_id", "supporter_id", "available", "message", "created_at"
        ),
        refs={"request_id": "support_requests", "supporter_id": U},
        parent="request_id",
    ),
    Section(
        "support_steps",
        SupportStep.__table__,
        _columns(SupportStep, "request_id", "kind", "user_id", "at", "why"),
        refs={"request_id": "support_requests", "user_id": U},
        parent="request_id",
    ),
    Section(
        "check_ins",
        CheckIn.__table__,
        _columns(CheckIn, "member_id", "by_id", "kind", "note", "created_at"),
        refs={"member_id": U, "by_id": U},
    ),
    Section(
        "check_in_periods",
        CheckInPeriod.__table__,
        _columns(
            CheckInPeriod,
            "member_id",
            "due_since",
            "claimed_by_id",
            "claimed_at",
            "reminded_at",
        ),
        refs={"member_id": U, "claimed_by_id": U},
    ),
    Section(
        "support_times",
        SupportTime.__table__,
        _columns(SupportTime, "member_id", "at", "note", "request_id", "created_at"),
        refs={"member_id": U, "request_id": "support_requests"},
    ),
)

BY_NAME: dict[str, Section] = {s.name: s for s in (GROUP, USERS, *SECTIONS)}

#: the sections whose ids other rows refer to (an import keeps a map for these only)
REFERENCED = frozenset(
    target
    for s in BY_NAME.values()
    for target in (*s.refs.values(), *(s.nested.refs.values() if s.nested else ()))
)

#: tables of the circle that the file leaves out, and why (``docs/export-format.md``)
NOT_EXPORTED = {
    "invitations": "single-use links of this instance; invite again after moving",
    "webhooks": "their addresses and signing secrets are secrets: connect them again",
    "notifications": "each person's in-app list of this instance",
}


def scope(section: Section, group_id: int):
    """The WHERE clause of a section's rows that belong to the group."""
    if section.parent is None:
        return section.table.c.group_id == group_id
    parent = BY_NAME[section.refs[section.parent]]
    return section.table.c[section.parent].in_(
        sa.select(parent.table.c.id).where(scope(parent, group_id))
    )


def user_ids(group_id: int):
    """A SELECT of the ids of every person a row of the group names."""
    selects = [sa.select(Group.__table__.c.created_by_id).where(Group.__table__.c.id == group_id)]
    for section in SECTIONS:
        for column, target in section.refs.items():
            if target == U:
                selects.append(
                    sa.select(section.table.c[column]).where(
                        scope(section, group_id), section.table.c[column].is_not(None)
                    )
                )
    return sa.union(*selects)


def canonical(document: dict) -> dict:
    """The document with ``exported_at`` dropped and every id replaced by the row's
    place in its section (people: by email; former members, whose placeholder address
    each import draws anew, after them in the file's order), so that two exports of the
    same circle, from different databases, compare equal."""
    places: dict[str, dict[int, int]] = {}
    for name in BY_NAME:
        rows = [document[name]] if name == "group" else document[name]
        if name == U:
            ordered = sorted(
                rows,
                key=lambda row: (
                    (1, row["id"], "") if row.get("deleted_at") else (0, 0, row["email"])
                ),
            )
        else:
            ordered = rows
        places[name] = {row["id"]: n for n, row in enumerate(ordered)}
    out: dict = {k: v for k, v in document.items() if k != "exported_at"}
    for name, section in BY_NAME.items():
        rows = [document[name]] if name == "group" else document[name]
        converted = []
        for row in rows:
            row = dict(row)
            row["id"] = places[name][row["id"]]
            if name == U and row.get("deleted_at"):
                row["email"] = row["handle"] = "(former member)"
            for column, target in section.refs.items():
                if row[column] is not None:
                    row[column] = places[target][row[column]]
            if section.nested is not None:
                row[section.nested.column] = remap_nested(
                    section.nested, row[section.nested.column], places
                )
            converted.append(row)
        if name == U:
            converted.sort(key=lambda row: row["id"])
        out[name] = converted[0] if name == "group" else converted
    return out


def remap_nested(nested: Nested, value, maps: dict[str, dict[int, int]]):
    """A copy of a JSON column's ``value`` with its nested references replaced through
    ``maps`` (section → old id → new id; an id not in the map becomes None)."""
    value = copy.deepcopy(value)
    for holder in nested.holders(value):
        for key, target in nested.refs.items():
            if holder.get(key) is not None:
                holder[key] = maps[target].get(holder[key])
    return value
