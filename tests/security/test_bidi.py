"""People's text is shown bidi-isolated: a name holding U+202E (RIGHT-TO-LEFT OVERRIDE)
cannot reorder the page around it.

Each text of the pages below that holds the override must sit in a ``<bdi>`` (or in
rendered Markdown, its own block), or, in ``<title>``, attributes and translated
sentences, between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from app.bidi import FSI, PDI, bdi, bidi_text
from app.extensions import db
from app.timeutil import utcnow

RLO = "\u202e"


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent


VOID = {"meta", "link", "input", "br", "img", "hr", "source", "col", "area", "wbr"}


class Finder(HTMLParser):
    """Where the override occurs: each text and attribute holding it, with the elements
    around it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.node = Node("#root", [], None)
        self.texts: list[tuple[str, Node]] = []
        self.attributes: list[tuple[str, str, Node]] = []

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.node)
        for name, value in attrs:
            if value and RLO in value:
                self.attributes.append((name, value, node))
        if tag not in VOID:
            self.node = node

    def handle_endtag(self, tag):
        node = self.node
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.node = node.parent

    def handle_data(self, data):
        if RLO in data:
            self.texts.append((data, self.node))


def _ancestors(node):
    while node is not None:
        yield node
        node = node.parent


def _isolated_in_text(text: str) -> bool:
    """Every override follows an FSI that is closed after it."""
    depth = 0
    for char in text:
        if char == FSI:
            depth += 1
        elif char == PDI:
            depth -= 1
        elif char == RLO and depth <= 0:
            return False
    return True


def unisolated(html: str) -> list[str]:
    """The places where the override is not isolated."""
    finder = Finder()
    finder.feed(html)
    problems = []
    for data, node in finder.texts:
        chain = list(_ancestors(node))
        tags = [n.tag for n in chain]
        if "bdi" in tags or "textarea" in tags:  # a form's raw text is the person's own
            continue
        if any("markdown" in (n.attrs.get("class") or "").split() for n in chain):
            continue
        if _isolated_in_text(data):  # <title>, or a name within a translated sentence
            continue
        problems.append(f"<{'/'.join(reversed(tags[:-1]))}> {data.strip()!r}")
    for name, value, node in finder.attributes:
        if name == "value" or _isolated_in_text(value):  # an input's value: the raw text
            continue
        problems.append(f"<{node.tag} {name}={value!r}>")
    return problems


@pytest.fixture
def spoofed(make_user, make_group, make_thread, run):
    """A circle where every name and text holds the override."""
    from app.auth.models import User
    from app.polls.services import create_poll
    from app.threads.models import Thread
    from app.threads.services import add_comment

    admin = make_user(name=f"Alice{RLO}nimda")
    member = make_user(name=f"Bruno{RLO}321")
    group = make_group(
        admin,
        members=[member],
        name=f"Cercle{RLO}xueiv",
        description=f"Nous{RLO} sommes",
    )
    thread = make_thread(group, admin, title=f"Sujet{RLO}gnol", body=f"Le{RLO} contexte")

    def poll_and_comment():
        t = db.session.get(Thread, thread.id)
        author = db.session.get(User, admin.id)
        add_comment(t, author=db.session.get(User, member.id), body=f"Oui{RLO} non", now=utcnow())
        poll = create_poll(
            t,
            author=author,
            kind="proposal",
            title=f"Proposition{RLO}evil",
            closing_at=utcnow() + timedelta(days=3),
            now=utcnow(),
        )
        return poll.id

    poll_id = run(poll_and_comment)
    return SimpleNamespace(admin=admin, member=member, group=group, thread=thread, poll_id=poll_id)


def test_the_checker_sees_an_unisolated_name():
    assert unisolated(f"<p>Hello {RLO}Evil (admin)</p>")
    assert unisolated(f'<a title="{RLO}x">y</a>')
    assert unisolated(f"<title>{RLO}x · Cercle</title>")
    assert unisolated(f"<p>By {FSI}{PDI}{RLO}x, yesterday</p>")
    assert not unisolated(f"<p>By {FSI}{RLO}x{PDI}, yesterday</p>")
    assert not unisolated(f"<p>Hello <bdi>{RLO}Evil</bdi> (admin)</p>")
    assert not unisolated(f"<title>{FSI}{RLO}x{PDI} · Cercle</title>")


def test_the_filters():
    assert str(bdi(f"<{RLO}>")) == f"<bdi>&lt;{RLO}&gt;</bdi>"
    assert str(bdi("سلمى")) == "<bdi>سلمى</bdi>"  # right-to-left letters
    assert bidi_text(f"x{RLO}") == f"{FSI}x{RLO}{PDI}"
    assert bidi_text("דנה") == f"{FSI}דנה{PDI}"
    # text that cannot reorder anything is left as it is
    assert str(bdi("Chloé <3")) == "Chloé &lt;3"
    assert bidi_text("Anaïs Dupré") == "Anaïs Dupré"
    assert bdi(None) == "" and bidi_text(None) == ""


@pytest.mark.parametrize("who", ["admin", "member"])
def test_main_pages_isolate_peoples_text(client, auth, spoofed, who):
    auth.login(getattr(spoofed, who))
    handle = spoofed.group.handle
    problems = {}
    for path in (
        "/",
        f"/g/{handle}",
        f"/g/{handle}/members",
        f"/t/{spoofed.thread.id}",
        f"/p/{spoofed.poll_id}",
        "/notifications",  # the poll opened, told in a sentence with its author's name
    ):
        response = client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert RLO in html, path  # the names are shown
        if unisolated(html):
            problems[path] = unisolated(html)
        if path == "/notifications" and who == "member":
            assert f"{FSI}{spoofed.admin.name}{PDI} made a proposal" in html
    assert problems == {}


def test_the_stylesheet_isolates_bdi_and_markdown(client):
    css = client.get("/static/app.css").get_data(as_text=True)
    rule = next(line for line in css.splitlines() if "unicode-bidi: isolate" in line)
    assert "bdi" in rule and ".markdown" in rule


def _crawl(client, start, limit=200):
    """Every page reachable from ``start`` by links (GET), the first ``limit``."""
    import re

    seen, queue, pages = set(), list(start), {}
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, headers={"Accept-Language": "en"})
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()  # a streamed download holds its request open until closed
            continue
        html = response.get_data(as_text=True)
        pages[path] = html
        for link in re.findall(r'href="(/[^"#]*)"', html):
            link = link.replace("&amp;", "&")
            if not link.startswith(("/static/", "/signout")) and "export" not in link:
                queue.append(link)
    return pages


@pytest.mark.parametrize("who", ["admin", "member"])
def test_every_linked_page_isolates_peoples_text(client, auth, spoofed, who):
    """Not only the main pages: every page a member reaches by following links."""
    auth.login(getattr(spoofed, who))
    handle = spoofed.group.handle
    pages = _crawl(
        client,
        [
            "/",
            f"/g/{handle}",
            f"/t/{spoofed.thread.id}",
            f"/p/{spoofed.poll_id}",
            f"/p/{spoofed.poll_id}/remind",
            f"/p/{spoofed.poll_id}/close",
            f"/t/{spoofed.thread.id}/polls/new",
        ],
    )
    problems = {path: unisolated(html) for path, html in pages.items() if unisolated(html)}
    assert {"/", f"/g/{handle}/members", f"/t/{spoofed.thread.id}/polls/new"} <= set(pages)
    assert problems == {}, "\n".join(f"{path}: {found}" for path, found in problems.items())
