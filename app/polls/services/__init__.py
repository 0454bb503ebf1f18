"""Polls and stances: the rules, without HTTP. Services flush, never commit.

One module per concern: ``creating``, ``naming`` (an option's name, a
stance in words), ``voters``, ``stances``, ``results``
(counting: the one rule in ``count``), ``closing`` (and reopening, the statement),
``editing`` (correcting an open poll, deleting one nobody voted on),
``reading`` (what a viewer sees: one path, ``read_polls``, for one poll or many),
``errors``. Everything public is importable from here.

Every service takes the time as ``now``. A poll is open while
``now < closing_at`` and no one closed it early; once ``closing_at`` has passed
it is closed even if nothing has closed it yet (``close_if_due`` does
that, as of ``closing_at``, on a read path or from the periodic command).

Concurrency. Stance writes and early closes first lock the poll's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every write transaction
already holds the database's write lock, see ``app/db.py``), so the writes of
one poll are serialised: two stances racing for the same voter both succeed
in some order, and the partial unique index ``uq_stances_current`` guarantees
one current stance per voter whatever happens. Closing is claimed with an
``UPDATE ... WHERE closed_at IS NULL``: among concurrent closers (the author,
the periodic command on several machines, a reader closing a due poll)
exactly one wins, and only the winner sends ``events.poll_closed``.

What the features above do when a poll closes (a proposal decided, members
notified) they do as subscribers of ``events.poll_closed``; what they answer
(a proposal's outcome, a veto on reopening) comes through ``app/hooks.py``.
"""

from __future__ import annotations

from .closing import (
    close_due_polls,
    close_due_polls_before_read,
    close_if_due,
    close_poll,
    due_poll_ids,
    reopen_poll,
    reopen_refusal,
    set_statement,
)
from .creating import (
    CLOSING_OUT_OF_RANGE,
    DEFAULT_DURATION,
    MAX_CLOSING_AHEAD,
    MAX_DETAILS,
    MAX_OPTION_NAME,
    MAX_OPTIONS,
    MAX_STATEMENT,
    MAX_TITLE,
    OTHER_DURATION,
    PROPOSAL_LABELS,
    PROPOSAL_MEANINGS,
    PROPOSAL_OPTIONS,
    PROPOSAL_PROMPTS,
    create_poll,
    default_closing_at,
)
from .editing import (
    EDITABLE,
    PollHasStances,
    delete_poll,
    edit_poll,
    has_stances,
    poll_versions,
)
from .errors import (
    NotEligible,
    PollClosed,
    PollNotReopenable,
    PollOpen,
    ResultsHidden,
    translated,
)
from .naming import (
    MEETING_ANSWERS,
    describe_choice,
    option_label,
    option_names,
)
from .reading import (
    PollReading,
    StanceView,
    VisibleResults,
    load_poll,
    load_poll_page,
    options_for,
    poll_outcome,
    read_poll,
    read_polls,
    results_for,
    results_hidden,
    thread_poll_list,
)
from .results import (
    Counting,
    PollFacts,
    compute_results,
    count,
    load_facts,
    tally_options,
    tally_votes,
)
from .stances import (
    cast_stance,
    check_stance,
    current_stance,
    ensure_open,
    lock_poll,
    stance_history,
    withdraw_stance,
)
from .voters import (
    eligible_among,
    eligible_voter_ids,
    is_eligible,
    load_memberships,
    load_named_voters,
    named_voter_ids,
    remind_undecided_voters,
    undecided_voters,
)

__all__ = [
    "EDITABLE",
    "PollHasStances",
    "delete_poll",
    "edit_poll",
    "has_stances",
    "poll_versions",
    "DEFAULT_DURATION",
    "MAX_DETAILS",
    "MEETING_ANSWERS",
    "MAX_OPTIONS",
    "MAX_OPTION_NAME",
    "CLOSING_OUT_OF_RANGE",
    "MAX_CLOSING_AHEAD",
    "MAX_STATEMENT",
    "MAX_TITLE",
    "Counting",
    "NotEligible",
    "OTHER_DURATION",
    "PROPOSAL_LABELS",
    "PROPOSAL_MEANINGS",
    "PROPOSAL_OPTIONS",
    "PROPOSAL_PROMPTS",
    "PollClosed",
    "PollFacts",
    "PollNotReopenable",
    "PollOpen",
    "PollReading",
    "ResultsHidden",
    "StanceView",
    "VisibleResults",
    "cast_stance",
    "check_stance",
    "close_poll",
    "compute_results",
    "count",
    "create_poll",
    "current_stance",
    "default_closing_at",
    "describe_choice",
    "due_poll_ids",
    "eligible_among",
    "eligible_voter_ids",
    "ensure_open",
    "close_due_polls",
    "close_if_due",
    "is_eligible",
    "load_facts",
    "load_memberships",
    "load_named_voters",
    "load_poll",
    "load_poll_page",
    "lock_poll",
    "named_voter_ids",
    "option_label",
    "option_names",
    "options_for",
    "poll_outcome",
    "read_poll",
    "read_polls",
    "remind_undecided_voters",
    "reopen_poll",
    "reopen_refusal",
    "results_for",
    "results_hidden",
    "set_statement",
    "close_due_polls_before_read",
    "stance_history",
    "tally_options",
    "tally_votes",
    "thread_poll_list",
    "translated",
    "undecided_voters",
    "withdraw_stance",
]
