"""What a post looks like for each kind of receiver: pure functions over plain values.

A ``Post`` is what happened, already written in words (``summary``, ``details``), with
its absolute ``link`` and, for signed hooks, its structured ``data``. Each kind turns
it into its JSON body:

- ``slack`` (Slack, Mattermost, Rocket.Chat): ``{"text"}``, Markdown with ``**bold**``;
- ``discord``: ``{"content", "allowed_mentions": {"parse": []}}``, at most 2,000
  characters (the details are shortened, the link always kept);
- ``matrix`` (matrix-hookshot's generic webhook): ``{"text", "html"}``, ``text`` always
  set, ``html`` escaped;
- ``generic`` (Standard Webhooks): ``{"type", "timestamp", "data"}``.

Chat rooms get people's words (titles, names, excerpts) with their mentions defused:
an ``@everyone``, ``@channel`` or ``@room`` written in a thread never pings a room,
nor does Slack's ``<!channel>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from ..timeutil import isoformat_z

DISCORD_LIMIT = 2_000
#: how much of a comment or a thread's context a chat post quotes
EXCERPT = 280
ZERO_WIDTH_SPACE = "\u200b"
ELLIPSIS = "…"


@dataclass(frozen=True)
class Post:
    """One thing to tell a group's chat rooms and hooks."""

    #: the event type (``thread.created``, ``support_request.requested``, ``test``…)
    type: str
    #: what happened, one sentence
    summary: str
    #: the absolute address of what it is about
    link: str
    #: further lines (an excerpt, a closing time), plain text
    details: tuple[str, ...] = ()
    #: a signed hook's ``data``
    data: dict = field(default_factory=dict)


def defuse(text: str) -> str:
    """``text`` with mentions made harmless: ``@`` and ``<!`` followed by a zero-width
    space (the text reads the same, no one is pinged)."""
    return text.replace("@", "@" + ZERO_WIDTH_SPACE).replace("<!", "<" + ZERO_WIDTH_SPACE + "!")


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The start of ``text`` on one line, at most ``limit`` characters."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + ELLIPSIS


def markdown_text(post: Post, details: tuple[str, ...] | None = None) -> str:
    """The post as chat Markdown: the summary in bold, the details, the link."""
    lines = [f"**{defuse(post.summary)}**"]
    lines += [defuse(line) for line in (post.details if details is None else details) if line]
    lines.append(post.link)
    return "\n".join(lines)


def slack(post: Post) -> dict:
    return {"text": markdown_text(post)}


def discord(post: Post) -> dict:
    content = markdown_text(post)
    if len(content) > DISCORD_LIMIT:
        # Shorten the details, never the link: the post must still lead somewhere.
        room = DISCORD_LIMIT - len(markdown_text(post, details=())) - 1
        detail = "\n".join(defuse(line) for line in post.details if line)
        shortened = detail[: max(room - 1, 0)].rstrip() + ELLIPSIS if room > 1 else ""
        content = markdown_text(post, details=(shortened,) if shortened else ())
        if len(content) > DISCORD_LIMIT:  # a summary longer than the limit on its own
            link = "\n" + post.link
            content = content[: DISCORD_LIMIT - len(link) - 1] + ELLIPSIS + link
    return {"content": content, "allowed_mentions": {"parse": []}}


def matrix(post: Post) -> dict:
    html = [f"<strong>{escape(defuse(post.summary))}</strong>"]
    html += [escape(defuse(line)) for line in post.details if line]
    html.append(f'<a href="{escape(post.link)}">{escape(post.link)}</a>')
    return {"text": markdown_text(post), "html": "<br>".join(html)}


def generic(post: Post, at: datetime) -> dict:
    return {"type": post.type, "timestamp": isoformat_z(at), "data": post.data}


def body(kind: str, post: Post, at: datetime) -> dict:
    """The JSON body a ``kind`` of receiver gets for ``post`` (written at ``at``)."""
    if kind == "slack":
        return slack(post)
    if kind == "discord":
        return discord(post)
    if kind == "matrix":
        return matrix(post)
    if kind == "generic":
        return generic(post, at)
    raise ValueError(f"unknown webhook kind: {kind!r}")
