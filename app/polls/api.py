"""API: polls and stances.

Who may do what: a poll is read by whoever reads its thread (404 for the others,
as for the thread); members start polls in open threads (a proposal also needs
the group's ``members_can_raise_proposals``, admins always may); eligible voters
take stances while the poll is open; its author or an admin closes, reopens,
reminds and writes the statement (403 for others).

A poll whose closing time has passed is closed, whether or not anything has
closed it: reads close it first (``close_due_polls_before_read``, the one write on
a read path, in its own short transaction), and a write refused because of it
(409 ``poll_closed``) closes it too before answering.

``poll_json`` is the one function producing a poll's JSON.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app
from flask.views import MethodView

from .. import hooks
from ..api import Blueprint, api_user
from ..auth.models import User
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..groups.permissions import is_member
from ..threads.models import Thread
from ..threads.permissions import can_read_thread
from ..threads.services import ThreadClosed, load_thread
from ..timeutil import utcnow
from . import tally
from .export import content_disposition, export_csv, style_for
from .models import Poll
from .permissions import (
    can_close_poll,
    can_export_poll,
    can_manage_poll,
    can_read_poll,
    can_remind_poll,
    can_reopen_poll,
    can_start_poll,
    can_write_statement,
)
from .schemas import (
    ALL_SETTINGS,
    STANCE_FORMS,
    PollCloseResultSchema,
    PollCreateSchema,
    PollEditSchema,
    PollExportQuerySchema,
    PollRemindedSchema,
    PollRemindSchema,
    PollReopenSchema,
    PollSchema,
    PollStatementInputSchema,
    PollStatementSchema,
    PollVersionListSchema,
    StanceInputSchema,
    StanceSchema,
)
from .services import (
    EDITABLE,
    PollClosed,
    cast_stance,
    close_due_polls_before_read,
    close_poll,
    create_poll,
    delete_poll,
    edit_poll,
    load_poll,
    named_voter_ids,
    option_names,
    options_for,
    poll_outcome,
    poll_versions,
    remind_undecided_voters,
    reopen_poll,
    results_for,
    set_statement,
    withdraw_stance,
)

blp = Blueprint("api_polls", __name__, description="Polls, stances and results")

SECURITY = [{"bearerAuth": []}]
NOT_FOUND = "No such poll, or the caller may not see it (`not_found`)."
UNAUTHORIZED = "No token, or not a valid one (`unauthorized`, `invalid_token`)."
CLOSED = "Closed, or its closing time has passed (`poll_closed`; the message says when)."


# -- loading ----------------------------------------------------------------------


def _thread(thread_id: int) -> Thread:
    thread = load_thread(thread_id)
    if thread is None or not can_read_thread(api_user(), thread):
        raise NotFound()
    return thread


def _poll(poll_id: int, *, now: datetime | None = None) -> Poll:
    """The poll (404 when the caller may not see it). With ``now``: closed first when
    its closing time has passed (for reads)."""
    poll = load_poll(poll_id)
    if poll is None or not can_read_poll(api_user(), poll):
        raise NotFound()
    if now is not None and close_due_polls_before_read(poll_ids=[poll_id], now=now):
        poll = load_poll(poll_id)
    return poll


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def _close_due_after_refusal(poll_id: int, now: datetime) -> None:
    """A write was refused because the closing time passed: close the poll (its own
    transaction) before the 409 goes out. A failure here must not hide the 409."""
    db.session.rollback()
    try:
        close_due_polls_before_read(poll_ids=[poll_id], now=now)
    except Exception:  # noqa: BLE001 - the next read closes it anyway
        db.session.rollback()
        current_app.logger.exception("closing poll %s failed", poll_id)


# -- output -------------------------------------------------------------------------


def _user_ref(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "handle": user.handle}


def stance_json(choice: dict, reason: str, created_at: datetime | None) -> dict:
    """A stance: its one form (``key``, ``keys``, ``scores`` or ``ranking``), reason, time."""
    out = {name: choice[name] for name in STANCE_FORMS if name in choice}
    out["reason"] = reason or ""
    out["created_at"] = created_at
    return out


def _row_json(row: tally.OptionResult, kind: str, names: dict[str, str]) -> dict:
    out = {
        "key": row.key,
        "name": names.get(row.key, row.name),
        "count": row.count,
        "percent": row.percent,
    }
    if kind in ("score", "ranked", "dot", "meeting"):
        out.update(total=row.total, rank=row.rank, best=row.best)
    if kind == "score":
        out["average"] = row.average
    if kind == "meeting":
        out.update(yes=row.yes, if_need_be=row.if_need_be, no=row.no)
    return out


def statement_json(poll: Poll) -> dict | None:
    if poll.statement is None:
        return None
    author = db.session.get(User, poll.statement_by_id) if poll.statement_by_id else None
    return {
        "text": poll.statement,
        "text_html": poll.statement_html,
        "review_on": poll.statement_review_on,
        "author": _user_ref(author),
        "written_at": poll.statement_at,
    }


def poll_json(poll: Poll, viewer, *, now: datetime) -> dict:
    """A poll as the API shows it to ``viewer`` (the one place it is built).

    ``results`` and ``stances`` are null while ``results_visibility`` hides them from
    the viewer; the participation figures are always there. Options are named by
    ``option_label``: a proposal's in the viewer's language, a meeting slot as stored
    (ISO 8601, beside its ``starts_at``). ``outcome`` comes from ``poll_outcome``, and
    the features above add their keys (``hooks.poll_json_extras``: a proposal's
    ``agreement_change``).
    """
    visible = results_for(poll, viewer, now)
    names = option_names(poll, slot="iso")
    options = []
    for option in options_for(poll, viewer):
        item = {"key": option.key, "name": names[option.key]}
        if poll.kind == "meeting":
            item["starts_at"] = option.starts_at
        options.append(item)
    results = None
    if visible.results is not None:
        results = [_row_json(row, poll.kind, names) for row in visible.results.rows]
    stances = None
    if visible.stances is not None:
        stances = [
            {
                "voter": _user_ref(view.voter),
                **stance_json(view.choice, view.reason, view.created_at),
            }
            for view in visible.stances
        ]
    mine = visible.my_stance
    extras: dict = {key: None for key in hooks.POLL_EXTRAS}
    for answer in hooks.poll_json_extras.answers(poll, viewer=viewer, now=now):
        extras.update(answer)
    return {
        "id": poll.id,
        "thread_id": poll.thread_id,
        "group": poll.group.handle,
        "kind": poll.kind,
        "title": poll.title,
        "details": poll.details,
        "details_html": poll.details_html,
        "author": _user_ref(poll.author),
        "created_at": poll.created_at,
        "status": "closed" if visible.closed else "open",
        "closing_at": poll.closing_at,
        "closed_at": poll.closed_at,
        "anonymous": poll.anonymous,
        "results_visibility": poll.results_visibility,
        "reasons": poll.reasons,
        "min_choices": poll.min_choices,
        "max_choices": poll.max_choices,
        "min_score": poll.min_score,
        "max_score": poll.max_score,
        "dots": poll.dots,
        "shuffle_options": poll.shuffle_options,
        "voters": named_voter_ids(poll) if poll.voters_limited else None,
        "options": options,
        "results": results,
        "undecided": visible.undecided,
        "participants": visible.participants,
        "eligible": visible.eligible,
        "participation_percent": visible.participation_percent,
        "stances": stances,
        "my_stance": (
            stance_json(mine.choice, mine.reason, mine.created_at) if mine is not None else None
        ),
        "outcome": poll_outcome(poll),
        "statement": statement_json(poll),
        **extras,
    }


# -- creating -----------------------------------------------------------------------


def create_poll_payload(thread: Thread, author: User, data: dict, *, now: datetime) -> Poll:
    """Create a poll from a ``PollCreateSchema`` payload. A payload with more than a
    poll's fields (a proposal's ``agreement_change``) is made by the feature that
    answers ``hooks.poll_maker`` for its kind, in the same transaction."""
    settings = {name: data[name] for name in ALL_SETTINGS if name in data}
    extras = {key: data[key] for key in hooks.POLL_EXTRAS if data.get(key) is not None}
    make = create_poll
    if extras:
        make = hooks.poll_maker.first(data["kind"], extras=extras) or create_poll
    poll = make(
        thread,
        author=author,
        kind=data["kind"],
        title=data["title"],
        details=data.get("details", ""),
        closing_at=data["closing_at"],
        options=data.get("options"),
        anonymous=data.get("anonymous", False),
        results_visibility=data.get("results_visibility", "always"),
        reasons=data.get("reasons"),
        voters=data.get("voters"),
        now=now,
        **settings,
    )
    return poll


@blp.route("/threads/<int:thread_id>/polls", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(PollCreateSchema)
@blp.response(201, PollSchema)
@blp.alt_response(
    400,
    description="A bad field, named in `fields`: a `closing_at` without a time zone, not in "
    "the future or more than 366 days ahead, `options` given to a proposal (or fewer than 2 "
    "for other kinds, "
    "`options.<i>` for one of them), a setting another kind takes, `voters` who are not "
    "members, an unknown field. The `agreement_change`: `agreement_change` itself when the "
    "kind is not `proposal`; `agreement_change.<field>` for a missing, bad or unknown field, "
    "or one its action does not take; `rules.<key>` for a rule value out of range or an "
    "unknown rule key (e.g. `rules.relance_after_days`); `agreement_change.agreement_id` "
    "when the agreement does not exist or belongs to another group (400, not 404: the "
    "thread is visible, the id is a bad field of the payload).",
)
@blp.alt_response(
    403,
    description="Not a member, or a proposal in a group where only admins raise proposals.",
)
@blp.alt_response(404, description="No such thread, or the caller may not see it.")
@blp.alt_response(
    409,
    description="The thread is closed (`thread_closed`); `agreement_change.base_version` is "
    "not the agreement's current version (`stale_agreement_version`, the message names the "
    "current one); the agreement was repealed (`agreement_repealed`).",
)
def create_poll_view(data, thread_id):
    """Start a poll in a thread.

    A `proposal` has the options agree, abstain, disagree, block (send no `options`); its
    reasons default to `required_for_block`. Other kinds take 2 or more `options`; each gets
    a `key` (`o1`, `o2`… in the order given; for `meeting`, in time order) to read from the
    answer. The forms suggest closing in 7 days for a proposal and 3 for other kinds;
    the API requires `closing_at`.

    A proposal may carry an `agreement_change`: `{"action": "adopt", "title", "body",
    "rules", "review_on"?, "change_summary"?}`, `{"action": "amend", "agreement_id",
    "base_version", "title"?, "body"?, "rules"?, "review_on"?, "change_summary"?}` or
    `{"action": "repeal", "agreement_id", "base_version"}`. It is checked and stored in the
    same transaction as the poll (a refused change creates nothing), and the answer shows
    it under `agreement_change` (with, for an amendment, its diff against the base version).
    """
    thread = _thread(thread_id)
    user = api_user()
    if is_member(user, thread.group) and thread.is_closed:
        raise ThreadClosed()
    _require(can_start_poll(user, thread, data["kind"]))
    now = utcnow()
    poll = create_poll_payload(thread, user, data, now=now)
    return poll_json(load_poll(poll.id), user, now=now)


# -- reading --------------------------------------------------------------------------


@blp.route("/polls/<int:poll_id>", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.response(200, PollSchema)
@blp.alt_response(404, description=NOT_FOUND)
def get_poll(poll_id):
    """A poll with its options, results, stances and the caller's own stance.

    `results` (and then `stances`) is null while they are hidden from the caller:
    `after_vote` until the caller has a stance, `after_close` until the poll closes, and
    an anonymous poll's from everyone until it closes, whatever `results_visibility` says
    (only the caller's own `my_stance` shows).
    `participants`, `eligible`, `undecided` and `participation_percent` are always there.
    In an anonymous poll every `voter` (and `created_at`) is null. A poll whose closing time
    has passed is shown closed, as of that time. `outcome` is null for kinds other than
    `proposal`.
    """
    now = utcnow()
    poll = _poll(poll_id, now=now)
    return poll_json(poll, api_user(), now=now)


# -- correcting, deleting ------------------------------------------------------------

EDIT_RULES = (
    "An open poll can be corrected by its author (still a member) or a group admin: its "
    "`title`, `details` and `closing_at` at any time before it closes (the closing time "
    "bounded as at creation), a proposal's `agreement_change` only before the first stance, "
    "so that every stance is about the same text and rules (Cercle's choice: DESIGN.md is "
    "silent on corrections; stances are never reset). Every edit is kept as a version "
    "(`GET /polls/{id}/versions`), and the voters who already took a stance are notified "
    "of what changed (`poll_edited`). An edit and a first stance are serialised on the "
    "poll: whichever comes second sees the other."
)


@blp.route("/polls/<int:poll_id>", methods=["PATCH"])
@blp.doc(
    security=SECURITY,
    summary="Correct an open poll (an addition to DESIGN.md)",
    description=EDIT_RULES + " An edit that changes nothing writes nothing.",
)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(PollEditSchema)
@blp.response(200, PollSchema)
@blp.alt_response(
    400,
    description="A bad field, named in `fields`: an empty or long `title`, a `closing_at` "
    "without a zone, past, or more than 366 days ahead; `agreement_change.<field>` or "
    "`rules.<key>` as at creation; `agreement_change` on a poll that is not a proposal; "
    "`agreement_change.action`, `.agreement_id` or `.base_version` changed.",
)
@blp.alt_response(403, description="Only the poll's author or a group admin corrects it.")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(
    409,
    description="Closed (`poll_closed`); someone has voted and the edit would change the "
    "agreement change (`agreement_change_frozen`); the amended agreement changed or was "
    "repealed since (`stale_agreement_version`, `agreement_repealed`).",
)
def edit_poll_view(data, poll_id):
    """Correct an open poll: ``EDIT_RULES``."""
    poll = _poll(poll_id)
    user = api_user()
    _require(can_manage_poll(user, poll))
    now = utcnow()
    fields = {name: data[name] for name in EDITABLE if name in data}
    extras = {key: data[key] for key in hooks.POLL_EXTRAS if key in data}
    try:
        edit_poll(poll, actor=user, now=now, extras=extras, **fields)
    except PollClosed:
        _close_due_after_refusal(poll_id, now)
        raise
    return poll_json(load_poll(poll_id), user, now=now)


@blp.route("/polls/<int:poll_id>", methods=["DELETE"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.response(204)
@blp.alt_response(403, description="Only the poll's author or a group admin deletes it.")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(
    409,
    description="Someone has taken a stance, even one withdrawn since (`poll_has_stances`: "
    "the poll is part of the record; correct or close it instead), or it is closed "
    "(`poll_closed`).",
)
def delete_poll_view(poll_id):
    """Delete a mistaken poll before anyone voted (an addition to DESIGN.md): only while
    open and before the first stance, with what hangs on it (options, versions, a
    proposal's agreement change, notifications). A first stance and a deletion are
    serialised on the poll."""
    poll = _poll(poll_id)
    user = api_user()
    _require(can_manage_poll(user, poll))
    now = utcnow()
    try:
        delete_poll(poll, actor=user, now=now)
    except PollClosed:
        _close_due_after_refusal(poll_id, now)
        raise
    return None


@blp.route("/polls/<int:poll_id>/versions", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.response(200, PollVersionListSchema)
@blp.alt_response(404, description=NOT_FOUND)
def poll_versions_view(poll_id):
    """Every version of a poll's wording, oldest first (an addition to DESIGN.md): empty
    until its first correction, then version 1 (as it was made) and one per edit."""
    poll = _poll(poll_id)
    return {
        "items": [
            {
                "number": v.number,
                "title": v.title,
                "details": v.details,
                "details_html": v.details_html,
                "closing_at": v.closing_at,
                "agreement_change": (v.extra or {}).get("agreement_change"),
                "changed": list(v.changed or []),
                "editor": _user_ref(v.editor),
                "created_at": v.created_at,
            }
            for v in poll_versions(poll)
        ]
    }


# -- stances ---------------------------------------------------------------------------


@blp.route("/polls/<int:poll_id>/stance")
class PollStance(MethodView):
    @blp.doc(security=SECURITY)
    @blp.alt_response(401, description=UNAUTHORIZED)
    @blp.arguments(StanceInputSchema)
    @blp.response(200, StanceSchema)
    @blp.alt_response(
        400,
        description="`key`, `keys`, `scores` (`scores.<key>` for one option), `ranking` or "
        "`reason` is not valid for this poll: an unknown option, a bad score, a missing "
        "required reason, more than one form.",
    )
    @blp.alt_response(403, description="The caller is not among the voters (`not_eligible`).")
    @blp.alt_response(404, description=NOT_FOUND)
    @blp.alt_response(409, description=CLOSED)
    def put(self, data, poll_id):
        """Take or change one's stance; the latest counts, earlier ones stay in history
        (an anonymous poll keeps none).

        `{"key"}` for a proposal or a single choice, `{"keys"}` for a multiple choice,
        `{"scores"}` for score, dot and meeting (2 yes, 1 if need be, 0 no), `{"ranking"}`
        (every option, best first) for ranked. Two writes racing for the same voter both
        succeed, in some order.
        """
        poll = _poll(poll_id)
        user = api_user()
        choice = {name: data[name] for name in STANCE_FORMS if name in data}
        now = utcnow()
        try:
            stance = cast_stance(poll, user, choice=choice, reason=data.get("reason"), now=now)
        except PollClosed:
            _close_due_after_refusal(poll_id, now)
            raise
        out = stance_json(stance.choice, stance.reason, stance.created_at)
        return out

    @blp.doc(security=SECURITY)
    @blp.alt_response(401, description=UNAUTHORIZED)
    @blp.response(204)
    @blp.alt_response(404, description=NOT_FOUND)
    @blp.alt_response(409, description=CLOSED)
    def delete(self, poll_id):
        """Withdraw one's stance: undecided again (204 also when there was none)."""
        poll = _poll(poll_id)
        now = utcnow()
        try:
            withdraw_stance(poll, api_user(), now=now)
        except PollClosed:
            _close_due_after_refusal(poll_id, now)
            raise
        return None


# -- closing, reopening, reminding, the statement --------------------------------------


@blp.route("/polls/<int:poll_id>/close", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.response(200, PollCloseResultSchema)
@blp.alt_response(403, description="Only the poll's author or a group admin closes it.")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="Already closed, or its closing time passed (`poll_closed`).")
def close_poll_view(poll_id):
    """Close a poll now, before its closing time.

    The answer is `{"outcome", "poll"}`: `outcome` is the proposal's outcome (`adopted`,
    `applied`, `explanation`, `agreement_id`, `version`) and null for other kinds; `poll`
    is the closed poll as `GET /polls/{id}` shows it.
    """
    poll = _poll(poll_id)
    user = api_user()
    _require(can_close_poll(user, poll))
    now = utcnow()
    try:
        close_poll(poll, actor=user, now=now)
    except PollClosed:
        _close_due_after_refusal(poll_id, now)
        raise
    poll = load_poll(poll_id)
    return {"outcome": poll_outcome(poll), "poll": poll_json(poll, user, now=now)}


@blp.route("/polls/<int:poll_id>/reopen", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(PollReopenSchema)
@blp.response(200, PollSchema)
@blp.alt_response(
    400,
    description="`closing_at` without a time zone, not in the future, or more than 366 days ahead.",
)
@blp.alt_response(403, description="Only the poll's author or a group admin reopens it.")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(
    409,
    description="Still open (`poll_open`), or not reopenable (`poll_not_reopenable`): an "
    "anonymous poll, or one whose closing changed an agreement.",
)
def reopen_poll_view(data, poll_id):
    """Reopen a closed poll until a new closing time. Its stances are kept."""
    poll = _poll(poll_id)
    user = api_user()
    _require(can_reopen_poll(user, poll))
    now = utcnow()
    reopen_poll(poll, closing_at=data["closing_at"], now=now, actor=user)
    return poll_json(load_poll(poll_id), user, now=now)


@blp.route("/polls/<int:poll_id>/remind", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(PollRemindSchema, required=False)
@blp.response(200, PollRemindedSchema)
@blp.alt_response(403, description="Only the poll's author or a group admin sends a reminder.")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=CLOSED)
def remind_poll_view(data, poll_id):
    """Remind the eligible voters who have no stance yet (not the caller), with an
    optional message sent as written. An in-app notification each; `reminded` counts them.

    In an anonymous poll too: the reminder reaches those who have not voted, and the
    caller learns how many, never who (nothing in the API names who has voted before an
    anonymous poll closes)."""
    poll = _poll(poll_id)
    user = api_user()
    _require(can_remind_poll(user, poll))
    now = utcnow()
    if poll.is_closed(now):
        closed_at = poll.closed_as_of(now)
        _close_due_after_refusal(poll_id, now)
        raise PollClosed(closed_at)
    reminded = remind_undecided_voters(poll, actor=user, message=data.get("message"), now=now)
    return {"reminded": reminded}


@blp.route("/polls/<int:poll_id>/statement", methods=["PUT"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(PollStatementInputSchema)
@blp.response(200, PollStatementSchema)
@blp.alt_response(400, description="`text` empty or too long, `review_on` not in the future.")
@blp.alt_response(403, description="Only the poll's author or a group admin writes it.")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="The poll is still open (`poll_open`).")
def put_statement(data, poll_id):
    """Write (or rewrite) the outcome statement of a closed poll, with an optional review
    date."""
    poll = _poll(poll_id)
    user = api_user()
    _require(can_write_statement(user, poll))
    now = utcnow()
    set_statement(poll, author=user, text=data["text"], review_on=data["review_on"], now=now)
    return statement_json(poll)


# -- export -----------------------------------------------------------------------------


@blp.route("/polls/<int:poll_id>/export.csv", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(PollExportQuerySchema, location="query")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/csv",
    description="CSV, the same file as the poll page's export in the same `format` (the "
    "page's default is `spreadsheet`, the API's `data`), named after the poll's title "
    "(`filename*`, with an ASCII `filename`), headers in "
    "the caller's language, four sections separated by a blank line: the poll (title, kind, "
    "status `open` or `closed`, closing time, closed at); the results (one row per option: "
    "key, name, count, % of points, the kind's extras - total and rank for score, ranked, "
    "dot and meeting, the average for score, yes, if need be and no for meeting - then the "
    "voters' names; then a row for the undecided); the participation (participants, "
    "eligible, participation %); the stances (voter id and name, choice in words, reason, "
    "time). Options are named as the pages name them: a proposal's in the caller's "
    "language, a meeting slot in the caller's language and time zone. Numbers and times "
    "as `format` says. An anonymous poll has no voters' "
    "names, ids nor times. A cell starting with = + - @, a tab or a carriage return is "
    "prefixed with ' so that spreadsheets do not run it.",
)
@blp.alt_response(400, description="`format` is not `data` or `spreadsheet`.")
@blp.alt_response(
    403,
    description="Only the poll's author and the group's admins export it (members read "
    "the results with `GET /polls/{id}`); the poll page refuses others the same way.",
)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(
    409,
    description="The results are hidden from the caller (`results_hidden`): "
    "`after_vote` before the caller's stance, `after_close` or an anonymous poll while "
    "open. Nothing is "
    "exported then, rather than a file with empty sections.",
)
def export_poll_csv(args, poll_id):
    """Export a poll's results and stances as CSV (an addition to DESIGN.md's API).

    The file the poll page exports too (`app/polls/export.py`), for the poll's author
    and the admins (403 for others), as the caller may see it: refused (409
    `results_hidden`) while the results are hidden (`results_visibility`, or an
    anonymous poll still open).
    """
    now = utcnow()
    poll = _poll(poll_id, now=now)
    _require(can_export_poll(api_user(), poll))
    body = export_csv(poll, api_user(), now, style_for(args["format"]))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": content_disposition(poll)},
    )
