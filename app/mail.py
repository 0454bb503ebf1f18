"""Email: written to the outbox with the act, sent by the periodic command.

An email is a *payload* (recipient, subject, text and HTML alternatives, headers),
rendered in the recipient's language, either when it is written (account emails:
``send_email``) or when it is sent (a notification's email, rendered by the
notifications feature from what it tells). ``send_payload`` turns a payload into a
Flask-Mailman ``EmailMultiAlternatives`` and sends it through the configured backend
(SMTP, or the log when no server is configured); nothing here writes SMTP or MIME.

Without SMTP settings, messages are written to the log.
"""

from __future__ import annotations

import logging
import smtplib

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives
from flask_mailman.backends.base import BaseEmailBackend

from . import outbox
from .textcheck import one_line
from .timeutil import utcnow
from .urls import public_host

log = logging.getLogger("cercle.mail")

#: headers every automatic email carries (RFC 3834; Outlook's auto-replies)
AUTOMATIC = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


class LogEmailBackend(BaseEmailBackend):
    """A mail backend that writes each message to the application log.

    Flask-Mailman loads a dotted backend name only when it ends with ``EmailBackend``.
    """

    def send_messages(self, email_messages):
        for message in email_messages:
            log.warning(
                "Email (no SMTP configured)\nTo: %s\nSubject: %s\n\n%s",
                ", ".join(message.to),
                message.subject,
                message.body,
            )
        return len(email_messages)


def mail_server_configured() -> bool:
    """Whether emails can leave this site: a mail server (``MAIL_SERVER``) or another
    real backend is configured, not the log that stands in for one."""
    return current_app.config.get("MAIL_BACKEND") != "app.mail.LogEmailBackend"


def message_id(local: str) -> str:
    """A ``Message-ID`` on the site's own domain: ``<local@host>``."""
    return f"<{local}@{public_host()}>"


def payload(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict:
    """An email as the outbox stores it (JSON). The subject and headers are one line each
    (a name with a CR/LF, stored before names were checked, would fail the send)."""
    extra = {name: one_line(str(value)) for name, value in (headers or {}).items()}
    return {
        "to": to,
        "subject": one_line(str(subject)),
        "text": text,
        "html": html,
        "headers": {**AUTOMATIC, **extra},
    }


def to_message(data: dict) -> EmailMultiAlternatives:
    """The payload as a Flask-Mailman message: text first, HTML as the alternative."""
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["text"],
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[data["to"]],
        headers=dict(data.get("headers") or {}),
    )
    if data.get("html"):
        message.attach_alternative(data["html"], "text/html")
    return message


def send_payload(data: dict) -> outbox.Result:
    """Send one payload through the configured backend and say how it went: a refused
    address or a 5xx reply is permanent; a 4xx reply or a network error is retried."""
    try:
        sent = to_message(data).send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        code = codes[0] if codes else None
        return outbox.Result(
            ok=False,
            status=code,
            error=f"recipient refused: {exc.recipients}",
            permanent=code is not None and code >= 500,
        )
    except smtplib.SMTPResponseException as exc:
        return outbox.Result(
            ok=False,
            status=exc.smtp_code,
            error=str(exc.smtp_error)[:300],
            permanent=exc.smtp_code >= 500,
        )
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return outbox.Result(ok=False, error=f"{exc.__class__.__name__}: {exc}"[:300])
    if not sent:
        return outbox.Result(ok=False, error="the mail backend sent nothing")
    return outbox.Result(ok=True, status=250)


def send_email(to: str, subject: str, template: str, *, locale: str | None = None, **context):
    """Render ``templates/email/<template>.txt`` in ``locale`` now and write it to the
    outbox in the current transaction (sent by ``flask jobs run``): an email never tells
    of something that was rolled back, and no request waits for a mail server.

    Account emails (a password reset, an invitation): no unsubscribe link, since they
    are not notifications."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template(f"email/{template}.txt", **context)
        subject = str(subject)
    data = payload(to, subject, body)
    return outbox.enqueue(outbox.EMAIL, "account", now=utcnow(), payload=data)


LogBackend = LogEmailBackend  # the earlier name
