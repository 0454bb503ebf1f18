"""Notification emails: rendered when sent, in the reader's language, from the
notification they tell; sent by the outbox's ``email`` channel (registered by
``subscribers.connect``).

Every notification email:

- has the subject ``[handle] …`` (the group's handle);
- is threaded in mail clients per thread, poll, agreement or support request: its
  ``Message-ID`` is ``<{ref}/n{notification id}@{site}>`` and it answers
  ``<{ref}@{site}>`` (``In-Reply-To`` and ``References``), the way Discourse threads
  a topic's mails;
- carries ``List-Id`` (one list per group), ``Auto-Submitted: auto-generated`` and a
  one-click unsubscribe (RFC 8058) from its *scope*: this thread, this group's support
  requests, or this group (``unsubscribe.py``);
- ends with a footer that says why it came, with links to the settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.header import Header
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import flask_babel
import sqlalchemy as sa
from flask import current_app, g, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from .. import mail, outbox
from ..auth import email_change, reset, verify
from ..auth.models import User
from ..extensions import db
from ..polls.models import Stance
from ..proposals.services import explanation_lines, outcome_for
from ..support import display as support_display
from ..urls import external_url, public_host
from . import models as kinds
from . import services, unsubscribe
from .models import SUPPORT_KINDS, Notification

#: where every email's "your notification settings" link leads: the settings page once
#: it exists, else the notifications list (the one place that choice is made)
SETTINGS_ENDPOINTS = ("notifications.settings", "notifications.index")

#: the support steps that ask the reader to answer: their email tells the request
ASKING_KINDS = (kinds.SUPPORT_ASKED, kinds.SUPPORT_ESCALATED, kinds.SUPPORT_OVERDUE)
#: kinds the emails tell a comment's text for (a reply's kind is added by its feature)
COMMENT_KINDS = (kinds.MENTION, "reply")
#: kinds the emails tell a poll for, with its closing time and a link to vote
POLL_KINDS = (
    kinds.POLL_OPENED,
    kinds.POLL_REMINDER,
    kinds.POLL_REMIND,
    "proposal_opened",
)
AGREEMENT_KINDS = ("agreement_adopted", "agreement_amended", "agreement_repealed")


def one_line(text: str) -> str:
    """``text`` on one line (a subject): runs of spaces, tabs and line breaks become one
    space; the no-break spaces of French typography stay."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def settings_url() -> str:
    """The notification settings' absolute address."""
    for endpoint in SETTINGS_ENDPOINTS:
        if endpoint in current_app.view_functions:
            return external_url(endpoint)
    return external_url("dashboard.index")


def reader_locale(user) -> str:
    """The reader's language: their profile's, else the site's default (French)."""
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def zone_named(name: str | None) -> ZoneInfo:
    """The time zone ``name`` (the configured default when it is unknown)."""
    try:
        return ZoneInfo(name or current_app.config["DEFAULT_USER_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(current_app.config["DEFAULT_USER_TIMEZONE"])


def reader_zone(user) -> ZoneInfo:
    """The reader's time zone."""
    return zone_named(user.timezone)


@contextmanager
def for_reader(user) -> Iterator[None]:
    """Render in the reader's language and time zone (``|datetime``, ``format_datetime``).

    The periodic command has no request to choose them from: Flask-Babel keeps the
    zone it chose on the application context (``g._flask_babel``), which is set here
    for the time of the block and restored after."""
    with force_locale(reader_locale(user)):
        flask_babel.get_timezone()  # makes Flask-Babel's per-context cache exist
        cache = g._flask_babel
        previous = getattr(cache, "babel_tzinfo", None)
        cache.babel_tzinfo = reader_zone(user)
        try:
            yield
        finally:
            cache.babel_tzinfo = previous


def reference(notification: Notification) -> str | None:
    """What the email is threaded under: ``support/7``, ``poll/3``, ``agreement/2``,
    ``thread/12``, or None."""
    n = notification
    if n.support_request_id is not None:
        return f"support/{n.support_request_id}"
    if n.poll_id is not None:
        return f"poll/{n.poll_id}"
    if n.agreement_id is not None:
        return f"agreement/{n.agreement_id}"
    if n.thread_id is not None:
        return f"thread/{n.thread_id}"
    return None


def scope_of(notification: Notification) -> str:
    """What its one-click unsubscribe mutes: the thread, the group's support requests,
    the group, or all email."""
    n = notification
    if n.kind in SUPPORT_KINDS and n.group_id is not None:
        return unsubscribe.support_scope(n.group_id)
    if n.thread_id is not None:
        return unsubscribe.thread_scope(n.thread_id)
    if n.group_id is not None:
        return unsubscribe.group_scope(n.group_id)
    return unsubscribe.ALL


def list_name(name: str) -> str:
    """A group's name as ``List-Id``'s phrase (RFC 2919): a quoted string when it is
    ASCII, else an RFC 2047 encoded word, so that the ``<list id>`` itself is never
    encoded (mail filters match on it)."""
    flat = " ".join(name.split())
    if flat.isascii():
        return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return Header(flat, "utf-8").encode()


def list_headers(group, user_id: int, scope: str) -> dict[str, str]:
    """``List-Id`` and the one-click unsubscribe headers (RFC 2919, RFC 8058)."""
    link = external_url("notifications.unsubscribe", token=unsubscribe.make_token(user_id, scope))
    headers = {
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if group is not None:
        headers["List-Id"] = f"{list_name(group.name)} <{group.handle}.{public_host()}>"
    return headers


def footer_context(user_id: int, scope: str) -> dict:
    """The footer's links: the settings, and the unsubscribe page of this scope."""
    return {
        "settings_url": settings_url(),
        "unsubscribe_url": external_url(
            "notifications.unsubscribe", token=unsubscribe.make_token(user_id, scope)
        ),
        "scope_label": unsubscribe.describe_scope(scope),
    }


def render_notification(notification: Notification) -> dict:
    """The notification's email as an outbox payload, in its reader's language and
    time zone."""
    n = notification
    user = n.user
    ref = reference(n)
    scope = scope_of(n)
    headers = list_headers(n.group, user.id, scope)
    headers["Message-ID"] = mail.message_id(f"{ref}/n{n.id}" if ref else f"n{n.id}")
    if ref is not None:
        headers["In-Reply-To"] = mail.message_id(ref)
        headers["References"] = mail.message_id(ref)
    with for_reader(user):
        sentence = one_line(services.describe(n))
        context = {
            "notification": n,
            "kind": n.kind,
            "user": user,
            "lang": reader_locale(user),
            "group": n.group,
            "sentence": sentence,
            "url": services.target_url(n, external=True),
            "reason": why_sent(n),
            "discreet": user.email_discreet,
            **details(n),
            **footer_context(user.id, scope),
        }
        text = render_template("email/notification.txt", **context)
        html = render_template("email/notification.html", **context)
        subject = sentence
        if n.group is not None:
            subject = f"[{n.group.handle}] {sentence}"
    return mail.payload(user.email, subject, text, html, headers=headers)


def details(notification: Notification) -> dict:
    """What an email tells beyond the sentence, by kind: the comment's text, the poll's
    closing time and where to vote, the support request, the member due for a
    check-in, an outcome's verdict, a block's reason, an agreement's version. A kind
    with nothing more (or unknown here) reads well with the sentence alone."""
    n = notification
    found: dict = {}
    if n.kind in COMMENT_KINDS:
        if n.comment is not None and n.comment.deleted_at is None:
            found["quote_text"] = n.comment.body
            found["quote_html"] = Markup(n.comment.body_html)  # noqa: S704 - rendered once, escaped
            found["quote_author"] = n.comment.author.name
        elif n.comment_id is None and n.thread is not None and n.thread.body:
            found["quote_text"] = n.thread.body
            found["quote_html"] = Markup(n.thread.body_html)  # noqa: S704 - rendered once, escaped
            found["quote_author"] = n.thread.author.name
    poll = n.poll
    if poll is not None and n.kind in POLL_KINDS and poll.closed_at is None:
        found["poll"] = poll
        found["vote_url"] = (
            external_url("polls.show", poll_id=poll.id)
            if "polls.show" in current_app.view_functions
            else external_url("threads.show", thread_id=poll.thread_id)
        )
    if n.kind == "proposal_outcome" and poll is not None:
        outcome = outcome_for(poll)
        if outcome is not None:
            found["outcome"] = {
                "adopted": outcome.adopted,
                "lines": [(held, str(text)) for held, text in explanation_lines(outcome)],
            }
        if poll.statement:
            found["statement_text"] = poll.statement
            found["statement_html"] = Markup(poll.statement_html or "")  # noqa: S704
    if n.kind == "stance_block" and poll is not None and not poll.anonymous and n.actor_id:
        reason = db.session.scalar(
            sa.select(Stance.reason).where(
                Stance.poll_id == poll.id,
                Stance.voter_id == n.actor_id,
                Stance.is_current.is_(True),
            )
        )
        if reason:
            found["block_reason"] = reason
    if n.kind in AGREEMENT_KINDS and n.agreement is not None and n.agreement.versions:
        version = n.agreement.versions[-1]
        found["agreement"] = {
            "title": version.title,
            "version": version.version,
            "summary": version.change_summary,
        }
    request = n.support_request
    if request is not None:
        found["request"] = {
            "kind": support_display.kind_label(request.kind),
            "urgent": request.urgent,
            "important": request.important,
            "when": request.when_text,
            "channel": request.channel,
            "requester": request.requester.name,
        }
        if n.kind in ASKING_KINDS and not n.user.email_discreet:
            found["request"]["body_text"] = request.body
            found["request"]["body_html"] = Markup(request.body_html)  # noqa: S704
        found["request"]["asking"] = n.kind in ASKING_KINDS
    if n.kind == kinds.CHECK_IN_DUE:
        found["check_in"] = {
            "member": n.actor.name if n.actor is not None else "",
            "rule": rule_text(n.rule),
        }
    return found


def rule_text(rule: dict | None) -> str:
    """Where an agreed rule comes from: «Nos accords d'écoute» v2."""
    if not rule or rule.get("agreement_id") is None:
        return ""
    return _(
        "“%(title)s”, version %(version)s",
        title=rule.get("title", ""),
        version=rule.get("version", ""),
    )


def why_sent(notification: Notification) -> str:
    """The footer's first sentence: why this email came."""
    n = notification
    if n.kind in SUPPORT_KINDS:
        return _(
            "You receive this email because you take part in support in “%(group)s”.",
            group=n.group.name if n.group else "",
        )
    if n.group is not None:
        return _(
            "You receive this email because you are a member of “%(group)s”.",
            group=n.group.name,
        )
    return _("You receive this email because you have a Cercle account.")


def send(delivery: outbox.Delivery, now: datetime) -> outbox.Result:
    """The ``email`` channel's sender: a reset request composed now (cancelled when no
    account uses the address), an address confirmation composed now (cancelled when
    the account is gone, changed address or is confirmed already), an address change's
    link and notice composed now (cancelled when the account moved meanwhile), a stored payload
    as it is (a digest cancelled if its reader turned it or all email off meanwhile),
    else the notification's email rendered now (cancelled if the notification is gone,
    or the reader left the group or turned email off meanwhile)."""
    if delivery.kind == reset.KIND:
        data = reset.compose_reset_email(delivery.payload or {})
        if data is None:
            return outbox.Result(ok=False, cancelled=True, error="no account uses this address")
    elif delivery.kind == verify.KIND:
        data = verify.compose_confirmation_email(delivery.payload or {})
        if data is None:
            return outbox.Result(ok=False, cancelled=True, error="no longer to be sent")
    elif delivery.kind in (email_change.KIND, email_change.NOTICE_KIND):
        compose = (
            email_change.compose_change_email
            if delivery.kind == email_change.KIND
            else email_change.compose_notice_email
        )
        data = compose(delivery.payload or {})
        if data is None:
            return outbox.Result(ok=False, cancelled=True, error="no longer to be sent")
    elif delivery.payload is not None:
        if delivery.kind == "digest" and delivery.user_id is not None:
            reader = db.session.get(User, delivery.user_id)
            if reader is None or reader.email_off or not reader.digest_days:
                # Turned off (e.g. by the digest's own one-click link) while it waited.
                return outbox.Result(ok=False, cancelled=True, error="no longer to be sent")
        data = delivery.payload
    else:
        notification = db.session.get(Notification, delivery.notification_id)
        if notification is None or not services.email_still_wanted(notification):
            return outbox.Result(ok=False, cancelled=True, error="no longer to be sent")
        if not services.still_concerns(notification):
            return outbox.Result(ok=False, cancelled=True, error="the reader left the group")
        data = render_notification(notification)
    # No transaction stays open while the mail server answers: on SQLite it would hold
    # the write lock and make every page that writes wait.
    db.session.rollback()
    return mail.send_payload(data)
