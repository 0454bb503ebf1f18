"""Domain errors, raised by services, turned into statuses by views and the API.

Each error has a stable snake_case ``code``, the HTTP ``status`` the API uses,
a message in the reader's language and, where input is at fault, the
``fields`` it names (``{"email": "This address is already taken."}``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """Base of the errors a service may raise."""

    status = 400
    code = "invalid"
    default_message = _l("The request is not valid.")

    def __init__(self, message=None, *, fields: dict | None = None, code: str | None = None):
        self.message = message if message is not None else self.default_message
        self.fields = dict(fields or {})
        if code:
            self.code = code
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    status = 400
    code = "validation_error"
    default_message = _l("Some fields are not valid.")


class NotAuthenticated(DomainError):
    status = 401
    code = "unauthorized"
    default_message = _l("A valid API token is required.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("You are not allowed to do this.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("Not found.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _l("This conflicts with the current state.")
