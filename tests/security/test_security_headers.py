"""Security headers, cookies, and pages that a strict CSP does not break."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

EN = {"Accept-Language": "en"}


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("path", ["/", "/signin", "/signup", "/password/reset", "/nowhere"])
def test_pages_carry_the_security_headers(client, path):
    response = client.get(path)
    csp = _csp(response)
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in {"same-origin", "strict-origin-when-cross-origin"}


def test_api_responses_carry_them_too(client):
    response = client.get("/api/v1/openapi.json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite_lax(client, signin, user):
    response = signin(user.email, user.password)
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session
    assert "SameSite=Lax" in session


def test_remember_cookie_is_httponly_and_samesite_lax(client, signin, user):
    response = signin(user.email, user.password, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember
    assert "SameSite=Lax" in remember


def test_secure_cookies_and_hsts_when_configured(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/signin")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# -- no inline script, style or handler in any page ------------------------------


class _Inspector(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block, and the page's links."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if not attrs.get("src"):
                self.problems.append("inline <script>")
            elif urlsplit(attrs["src"]).netloc:
                self.problems.append(f"script from elsewhere: {attrs['src']}")
            self._in_script = True
        if tag == "style":
            self.problems.append("inline <style>")
        if tag == "link" and attrs.get("rel") == "stylesheet" and urlsplit(attrs["href"]).netloc:
            self.problems.append(f"stylesheet from elsewhere: {attrs['href']}")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> handler")
            if name == "style":
                self.problems.append(f"<{tag} style=...> attribute")
            if name in {"href", "src", "action", "formaction"} and value:
                if value.strip().lower().startswith("javascript:"):
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def _inspect(html: str) -> _Inspector:
    inspector = _Inspector()
    inspector.feed(html)
    return inspector


def _crawl(client, start: list[str], limit: int = 150) -> dict[str, list[str]]:
    """GET every page reachable on this site from ``start``; the problems of each."""
    seen: set[str] = set()
    queue = list(start)
    problems: dict[str, list[str]] = {}
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, headers=EN)
        if response.mimetype != "text/html":
            response.close()  # a streamed download holds its request open until closed
            continue
        inspector = _inspect(response.get_data(as_text=True))
        if inspector.problems:
            problems[path] = inspector.problems
        for link in inspector.links:
            parts = urlsplit(urljoin(path, link))
            if parts.netloc or parts.scheme or parts.path.startswith(("/static/", "/api/")):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                queue.append(target)
    assert len(seen) > 1
    return problems


def test_inspector_finds_what_it_should():
    html = (
        '<script>alert(1)</script><p style="color:red" onclick="x()">'
        '<a href="javascript:x()">x</a><script src="/static/app.js"></script>'
    )
    problems = _inspect(html).problems
    assert "inline <script>" in problems
    assert "<p style=...> attribute" in problems
    assert "<p onclick=...> handler" in problems
    assert len(problems) == 4


def test_no_inline_script_when_signed_out(client):
    problems = _crawl(client, ["/", "/signin", "/signup", "/password/reset", "/nowhere"])
    assert problems == {}


def test_no_inline_script_when_signed_in(
    app, client, auth, user, make_user, make_group, make_thread
):
    other = make_user(name="Bastien Roux")
    group = make_group(user, members=[other], name="Les Tilleuls")
    make_thread(group, user, comments=2)
    auth.login(user)
    problems = _crawl(client, ["/", "/profile", f"/u/{other.handle}", f"/g/{group.handle}"])
    assert problems == {}


def test_no_inline_script_on_error_and_reset_pages(client):
    for path in ["/password/reset/not-a-token", "/u/nobody"]:
        html = client.get(path, headers=EN).get_data(as_text=True)
        assert _inspect(html).problems == []
    html = client.get("/signout", headers=EN).get_data(as_text=True)  # 405 page
    assert _inspect(html).problems == []
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
