"""Poll pages: start a poll in a thread, the poll's own page, vote, change, withdraw,
correct it (and see its versions), delete it before anyone voted, close, reopen, the
outcome statement, reminders and the CSV export.

Each view: load (404) → authorize (403) → validate → service → commit → flash → redirect.
A poll whose thread the reader may not read is 404. GET pages first close the
polls they show if their closing time has passed (``close_due_polls_before_read``: the one
write allowed on a read path, in its own short transaction).
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, get_timezone, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from .. import caching, fragments, hooks
from ..collation import sorted_by_name
from ..errors import Conflict, DomainError, ValidationFailed
from ..extensions import db
from ..groups.services import current_members
from ..i18n import select_timezone
from ..threads.permissions import can_read_thread
from ..threads.services import load_thread
from ..timeutil import utcnow
from ..views_errors import render_error_page
from ..web import me, require, show_domain_error
from . import bp, tally
from .cards import panels_for, poll_cards
from .display import card_view, prefill_from_form
from .export import FORMATS, content_disposition, export_csv, style_for
from .forms import (
    KIND_CHOICES,
    KIND_NAMES,
    MARKDOWN_HINT,
    PollEditForm,
    PollForm,
    RemindForm,
    ReopenForm,
    StanceForm,
    StatementForm,
    to_local,
    to_utc,
)
from .models import Poll
from .permissions import (
    can_close_poll,
    can_edit_poll,
    can_export_poll,
    can_raise_proposal_in,
    can_read_poll,
    can_remind_poll,
    can_reopen_poll,
    can_start_poll,
    can_write_statement,
)
from .services import (
    PollClosed,
    PollNotReopenable,
    PollOpen,
    cast_stance,
    close_due_polls_before_read,
    close_poll,
    create_poll,
    default_closing_at,
    delete_poll,
    describe_choice,
    edit_poll,
    has_stances,
    is_eligible,
    load_poll,
    load_poll_page,
    option_names,
    poll_outcome,
    poll_versions,
    remind_undecided_voters,
    reopen_poll,
    reopen_refusal,
    set_statement,
    stance_history,
    undecided_voters,
    withdraw_stance,
)


def _zone() -> str:
    return select_timezone()


def _readable_poll(poll_id: int, *, page: bool = False) -> Poll:
    """The poll, or 404 when it does not exist or the reader may not read its thread.
    ``page``: with its thread and circle (one query), its options loaded when used."""
    poll = load_poll_page(poll_id, me()) if page else load_poll(poll_id)
    if poll is None or not can_read_poll(me(), poll):
        abort(404)
    return poll


def _poll_closed_if_due(poll_id: int, now) -> Poll:
    """The poll after closing it if it is due (GET pages); 404 before any write
    for a reader who may not see it. Loaded once (with its thread and circle and their
    revisions), again only after a close."""
    poll = _readable_poll(poll_id, page=True)
    if poll.closed_at is None and poll.closing_at <= now:
        close_due_polls_before_read(poll_ids=[poll_id], now=now)
        poll = _readable_poll(poll_id, page=True)
    return poll


def _poll_url(poll: Poll) -> str:
    return url_for("polls.show", poll_id=poll.id)


def _back_url(poll: Poll, anchor: str | None = None) -> str:
    """Where a vote returns: the card in the thread, or the poll's page (at ``anchor``,
    else the card)."""
    if request.values.get("from") == "thread":
        return url_for(
            "threads.show", thread_id=poll.thread_id, _anchor=anchor or f"poll-{poll.id}"
        )
    return url_for("polls.show", poll_id=poll.id, _anchor=anchor)


def _confirm_in_place(poll: Poll, message: str) -> Response:
    """Say it where the person lands: in the poll's card (``polls/_card.html`` shows the
    message flashed for it, focused), the page scrolled to it, on the poll's page or in
    the thread. A flash at the top of a long thread would be out of sight."""
    flash(message, f"in-place-poll-{poll.id}")
    return redirect(_back_url(poll, anchor=f"p{poll.id}-confirmation"))


def _describe_option_error(name: str, text: str) -> str:
    """ "Option 2: ..." for an error about one line of the options."""
    index = name.split(".", 1)[1] if name.startswith("options.") else ""
    if index.isascii() and index.isdigit():
        return _("Option %(n)s: %(message)s", n=int(index) + 1, message=text)
    return text


def _form_errors(form, error: DomainError) -> None:
    show_domain_error(form, error, describe=_describe_option_error)


# -- a refused action -------------------------------------------------------------------

#: the title of the page that says why an action on a poll was refused (409), by code
REFUSAL_TITLES = {
    "poll_closed": _l("This poll is closed"),
    "poll_open": _l("This poll is still open"),
    "poll_not_reopenable": _l("This poll cannot be reopened"),
    "results_hidden": _l("The results are not visible to you yet"),
}
#: what the person can still do, by code
REFUSAL_HINTS = {
    "poll_closed": _l(
        "It takes no more stances and cannot be closed again. Its results and "
        "its outcome are on its page."
    ),
    "poll_open": _l("This can be done once it has closed."),
    "results_hidden": _l("They can be exported once you may see them: the poll's page says when."),
}


@bp.errorhandler(Conflict)
def refused(error: Conflict):
    """An action on a poll that its state refuses (409: closed, still open, not
    reopenable, results hidden): what happened in plain words, what remains possible,
    and the way back to where the person was, instead of the generic conflict page."""
    poll_id = (request.view_args or {}).get("poll_id")
    poll = load_poll(poll_id) if poll_id is not None else None
    if poll is None or not can_read_poll(me(), poll):
        return render_error_page(error.status, error.message, fields=error.fields)
    return render_template(
        "polls/refused.html",
        poll=poll,
        thread=poll.thread,
        group=poll.group,
        title=REFUSAL_TITLES.get(error.code, _("This cannot be done now")),
        message=error.message,
        hint=REFUSAL_HINTS.get(error.code),
        back_url=_back_url(poll),
        from_thread=request.values.get("from") == "thread",
    ), error.status


# -- starting a poll ------------------------------------------------------------------


@bp.route("/t/<int:thread_id>/polls/new", methods=["GET", "POST"])
@login_required
def new(thread_id: int):
    """Choose a kind, then set the poll up: closing time in the reader's zone, options,
    anonymity, results visibility, reasons, voters."""
    reader = me()
    thread = load_thread(thread_id)
    if thread is None or not can_read_thread(reader, thread):
        abort(404)
    require(can_start_poll(reader, thread))
    kind = request.args.get("kind", "")
    if kind not in tally.KINDS:
        kinds = [
            (key, name, help_text)
            for key, name, help_text in KIND_CHOICES
            if key != "proposal" or can_raise_proposal_in(reader, thread)
        ]
        return render_template(
            "polls/choose_kind.html", thread=thread, group=thread.group, kinds=kinds
        )
    require(can_start_poll(reader, thread, kind))
    zone = _zone()
    now = utcnow()
    members = [
        (m.user_id, m.user.name)
        for m in sorted_by_name(current_members(thread.group), lambda m: m.user.name)
    ]
    form = PollForm(kind=kind, members=members, zone=zone)
    if not form.is_submitted():
        form.closing_at.data = to_local(default_closing_at(kind, now), zone)
    # What the features above add for this kind (a proposal's agreement change).
    change = hooks.poll_form_addition.first(thread.group, kind=kind, now=now)
    status = 200
    # A feature's form may only ask to be drawn again (a proposal's change of choice).
    redraw = change is not None and getattr(change, "rechoosing", False)
    # "More time slots" (a meeting, without JavaScript): drawn again with more inputs.
    redraw = redraw or (form.is_submitted() and "more_slots" in request.form)
    if form.is_submitted() and not redraw:
        valid = form.validate_on_submit()
        if change is not None and change.form is not None:
            valid = change.form.validate() and valid
        if valid:
            try:
                make = change.make if change is not None else create_poll
                poll = make(thread, author=reader, now=now, **form.service_arguments())
            except DomainError as error:
                db.session.rollback()
                if change is None or change.form is None or not change.form.show_errors(error):
                    _form_errors(form, error)
                status = error.status
            else:
                if poll.kind == "proposal":
                    flash(_("The proposal is open: members can give their stance."), "success")
                else:
                    flash(_("The poll is open."), "success")
                return redirect(_poll_url(poll))
        else:
            status = 400
    return render_template(
        "polls/new.html",
        thread=thread,
        group=thread.group,
        form=form,
        kind=kind,
        kind_name=KIND_NAMES[kind],
        zone=zone,
        hint=MARKDOWN_HINT,
        change=change,
        action_url=url_for("polls.new", thread_id=thread.id, **request.args),
    ), status


# -- the poll's page --------------------------------------------------------------------


def _render_poll(poll: Poll, now, *, errors=None, values=None, reason=None, status=200):
    """The poll's page. Its card is rendered once per revision of the thread and circle
    and per reader (``app/fragments.py``), unless it shows this request's own: a form's
    errors and values, or a message flashed for it."""
    reader = me()
    key = (
        poll.id,
        poll.thread.revision,  # read with the poll, before what the card shows
        poll.group.revision,
        reader.id,
        str(get_locale()),
        str(get_timezone()),
    )

    def card() -> dict:
        with fragments.fragment_mode():  # the view too: its times are placeholders
            view = card_view(
                poll_cards([poll], reader, now)[0],
                now,
                errors=errors,
                values=values,
                reason=reason,
                outcome=poll_outcome(poll),
                proposal=panels_for([poll], now).get(poll.id),
            )
            html = render_template("polls/_show_card.html", view=view)
        return {
            "html": html,
            "versions": len(poll_versions(poll)),
            # the card changes by itself when the poll falls due, or when another
            # open proposal its warning names does (``ProposalPanel.others_until``)
            "until": min(
                (
                    moment
                    for moment in (
                        None if poll.is_closed(now) else poll.closing_at,
                        getattr(view.proposal, "others_until", None),
                    )
                    if moment is not None
                ),
                default=None,
            ),
        }

    rendered = []

    def fresh() -> dict:
        rendered.append(True)
        return card()

    if errors or values or reason or session.get("_flashes"):
        shown = fresh()
    else:
        shown = fragments.cache().get_or_render("poll-page", key, fresh)
        if shown["until"] is not None and now >= shown["until"]:  # due since: as it is now
            shown = fresh()
        if request.method == "GET" and not rendered:
            unchanged = caching.not_modified(caching.personal_etag("poll", *key))
            if unchanged is not None:
                return unchanged

    def page(card_html) -> str:
        return render_template(
            "polls/show.html",
            poll=poll,
            thread=poll.thread,
            group=poll.group,
            card_html=card_html,
            card_has_errors=bool(errors),
            zone=_zone(),
            now=now,
            versions_count=shown["versions"],
        )

    if rendered or errors or values or reason:
        return page(fragments.compose(shown["html"])), status

    def kept_page() -> str:
        # the page around the card, as the card: once per revision, reader and language
        with fragments.fragment_mode():
            html = page(_CARD)
        return fragments.without_form_tokens(html)

    html = fragments.cache().get_or_render("poll-page-around", (*key, shown["versions"]), kept_page)
    return fragments.compose(html, timeline=[shown["html"]], whole_page=True), status


#: where the card goes in the poll's page (``fragments.compose``'s ``timeline``)
_CARD = fragments.mark("T")


@bp.get("/p/<int:poll_id>")
@login_required
def show(poll_id: int):
    """A poll on its own page: the card with the vote form, results and actions."""
    now = utcnow()
    return _render_poll(_poll_closed_if_due(poll_id, now), now)


@bp.post("/p/<int:poll_id>/stance")
@login_required
def vote(poll_id: int):
    """Take or change one's stance (the previous one stays in the history)."""
    now = utcnow()
    poll = _readable_poll(poll_id)
    reader = me()
    require(is_eligible(poll, reader.id))
    if poll.is_closed(now):
        raise PollClosed(poll.closed_as_of(now))
    form = StanceForm()
    errors: dict = {}
    choice: dict = {}
    if not form.validate_on_submit():
        errors.update({name: " ".join(map(str, msgs)) for name, msgs in form.errors.items()})
    else:
        choice, errors = form.choice_for(poll, request.form)
    if not errors:
        try:
            cast_stance(poll, reader, choice=choice, reason=form.reason.data or "", now=now)
        except ValidationFailed as error:
            db.session.rollback()
            errors = {name: str(message) for name, message in error.fields.items()}
            errors = errors or {"form": str(error.message)}
    if errors:
        return _render_poll(
            _readable_poll(poll_id),
            now,
            errors=errors,
            values=prefill_from_form(poll, request.form),
            reason=form.reason.data or "",
            status=400,
        )
    return _confirm_in_place(poll, _("Your stance is recorded."))


@bp.post("/p/<int:poll_id>/stance/withdraw")
@login_required
def withdraw(poll_id: int):
    """Withdraw one's stance: undecided again (the stance stays in the history)."""
    now = utcnow()
    poll = _readable_poll(poll_id)
    reader = me()
    require(is_eligible(poll, reader.id))
    withdrawn = withdraw_stance(poll, reader, now=now)
    if withdrawn is not None:
        return _confirm_in_place(poll, _("Your stance is withdrawn: you are undecided again."))
    return redirect(_back_url(poll))


@bp.get("/p/<int:poll_id>/history")
@login_required
def history(poll_id: int):
    """My stances in this poll, newest first."""
    now = utcnow()
    poll = _poll_closed_if_due(poll_id, now)
    names = option_names(poll)
    stances = [
        {
            "choice": describe_choice(poll, s.choice, names),
            "reason": s.reason,
            "at": s.created_at,
            "current": s.is_current,
            "withdrawn_at": s.withdrawn_at,
        }
        for s in stance_history(poll, me().id)
    ]
    return render_template(
        "polls/history.html", poll=poll, thread=poll.thread, group=poll.group, stances=stances
    )


# -- correcting, deleting -------------------------------------------------------------


def _open_poll_for_change(poll_id: int, now) -> Poll:
    """The poll its reader may correct: 404, 403, and 409 once closed."""
    poll = _poll_closed_if_due(poll_id, now) if request.method == "GET" else _readable_poll(poll_id)
    require(can_edit_poll(me(), poll))
    if poll.is_closed(now):
        raise PollClosed(poll.closed_as_of(now))
    return poll


@bp.route("/p/<int:poll_id>/edit", methods=["GET", "POST"])
@login_required
def edit(poll_id: int):
    """Correct an open poll: title, details, closing time; a proposal's agreement change
    only while nobody has voted. Every edit is kept; voters are told what changed."""
    now = utcnow()
    poll = _open_poll_for_change(poll_id, now)
    zone = _zone()
    voted = has_stances(poll)
    form = PollEditForm(
        data={
            "title": poll.title,
            "details": poll.details,
            "closing_at": to_local(poll.closing_at, zone),
        }
    )
    change = hooks.poll_edit_form_addition.first(poll, voted=voted, now=now)
    status = 200
    if form.is_submitted():
        valid = form.validate_on_submit()
        if change is not None and change.form is not None:
            valid = change.form.validate() and valid
        if valid:
            try:
                version = edit_poll(
                    poll,
                    actor=me(),
                    now=now,
                    extras=change.extras() if change is not None else {},
                    title=form.title.data,
                    details=form.details.data or "",
                    closing_at=to_utc(form.closing_at.data, zone),
                )
            except DomainError as error:
                db.session.rollback()
                if change is None or change.form is None or not change.form.show_errors(error):
                    _form_errors(form, error)
                status = error.status
            else:
                if version is None:
                    flash(_("Nothing changed."), "info")
                else:
                    flash(_("The correction is saved."), "success")
                return redirect(_poll_url(poll))
        else:
            status = 400
    return render_template(
        "polls/edit.html",
        poll=poll,
        thread=poll.thread,
        group=poll.group,
        form=form,
        change=change,
        voted=voted,
        zone=zone,
        hint=MARKDOWN_HINT,
    ), status


@bp.route("/p/<int:poll_id>/delete", methods=["GET", "POST"])
@login_required
def delete(poll_id: int):
    """Ask, then delete an open poll nobody has voted on."""
    now = utcnow()
    poll = _open_poll_for_change(poll_id, now)
    if request.method == "POST":
        thread_id = poll.thread_id
        delete_poll(poll, actor=me(), now=now)
        flash(_("The poll is deleted."), "success")
        return redirect(url_for("threads.show", thread_id=thread_id))
    return render_template(
        "polls/delete.html",
        poll=poll,
        thread=poll.thread,
        group=poll.group,
        voted=has_stances(poll),
    )


@bp.get("/p/<int:poll_id>/versions")
@login_required
def versions(poll_id: int):
    """Every version of the poll's wording, newest first."""
    now = utcnow()
    poll = _poll_closed_if_due(poll_id, now)
    return render_template(
        "polls/versions.html",
        poll=poll,
        thread=poll.thread,
        group=poll.group,
        versions=list(reversed(poll_versions(poll))),
    )


# -- closing, reopening, the statement, reminders ----------------------------------------


@bp.route("/p/<int:poll_id>/close", methods=["GET", "POST"])
@login_required
def close(poll_id: int):
    """Ask, then close the poll before its closing time (its author or an admin)."""
    now = utcnow()
    poll = _poll_closed_if_due(poll_id, now) if request.method == "GET" else _readable_poll(poll_id)
    require(can_close_poll(me(), poll))
    if poll.is_closed(now):
        raise PollClosed(poll.closed_as_of(now))
    if request.method == "POST":
        close_poll(poll, actor=me(), now=now)
        flash(_("The poll is closed."), "success")
        return redirect(_poll_url(poll))
    return render_template("polls/close.html", poll=poll, thread=poll.thread, group=poll.group)


@bp.route("/p/<int:poll_id>/reopen", methods=["GET", "POST"])
@login_required
def reopen(poll_id: int):
    """Open a closed poll again until a new closing time (not an anonymous poll)."""
    now = utcnow()
    poll = _poll_closed_if_due(poll_id, now) if request.method == "GET" else _readable_poll(poll_id)
    require(can_reopen_poll(me(), poll))
    refusal = reopen_refusal(poll, now)
    if refusal is not None:  # said before the form is filled in, not after
        raise (PollOpen if poll.is_open(now) else PollNotReopenable)(refusal)
    zone = _zone()
    form = ReopenForm()
    if not form.is_submitted():
        form.closing_at.data = to_local(default_closing_at(poll.kind, now), zone)
    if form.validate_on_submit():
        try:
            reopen_poll(poll, closing_at=to_utc(form.closing_at.data, zone), now=now, actor=me())
        except ValidationFailed as error:
            db.session.rollback()
            _form_errors(form, error)
        else:
            flash(_("The poll is open again."), "success")
            return redirect(_poll_url(poll))
    status = 400 if form.errors else 200
    return render_template(
        "polls/reopen.html", poll=poll, thread=poll.thread, group=poll.group, form=form, zone=zone
    ), status


@bp.route("/p/<int:poll_id>/statement", methods=["GET", "POST"])
@login_required
def statement(poll_id: int):
    """The outcome statement after closing, with an optional review date."""
    now = utcnow()
    poll = _poll_closed_if_due(poll_id, now) if request.method == "GET" else _readable_poll(poll_id)
    require(can_write_statement(me(), poll))
    form = StatementForm(data={"text": poll.statement or "", "review_on": poll.statement_review_on})
    if form.validate_on_submit():
        try:
            set_statement(
                poll, author=me(), text=form.text.data, review_on=form.review_date(), now=now
            )
        except ValidationFailed as error:
            db.session.rollback()
            _form_errors(form, error)
        else:
            flash(_("The outcome statement is saved."), "success")
            return redirect(_poll_url(poll))
    status = 400 if form.errors else 200
    return render_template(
        "polls/statement.html",
        poll=poll,
        thread=poll.thread,
        group=poll.group,
        form=form,
        hint=MARKDOWN_HINT,
    ), status


@bp.route("/p/<int:poll_id>/remind", methods=["GET", "POST"])
@login_required
def remind(poll_id: int):
    """Remind those who have not voted, with a message (its author or an admin)."""
    now = utcnow()
    poll = _poll_closed_if_due(poll_id, now) if request.method == "GET" else _readable_poll(poll_id)
    require(can_remind_poll(me(), poll))
    if poll.is_closed(now):
        raise PollClosed(poll.closed_as_of(now))
    form = RemindForm()
    if form.validate_on_submit():
        count = remind_undecided_voters(poll, actor=me(), message=form.message.data, now=now)
        flash(
            ngettext(
                "Reminder sent to %(num)s person who has not voted.",
                "Reminder sent to %(num)s people who have not voted.",
                count,
            ),
            "success",
        )
        return redirect(_poll_url(poll))
    # Whom the reminder reaches: not the sender, even when they have not voted.
    waiting = [person for person in undecided_voters(poll) if person.id != me().id]
    status = 400 if form.errors else 200
    return render_template(
        "polls/remind.html",
        poll=poll,
        thread=poll.thread,
        group=poll.group,
        form=form,
        waiting=waiting,
    ), status


# -- export ----------------------------------------------------------------------------


@bp.get("/p/<int:poll_id>/export.csv")
@login_required
def export(poll_id: int):
    """Results and stances as CSV (``export.py``: the API's file too), for the poll's
    author and the admins (403 for others), as they may see them: 409 while the results
    are hidden, no voter in an anonymous poll. ``?format=spreadsheet`` (the default: for
    Excel or LibreOffice in the reader's language and zone) or ``data``."""
    now = utcnow()
    poll = _poll_closed_if_due(poll_id, now)
    require(can_export_poll(me(), poll))
    format_name = request.args.get("format", "spreadsheet")
    if format_name not in FORMATS:
        raise ValidationFailed(
            fields={"format": _("Choose one of: %(choices)s.", choices=", ".join(FORMATS))}
        )
    body = export_csv(poll, me(), now, style_for(format_name))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": content_disposition(poll)},
    )
