"""Absolute links, built from the configured public address (``PUBLIC_URL``), never from
a request's ``Host``: emails and webhooks are written by the periodic command, where
there is no request, and a link must not follow a forged header.

``PUBLIC_URL`` is required outside development and tests (``app/hosts.py`` refuses to
start without it); there it defaults to ``SERVER_NAME`` with ``PREFERRED_URL_SCHEME``, else
``http://localhost:5000``.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import current_app

DEVELOPMENT_URL = "http://localhost:5000"


def public_url() -> str:
    """The site's public base address, without a trailing slash."""
    config = current_app.config
    if config.get("PUBLIC_URL"):
        return config["PUBLIC_URL"].rstrip("/")
    if config.get("SERVER_NAME"):
        return f"{config.get('PREFERRED_URL_SCHEME', 'http')}://{config['SERVER_NAME']}"
    return DEVELOPMENT_URL


def public_host() -> str:
    """The public address's host name (an email's ``Message-ID`` domain)."""
    return urlsplit(public_url()).hostname or "localhost"


def external_url(endpoint: str, _anchor: str | None = None, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute link on the public address."""
    parts = urlsplit(public_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    url = adapter.build(endpoint, values, force_external=True)
    if _anchor:
        url += "#" + quote(_anchor, safe="")
    return url
