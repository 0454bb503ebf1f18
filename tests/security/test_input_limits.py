"""Bounded input: every text field has a length limit (``app/limits.py``) that the pages
and the API both enforce, naming the field; the request body is capped before it is
read; and the worst Markdown we know of, at the longest length accepted, is stored as
bounded, safe HTML (its time is measured by ``bench/markdown.py``, not here)."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import sys
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from app import limits
from app.timeutil import isoformat_z, utcnow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def bench():
    """``bench/markdown.py`` imported as a module (its shapes are the ones measured)."""
    spec = importlib.util.spec_from_file_location(
        "bench_markdown", os.path.join(ROOT, "bench", "markdown.py")
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture
def circle(make_user, make_group, make_thread):
    """An admin, a member, their group and a thread."""
    admin = make_user(name="Alice Admin")
    member = make_user(name="Bruno Member")
    group = make_group(admin, members=[member], handle="le-cercle")
    thread = make_thread(group, admin)
    return type("Circle", (), {"admin": admin, "member": member, "group": group, "thread": thread})


#: what markdown-it may write (``js-default``, tables, strikethrough, linkify)
ALLOWED_TAGS = {
    "p", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "hr", "br",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "s", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"href", "rel", "class", "src", "alt", "title", "style", "start"}


UNSAFE_URL = re.compile(r"\s*(javascript|data|vbscript):", re.IGNORECASE)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(tag)
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES:
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src") and UNSAFE_URL.match(value or ""):
                self.problems.append(f"{tag}[{name}={value}]")


def assert_safe(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert parser.problems == []


def test_the_worst_shapes_at_the_comment_limit_are_stored_as_bounded_safe_html(
    bench, circle, api_as
):
    """Each shape the benchmark measures, as long as a comment may be, goes through the
    API like any comment: accepted, and its HTML stays a small multiple of its length,
    with nothing but Markdown's own tags."""
    bruno = api_as(circle.member)
    for name, text in bench.shapes(limits.COMMENT):
        assert len(text) <= limits.COMMENT
        text = text.strip() or "x" + text  # only blank text is refused, as "required"
        text = text[: limits.COMMENT]
        response = bruno.post(f"/api/v1/threads/{circle.thread.id}/comments", json={"body": text})
        assert response.status_code == 201, (name, response.get_json())
        html = response.get_json()["body_html"]
        assert len(html) <= 16 * len(text) + 100, name
        assert_safe(html)


def test_a_document_at_its_limit_renders_and_one_char_more_is_refused(circle, api_as):
    alice = api_as(circle.admin)
    text = "[" * limits.DOCUMENT
    created = alice.post(
        f"/api/v1/groups/{circle.group.handle}/threads", json={"title": "Long", "body": text}
    )
    assert created.status_code == 201
    assert created.get_json()["body_html"] == "<p>" + text + "</p>\n"
    refused = alice.post(
        f"/api/v1/groups/{circle.group.handle}/threads",
        json={"title": "Long", "body": text + "["},
        headers=EN,
    )
    assert refused.status_code == 400
    assert set(refused.get_json()["error"]["fields"]) == {"body"}


def test_mentions_are_linked_once_and_notified(circle, api_as):
    """One parse gives both the links and the notification (not two scans that could
    disagree)."""
    bruno = api_as(circle.member)
    handle = circle.admin.handle
    body = f"Merci @{handle} ! `@{handle}` [@{handle}](https://example.org)"
    response = bruno.post(f"/api/v1/threads/{circle.thread.id}/comments", json={"body": body})
    html = response.get_json()["body_html"]
    assert html.count('class="mention"') == 1
    notifications = api_as(circle.admin).get("/api/v1/notifications").get_json()["items"]
    assert [n["kind"] for n in notifications].count("mention") == 1


def test_a_text_that_is_mostly_markup_is_shown_as_plain_text(circle, api_as):
    """Past the markup weight no prose reaches, the text is kept whole and shown as
    plain paragraphs: escaped, line breaks kept, mentions still linked and notified."""
    from app.markdown import MAX_MARKUP_WEIGHT, markup_weight

    bruno = api_as(circle.member)
    handle = circle.admin.handle
    dense = "![a](" * (MAX_MARKUP_WEIGHT // 2)
    body = f"**Vu** <b>{dense}</b>\nligne deux\n\nMerci @{handle}"
    assert markup_weight(body) > MAX_MARKUP_WEIGHT
    response = bruno.post(f"/api/v1/threads/{circle.thread.id}/comments", json={"body": body})
    assert response.status_code == 201
    html = response.get_json()["body_html"]
    assert html.startswith("<p>**Vu** &lt;b&gt;![a](")  # as typed, nothing interpreted
    assert "&lt;/b&gt;<br>\nligne deux</p>\n<p>Merci " in html
    assert html.count('class="mention"') == 1 and "<img" not in html
    notifications = api_as(circle.admin).get("/api/v1/notifications").get_json()["items"]
    assert [n["kind"] for n in notifications].count("mention") == 1


def test_a_long_agreement_full_of_markup_still_renders_as_markdown():
    """An agreement at the document limit, with headings, lists, emphasis, links and
    mentions (twice as dense in markup as the founding texts, which weigh 155 and 340 for
    3,600 and 7,300 characters) weighs under the cap and renders as Markdown: the
    plain-text fallback is for texts no circle writes."""
    from app.markdown import MAX_MARKUP_WEIGHT, markup_weight, render_markdown

    items = "- *Écoute* : voir [la charte](https://example.org/charte), demander à @ana.\n"
    items += "- Chacun·e peut **demander** de l'écoute, à tout moment, sans se justifier.\n" * 4
    prose = "Un paragraphe de prose qui explique pourquoi nous avons choisi cela. " * 4
    section = "## Nos accords d'écoute\n\n" + items + "\n" + prose + "\n\n"
    text = (section * (limits.DOCUMENT // len(section)))[: limits.DOCUMENT]
    assert len(text) > limits.DOCUMENT - len(section)
    assert markup_weight(text) < MAX_MARKUP_WEIGHT
    html = render_markdown(text)
    assert (
        "<h2>Nos accords d'écoute</h2>" in html and '<a href="https://example.org/charte"' in html
    )


def _too_long(limit: int) -> str:
    return "a" * (limit + 1)


#: (name, method, path template, JSON body, the field named)
API_CASES = [
    (
        "user name",
        "post",
        "/api/v1/users",
        lambda c: {
            "email": "new@example.org",
            "password": "correct horse battery",
            "name": _too_long(limits.NAME),
        },
        "name",
    ),
    ("group name", "post", "/api/v1/groups", lambda c: {"name": _too_long(limits.NAME)}, "name"),
    (
        "group description",
        "post",
        "/api/v1/groups",
        lambda c: {"name": "Un cercle", "description": _too_long(limits.DOCUMENT)},
        "description",
    ),
    (
        "group description (edit)",
        "patch",
        "/api/v1/groups/{group}",
        lambda c: {"description": _too_long(limits.DOCUMENT)},
        "description",
    ),
    (
        "thread title",
        "post",
        "/api/v1/groups/{group}/threads",
        lambda c: {"title": _too_long(limits.TITLE), "body": "x"},
        "title",
    ),
    (
        "thread body",
        "post",
        "/api/v1/groups/{group}/threads",
        lambda c: {"title": "Titre", "body": _too_long(limits.DOCUMENT)},
        "body",
    ),
    (
        "thread body (edit)",
        "patch",
        "/api/v1/threads/{thread}",
        lambda c: {"body": _too_long(limits.DOCUMENT)},
        "body",
    ),
    (
        "comment",
        "post",
        "/api/v1/threads/{thread}/comments",
        lambda c: {"body": _too_long(limits.COMMENT)},
        "body",
    ),
    (
        "poll title",
        "post",
        "/api/v1/threads/{thread}/polls",
        lambda c: {"kind": "proposal", "title": _too_long(limits.TITLE), "closing_at": c},
        "title",
    ),
    (
        "poll details",
        "post",
        "/api/v1/threads/{thread}/polls",
        lambda c: {
            "kind": "proposal",
            "title": "T",
            "details": _too_long(limits.DOCUMENT),
            "closing_at": c,
        },
        "details",
    ),
    (
        "poll option",
        "post",
        "/api/v1/threads/{thread}/polls",
        lambda c: {
            "kind": "single_choice",
            "title": "T",
            "closing_at": c,
            "options": ["a", _too_long(limits.TITLE)],
        },
        "options",
    ),
    (
        "account password",
        "post",
        "/api/v1/users",
        lambda c: {
            "email": "long@example.org",
            "name": "N",
            "password": _too_long(limits.PASSWORD),
        },
        "password",
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "payload", "field"), API_CASES, ids=[c[0] for c in API_CASES]
)
def test_the_api_refuses_over_long_text_naming_the_field(
    circle, api_as, name, method, path, payload, field
):
    client = api_as(circle.admin)
    url = path.format(group=circle.group.handle, thread=circle.thread.id)
    response = getattr(client, method)(url, json=payload(_in_a_day()), headers=EN)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    assert any(key == field or key.startswith(field + ".") for key in error["fields"]), error


def _in_a_day() -> str:
    return isoformat_z(utcnow() + timedelta(days=1))


def test_a_long_reason_on_a_stance_is_refused_naming_it(circle, api_as):
    alice = api_as(circle.admin)
    poll = alice.post(
        f"/api/v1/threads/{circle.thread.id}/polls",
        json={"kind": "proposal", "title": "On y va ?", "closing_at": _in_a_day()},
    ).get_json()
    response = api_as(circle.member).put(
        f"/api/v1/polls/{poll['id']}/stance",
        json={"key": "agree", "reason": _too_long(limits.REASON)},
        headers=EN,
    )
    assert response.status_code == 400
    assert "reason" in response.get_json()["error"]["fields"]


#: (name, path template, form data, the field whose error is shown)
PAGE_CASES = [
    (
        "thread title",
        "/g/{group}/threads/new",
        {"title": _too_long(limits.TITLE), "body": "x"},
        "title",
    ),
    (
        "thread body",
        "/g/{group}/threads/new",
        {"title": "T", "body": _too_long(limits.DOCUMENT)},
        "body",
    ),
    ("comment", "/t/{thread}/comments", {"body": _too_long(limits.COMMENT)}, "body"),
    ("group name", "/groups/new", {"name": _too_long(limits.NAME), "privacy": "secret"}, "name"),
    (
        "group description",
        "/groups/new",
        {"name": "Un cercle", "description": _too_long(limits.DOCUMENT), "privacy": "secret"},
        "description",
    ),
]


@pytest.mark.parametrize(
    ("name", "path", "data", "field"), PAGE_CASES, ids=[c[0] for c in PAGE_CASES]
)
def test_the_pages_refuse_over_long_text_naming_the_field(
    client, auth, circle, name, path, data, field
):
    auth.login(circle.admin)
    url = path.format(group=circle.group.handle, thread=circle.thread.id)
    response = client.post(url, data=data, headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert "characters" in html.split(f'id="{field}-error"', 1)[1].split("</small>", 1)[0]


class _CountingStream(io.RawIOBase):
    """A request body of ``size`` bytes that counts what the server reads of it."""

    def __init__(self, size: int):
        self.size = size
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"a" * n
        self.read_bytes += n
        return n


TEN_MB = 10 * 1024 * 1024


def _send(app, path, content_type, headers=None, *, announce_length=True):
    """POST a 10 MB body (announced in Content-Length, or chunked) and count what is read."""
    stream = _CountingStream(TEN_MB)
    environ = EnvironBuilder(
        path=path, method="POST", headers={**EN, **(headers or {})}, content_type=content_type
    ).get_environ()
    environ["wsgi.input"] = stream
    if announce_length:
        environ["CONTENT_LENGTH"] = str(TEN_MB)
    else:
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    return app.response_class(app_iter, status, headers), stream


def test_a_10_mb_api_body_is_refused_unread_with_413_in_the_error_shape(app, circle, api_as):
    token = api_as(circle.member).token
    response, stream = _send(
        app,
        f"/api/v1/threads/{circle.thread.id}/comments",
        "application/json",
        {"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "too_large" and error["message"]
    assert stream.read_bytes == 0  # refused on its announced length, before reading


def test_a_10_mb_form_is_refused_unread_with_a_413_page(app, circle):
    response, stream = _send(app, "/signin", "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "Too large" in response.get_data(as_text=True)
    assert stream.read_bytes == 0


def test_a_body_without_a_length_is_cut_at_the_limit(app, circle, api_as):
    """Chunked, with no Content-Length: read up to the limit and no further, then
    refused as too large in the error shape (Werkzeug cuts the stream at the limit; the
    cut body is not reported as bad JSON)."""
    token = api_as(circle.member).token
    response, stream = _send(
        app,
        f"/api/v1/threads/{circle.thread.id}/comments",
        "application/json",
        {"Authorization": f"Bearer {token}"},
        announce_length=False,
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert stream.read_bytes <= limits.REQUEST_BODY


def test_a_comment_is_parsed_once_for_its_html_and_its_mentions(circle, api_as, monkeypatch):
    """Rendering and notifying share one parse (it was three: a scan, the render, and the
    notifications' scan)."""
    from app import markdown

    parsed: list[str] = []
    real_parse = markdown._md.parse

    def counting_parse(src, env=None):
        parsed.append(src)
        return real_parse(src, env)

    monkeypatch.setattr(markdown._md, "parse", counting_parse)
    body = f"Un mot pour @{circle.admin.handle}, une seule lecture."
    response = api_as(circle.member).post(
        f"/api/v1/threads/{circle.thread.id}/comments", json={"body": body}
    )
    assert response.status_code == 201
    assert 'class="mention"' in response.get_json()["body_html"]
    assert parsed.count(body) == 1


def test_a_scheme_inside_a_link_label_is_text_not_a_500(circle, api_as):
    """markdown-it-py's linkify raised "inline rule didn't increment state.pos" on this."""
    response = api_as(circle.member).post(
        f"/api/v1/threads/{circle.thread.id}/comments", json={"body": "www.a.fr[http://a://"}
    )
    assert response.status_code == 201
    assert response.get_json()["body_html"].startswith('<p><a href="http://www.a.fr"')
