"""Search: French stemming and accent folding, ranking, highlighting, an index that
follows every write in its transaction, and access exactly as the pages'. Runs on
SQLite (FTS5) and on PostgreSQL (full-text search) alike."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.extensions import db
from app.search.query import fts5_query, marked, search
from app.timeutil import utcnow


@pytest.fixture
def circle(make_user, make_group, make_thread):
    """A secret circle (Alice, admin; Bruno, member) with a thread; Olga outside."""
    alice = make_user(name="Alice")
    bruno = make_user(name="Bruno")
    olga = make_user(name="Olga")
    group = make_group(alice, members=[bruno], handle="tilleuls")
    thread = make_thread(
        group,
        alice,
        title="Réseau ou système de soutien",
        body="Nos accords : pas de réciprocité exigée.",
    )
    return SimpleNamespace(alice=alice, bruno=bruno, olga=olga, group=group, thread=thread)


@pytest.fixture
def find(app):
    """``find(group, text)`` → ``[(kind, id)]`` best first."""

    def run(group, text, limit=50):
        with app.app_context():
            return [(h.kind, h.ref_id) for h in search(group.id, text, limit=limit)]

    return run


@pytest.fixture
def write(app):
    """``write(fn)``: ``fn(session objects)`` in a committed transaction."""

    def run(fn):
        with app.app_context():
            result = fn()
            db.session.commit()
            return result

    return run


def _comment(circle, body, author=None):
    from app.auth.models import User
    from app.threads.models import Thread
    from app.threads.services import add_comment

    return add_comment(
        db.session.get(Thread, circle.thread.id),
        author=db.session.get(User, (author or circle.bruno).id),
        body=body,
        now=utcnow(),
    ).id


def test_accents_do_not_matter(circle, find):
    assert find(circle.group, "reciprocite") == [("thread", circle.thread.id)]
    assert find(circle.group, "RÉCIPROCITÉ") == [("thread", circle.thread.id)]
    assert find(circle.group, "systeme") == [("thread", circle.thread.id)]


def test_french_word_endings_are_folded(circle, find, write):
    accord = write(lambda: _comment(circle, "Je suis d'accord avec cette décision."))
    # "accords" (the thread's context) and "accord" (the comment) share their stem
    assert set(find(circle.group, "accord")) == {("thread", circle.thread.id), ("comment", accord)}
    assert set(find(circle.group, "accords")) == {("thread", circle.thread.id), ("comment", accord)}
    # what Snowball's French stemmer does: "décisions" → "décis", as "décision"...
    assert find(circle.group, "décisions") == [("comment", accord)]
    # ...but "décidé" → "décid": the verb does not find the noun
    assert find(circle.group, "décidé") == []


def test_every_word_is_required(circle, find, write):
    write(lambda: _comment(circle, "Le soutien matériel"))
    both = write(lambda: _comment(circle, "Le soutien affectif, l'écoute"))
    assert find(circle.group, "soutien écoute") == [("comment", both)]


@pytest.mark.parametrize("text", ['"', "-", "*", ":", "(", ")", "'", "^", "…", '-*:"(^'])
def test_punctuation_never_fails(circle, find, text):
    assert find(circle.group, text) == []
    assert find(circle.group, f"soutien {text}") == [("thread", circle.thread.id)]


@pytest.mark.parametrize("text", ["NEAR", "NEAR(a b)", "a:b", "AND", "OR NOT", "x*y", "title:x"])
def test_query_syntax_words_are_plain_words(circle, find, write, text):
    assert find(circle.group, text) == []
    comment_id = write(lambda: _comment(circle, f"on a écrit {text} ici"))
    assert find(circle.group, text) == [("comment", comment_id)]


def test_fts5_query_quotes_every_word():
    assert fts5_query('NEAR "-" accords*: de') == '"near"* AND "accord"* AND "de"'
    assert fts5_query("heureuse") == '("heureux"* OR "heureuse")'
    assert fts5_query("--") == ""


def test_a_title_match_comes_first(circle, find, write, make_thread):
    from app.auth.models import User
    from app.threads.models import Thread
    from app.threads.services import add_comment

    titled = make_thread(circle.group, circle.alice, title="La relance", body="Rien d'autre.")

    def comments():
        thread = db.session.get(Thread, circle.thread.id)
        author = db.session.get(User, circle.bruno.id)
        return [
            add_comment(thread, author=author, body=body, now=utcnow()).id
            for body in ("On parle de relance ici.", "Et de relance encore, relance !")
        ]

    write(comments)
    found = find(circle.group, "relance")
    assert found[0] == ("thread", titled.id)
    assert len(found) == 3


def test_an_edit_updates_the_index_and_a_delete_removes_it(circle, app, find, write):
    from app.threads.models import Comment, Thread
    from app.threads.services import delete_comment, edit_comment, edit_thread

    comment_id = write(lambda: _comment(circle, "Un mot rare : tournesol."))
    assert find(circle.group, "tournesol") == [("comment", comment_id)]

    write(
        lambda: edit_comment(db.session.get(Comment, comment_id), body="Coquelicot.", now=utcnow())
    )
    assert find(circle.group, "tournesol") == []
    assert find(circle.group, "coquelicot") == [("comment", comment_id)]

    write(lambda: delete_comment(db.session.get(Comment, comment_id), now=utcnow()))
    assert find(circle.group, "coquelicot") == []

    from app.auth.models import User

    write(
        lambda: edit_thread(
            db.session.get(Thread, circle.thread.id),
            editor=db.session.get(User, circle.alice.id),
            title="Un titre neuf",
            body="Un contexte neuf.",
            now=utcnow(),
        )
    )
    assert find(circle.group, "réseau") == []
    assert find(circle.group, "neuf") == [("thread", circle.thread.id)]


def test_a_rolled_back_write_leaves_the_index_as_it_was(circle, app, find):
    from app.threads.models import Thread

    with app.app_context():
        _comment(circle, "Perce-neige")
        db.session.flush()
        assert [h.kind for h in search(circle.group.id, "perce neige", limit=5)] == ["comment"]
        thread = db.session.get(Thread, circle.thread.id)
        thread.title = "Jonquille"
        db.session.flush()
        db.session.rollback()
    assert find(circle.group, "perce neige") == []
    assert find(circle.group, "jonquille") == []
    assert find(circle.group, "réseau") == [("thread", circle.thread.id)]


def test_polls_outcomes_and_agreements_are_found(circle, find, write, make_history):
    from datetime import timedelta

    from app.auth.models import User
    from app.polls.models import Poll
    from app.polls.services import close_poll, create_poll, set_statement
    from app.threads.models import Thread

    history = make_history(circle.group, circle.thread, [circle.alice, circle.bruno])
    adopted = history.adopt(title="Nos accords d'écoute", body="Deux temps d'écoute par semaine.")
    assert adopted.applied

    def poll_with_statement():
        now = utcnow()
        alice = db.session.get(User, circle.alice.id)
        poll = create_poll(
            db.session.get(Thread, circle.thread.id),
            author=alice,
            kind="choice",
            title="Quel jour pour la permanence ?",
            details="Un créneau hebdomadaire.",
            options=["Lundi", "Jeudi"],
            closing_at=now + timedelta(days=1),
            now=now,
        )
        close_poll(poll, actor=alice, now=now)
        set_statement(
            db.session.get(Poll, poll.id),
            author=alice,
            text="Le jeudi, à la Maison des associations.",
            now=now,
        )
        return poll.id

    poll_id = write(poll_with_statement)
    assert set(find(circle.group, "permanence")) == {("poll", poll_id), ("outcome", poll_id)}
    assert find(circle.group, "associations") == [("outcome", poll_id)]
    assert find(circle.group, "semaine") == [("agreement", adopted.agreement_id)]

    amended = history.amend(adopted.agreement_id, 1, body="Trois temps d'écoute par mois.")
    assert amended.applied
    assert find(circle.group, "semaine") == []
    assert find(circle.group, "mois") == [("agreement", adopted.agreement_id)]


def test_other_circles_are_not_searched(circle, find, make_user, make_group, make_thread):
    eve = make_user(name="Eve")
    other = make_group(eve, handle="ailleurs")
    make_thread(other, eve, title="Réciprocité ailleurs", body="")
    assert find(circle.group, "reciprocite") == [("thread", circle.thread.id)]


# -- highlighting -----------------------------------------------------------------------


def test_marks_are_the_only_markup():
    assert (
        str(marked("a \x02<b>x</b>\x03 & \x02y"))
        == "a <mark>&lt;b&gt;x&lt;/b&gt;</mark> &amp; <mark>y</mark>"
    )
    assert str(marked("\x03 stray \x03")) == " stray "


def test_highlighting_escapes_stored_html(circle, app, write):
    write(
        lambda: _comment(circle, 'Un <script>alert("x")</script> et <img src=x onerror=y> sureau')
    )
    with app.app_context():
        (hit,) = search(circle.group.id, "sureau", limit=5)
    snippet = str(hit.snippet)
    assert "<mark>sureau</mark>" in snippet
    assert "<script" not in snippet and "<img" not in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_snippets_read_as_text_not_as_markdown_source(circle, app, write):
    write(
        lambda: _comment(
            circle,
            "Nous écoutons **sans obligation de sureau** :\n- *chacun* donne\n"
            "Voir [la charte](https://exemple.org/charte) `ici`",
        )
    )
    with app.app_context():
        (hit,) = search(circle.group.id, "sureau", limit=5)
    snippet = str(hit.snippet)
    assert "sans obligation de <mark>sureau</mark>" in snippet
    assert "chacun donne" in snippet and "la charte" in snippet
    assert not any(mark in snippet for mark in ("*", "`", "](", "\n- "))


# -- pages --------------------------------------------------------------------------------


def test_the_page_shows_ranked_highlighted_results_with_links(circle, page, write):
    comment_id = write(lambda: _comment(circle, "Un système de soutien."))
    status, html = page("/g/tilleuls/search?q=systeme+soutien", circle.bruno)
    assert status == 200
    assert 'value="systeme soutien"' in html
    assert html.index(f'href="/t/{circle.thread.id}"') < html.index(
        f'href="/t/{circle.thread.id}#comment-{comment_id}"'
    )
    assert "<mark>système</mark> de <mark>soutien</mark>" in html


def test_the_group_page_has_the_search_box(circle, page):
    status, html = page("/g/tilleuls", circle.bruno)
    assert status == 200
    assert 'action="/g/tilleuls/search"' in html and 'role="search"' in html


def test_the_page_says_when_nothing_matches(circle, page):
    status, html = page("/g/tilleuls/search?q=zzzz", circle.bruno)
    assert status == 200
    assert "Nothing in this circle matches" in html


def test_a_long_query_is_refused_with_a_clear_message(circle, page):
    status, html = page("/g/tilleuls/search?q=" + "a" * 201, circle.bruno)
    assert status == 400
    assert "At most 200 characters." in html


def test_the_page_pages(circle, page, write):
    write(lambda: [_comment(circle, f"Glycine numéro {i}") for i in range(25)])
    status, html = page("/g/tilleuls/search?q=glycine", circle.bruno)
    assert html.count('class="search-result"') == 20
    assert "page=2" in html
    status, html = page("/g/tilleuls/search?q=glycine&page=2", circle.bruno)
    assert html.count('class="search-result"') == 5


def test_the_page_is_for_readers_only(circle, page):
    assert page("/g/tilleuls/search?q=reciprocite", circle.olga)[0] == 404


# -- API ------------------------------------------------------------------------------------


def test_api_search_with_cursor(circle, api, write):
    ids = write(lambda: [_comment(circle, f"Lilas {i}") for i in range(3)])
    client = api(circle.bruno)
    first = client.get("/api/v1/groups/tilleuls/search?q=lilas&limit=2")
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert [i["kind"] for i in body["items"]] == ["comment", "comment"]
    item = body["items"][0]
    assert item["thread_id"] == circle.thread.id
    assert item["thread_title"] == "Réseau ou système de soutien"
    assert item["snippet_html"].startswith("<mark>Lilas</mark>")
    assert item["url"].endswith(f"/t/{circle.thread.id}#comment-{item['id']}")
    second = client.get(f"/api/v1/groups/tilleuls/search?q=lilas&limit=2&cursor={body['next']}")
    rest = second.get_json()
    assert rest["next"] is None
    assert {i["id"] for i in body["items"] + rest["items"]} == set(ids)


def test_api_non_members_get_404_and_closed_groups_403(
    circle, api, error_of, make_user, make_group
):
    error_of(api(circle.olga).get("/api/v1/groups/tilleuls/search?q=soutien"), 404, "not_found")
    make_group(circle.olga, handle="ferme", privacy="closed")
    error_of(api(circle.bruno).get("/api/v1/groups/ferme/search?q=x"), 403, "forbidden")


def test_api_bad_queries(circle, api, error_of):
    client = api(circle.bruno)
    error = error_of(client.get("/api/v1/groups/tilleuls/search?q=" + "a" * 201), 400)
    assert "q" in error["fields"]
    error = error_of(client.get("/api/v1/groups/tilleuls/search"), 400)
    assert "q" in error["fields"]
    error = error_of(client.get("/api/v1/groups/tilleuls/search?q=a&cursor=nope"), 400)
    assert "cursor" in error["fields"]
    response = client.get('/api/v1/groups/tilleuls/search?q="NEAR(-*:')
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_open_groups_are_searched_by_signed_in_people(make_user, make_group, make_thread, api):
    owner = make_user(name="Owner")
    reader = make_user(name="Reader")
    group = make_group(owner, handle="ouvert", privacy="open")
    thread = make_thread(group, owner, title="Entraide ouverte", body="")
    response = api(reader).get("/api/v1/groups/ouvert/search?q=entraide")
    assert [i["id"] for i in response.get_json()["items"]] == [thread.id]
