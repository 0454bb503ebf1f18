"""Error pages for people (the API has its own JSON errors)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

bp = Blueprint("errors", __name__)


def custom_rate_limit_message(error) -> str | None:
    """The message a rate limit was given (``error_message=``), if any.

    Without one, Flask-Limiter describes the limit itself ("5 per 1 minute"),
    which is no message for a person.
    """
    limit = getattr(error, "limit", None)
    if limit is not None:
        return error.description if getattr(limit, "error_message", None) else None
    if error is not None and error.description != type(error).description:
        return error.description  # raised with its own message (``count_or_refuse``)
    return None


def render_error_page(status: int, message=None, error=None, fields: dict | None = None):
    """A page in the reader's language for ``status`` (with the bad ``fields`` named, each
    with its problem, when input is at fault)."""
    titles = {
        400: _("The request is not valid"),
        403: _("You are not allowed to do this"),
        404: _("Page not found"),
        405: _("This action is not possible here"),
        409: _("This conflicts with the current state"),
        413: _("Too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
    }
    explanations = {
        403: _("Ask an admin of the group if you think you should be able to."),
        404: _("This page does not exist, or you cannot see it."),
        429: _("Please wait a minute before trying again."),
        500: _("Nothing you entered was lost. Please try again in a moment."),
    }
    if status == 400 and error is not None and "CSRF" in str(getattr(error, "description", "")):
        message = _(
            "The form expired or was sent from elsewhere. Go back, reload the page and try again."
        )
    if status == 429 and message is None:
        message = custom_rate_limit_message(error)
    body = message or explanations.get(status, "")
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=titles.get(status, _("Error")),
            message=body,
            fields=fields or {},
        ),
        status,
    )
