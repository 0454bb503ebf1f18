"""The one place Markdown becomes HTML.

Raw HTML is off (``js-default``), links are limited to safe schemes, and
``@handle`` mentions of existing people become links. Callers render once, at
write time, and store the HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

SAFE_SCHEMES = ("http:", "https:", "mailto:")
MENTION_RE = re.compile(r"(?<![\w@/])@([a-z0-9][a-z0-9_-]{1,39})", re.IGNORECASE)


def _validate_link(url: str) -> bool:
    value = url.strip().lower()
    if ":" not in value.split("/", 1)[0] and not value.startswith("//"):
        return True  # relative link or anchor
    return value.startswith(SAFE_SCHEMES)


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("js-default", {"linkify": True, "typographer": False})
    md.enable(["linkify", "strikethrough", "table"])
    md.validateLink = _validate_link

    def link_open(self, tokens, idx, options, env):
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        if href.startswith(("http:", "https:")):
            token.attrSet("rel", "nofollow noopener noreferrer")
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


_md = _make_parser()


def mentioned_handles(text: str) -> set[str]:
    """The lower-cased ``@handles`` that a text mentions (outside code and links),
    as ``render_markdown`` would link them."""
    handles: set[str] = set()
    for block in _md.parse(text or ""):
        in_link = 0
        for token in block.children or ():
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            elif token.type == "text" and not in_link:
                handles.update(m.group(1).lower() for m in MENTION_RE.finditer(token.content))
    return handles


def _link_mentions(html: str, known: Iterable[str], url_for_handle: Callable[[str], str]) -> str:
    known = {h.lower() for h in known}
    if not known:
        return html
    # Only touch text outside tags and outside <code>/<pre>/<a> elements.
    out: list[str] = []
    depth_skip = 0
    for part in re.split(r"(<[^>]+>)", html):
        if part.startswith("<"):
            tag = re.match(r"</?([a-z0-9]+)", part)
            if tag and tag.group(1) in {"code", "pre", "a"}:
                depth_skip += -1 if part.startswith("</") else 1
            out.append(part)
            continue
        if depth_skip > 0:
            out.append(part)
            continue

        def repl(m: re.Match) -> str:
            handle = m.group(1).lower()
            if handle not in known:
                return m.group(0)
            href = escape(url_for_handle(handle))
            return f'<a class="mention" href="{href}">@{escape(m.group(1))}</a>'

        out.append(MENTION_RE.sub(repl, part))
    return "".join(out)


def render_markdown(
    text: str,
    *,
    known_handles: Iterable[str] = (),
    url_for_handle: Callable[[str], str] | None = None,
) -> Markup:
    """Render user Markdown to safe HTML, linking mentions of ``known_handles``."""
    html = _md.render(text or "")
    if url_for_handle is not None:
        html = _link_mentions(html, known_handles, url_for_handle)
    return Markup(html)  # noqa: S704 - markdown-it escapes raw HTML (js-default)


class PeopleDirectory:
    """Who ``@handle`` may name: set once by the accounts feature (``auth``), which
    owns people and their pages; Markdown itself knows nothing of accounts."""

    known_handles: Callable[[set[str]], Iterable[str]] = staticmethod(lambda handles: ())
    url_for_handle: Callable[[str], str] | None = None


people = PeopleDirectory()


def register_people(
    known_handles: Callable[[set[str]], Iterable[str]], url_for_handle: Callable[[str], str]
) -> None:
    """Tell Markdown which handles exist (``known_handles(handles)``) and where each
    person's page is (``url_for_handle(handle)``)."""
    people.known_handles = known_handles
    people.url_for_handle = url_for_handle


def render_with_mentions(text: str) -> Markup:
    """Markdown → HTML, with ``@handle`` of existing people linked to their page."""
    handles = mentioned_handles(text)
    known = people.known_handles(handles) if handles else ()
    return render_markdown(text, known_handles=known, url_for_handle=people.url_for_handle)
