"""No copy of a personal response is kept: ``Cache-Control: no-store``.

A page or API answer for a signed-in person (session or Bearer token), the answer to
any write, and any response that sets a cookie (a session, remember-me) must not stay
in a shared cache, or in the browser's cache after signing out. Static files and
anonymous pages that set nothing keep the usual caching.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_login import current_user


def is_personal(response) -> bool:
    """Whether ``response`` is for a signed-in person, answers a write (a new API token is
    in the answer to a POST made with a password) or sets a cookie."""
    if request.method not in {"GET", "HEAD"}:
        return True
    if g.get("api_user") is not None or current_user.is_authenticated:
        return True
    if "Set-Cookie" in response.headers:
        return True
    interface = current_app.session_interface
    return not interface.is_null_session(session) and interface.should_set_cookie(
        current_app, session
    )


def register_no_store(app: Flask) -> None:
    """``Cache-Control: no-store`` on every personal response."""

    def no_store_when_personal(response):
        if request.endpoint == "static":
            return response
        if is_personal(response):
            response.headers["Cache-Control"] = "no-store"
        return response

    # after_request functions run in reverse order: first in the list runs last, once
    # the others (Flask-Login's remember cookie) have added their cookies.
    app.after_request_funcs.setdefault(None, []).insert(0, no_store_when_personal)
