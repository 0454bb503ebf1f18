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

from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import mail, outbox
from ..extensions import db
from ..urls import external_url, public_host
from . import services, unsubscribe
from .models import SUPPORT_KINDS, Notification


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


def list_headers(group, user_id: int, scope: str) -> dict[str, str]:
    """``List-Id`` and the one-click unsubscribe headers (RFC 2919, RFC 8058)."""
    link = external_url("notifications.unsubscribe", token=unsubscribe.make_token(user_id, scope))
    headers = {
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if group is not None:
        name = group.name.replace('"', "'").replace("\r", " ").replace("\n", " ")
        headers["List-Id"] = f'"{name}" <{group.handle}.{public_host()}>'
    return headers


def footer_context(user_id: int, scope: str) -> dict:
    """The footer's links: the settings, and the unsubscribe page of this scope."""
    return {
        "settings_url": external_url("notifications.index"),
        "unsubscribe_url": external_url(
            "notifications.unsubscribe", token=unsubscribe.make_token(user_id, scope)
        ),
        "scope_label": unsubscribe.describe_scope(scope),
    }


def render_notification(notification: Notification) -> dict:
    """The notification's email as an outbox payload, in its reader's language."""
    n = notification
    user = n.user
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    ref = reference(n)
    scope = scope_of(n)
    headers = list_headers(n.group, user.id, scope)
    headers["Message-ID"] = mail.message_id(f"{ref}/n{n.id}" if ref else f"n{n.id}")
    if ref is not None:
        headers["In-Reply-To"] = mail.message_id(ref)
        headers["References"] = mail.message_id(ref)
    with force_locale(locale):
        sentence = services.describe(n)
        context = {
            "notification": n,
            "user": user,
            "group": n.group,
            "sentence": sentence,
            "url": services.target_url(n, external=True),
            "reason": why_sent(n),
            "discreet": user.email_discreet,
            **footer_context(user.id, scope),
        }
        text = render_template("email/notification.txt", **context)
        html = render_template("email/notification.html", **context)
        subject = sentence
        if n.group is not None:
            subject = f"[{n.group.handle}] {sentence}"
    return mail.payload(user.email, subject, text, html, headers=headers)


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
    """The ``email`` channel's sender: a stored payload as it is, else the notification's
    email rendered now (cancelled if the notification is gone, or the reader left
    the group or turned email off meanwhile)."""
    if delivery.payload is not None:
        return mail.send_payload(delivery.payload)
    notification = db.session.get(Notification, delivery.notification_id)
    if notification is None or notification.user.email_off:
        return outbox.Result(ok=False, cancelled=True, error="no longer to be sent")
    if not services.still_concerns(notification):
        return outbox.Result(ok=False, cancelled=True, error="the reader left the group")
    return mail.send_payload(render_notification(notification))
