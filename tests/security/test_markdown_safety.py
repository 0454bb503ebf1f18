"""app/markdown.py: user Markdown becomes inert HTML; safe links and known mentions work."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from app.markdown import mentioned_handles, render_markdown


def _url(handle: str) -> str:
    return f"/u/{handle}"


def md(text: str, known=("anais", "bastien-roux")) -> str:
    return str(render_markdown(text, known_handles=known, url_for_handle=_url))


def _hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_returns_markup():
    assert isinstance(render_markdown("*hello*"), Markup)
    assert md("*hello*") == "<p><em>hello</em></p>\n"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "Hello <script src=//evil.example/x.js></script>",
        "<img src=x onerror=alert(1)>",
        '<a href="https://ok.example" onclick="alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        '<div style="position:fixed">cover</div>',
        "<svg onload=alert(1)>",
        "<!-- comment --><b>bold</b>",
    ],
)
def test_raw_html_is_shown_as_text(text):
    html = md(text)
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "<svg" not in html
    assert "<div" not in html
    assert "<b>" not in html
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", html)
    assert "&lt;" in html  # shown, escaped, for what it is


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "javascript&#58;alert(1)",
        "&#106;avascript:alert(1)",
        "%6Aavascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "VBScript:msgbox(1)",
        "file:///etc/passwd",
    ],
)
def test_dangerous_links_are_inert(url):
    for text in (f"[click]({url})", f"<{url}>", f"![img]({url})", f"[click][r]\n\n[r]: {url}"):
        html = md(text)
        for href in _hrefs(html) + re.findall(r'src="([^"]*)"', html):
            lowered = href.lower().replace("\t", "")
            assert not lowered.startswith(("javascript", "data:", "vbscript", "file:")), html
            assert "javascript:" not in lowered and "vbscript:" not in lowered, html


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("[site](https://example.org/a?b=1)", "https://example.org/a?b=1"),
        ("[site](http://example.org)", "http://example.org"),
        ("[write](mailto:anais@example.org)", "mailto:anais@example.org"),
        ("see https://example.org/page", "https://example.org/page"),
        ("[thread](/t/12)", "/t/12"),
        ("[part](#agreements)", "#agreements"),
    ],
)
def test_safe_links_get_through(text, href):
    html = md(text)
    assert href.replace("&", "&amp;") in _hrefs(html)


def test_outside_links_are_nofollow_noopener():
    html = md("[site](https://example.org)")
    assert 'rel="nofollow noopener noreferrer"' in html


def test_mentions_of_known_handles_become_links():
    html = md("Merci @anais et @Bastien-Roux !")
    assert '<a class="mention" href="/u/anais">@anais</a>' in html
    assert '<a class="mention" href="/u/bastien-roux">@Bastien-Roux</a>' in html


def test_unknown_handles_stay_text():
    html = md("Bonjour @personne")
    assert "<a" not in html
    assert "@personne" in html


def test_no_mentions_inside_code_links_or_addresses():
    html = md("`@anais` and\n\n```\n@anais\n```\n\n[@anais](https://x.example) me@anais.org")
    assert 'class="mention"' not in html


def test_mentions_without_a_url_builder_stay_text():
    assert "<a" not in str(render_markdown("@anais", known_handles=["anais"]))


def test_mentioned_handles():
    assert mentioned_handles("Hi @Anais, @bastien-roux and me@mail.org") == {
        "anais",
        "bastien-roux",
    }


def test_mention_link_is_escaped():
    html = str(
        render_markdown("@anais", known_handles=["anais"], url_for_handle=lambda h: '/u/"><script>')
    )
    assert "<script>" not in html


def test_mentioned_handles_ignore_code_and_links():
    text = "`@anais` and\n\n```\n@bastien\n```\n\n    @camille\n\n[@dora](https://x.example) @eve"
    assert mentioned_handles(text) == {"eve"}


def test_mentioned_handles_in_lists_quotes_and_tables():
    text = "- @anais\n\n> @bastien\n\n| a |\n|---|\n| @camille |\n\n**@dora**"
    assert mentioned_handles(text) == {"anais", "bastien", "camille", "dora"}
