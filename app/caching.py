"""No copy of a personal response is kept: ``Cache-Control: no-store``.

A page or API answer for a signed-in person (session or Bearer token), the answer to
any write, and any response that sets a cookie (a session, remember-me) must not stay
in a shared cache, or in the browser's cache after signing out. Static files and
anonymous pages that set nothing keep the usual caching.

One exception, the answers that send a validator (``personal_etag``: the thread page, a
poll's page; ``api_etag``: the API's thread): a client revalidates only what it keeps, so
they are sent
``Cache-Control: private, no-cache`` (never in a shared cache, always asked again;
``304 Not Modified`` when nothing the reader would see changed). Signing out (and
closing or deleting one's account, which signs out) answers ``Clear-Site-Data:
"cache"``: the browser drops what it kept, so nothing stays after signing out.
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app, g, make_response, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user, user_logged_out

from . import hooks
from .fragments import code_version
from .timeutil import utcnow

REVALIDATE = "private, no-cache"


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


def personal_etag(*parts) -> str | None:
    """A weak validator of a personal page: ``parts`` (the revisions it shows, the
    reader's own marks) with the reader and their sign-in session and CSRF secret, the
    language, the zone, the minute (relative times: «il y a 3 minutes»), the code's
    version and what every page shows of the reader (``hooks.page_viewer_state``).
    None when the page must not be revalidated: messages are waiting to be shown."""
    if session.get("_flashes") or not current_user.is_authenticated:
        return None
    state = (
        parts,
        current_user.get_id(),
        current_user.name,
        session.get("csrf_token"),
        str(get_locale()),
        str(get_timezone()),
        utcnow().strftime("%Y-%m-%dT%H:%M"),
        code_version(),
        hooks.page_viewer_state.answers(current_user._get_current_object()),
    )
    return _digest(state)


def api_etag(user, *parts) -> str:
    """A weak validator of an API answer for ``user`` (a Bearer token's person):
    ``parts`` (the revisions it shows) with the person, the language (a former
    member's name is translated) and the code's version."""
    return _digest((parts, user.id, str(get_locale()), code_version()))


def _digest(state) -> str:
    return hashlib.blake2b(repr(state).encode(), digest_size=16).hexdigest()


def not_modified(etag: str | None):
    """The ``304`` to answer when the browser holds this page (``If-None-Match``), else
    None; either way the response will carry ``etag`` and be revalidated."""
    if etag is None:
        return None
    g.page_etag = etag
    if request.if_none_match.contains_weak(etag):
        return make_response("", 304)
    return None


def register_no_store(app: Flask) -> None:
    """``Cache-Control: no-store`` on every personal response (``private, no-cache``
    with its ETag on a page that sends one); ``Clear-Site-Data`` on signing out."""

    def no_store_when_personal(response):
        if request.endpoint == "static":
            return response
        if g.get("clear_site_cache"):
            response.headers["Clear-Site-Data"] = '"cache"'
        if is_personal(response):
            etag = g.get("page_etag")
            if etag is not None and response.status_code in {200, 304}:
                response.set_etag(etag, weak=True)
                response.headers["Cache-Control"] = REVALIDATE
            else:
                response.headers["Cache-Control"] = "no-store"
        return response

    # after_request functions run in reverse order: first in the list runs last, once
    # the others (Flask-Login's remember cookie) have added their cookies.
    app.after_request_funcs.setdefault(None, []).insert(0, no_store_when_personal)
    user_logged_out.connect(_signed_out, weak=False)


def _signed_out(_app, user=None, **_kw) -> None:
    """The browser is to drop what it kept of this person's pages."""
    g.clear_site_cache = True
