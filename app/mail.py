"""Sending email. Without SMTP settings, messages are written to the log."""

from __future__ import annotations

import logging

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mailman import EmailMessage
from flask_mailman.backends.base import BaseEmailBackend

from .db import after_commit

log = logging.getLogger("cercle.mail")


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


def send_email(to: str, subject: str, template: str, *, locale: str | None = None, **context):
    """Render ``templates/email/<template>.txt`` in ``locale`` now, and send it once the
    current transaction has committed (``app.db.after_commit``): an email never tells
    of something that was rolled back."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template(f"email/{template}.txt", **context)
        subject = str(subject)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
    )
    after_commit(message.send)
    return message


LogBackend = LogEmailBackend  # the earlier name
