"""The one place Markdown becomes HTML.

Raw HTML is off (``js-default``), links are limited to safe schemes, and
mentions become links: ``@handle`` of existing people, and, within a group
(``scope``), its members by display name as people type it (``@Bernard``,
``@hélène roux``: ``app/mentions.py``). Callers render once, at write time, and
store the HTML.

Rendering any accepted text costs time in proportion to its length (see
``bench/markdown.py``): markdown-it's nesting guard is lowered to CommonMark's
20, a link label that another label's scan already measured is not scanned
again, a link destination is scanned from one parenthesis to the next, a
plain-text link's scheme is looked for in the last few characters only, and the
garbage collector waits while a text is parsed and rendered. A text is parsed
once: the mentions found while rendering it are kept for the notifications that
follow in the same request.
"""

from __future__ import annotations

import gc
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from html import unescape as html_unescape
from types import SimpleNamespace

from markdown_it import MarkdownIt
from markdown_it import helpers as md_helpers
from markdown_it.common.utils import unescapeAll
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markupsafe import Markup, escape

from .mentions import Directory, Person, sites, typed_handle

SAFE_SCHEMES = ("http:", "https:", "mailto:")

#: markdown-it's recursion guard (its ``default`` preset says 100, CommonMark's
#: 20): brackets nested deeper are shown as text, and quotes or lists nested
#: deeper lose what is inside (no circle writes 20 levels)
MAX_NESTING = 20
#: a URI scheme is looked for in this many characters before ``://``
_SCHEME_WINDOW = 32
_DESTINATION_STOP = re.compile(r"[\x00-\x20\x7f\\()]")
_SCHEME_RE = re.compile(r"(?:^|[^a-z0-9.+-])([a-z][a-z0-9.+-]*)$", re.IGNORECASE)


def _validate_link(url: str) -> bool:
    value = url.strip().lower()
    if ":" not in value.split("/", 1)[0] and not value.startswith("//"):
        return True  # relative link or anchor
    return value.startswith(SAFE_SCHEMES)


def _parse_link_label(state: StateInline, start: int, disableNested: bool = False) -> int:  # noqa: N803
    """markdown-it's ``parseLinkLabel``, remembering what each scan measured.

    The stock helper walks from ``[`` to the matching ``]``, and every ``[``
    inside starts its own walk over the same characters: ``[[[[…`` costs the
    length times the nesting guard. Here each walk is kept per state and start
    (``end``, whether a whole link lies inside, whether the walk went to its
    end), and a walk that meets a ``[`` already measured jumps over its label,
    or stops at once when that one never closes or holds a link it may not.
    """
    memo = state.__dict__.setdefault("_cercle_labels", {})
    maximum = state.posMax
    known = memo.get((start, maximum))
    if known is not None:
        end, nested, complete = known
        if nested and disableNested:
            return -1
        if complete:
            return end

    old_pos = state.pos
    src = state.src
    state.pos = start + 1
    level = 1
    nested = False
    found = -1
    while state.pos < maximum:
        pos = state.pos
        marker = src[pos]
        if marker == "]":
            level -= 1
            if level == 0:
                found = pos
                break
        state.md.inline.skipToken(state)
        if marker != "[":
            continue
        if state.pos != pos + 1:  # a whole link: not a bracket of this label
            nested = True
            if disableNested:
                memo[(start, maximum)] = (-1, True, False)
                state.pos = old_pos
                return -1
            continue
        inner = memo.get((pos, maximum))
        if inner is None or not (inner[2] or (inner[1] and disableNested)):
            level += 1  # not measured: walk through it
            continue
        inner_end, inner_nested, _complete = inner
        if inner_nested:
            nested = True
            if disableNested:
                memo[(start, maximum)] = (-1, True, False)
                state.pos = old_pos
                return -1
        if inner_end < 0:
            break  # the inner label never closes, so neither does this one
        state.pos = inner_end  # its closing ``]`` comes next, at this level + 1
        level += 1
    memo[(start, maximum)] = (found, nested, True)
    state.pos = old_pos
    return found


class _Destination:
    """What markdown-it's link rules read of a parsed destination."""

    __slots__ = ("ok", "pos", "str")

    def __init__(self, ok: bool = False, pos: int = 0, text: str = "") -> None:
        self.ok, self.pos, self.str = ok, pos, text


def _parse_link_destination(string: str, pos: int, maximum: int) -> _Destination:
    """markdown-it's ``parseLinkDestination``, stepping from one backslash or
    parenthesis to the next instead of character by character (the same result:
    a bare destination ends at a space, a control character or an unbalanced
    ``)``, and fails past 32 nested ``(``)."""
    if pos < maximum and string[pos] == "<":  # ends at the first ``<``, ``>`` or line end
        found = md_helpers.parseLinkDestination(string, pos, maximum)
        return _Destination(found.ok, found.pos, found.str)
    start = pos
    level = 0
    while pos < maximum:
        stop = _DESTINATION_STOP.search(string, pos, maximum)
        if stop is None:
            pos = maximum
            break
        pos = stop.start()
        char = string[pos]
        if char == "\\":
            if pos + 1 < maximum:
                if string[pos + 1] == " ":
                    break
                pos += 2
            else:
                pos += 1
        elif char == "(":
            level += 1
            if level > 32:
                return _Destination()
            pos += 1
        elif char == ")":
            if level == 0:
                break
            level -= 1
            pos += 1
        else:
            break  # a space or a control character
    if start == pos or level != 0:
        return _Destination()
    return _Destination(True, pos, unescapeAll(string[start:pos]))


def _linkify(state: StateInline, silent: bool) -> bool:
    """markdown-it's inline ``linkify`` rule, looking for the scheme before ``://``
    in the last characters of the pending text instead of all of it (which made
    ``a://a://…`` quadratic), and refusing a link no longer than its scheme."""
    if state.linkLevel > 0:
        return False
    pos, maximum, src = state.pos, state.posMax, state.src
    if pos + 3 > maximum or src[pos] != ":" or src[pos + 1] != "/" or src[pos + 2] != "/":
        return False
    pending = state.pending
    tail = pending[-_SCHEME_WINDOW:]
    match = _SCHEME_RE.search(tail)
    if not match or (match.start(1) == 0 and len(tail) < len(pending)):
        return False  # no scheme, or one longer than any scheme linkify knows
    proto = match.group(1)
    link = state.md.linkify.match_at_start(src[pos - len(proto) :])
    if not link:
        return False
    url = link.url
    if len(url) <= len(proto):
        # markdown-it (JavaScript) has this guard, markdown-it-py not: inside a link
        # label, ``pending`` is the text before the label, so ``www.a.fr[http://a://``
        # found no link past the scheme and raised "inline rule didn't increment state.pos"
        return False
    url = url.rstrip("*")  # a trailing ``*`` belongs to emphasis
    full_url = state.md.normalizeLink(url)
    if not state.md.validateLink(full_url):
        return False
    if not silent:
        state.pending = pending[: -len(proto)]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": full_url}
        token.markup = "linkify"
        token.info = "auto"
        token = state.push("text", "", 0)
        token.content = state.md.normalizeLinkText(url)
        token = state.push("link_close", "a", -1)
        token.markup = "linkify"
        token.info = "auto"
    state.pos += len(url) - len(proto)
    return True


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("js-default", {"linkify": True, "typographer": False})
    md.options["maxNesting"] = MAX_NESTING
    md.enable(["linkify", "strikethrough", "table"])
    md.validateLink = _validate_link
    md.helpers = SimpleNamespace(
        parseLinkLabel=_parse_link_label,
        parseLinkDestination=_parse_link_destination,
        parseLinkTitle=md_helpers.parseLinkTitle,
    )
    md.inline.ruler.at("linkify", _linkify)

    def link_open(self, tokens, idx, options, env):
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        if href.startswith(("http:", "https:")):
            token.attrSet("rel", "nofollow noopener noreferrer")
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


_md = _make_parser()

#: what costs markdown-it work in a text, and how much (a character that may start
#: a link, an image, emphasis, code, an entity, an escape or a table cell: 1; a line:
#: 4; a place where linkify looks for a web or email address: 6). A text weighing
#: more than ``MAX_MARKUP_WEIGHT`` is no prose a circle writes (the two founding
#: texts of the product weigh 155 and 340 for 3,600 and 7,300 characters) and is
#: shown as plain text in paragraphs, so that no accepted text costs more than a few
#: tens of milliseconds (markdown-it-py spends up to about 8 µs on each unit).
MARKUP_CHARACTERS = "[]!*_~`<&\\|"
LINKIFY_MARKS = ("://", "www.", "@")
MAX_MARKUP_WEIGHT = 3_000
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def markup_weight(text: str) -> int:
    """How much markdown-it work a text asks for, counted in one pass per mark."""
    weight = sum(text.count(character) for character in MARKUP_CHARACTERS)
    weight += 4 * text.count("\n")
    return weight + 6 * sum(text.count(mark) for mark in LINKIFY_MARKS)


def _plain_tokens(text: str) -> list[Token]:
    """Paragraphs of plain text (line breaks kept), as tokens the renderer escapes."""
    tokens: list[Token] = []
    for paragraph in _BLANK_LINES.split(text.strip()):
        children: list[Token] = []
        for number, line in enumerate(paragraph.split("\n")):
            if number:
                children.append(Token("hardbreak", "br", 0))
            children.append(Token("text", "", 0, content=line))
        tokens += [
            Token("paragraph_open", "p", 1, block=True),
            Token("inline", "", 0, content=paragraph, children=children, block=True),
            Token("paragraph_close", "p", -1, block=True),
        ]
    return tokens


def _parse(text: str) -> list[Token]:
    """markdown-it's tokens for a text, or its plain paragraphs when it is mostly markup."""
    if markup_weight(text) > MAX_MARKUP_WEIGHT:
        return _plain_tokens(text)
    return _md.parse(text)


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """The cyclic garbage collector paused while a text is parsed and rendered: the
    tens of thousands of tokens of a long text would trigger collections that each
    walk all of them, making a long text's cost grow faster than its length (tokens
    hold no reference cycles; what is left is collected afterwards)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sites_in(tokens: list[Token]) -> tuple[str, ...]:
    """The text after each ``@`` that may start a mention, outside code and links."""
    found: list[str] = []
    for block in tokens:
        in_link = 0
        for token in block.children or ():
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            elif token.type == "text" and not in_link and "@" in token.content:
                found += sites(token.content)
    return tuple(found)


class _RecentMentions:
    """The places that may be mentions in the last texts rendered or scanned in this
    process, so that the notifications sent after a write do not parse the text a
    second time."""

    size = 32

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> tuple[str, ...] | None:
        with self._lock:
            found = self._items.get(text)
            if found is not None:
                self._items.move_to_end(text)
            return found

    def put(self, text: str, found: tuple[str, ...]) -> None:
        with self._lock:
            self._items[text] = found
            self._items.move_to_end(text)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_recent = _RecentMentions()


def _sites(text: str) -> tuple[str, ...]:
    found = _recent.get(text)
    if found is None:
        with _no_gc_pauses():
            found = _sites_in(_parse(text))
        _recent.put(text, found)
    return found


def mentioned_handles(text: str, scope: int | None = None) -> frozenset[str]:
    """The lower-cased handles of the people a text mentions (outside code and
    links), as ``render_with_mentions`` links them: without ``scope``, every handle
    typed; with a group's ``scope``, its members named by handle or display name,
    and other people by handle."""
    found = _sites(text or "")
    if scope is None:
        return frozenset(h for h in map(typed_handle, found) if h is not None)
    directory = _directory(found, scope)
    handles: set[str] = set()
    for after in found:
        match = directory.match(after)
        if match is not None:
            handles.add(match[1].handle.lower())
    return frozenset(handles)


def _link_mentions(html: str, directory: Directory, url_for_handle: Callable[[str], str]) -> str:
    if not directory.people:
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
        if depth_skip > 0 or "@" not in part:
            out.append(part)
            continue
        text = html_unescape(part)
        found = list(directory.mentions(text))
        if not found:
            out.append(part)
            continue
        pos = 0
        for mention in found:
            href = escape(url_for_handle(mention.person.handle))
            words = escape(text[mention.start : mention.end])
            out.append(f'{escape(text[pos : mention.start])}<a class="mention" href="{href}">')
            out.append(f"{words}</a>")
            pos = mention.end
        out.append(str(escape(text[pos:])))
    return "".join(out)


def render_markdown(
    text: str,
    *,
    known_handles: Iterable[str] = (),
    url_for_handle: Callable[[str], str] | None = None,
    tokens: list[Token] | None = None,
    people: Iterable[Person] = (),
) -> Markup:
    """Render user Markdown to safe HTML, linking mentions of ``known_handles`` and of
    ``people`` by handle or display name (``tokens``: the text already parsed, so as
    not to parse it twice)."""
    with _no_gc_pauses():
        if tokens is None:
            tokens = _parse(text or "")
        html = _md.renderer.render(tokens, _md.options, {})
    if url_for_handle is not None:
        named = {p.handle.lower(): p for p in people}
        for handle in known_handles:
            named.setdefault(handle.lower(), Person(handle.lower(), ""))
        html = _link_mentions(html, Directory(named.values()), url_for_handle)
    return Markup(html)  # noqa: S704 - markdown-it escapes raw HTML (js-default)


class PeopleDirectory:
    """Who a mention may name: set once by the accounts feature (``auth``), which
    owns people and their pages (``known_handles``, ``url_for_handle``), and by the
    groups feature, which knows a group's members (``members_of``); Markdown itself
    knows nothing of accounts."""

    known_handles: Callable[[set[str]], Iterable[str]] = staticmethod(lambda handles: ())
    url_for_handle: Callable[[str], str] | None = None
    members_of: Callable[[int], Iterable[Person]] = staticmethod(lambda scope: ())


people = PeopleDirectory()


def register_people(
    known_handles: Callable[[set[str]], Iterable[str]], url_for_handle: Callable[[str], str]
) -> None:
    """Tell Markdown which handles exist (``known_handles(handles)``) and where each
    person's page is (``url_for_handle(handle)``)."""
    people.known_handles = known_handles
    people.url_for_handle = url_for_handle


def register_members(members_of: Callable[[int], Iterable[Person]]) -> None:
    """Tell Markdown who may be named by display name in a group's texts
    (``members_of(group_id)``: its current members)."""
    people.members_of = members_of


def _directory(found: tuple[str, ...], scope: int | None) -> Directory:
    """The people the mention sites ``found`` may name: the group's members (when
    there is a ``scope`` and an ``@`` at all), and the people whose handles are typed."""
    if not found:
        return Directory(())
    named = {p.handle.lower(): p for p in (people.members_of(scope) if scope else ())}
    typed = {h for h in map(typed_handle, found) if h is not None} - set(named)
    for handle in people.known_handles(typed) if typed else ():
        named.setdefault(handle.lower(), Person(handle.lower(), ""))
    return Directory(named.values())


def render_with_mentions(text: str, scope: int | None = None) -> Markup:
    """Markdown → HTML, with mentions of existing people linked to their page: by
    ``@handle``, and, within a group (``scope``: its id), its members by display name.

    The text is parsed once; what may be mentions is kept for ``mentioned_handles``."""
    text = text or ""
    with _no_gc_pauses():
        tokens = _parse(text)
        found = _sites_in(tokens)
    _recent.put(text, found)
    directory = _directory(found, scope)
    return render_markdown(
        text, url_for_handle=people.url_for_handle, tokens=tokens, people=directory.people
    )


#: the kinds of block ``text_blocks`` tells apart
BLOCK_KINDS = ("heading", "paragraph", "item", "quote", "code", "row", "rule")


def _inline_text(token: Token) -> str:
    """What a reader sees of an inline token: its text, code and image descriptions,
    line breaks as spaces, without the Markdown marks."""
    out: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline", "text_special"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)
    return "".join(out)


def text_blocks(text: str) -> list[tuple[str, str, str]]:
    """A Markdown text as a reader sees it, block by block: ``(kind, marker, text)``
    with ``kind`` among ``BLOCK_KINDS``, ``marker`` a list item's (``1.`` or ``•``),
    and the plain text without the Markdown marks (a table row: its cells joined by
    `` · ``). For comparing what people read (the word diff of two versions)."""
    blocks: list[tuple[str, str, str]] = []
    with _no_gc_pauses():
        tokens = _parse(text or "")
    markers: list[str] = []  # the list items open, innermost last
    kinds: list[str] = []  # the containers open: item, quote
    heading = False
    row: list[str] | None = None
    for token in tokens:
        kind = token.type
        if kind == "list_item_open":
            markers.append(f"{token.info}." if token.info else "•")
            kinds.append("item")
        elif kind == "list_item_close":
            markers.pop()
            kinds.pop()
        elif kind == "blockquote_open":
            kinds.append("quote")
        elif kind == "blockquote_close":
            kinds.pop()
        elif kind == "heading_open":
            heading = True
        elif kind == "heading_close":
            heading = False
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            blocks.append(("row", "", " · ".join(row)))
            row = None
        elif kind in ("fence", "code_block"):
            blocks.append(("code", "", token.content.rstrip("\n")))
        elif kind == "hr":
            blocks.append(("rule", "", "—"))
        elif kind == "inline":
            content = _inline_text(token)
            if row is not None:
                row.append(content)
            elif heading:
                blocks.append(("heading", "", content))
            elif kinds:
                marker = markers[-1] if kinds[-1] == "item" else ""
                blocks.append((kinds[-1], marker, content))
                if kinds[-1] == "item":
                    markers[-1] = ""  # a second paragraph of the same item: no marker
            else:
                blocks.append(("paragraph", "", content))
    return blocks
