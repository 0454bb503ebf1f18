"""A cache never changes what anyone sees (issue 10): the thread page and the poll pages,
rendered with the fragment cache on (warm with the previous revision when a write
happens) and off, are the same HTML apart from the CSRF token, for an admin, a voter, a
member who may not vote and a member, with a named proposal, an anonymous poll and a
poll whose results are hidden until it closes, before and after each kind of write."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fixtures.page_cache import normalised, signed_in_client

from app.auth.models import User
from app.extensions import db
from app.groups.models import Group, Membership
from app.polls.models import Poll
from app.threads.models import Comment, Thread
from app.timeutil import utcnow


@pytest.fixture
def scene(app, thread_circle):
    """Comments from days ago (replies, reactions, an edit, a deletion); a named
    proposal whose voters are Alice and Bruno; an anonymous poll; a poll whose results
    show once closed. Chloé may vote on the last two only."""
    from app.polls.services import cast_stance, create_poll
    from app.threads.services import add_comment, add_reaction, delete_comment, edit_comment

    c = thread_circle
    start = utcnow() - timedelta(days=3)
    with app.app_context():
        thread = db.session.get(Thread, c.thread.id)
        people = [db.session.get(User, p.id) for p in c.people]
        alice, bruno, chloe, _david = people
        tops = []
        for i in range(12):
            author = people[i % 4]
            parent = tops[-1].id if tops and i % 3 == 2 else None
            comment = add_comment(
                thread,
                author=author,
                body=f"Commentaire {i} pour @{people[(i + 1) % 4].handle}",
                parent_id=parent,
                now=start + timedelta(hours=i),
            )
            if parent is None:
                tops.append(comment)
            add_reaction(comment, user=people[(i + 1) % 4], emoji="👍")
            if i % 4 == 1:
                add_reaction(comment, user=author, emoji="🙏")
        edit_comment(tops[1], body="Corrigé", now=start + timedelta(hours=20))
        delete_comment(tops[2], now=start + timedelta(hours=21))
        later = utcnow() + timedelta(days=2)
        proposal = create_poll(
            thread,
            author=alice,
            kind="proposal",
            title="Une proposition",
            closing_at=later,
            voters=[alice.id, bruno.id],
            now=start + timedelta(hours=5, minutes=30),
        )
        cast_stance(proposal, bruno, choice={"key": "agree"}, now=utcnow())
        anonymous = create_poll(
            thread,
            author=alice,
            kind="choice",
            title="Un sondage anonyme",
            options=["Oui", "Non"],
            anonymous=True,
            closing_at=later,
            now=start + timedelta(hours=8, minutes=30),
        )
        cast_stance(anonymous, chloe, choice={"key": "o1"}, now=utcnow())
        hidden = create_poll(
            thread,
            author=bruno,
            kind="choice",
            title="Résultats à la fin",
            options=["Lundi", "Mardi"],
            results_visibility="after_close",
            closing_at=later,
            now=start + timedelta(hours=9, minutes=30),
        )
        cast_stance(hidden, alice, choice={"key": "o2"}, now=utcnow())
        db.session.commit()
        c.poll_ids = [proposal.id, anonymous.id, hidden.id]
        c.comment_ids = [t.id for t in tops]
    return c


def _clients(app_, people):
    return [signed_in_client(app_, person) for person in people]


def _pages(scene) -> list[str]:
    return [f"/t/{scene.thread.id}", *(f"/p/{i}" for i in scene.poll_ids)]


def _render_all(clients, scene) -> dict:
    shown = {}
    for n, client in enumerate(clients):
        for path in _pages(scene):
            response = client.get(path)
            assert response.status_code == 200, path
            shown[(n, path)] = normalised(response.get_data(as_text=True))
    return shown


def _in(app, work):
    with app.app_context():
        work()
        db.session.commit()


def _writes(scene):
    """(name, work run in an app context) of each kind of write, in order."""
    from app.groups.services import change_role, update_group
    from app.polls.services import (
        cast_stance,
        close_poll,
        create_poll,
        edit_poll,
        reopen_poll,
        withdraw_stance,
    )
    from app.threads.services import (
        add_comment,
        add_reaction,
        delete_comment,
        edit_comment,
        remove_reaction,
        set_closed,
    )

    def person(n):
        return db.session.get(User, scene.people[n].id)

    def thread():
        return db.session.get(Thread, scene.thread.id)

    def poll(n):
        return db.session.get(Poll, scene.poll_ids[n])

    def comment(n):
        return db.session.get(Comment, scene.comment_ids[n])

    def membership(n):
        return db.session.scalar(
            sa.select(Membership).where(
                Membership.user_id == scene.people[n].id, Membership.revoked_at.is_(None)
            )
        )

    later = utcnow() + timedelta(days=3)
    return [
        ("comment", lambda: add_comment(thread(), author=person(1), body="Nouveau", now=utcnow())),
        (
            "reply",
            lambda: add_comment(
                thread(),
                author=person(2),
                body="Réponse",
                parent_id=scene.comment_ids[0],
                now=utcnow(),
            ),
        ),
        ("edit", lambda: edit_comment(comment(3), body="Modifié", now=utcnow())),
        ("delete", lambda: delete_comment(comment(0), now=utcnow())),
        ("reaction added", lambda: add_reaction(comment(1), user=person(3), emoji="🎉")),
        ("reaction removed", lambda: remove_reaction(comment(1), user=person(2), emoji="👍")),
        (
            "stance",
            lambda: cast_stance(
                poll(0), person(0), choice={"key": "block"}, reason="Non, à revoir.", now=utcnow()
            ),
        ),
        (
            "stance changed",
            lambda: cast_stance(poll(2), person(2), choice={"key": "o1"}, now=utcnow()),
        ),
        ("stance withdrawn", lambda: withdraw_stance(poll(0), person(1), now=utcnow())),
        (
            "poll edited",
            lambda: edit_poll(
                poll(0), actor=person(0), now=utcnow(), title="Une proposition corrigée"
            ),
        ),
        (
            "poll opened",
            lambda: create_poll(
                thread(),
                author=person(0),
                kind="choice",
                title="Encore",
                options=["A", "B"],
                closing_at=later,
                now=utcnow(),
            ),
        ),
        ("poll closed", lambda: close_poll(poll(2), actor=person(1), now=utcnow())),
        (
            "poll reopened",
            lambda: reopen_poll(poll(2), closing_at=later, now=utcnow(), actor=person(1)),
        ),
        ("anonymous poll closed", lambda: close_poll(poll(1), actor=person(0), now=utcnow())),
        (
            "role changed",
            lambda: change_role(
                db.session.get(Group, scene.group.id), membership(1), "admin", now=utcnow()
            ),
        ),
        ("member renamed", lambda: setattr(person(3), "name", "David Renommé")),
        (
            "circle renamed",
            lambda: update_group(db.session.get(Group, scene.group.id), name="Le cercle renommé"),
        ),
        ("thread closed", lambda: set_closed(thread(), True, now=utcnow())),
    ]


def test_pages_are_the_same_with_the_cache_on_and_off(app, scene, cached_app, uncached_app):
    viewers = scene.people  # admin, voter (Bruno), non-voter on the proposal (Chloé), member
    cached = _clients(cached_app, viewers)
    uncached = _clients(uncached_app, viewers)
    assert _render_all(cached, scene) == _render_all(uncached, scene)
    for name, work in _writes(scene):
        _render_all(cached, scene)  # the cache is warm with the previous revisions
        _in(app, work)
        after = _render_all(cached, scene)
        expected = _render_all(uncached, scene)
        for key, html in expected.items():
            assert after[key] == html, f"after «{name}», {key} differs with the cache"


def _kept_strings(app_) -> list[str]:
    found = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    for value, _size in app_.extensions["fragments"].local._items.values():
        walk(value)  # kept decoded
    return found


def test_kept_fragments_hold_no_relative_time(app, scene, cached_app):
    """«il y a 3 jours», «dans 2 jours» depend on the moment of the request: the kept
    fragments hold placeholders, every page fills them in."""
    from app.i18n import relative_text

    (client,) = _clients(cached_app, scene.people[:1])
    for path in _pages(scene):
        assert client.get(path).status_code == 200
    html = client.get(f"/p/{scene.poll_ids[0]}").get_data(as_text=True)
    with app.app_context():
        now = utcnow()
        poll = db.session.get(Poll, scene.poll_ids[0])
        comment = db.session.get(Comment, scene.comment_ids[0])
        phrases = {
            relative_text(poll.closing_at, now, locale="fr"),
            relative_text(comment.created_at, now, locale="fr"),
        }
    assert any(phrase in html for phrase in phrases)  # the page shows them
    kept = _kept_strings(cached_app)
    assert kept and not any(phrase in text for phrase in phrases for text in kept)


def test_a_member_who_leaves_and_a_reader_from_outside_get_their_own_links(
    app, scene, cached_app, uncached_app, make_user
):
    """In an open circle, a reader from outside and a member who just left read the
    page kept for members: no «Réagir», «Répondre», picker, reply form nor
    Modifier/Supprimer for them, the same as without the cache; members keep theirs."""
    from app.groups.services import revoke_membership, update_group

    _in(app, lambda: update_group(db.session.get(Group, scene.group.id), privacy="open"))
    viewers = [*scene.people, make_user(name="Zoé")]
    cached = _clients(cached_app, viewers)
    uncached = _clients(uncached_app, viewers)
    assert _render_all(cached, scene) == _render_all(uncached, scene)

    def leave():
        david = db.session.get(User, scene.people[3].id)
        membership = db.session.scalar(
            sa.select(Membership).where(
                Membership.user_id == david.id, Membership.revoked_at.is_(None)
            )
        )
        revoke_membership(
            db.session.get(Group, scene.group.id), membership, actor=david, now=utcnow()
        )

    _in(app, leave)
    after = _render_all(cached, scene)
    assert after == _render_all(uncached, scene)
    path = f"/t/{scene.thread.id}"
    member_only = ("data-react>", "data-reply=", 'id="reaction-picker"', 'id="reply-form"')
    for outside in (3, 4):  # David, who left (he wrote comments), and Zoé
        assert not any(part in after[(outside, path)] for part in member_only), outside
        assert '/edit"' not in after[(outside, path)] and '/delete"' not in after[(outside, path)]
    assert all(part in after[(1, path)] for part in member_only)
    assert '/edit"' in after[(1, path)]
