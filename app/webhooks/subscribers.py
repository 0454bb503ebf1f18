"""What a group's chat rooms and hooks are told, one receiver per domain event, and the
outbox's ``webhook`` sender. Connected once by the application factory.

- ``thread_written`` (a new thread): ``thread`` → ``thread.created``;
- ``comment_written`` (a new comment): ``comment`` → ``comment.created``;
- ``poll_opened``, ``poll_closing_soon``, ``poll_closed``: ``poll`` → ``poll.opened``,
  ``poll.closing_soon``, ``poll.closed``;
- ``proposal_decided``: ``outcome`` → ``outcome.decided``;
- ``agreement_adopted``, ``agreement_repealed``, ``agreement_review_due``: ``agreement``
  → ``agreement.adopted`` (version 1), ``agreement.amended``, ``agreement.repealed``,
  ``agreement.review_due``;
- ``support_requested``, ``support_escalated``, ``support_answered`` (matched),
  ``support_closed``: ``support_request`` → ``support_request.requested``,
  ``support_request.escalated``, ``support_request.matched``, ``support_request.closed``.

Edits (a thread's context, a comment) are not posted again. A proposal's close is told
by its outcome to the hooks that want outcomes (once, with the verdict), and as a
closed poll to the others.

A support request is posted only when it is addressed to the whole circle (a request
to named supporters stays between them), and a post never carries its message, its
``when``, its channel, nor anyone's name: only its kind, whether it is urgent and
important, and its link (which only its supporters can open).

Posts are written in the app's default language (French): a chat room is shared.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import events, hooks, outbox
from ..extensions import db
from ..groups.models import Group
from ..groups.permissions import can_manage_group
from ..i18n import LONG, moment_text
from ..proposals.services import explain
from ..support import display as support_display
from ..timeutil import isoformat_z
from ..urls import external_url
from ..web import PageSection
from . import sender, services
from .formats import Post, excerpt
from .models import Webhook


def _locale() -> str:
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "fr")


def _when(moment: datetime) -> str:
    """A time in the circle's default zone and language, with the zone named."""
    zone = current_app.config.get("DEFAULT_USER_TIMEZONE", "Europe/Paris")
    text = moment_text(moment, LONG, locale=_locale(), zone=ZoneInfo(zone))
    if text.endswith(" UTC"):  # the calendar's edge has no local time there: said in UTC
        return f"{text[:-4]} (UTC)"
    return f"{text} ({zone})"


def _group_json(group: Group) -> dict:
    return {"handle": group.handle, "name": group.name}


def _post(group_id: int, event: str, build, *, now: datetime, skip=None) -> None:
    """Build the post (in the default language) only when some hook wants it; write it
    to the outbox for each."""
    wanted = [h for h in services.active_hooks(group_id, event) if skip is None or not skip(h)]
    if not wanted:
        return
    with force_locale(_locale()):
        post = build()
    for hook in wanted:
        services.write_post(hook, post, now=now)


# -- threads and comments ---------------------------------------------------------


def thread_written(thread, *, actor, previous_body, now, **_kw):
    if previous_body is not None:
        return

    def build() -> Post:
        group = thread.group
        link = external_url("threads.show", thread_id=thread.id)
        return Post(
            type="thread.created",
            summary=f"[{group.handle}] "
            + _("%(name)s started a thread: “%(title)s”", name=actor.name, title=thread.title),
            link=link,
            details=(excerpt(thread.body),),
            data={
                "group": _group_json(group),
                "thread": {"id": thread.id, "title": thread.title, "url": link},
                "author": {"id": actor.id, "name": actor.name},
            },
        )

    _post(thread.group_id, "thread", build, now=now)


def comment_written(comment, *, thread, actor, previous_body, now, **_kw):
    if previous_body is not None:
        return

    def build() -> Post:
        group = thread.group
        link = external_url("threads.show", thread_id=thread.id, _anchor=f"comment-{comment.id}")
        return Post(
            type="comment.created",
            summary=f"[{group.handle}] "
            + _("%(name)s commented on “%(title)s”", name=actor.name, title=thread.title),
            link=link,
            details=(excerpt(comment.body),),
            data={
                "group": _group_json(group),
                "thread": {"id": thread.id, "title": thread.title},
                "comment": {"id": comment.id, "url": link, "excerpt": excerpt(comment.body)},
                "author": {"id": actor.id, "name": actor.name},
            },
        )

    _post(thread.group_id, "comment", build, now=now)


# -- polls and outcomes -------------------------------------------------------------


def _poll_json(poll, link: str) -> dict:
    return {
        "id": poll.id,
        "kind": poll.kind,
        "title": poll.title,
        "url": link,
        "closing_at": poll.closing_at,
        "closed_at": poll.closed_at,
    }


def _poll_post(poll, type_: str, summary: str, details: tuple[str, ...]) -> Post:
    link = external_url("polls.show", poll_id=poll.id)
    data = {"group": _group_json(poll.group), "poll": _poll_json(poll, link)}
    return Post(
        type=type_,
        summary=f"[{poll.group.handle}] {summary}",
        link=link,
        details=details,
        data=_jsonable(data),
    )


def _jsonable(value):
    """Times as ``...Z`` strings (the body is stored as JSON)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return isoformat_z(value)
    return value


def poll_opened(poll, *, actor, now, **_kw):
    def build() -> Post:
        if poll.kind == "proposal":
            summary = _("%(name)s made a proposal: “%(title)s”", name=actor.name, title=poll.title)
        else:
            summary = _("%(name)s opened a poll: “%(title)s”", name=actor.name, title=poll.title)
        closes = _("Closes on %(time)s.", time=_when(poll.closing_at))
        return _poll_post(poll, "poll.opened", summary, (closes,))

    _post(poll.group_id, "poll", build, now=now)


def poll_closing_soon(poll, *, now, **_kw):
    def build() -> Post:
        summary = _("The poll “%(title)s” closes soon", title=poll.title)
        closes = _("Closes on %(time)s.", time=_when(poll.closing_at))
        return _poll_post(poll, "poll.closing_soon", summary, (closes,))

    _post(poll.group_id, "poll", build, now=now)


def poll_closed(poll, *, now, **_kw):
    def build() -> Post:
        summary = _("The poll “%(title)s” has closed", title=poll.title)
        return _poll_post(poll, "poll.closed", summary, ())

    # A proposal's close is told by its outcome to the hooks that want outcomes.
    def told_by_outcome(hook: Webhook) -> bool:
        return poll.kind == "proposal" and "outcome" in hook.events

    _post(poll.group_id, "poll", build, now=now, skip=told_by_outcome)


def proposal_decided(poll, *, outcome, now, **_kw):
    def build() -> Post:
        if outcome.adopted:
            summary = _("The proposal “%(title)s” is adopted", title=poll.title)
        else:
            summary = _("The proposal “%(title)s” is not adopted", title=poll.title)
        post = _poll_post(poll, "outcome.decided", summary, (explain(outcome),))
        data = dict(post.data)
        data["outcome"] = {
            "adopted": outcome.adopted,
            "applied": outcome.applied,
            "agreement_id": outcome.agreement_id if outcome.applied else None,
            "version": outcome.version if outcome.applied else None,
        }
        return Post(post.type, post.summary, post.link, post.details, data)

    _post(poll.group_id, "outcome", build, now=now)


# -- agreements ---------------------------------------------------------------------


def _agreement_post(agreement, type_: str, summary: str, version: int | None, title: str):
    group = db.session.get(Group, agreement.group_id)
    link = external_url("agreements.show", handle=group.handle, agreement_id=agreement.id)
    return Post(
        type=type_,
        summary=f"[{group.handle}] {summary}",
        link=link,
        data={
            "group": _group_json(group),
            "agreement": {"id": agreement.id, "title": title, "version": version, "url": link},
        },
    )


def agreement_adopted(version, *, agreement, now, **_kw):
    def build() -> Post:
        if version.version == 1:
            summary = _("A new agreement is adopted: “%(title)s”", title=version.title)
            type_ = "agreement.adopted"
        else:
            summary = _(
                "The agreement “%(title)s” is amended (version %(version)s)",
                title=version.title,
                version=version.version,
            )
            type_ = "agreement.amended"
        return _agreement_post(agreement, type_, summary, version.version, version.title)

    _post(agreement.group_id, "agreement", build, now=now)


def _current_title(agreement) -> str:
    versions = agreement.versions
    return versions[-1].title if versions else ""


def agreement_repealed(agreement, *, now, **_kw):
    def build() -> Post:
        title = _current_title(agreement)
        summary = _("The agreement “%(title)s” is repealed", title=title)
        return _agreement_post(agreement, "agreement.repealed", summary, None, title)

    _post(agreement.group_id, "agreement", build, now=now)


def agreement_review_due(agreement, *, title=None, now, **_kw):
    def build() -> Post:
        name = title or _current_title(agreement)
        summary = _("The agreement “%(title)s” is due for review", title=name)
        return _agreement_post(
            agreement, "agreement.review_due", summary, agreement.current_version, name
        )

    _post(agreement.group_id, "agreement", build, now=now)


# -- support requests: kind, urgency and link only ----------------------------------


def _urgency(request) -> str:
    if request.urgent and request.important:
        return _("Urgent and important.")
    if request.urgent:
        return _("Urgent, not important.")
    if request.important:
        return _("Important, not urgent.")
    return _("Neither urgent nor important.")


def _support(request, type_: str, summary_for, *, now: datetime, extra: dict | None = None):
    if request.named:
        return  # addressed to named supporters: it stays between them

    def build() -> Post:
        group = request.group
        link = external_url("support.show", request_id=request.id)
        what = support_display.kind_label(request.kind)
        return Post(
            type=type_,
            summary=f"[{group.handle}] " + summary_for(what),
            link=link,
            details=(_urgency(request),),
            data={
                "group": _group_json(group),
                "support_request": {
                    "id": request.id,
                    "kind": request.kind,
                    "urgent": request.urgent,
                    "important": request.important,
                    "url": link,
                    **(extra or {}),
                },
            },
        )

    _post(request.group_id, "support_request", build, now=now)


def support_requested(request, *, now, **_kw):
    _support(
        request,
        "support_request.requested",
        lambda what: _("A member asks for support: %(what)s", what=what),
        now=now,
    )


def support_escalated(request, *, now, **_kw):
    _support(
        request,
        "support_request.escalated",
        lambda what: _("A request for support still has no answer: %(what)s", what=what),
        now=now,
    )


def support_answered(request, *, matched, now, **_kw):
    if not matched:
        return
    _support(
        request,
        "support_request.matched",
        lambda what: _("Someone answered a request for support: %(what)s", what=what),
        now=now,
    )


def support_closed(request, *, outcome, now, **_kw):
    _support(
        request,
        "support_request.closed",
        lambda what: _("A request for support is closed: %(what)s", what=what),
        now=now,
        extra={"outcome": outcome},
    )


# -- the test post, and the group page ----------------------------------------------


def make_test_post(hook: Webhook) -> Post:
    """The post of the "send a test" button (in the default language)."""
    group = hook.group
    with force_locale(_locale()):
        summary = f"[{group.handle}] " + _(
            "Test from Cercle: this connection to “%(group)s” works.", group=group.name
        )
        link = external_url("groups.show", handle=group.handle)
    return Post(
        type="test",
        summary=summary,
        link=link,
        data={"group": _group_json(group), "webhook_id": hook.id},
    )


def group_page_section(group, *, viewer, **_kw) -> PageSection | None:
    """For the group's admins: its chat connections, and a link to manage them."""
    if not can_manage_group(viewer, group):
        return None
    hooks_ = services.webhooks_of(group)
    return PageSection(
        "webhooks/_group_section.html",
        {
            "count": len(hooks_),
            "disabled": sum(1 for hook in hooks_ if not hook.is_active),
        },
    )


def connect() -> None:
    """Subscribe each receiver to its event; send the outbox's webhook posts."""
    outbox.register_sender(outbox.WEBHOOK, sender.send, sender.after)
    events.thread_written.connect(thread_written)
    events.comment_written.connect(comment_written)
    events.poll_opened.connect(poll_opened)
    events.poll_closing_soon.connect(poll_closing_soon)
    events.poll_closed.connect(poll_closed)
    events.proposal_decided.connect(proposal_decided)
    events.agreement_adopted.connect(agreement_adopted)
    events.agreement_repealed.connect(agreement_repealed)
    events.agreement_review_due.connect(agreement_review_due)
    events.support_requested.connect(support_requested)
    events.support_escalated.connect(support_escalated)
    events.support_answered.connect(support_answered)
    events.support_closed.connect(support_closed)
    hooks.group_page_sections.connect(group_page_section)
