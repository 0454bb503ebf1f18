"""The site's public address, and the host names it answers to.

Every emailed or shown absolute link is built from ``PUBLIC_URL`` (``app/urls.py``),
never from a request. Outside development and tests the app refuses to start without
it, as it refuses a missing ``SECRET_KEY``: a link to the wrong host would carry a
valid reset or invitation token.

Requests are answered only for the public address's host name, ``SERVER_NAME``'s and
the names an operator lists in ``TRUSTED_HOSTS``: Flask checks the ``Host`` header (or
``X-Forwarded-Host`` when ``BEHIND_PROXY``, which ``ProxyFix`` puts in its place)
against ``TRUSTED_HOSTS`` before routing, and any other host gets a 400 before any
``before_request`` function or view runs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, SecurityError

#: host names that all reach this machine: a public address on one of them accepts the
#: others (the demo prints 127.0.0.1, a person may type localhost)
LOOPBACK = ("localhost", "127.0.0.1")


def check_public_url(app: Flask) -> None:
    """Refuse a malformed ``PUBLIC_URL``, and a missing one outside debug and tests."""
    url = app.config.get("PUBLIC_URL")
    if url:
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises on a port past 65535 or not a number
        except ValueError:
            parts = parts._replace(scheme="")
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or parts.query
            or parts.fragment
            or parts.username is not None
        ):
            raise RuntimeError(
                f"PUBLIC_URL={url!r} is not a site address: give the scheme and host name "
                "the site is reached at, e.g. PUBLIC_URL=https://cercle.example.org"
            )
    elif not (app.debug or app.testing):
        raise RuntimeError(
            "PUBLIC_URL is not set. Set it to the address people reach the site at, e.g. "
            "PUBLIC_URL=https://cercle.example.org: every link in emails (password resets, "
            "invitations, notifications) is built from it, never from a request's Host."
        )


def trusted_hosts(config) -> list[str] | None:
    """The host names requests may use: the public address's, ``SERVER_NAME``'s and the
    operator's ``TRUSTED_HOSTS``; ``None`` (any) only when none of them is set, which
    ``check_public_url`` allows in development and tests only."""
    names = []
    for address in (config.get("PUBLIC_URL"), config.get("SERVER_NAME")):
        if address:
            host = urlsplit(address if "//" in address else f"//{address}").hostname
            if host:
                names.append(host)
    names.extend(config.get("TRUSTED_HOSTS") or ())
    names = [name.lower() for name in names]
    if not names:
        return None
    if any(name in LOOPBACK for name in names):
        names.extend(LOOPBACK)
    return list(dict.fromkeys(names))


def refuse_unknown_hosts(app: Flask) -> None:
    """Answer only for the trusted host names (a 400 for any other, before any view)."""
    check_public_url(app)
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)

    def refuse_before_anything_else():
        # Flask found the host untrusted while building the request's URL adapter and
        # keeps the error for dispatch; raise it before the other before_request
        # functions (an API token check would answer 401 first).
        if isinstance(request.routing_exception, SecurityError):
            raise request.routing_exception

    app.before_request_funcs.setdefault(None, []).insert(0, refuse_before_anything_else)
    app.wsgi_app = _host_names_in_lower_case(app.wsgi_app)
    app.register_error_handler(SecurityError, unknown_host_response)


def _host_names_in_lower_case(wsgi_app):
    """Host names are not case-sensitive (RFC 3986): ``LOCALHOST`` is ``localhost``, for
    the check and for the URLs built from it."""

    def application(environ, start_response):
        for key in ("HTTP_HOST", "HTTP_X_FORWARDED_HOST", "SERVER_NAME"):
            if key in environ and isinstance(environ[key], str):
                environ[key] = environ[key].lower()
        return wsgi_app(environ, start_response)

    return application


def unknown_host_response(error: SecurityError):
    """A plain page (no URL can be built for an untrusted host), or the API's error shape."""
    message = _(
        "This site does not answer to this host name (the Host header): use its public address."
    )
    if request.path.startswith("/api/"):
        # The API's own handler writes the documented error shape.
        return current_app.handle_http_exception(BadRequest(description=message))
    return render_template("errors/unknown_host.html", message=message), 400
