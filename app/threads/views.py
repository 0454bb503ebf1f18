"""Thread pages: start, read (timeline), comment, react, edit, close, pin, history.

Each view: load (404) → authorize (403) → validate → service → commit → flash → redirect.
A thread that the reader may not read is 404, whatever the reason (secret or closed group).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from markupsafe import Markup, escape

from .. import caching, fragments, hooks
from ..errors import DomainError
from ..extensions import db
from ..groups.models import Group
from ..groups.permissions import can_see_group, can_start_thread, membership_of
from ..textdiff import diff_lines
from ..timeutil import utcnow
from ..web import me, require, show_domain_error
from . import bp
from .forms import MARKDOWN_HINT, CommentEditForm, CommentForm, ThreadForm
from .models import REACTIONS, Comment, Thread
from .permissions import (
    can_close_thread,
    can_comment,
    can_delete_comment,
    can_edit_comment,
    can_edit_thread,
    can_pin_thread,
    can_react,
    can_read_thread,
    can_take_part,
)
from .services import (
    CommentDeleted,
    ReaderRow,
    add_comment,
    add_reaction,
    comment_versions,
    delete_comment,
    edit_comment,
    edit_thread,
    last_seen,
    load_comment,
    load_thread,
    load_thread_for_reader,
    mark_seen,
    my_reactions,
    reaction_summary,
    remove_reaction,
    set_closed,
    set_pinned,
    start_thread,
    thread_comments,
    thread_reactions,
    thread_versions,
    timeline,
)


def _body_diff(previous, version) -> list[tuple[str, str]]:
    """What changed in the text from ``previous`` (None: the first version, no diff),
    two lines of context (``textdiff.diff_lines``)."""
    if previous is None:
        return []
    return diff_lines(
        (previous.body or "").splitlines(), (version.body or "").splitlines(), context=2
    )


def _readable_thread(thread_id: int) -> Thread:
    """The thread, or 404 when it does not exist or the reader may not read it."""
    thread = load_thread(thread_id)
    if thread is None or not can_read_thread(me(), thread):
        abort(404)
    return thread


def _readable_comment(comment_id: int) -> tuple[Comment, Thread]:
    """A comment and its thread, or 404 as for the thread."""
    comment = load_comment(comment_id)
    if comment is None:
        abort(404)
    return comment, _readable_thread(comment.thread_id)


def _thread_url(thread: Thread, comment_id: int | None = None) -> str:
    anchor = f"comment-{comment_id}" if comment_id else None
    return url_for("threads.show", thread_id=thread.id, _anchor=anchor)


# -- start a thread -------------------------------------------------------------


@bp.route("/g/<handle>/threads/new", methods=["GET", "POST"])
@login_required
def new_thread(handle: str):
    """Start a thread in a group: a title and a context."""
    group = db.session.scalar(sa.select(Group).where(Group.handle == handle.lower()))
    if group is None or not can_see_group(me(), group):
        abort(404)
    require(can_start_thread(me(), group))
    form = ThreadForm()
    if form.validate_on_submit():
        try:
            thread = start_thread(
                group, author=me(), title=form.title.data, body=form.body.data, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            mark_seen(thread, me(), now=thread.created_at)
            flash(_("The thread is started."), "success")
            return redirect(_thread_url(thread))
    status = 400 if form.errors else 200
    return render_template("threads/new.html", group=group, form=form, hint=MARKDOWN_HINT), status


# -- the thread page ------------------------------------------------------------


@bp.app_template_global()
def mention_attrs(group) -> dict[str, str]:
    """The attributes that give a writing field the ``@`` suggestions of the group's
    members (``static/mentions.js``); without JavaScript, names typed by hand work."""
    return {
        "data-mentions": url_for("groups.mention_suggestions", handle=group.handle),
        "data-mentions-label": _("People to mention"),
        "data-mentions-status": _(
            "Suggestions: %(count)s. Up and down arrows to choose, Enter to insert, "
            "Escape to close.",
            count="{n}",
        ),
    }


class _Thread:
    """What the thread page reads of its thread before anything else: the key of its
    fragments (the revisions are read with the thread, in the same statement)."""

    def __init__(self, thread: Thread):
        self.id = thread.id
        self.revision = thread.revision
        self.group_revision = thread.group.revision


def _url_pattern(endpoint: str, **values) -> str:
    """``url_for`` built once, with ``{}`` where the id goes (``.format(id)``)."""
    sentinel = 987654321
    name = next(iter(values))
    return url_for(endpoint, **{name: sentinel}).replace(str(sentinel), "{}")


def _shared_comments(thread: Thread, may_react: bool, may_comment: bool, mine: set) -> dict:
    """The comments as every reader sees them (placeholders where readers differ):
    one chunk of HTML per top comment with its replies, and what composing needs.
    ``mine`` receives the reader's reactions (read in the same query as the counts)."""
    comments = thread_comments(thread)
    entries = timeline(comments)
    reactions = thread_reactions(thread.id, me())
    for comment_id, items in reactions.items():
        mine.update(f"{comment_id}|{item['emoji']}" for item in items if item["mine"])
    with fragments.fragment_mode():
        html = render_template(
            "threads/_comments.html",
            entries=entries,
            thread=thread,
            group=thread.group,
            reactions=reactions,
            may_react=may_react,
            may_comment=may_comment,
            chunk=fragments.CHUNK_MARKUP,
            person_url=_url_pattern("groups.person", handle="x"),
            versions_url=_url_pattern("threads.comment_versions", comment_id=0),
            react_url=_url_pattern("threads.react", comment_id=0),
            reply_url=_url_pattern("threads.reply", comment_id=0),
            edited_html=Markup('{}<span class="visually-hidden"> ({})</span>').format(  # noqa: S704
                _("edited"), _("see the versions")
            ),
            reactions_label=_("Reactions"),
            react_label=_("React"),
            reaction_count=len(REACTIONS),
        )
    chunks = html.split(fragments.CHUNK)[: len(entries)]
    order = [c for entry in entries for c in (entry.comment, *entry.replies)]
    return {
        "chunks": [(entry.at, chunk) for entry, chunk in zip(entries, chunks, strict=True)],
        # (id, author, created, deleted) in the order of the page
        "comments": [(c.id, c.author_id, c.created_at, c.is_deleted) for c in order],
        "count": sum(1 for c in comments if not c.is_deleted),
    }


def _poll_events(thread: Thread, reader, now, close_due: bool) -> dict:
    """The other features' timeline entries (polls) as this reader sees them: chunks of
    HTML with their times, the votes awaiting the reader, and until when it holds (the
    next closing time of an open poll: a due poll is closed on reading)."""
    with fragments.fragment_mode():  # the entries too: their times are placeholders
        events = [
            event
            for answer in hooks.thread_timeline.answers(
                thread, viewer=reader, now=now, close_due=close_due
            )
            for event in answer
        ]
        html = render_template(
            "threads/_poll_events.html", events=events, chunk=fragments.CHUNK_MARKUP
        )
    chunks = html.split(fragments.CHUNK)[: len(events)]
    awaiting, until = [], None
    for _at, kind, item in events:
        if kind != "poll":
            continue
        card = item.card
        if card.may_vote and not card.visible.my_stance:
            awaiting.append((item.poll.id, item.poll.title))
        # the card changes by itself when its poll falls due, or when another open
        # proposal its warning names does (``ProposalPanel.others_until``)
        for moment in (
            item.poll.closing_at if item.poll.closed_at is None else None,
            getattr(item.proposal, "others_until", None),
        ):
            if moment is not None and moment > now:
                until = min(until or moment, moment)
    return {
        "chunks": [(at, chunk) for (at, _kind, _item), chunk in zip(events, chunks, strict=True)],
        "awaiting": awaiting,
        "until": until,
    }


#: a reaction's button, taken back (mine) or added (the emoji is escaped already)
_REACTION_BUTTON = {
    True: 'name="remove" value="{}" class="outline secondary" aria-pressed="true"',
    False: 'name="add" value="{}" class="outline secondary" aria-pressed="false"',
}


_ACTIONS = '<p class="actions comment-actions">{}</p>'


def _comment_handlers(
    shared: dict, reader, thread: Thread, seen_at, mine: set[str]
) -> tuple[dict, list, int]:
    """The reader's part of the comments: placeholders' values, new ids, the first new."""
    membership = membership_of(reader, thread.group)
    member = membership is not None
    admin = member and membership.role == "admin"
    own = reader.id
    comments = shared["comments"]
    new_ids: list[int] = []
    if seen_at is not None:
        new_ids = [
            comment_id
            for comment_id, author_id, created_at, deleted in comments
            if created_at > seen_at and author_id != own and not deleted
        ]
    actions: dict[str, str] = {}
    if member:  # the links, each made with one format
        edit_url = _url_pattern("threads.edit_comment", comment_id=0)
        delete_url = _url_pattern("threads.delete_comment", comment_id=0)
        edit, delete = escape(_("Edit")), escape(_("Delete"))
        for comment_id, author_id, _created_at, deleted in comments:
            if deleted:
                continue
            if author_id == own:
                actions[str(comment_id)] = (
                    f'<a href="{edit_url.format(comment_id)}">{edit}</a>'
                    f'<a href="{delete_url.format(comment_id)}">{delete}</a>'
                )
            elif admin:
                actions[str(comment_id)] = f'<a href="{delete_url.format(comment_id)}">{delete}</a>'
    new = {str(i) for i in new_ids}
    # a space after it: the comment's header is written without one (the page is light)
    badge = f'<span class="badge badge-new">{escape(_("new"))}</span> '
    handlers = {
        "N": lambda arg: " is-new" if arg in new else "",
        "B": lambda arg: badge if arg in new else "",
        # the links alone after «React» (a), or in their own paragraph (A)
        "a": lambda arg: actions.get(arg, ""),
        "A": lambda arg: _ACTIONS.format(actions[arg]) if arg in actions else "",
        "X": lambda arg: _REACTION_BUTTON[arg in mine].format(arg.partition("|")[2]),
    }
    return handlers, new_ids, (new_ids[0] if new_ids else None)


def _render_thread(
    thread: Thread,
    *,
    comment_form: CommentForm | None = None,
    status: int = 200,
    reader_row: ReaderRow | None = None,
):
    """The timeline: the comments rendered once per revision of the thread and its
    circle and shared by every reader, the polls once per revision and reader, then
    composed for this reader (``app/fragments.py``). A fixed number of queries whatever
    the number of comments."""
    reader = me()
    now = utcnow()
    key = _Thread(thread)  # read before anything the fragments show
    locale, zone = str(get_locale()), str(get_timezone())
    may_react = can_react(reader, thread)
    may_comment = can_comment(reader, thread)
    cache = fragments.cache()
    close_due = request.method == "GET"

    rendered_polls = []

    def polls() -> dict:
        rendered_polls.append(True)
        return _poll_events(thread, reader, now, close_due)

    poll_key = (key.id, key.revision, key.group_revision, reader.id, locale, zone)
    # The cards may show a message flashed for them; and a form sent back (a POST)
    # renders them without closing due polls, which the next reading does: neither
    # is what others get.
    if session.get("_flashes") or not close_due:
        events = polls()
    else:
        events = cache.get_or_render("thread-polls", poll_key, polls)
        if events["until"] is not None and now >= events["until"]:  # a poll is due
            events = polls()
    # the read mark, read with the thread (``show``) or now
    seen_at = (
        reader_row.seen_at if reader_row is not None else last_seen([key.id], reader).get(key.id)
    )
    sections = hooks.thread_page_sections.answers(thread, viewer=reader, now=now)
    # A validator only when this request wrote nothing the page shows (a poll closed on
    # reading) and the page shows nothing of its own (a form with errors).
    if close_due and comment_form is None and not rendered_polls:
        etag = None
        if all(section.state is not None for section in sections):
            etag = caching.personal_etag(
                "thread",
                key.id,
                key.revision,
                key.group_revision,
                seen_at,
                [section.state for section in sections],
            )
        unchanged = caching.not_modified(etag)
        if unchanged is not None:
            return unchanged
    mine: set[str] = set()
    rendered = []

    def comments() -> dict:
        rendered.append(True)
        return _shared_comments(thread, may_react, may_comment, mine)

    shared = cache.get_or_render(
        "thread-comments",
        (key.id, key.revision, key.group_revision, locale, zone, may_react, may_comment),
        comments,
    )
    if not rendered:
        mine = reader_row.mine if reader_row is not None else my_reactions(key.id, reader)
    # "New" needs a previous visit: on a first visit, everything is new and markers add nothing.
    handlers, new_ids, first_new = _comment_handlers(shared, reader, thread, seen_at, mine)
    merged = sorted(
        [(at, False, html) for at, html in shared["chunks"]]
        + [(at, True, html) for at, html in events["chunks"]],
        key=lambda item: (item[0], item[1]),
    )
    # The page around the timeline: the same for every reader with the same rights,
    # marks and sections (kept under all of them); the reader's name, unread count and
    # CSRF token are placeholders.
    can = current_app.jinja_env.globals["can"]
    rights = tuple(bool(can[name](reader, thread)) for name in _PAGE_RIGHTS)

    def page() -> str:
        form = comment_form or CommentForm(formdata=None)  # only when rendered
        with fragments.fragment_mode():
            html = render_template(
                "threads/show.html",
                thread=thread,
                group=thread.group,
                timeline_html=_TIMELINE if merged else "",
                awaiting=events["awaiting"],
                comments_count=shared["count"],
                has_polls=bool(events["chunks"]),
                new_ids=new_ids,
                first_new=first_new,
                comment_form=form,
                hint=MARKDOWN_HINT,
                reaction_choices=REACTIONS,
                sections=sections,
            )
        return fragments.without_form_tokens(html)

    states = [section.state for section in sections]
    if comment_form is not None or session.get("_flashes") or None in states:
        html = page()  # what this request shows of its own (a form's errors, a message)
    else:
        page_key = (
            key.id,
            key.revision,
            key.group_revision,
            locale,
            zone,
            rights,
            bool(merged),
            bool(events["chunks"]),
            tuple(events["awaiting"]),
            len(new_ids),
            first_new,
            tuple((section.template, section.state) for section in sections),
        )
        html = cache.get_or_render("thread-page", page_key, page)
    timeline = [html for _at, _e, html in merged]
    # the body in UTF-8: the kept fragments' text is encoded once per process
    body = fragments.compose(html, handlers, timeline=timeline, whole_page=True, encoded=True)
    return body, status


#: the rights that change the thread page around its timeline (``can.<name>``)
_PAGE_RIGHTS = (
    "comment",
    "react",
    "edit_thread",
    "close_thread",
    "pin_thread",
    "start_poll",
    "raise_proposal_in",
)
#: where the timeline goes in the page
_TIMELINE = fragments.mark("T")


@bp.get("/t/<int:thread_id>")
@login_required
def show(thread_id: int):
    """A thread as a timeline: context, comments with their replies, reactions, new marks."""
    thread, reader_row = load_thread_for_reader(thread_id, me())
    if thread is None or not can_read_thread(me(), thread):
        abort(404)
    return _render_thread(thread, reader_row=reader_row)


@bp.post("/t/<int:thread_id>/seen", endpoint="mark_seen")
@login_required
def mark_seen_view(thread_id: int):
    """Mark the thread as read (static/app.js posts here; the page has a button without JS)."""
    thread = _readable_thread(thread_id)
    mark_seen(thread, me(), now=utcnow())
    if request.form.get("redirect"):
        flash(_("The thread is marked as read."), "success")
        return redirect(_thread_url(thread))
    return "", 204


@bp.post("/t/<int:thread_id>/comments")
@login_required
def comment(thread_id: int):
    """Write a comment, or a reply (``parent_id``); it also marks the thread as read."""
    thread = _readable_thread(thread_id)
    require(can_take_part(me(), thread))
    form = CommentForm()
    if not form.validate_on_submit():
        parent = _replied(thread, form)
        if parent is not None:  # sent back on the reply's own page, text kept
            return _reply_page(parent, thread, form, status=400)
        return _render_thread(thread, comment_form=form, status=400)
    try:
        new = add_comment(
            thread, author=me(), body=form.body.data, parent_id=form.parent, now=utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        if error.status != 400:
            raise
        show_domain_error(form, error)
        parent = _replied(thread, form)
        if parent is not None:
            return _reply_page(parent, thread, form, status=400)
        return _render_thread(thread, comment_form=form, status=400)
    mark_seen(thread, me(), now=new.created_at)
    flash(_("Your comment is posted."), "success")
    return redirect(_thread_url(thread, new.id))


def _replied(thread: Thread, form: CommentForm) -> Comment | None:
    """The comment a reply sent back answers, if it names one of this thread's and the
    reply page could be shown (not once the thread is closed: that page is a 403)."""
    parent_id = form.parent
    if parent_id is None or not can_comment(me(), thread):
        return None
    parent = db.session.get(Comment, parent_id)
    return parent if parent is not None and parent.thread_id == thread.id else None


def _comment_page(name: str, comment: Comment, thread: Thread, **context) -> str:
    """One of the pages about a comment (``threads/comment_<name>.html``): the comment,
    its thread and circle, and ``context``."""
    return render_template(
        f"threads/comment_{name}.html",
        comment=comment,
        thread=thread,
        group=thread.group,
        **context,
    )


def _reply_page(comment: Comment, thread: Thread, form: CommentForm, status: int = 200):
    """The page to reply to ``comment`` (to its thread's top comment, for a reply)."""
    form.parent_id.data = str(comment.parent_id or comment.id)
    form.body.label.text = _("Your reply")
    return _comment_page("reply", comment, thread, form=form, hint=MARKDOWN_HINT), status


@bp.get("/comments/<int:comment_id>/reply", endpoint="reply")
@login_required
def reply_page(comment_id: int):
    """A reply's own page: where «Reply» leads without JavaScript (with it, the thread
    page opens its reply form in place). Sent to the thread's comments."""
    comment, thread = _readable_comment(comment_id)
    require(can_comment(me(), thread))
    return _reply_page(comment, thread, CommentForm(formdata=None))


@bp.get("/comments/<int:comment_id>/reactions", endpoint="reactions")
@login_required
def reactions_page(comment_id: int):
    """The reactions to a comment, to add or take back one's own: where «React» leads
    without JavaScript (with it, the thread page opens its picker in place)."""
    comment, thread = _readable_comment(comment_id)
    if comment.is_deleted:
        raise CommentDeleted()
    require(can_react(me(), thread))
    given = {r["emoji"]: r for r in reaction_summary([comment.id], me()).get(comment.id, [])}
    choices = [
        (emoji, given.get(emoji, {}).get("count", 0), given.get(emoji, {}).get("mine", False))
        for emoji in REACTIONS
    ]
    return _comment_page("react", comment, thread, choices=choices)


# -- edit, close, pin -----------------------------------------------------------


@bp.route("/t/<int:thread_id>/edit", methods=["GET", "POST"], endpoint="edit_thread")
@login_required
def edit(thread_id: int):
    """Change the title and context; the previous versions stay readable."""
    thread = _readable_thread(thread_id)
    require(can_edit_thread(me(), thread))
    form = ThreadForm(obj=thread)
    if form.validate_on_submit():
        try:
            edit_thread(
                thread, editor=me(), title=form.title.data, body=form.body.data or "", now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            flash(_("The thread is updated."), "success")
            return redirect(_thread_url(thread))
    status = 400 if form.errors else 200
    return render_template(
        "threads/edit.html", thread=thread, group=thread.group, form=form, hint=MARKDOWN_HINT
    ), status


#: close / reopen / pin / unpin: (permission, service, value, confirmation)
_THREAD_SWITCHES = {
    "close": (can_close_thread, set_closed, True, _l("The thread is closed.")),
    "reopen": (can_close_thread, set_closed, False, _l("The thread is open again.")),
    "pin": (can_pin_thread, set_pinned, True, _l("The thread is pinned.")),
    "unpin": (can_pin_thread, set_pinned, False, _l("The thread is no longer pinned.")),
}


def _switch_thread(thread_id: int, action: str):
    """Close or reopen (author or admin), pin or unpin (admins) a thread."""
    permission, service, value, done = _THREAD_SWITCHES[action]
    thread = _readable_thread(thread_id)
    require(permission(me(), thread))
    service(thread, value, now=utcnow())
    flash(str(done), "success")
    return redirect(_thread_url(thread))


for _action in _THREAD_SWITCHES:
    bp.add_url_rule(
        f"/t/<int:thread_id>/{_action}",
        endpoint=_action,
        view_func=login_required(_switch_thread),
        methods=["POST"],
        defaults={"action": _action},
    )


@bp.get("/t/<int:thread_id>/versions")
@login_required
def versions(thread_id: int):
    """Every version of the title and context, newest first, with what changed."""
    thread = _readable_thread(thread_id)
    items = thread_versions(thread)
    changes = []
    for i, version in enumerate(items):
        previous = items[i + 1] if i + 1 < len(items) else None
        changes.append(
            {
                "version": version,
                "previous": previous,
                "title_changed": previous is not None and previous.title != version.title,
                "diff": _body_diff(previous, version),
            }
        )
    return render_template(
        "threads/versions.html", thread=thread, group=thread.group, changes=changes
    )


# -- comments -------------------------------------------------------------------


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"], endpoint="edit_comment")
@login_required
def edit_comment_view(comment_id: int):
    """Change one's own comment; its earlier texts stay in its history."""
    comment, thread = _readable_comment(comment_id)
    if comment.is_deleted:
        raise CommentDeleted()
    require(can_edit_comment(me(), comment, thread))
    form = CommentEditForm(obj=comment)
    if form.validate_on_submit():
        try:
            edit_comment(comment, body=form.body.data, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            flash(_("Your comment is updated."), "success")
            return redirect(_thread_url(thread, comment.id))
    status = 400 if form.errors else 200
    return _comment_page("edit", comment, thread, form=form, hint=MARKDOWN_HINT), status


@bp.route("/comments/<int:comment_id>/delete", methods=["GET", "POST"], endpoint="delete_comment")
@login_required
def delete_comment_view(comment_id: int):
    """Ask, then delete a comment (its author or an admin); its place and replies stay."""
    comment, thread = _readable_comment(comment_id)
    if comment.is_deleted:
        raise CommentDeleted()
    require(can_delete_comment(me(), comment, thread))
    if request.method == "POST":
        delete_comment(comment, now=utcnow())
        flash(_("The comment is deleted."), "success")
        return redirect(_thread_url(thread, comment.id))
    return _comment_page("delete", comment, thread)


@bp.get("/comments/<int:comment_id>/versions", endpoint="comment_versions")
@login_required
def comment_versions_view(comment_id: int):
    """Every version of a comment's text, newest first, with what changed."""
    comment, thread = _readable_comment(comment_id)
    items = comment_versions(comment)
    changes = []
    for i, version in enumerate(items):
        previous = items[i + 1] if i + 1 < len(items) else None
        changes.append(
            {
                "version": version,
                "previous": previous,
                "diff": _body_diff(previous, version),
            }
        )
    return _comment_page("versions", comment, thread, changes=changes)


@bp.post("/comments/<int:comment_id>/reactions")
@login_required
def react(comment_id: int):
    """Add or take back a reaction: the button sends ``add=<emoji>`` or
    ``remove=<emoji>`` (``emoji`` with ``action=add|remove`` also works)."""
    comment, thread = _readable_comment(comment_id)
    require(can_react(me(), thread))
    form = request.form
    removing = "remove" in form or form.get("action") == "remove"
    emoji = form.get("remove") or form.get("add") or form.get("emoji", "")
    if removing:
        remove_reaction(comment, user=me(), emoji=emoji)
    else:
        add_reaction(comment, user=me(), emoji=emoji)
    return redirect(_thread_url(thread, comment.id))
