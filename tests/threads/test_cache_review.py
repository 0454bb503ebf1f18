"""A cache never changes what anyone sees (issue 10), attacked: pages rendered with the
fragment cache on, warm, and off are the same HTML apart from the CSRF token, when
time passes, when writes come from paths the page tests do not take, and for readers
who come one after another."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fixtures.page_cache import normalised, signed_in_client
from test_fragments import redis_server  # noqa: F401 - a fixture of the tests below

from app.auth.models import User
from app.extensions import db
from app.threads.models import Thread
from app.timeutil import utcnow


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return normalised(response.get_data(as_text=True))


def _later(monkeypatch, delta: timedelta) -> None:
    """Every page renders as if ``delta`` had passed."""
    import app.i18n
    import app.polls.views
    import app.threads.views

    moved = utcnow() + delta
    for module in (app.i18n, app.polls.views, app.threads.views):
        monkeypatch.setattr(module, "utcnow", lambda: moved)


@pytest.fixture
def open_poll(app, thread_circle):
    """A poll of the thread closing in five hours."""
    from app.polls.services import create_poll

    with app.app_context():
        thread = db.session.get(Thread, thread_circle.thread.id)
        poll = create_poll(
            thread,
            author=thread.author,
            kind="choice",
            title="Quel jour ?",
            options=["Lundi", "Mardi"],
            closing_at=utcnow() + timedelta(hours=5),
            now=utcnow(),
        )
        db.session.commit()
        return poll.id


def test_a_poll_card_says_how_long_it_has_left_as_time_passes(
    monkeypatch, thread_circle, open_poll, cached_app, uncached_app
):
    member = thread_circle.members[0]
    paths = [f"/t/{thread_circle.thread.id}", f"/p/{open_poll}"]
    cached, uncached = signed_in_client(cached_app, member), signed_in_client(uncached_app, member)
    for path in paths:
        assert _page(cached, path) == _page(uncached, path)  # warm, «closes in 5 hours»
    _later(monkeypatch, timedelta(hours=3))
    for path in paths:
        got, want = _page(cached, path), _page(uncached, path)
        assert got == want, _diff(want, got)


def test_a_proposal_warns_of_another_one_on_the_same_agreement_in_another_thread(
    monkeypatch,
    ten_days_ago,
    adopted,
    propose,
    clock,
    make_thread,
    thread_circle,
    cached_app,
    uncached_app,
):
    agreement_id, _poll = adopted()
    clock.now = utcnow()
    repeal = {"action": "repeal", "agreement_id": agreement_id, "base_version": 1}
    first = propose(repeal)
    admin = thread_circle.admin
    paths = [f"/t/{thread_circle.thread.id}", f"/p/{first.id}"]
    cached, uncached = signed_in_client(cached_app, admin), signed_in_client(uncached_app, admin)
    for path in paths:
        assert _page(cached, path) == _page(uncached, path)  # warm, no warning
    elsewhere = make_thread(thread_circle.group, admin)
    propose(repeal, thread=elsewhere, closing_in=timedelta(hours=1))  # from another thread
    for path in paths:
        got, want = _page(cached, path), _page(uncached, path)
        assert "Une autre proposition ouverte" in want
        assert got == want, _diff(want, got)
    _later(monkeypatch, timedelta(hours=2))  # the other one fell due: no more warning
    for path in paths:
        got, want = _page(cached, path), _page(uncached, path)
        assert "Une autre proposition ouverte" not in want
        assert got == want, _diff(want, got)


def _diff(a: str, b: str) -> str:
    import difflib

    return "\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=1))


def test_a_page_shown_again_after_an_empty_comment_does_not_keep_a_due_poll_open(
    monkeypatch, thread_circle, propose, cached_app, uncached_app
):
    """A form sent back (400) renders the thread without closing due polls (a POST);
    what it renders must not be what the next reading (a GET, which closes them) gets."""
    from fixtures.agreement_pages import LISTENING

    proposal = propose(LISTENING, closing_in=timedelta(hours=1))
    member = thread_circle.members[0]
    path = f"/t/{thread_circle.thread.id}"
    cached, uncached = signed_in_client(cached_app, member), signed_in_client(uncached_app, member)
    _later(monkeypatch, timedelta(hours=2))  # the proposal fell due; nobody closed it yet
    refused = cached.post(f"{path}/comments", data={"body": ""})
    assert refused.status_code == 400
    got = _page(cached, path)
    want = _page(uncached, path)
    assert f'id="poll-{proposal.id}"' in want
    assert got == want, _diff(want, got)


def test_a_rename_committed_while_a_page_renders_is_not_kept_under_the_new_revision(
    monkeypatch, app, thread_circle, cached_app, uncached_app
):
    """The reader is loaded (signed in) before the page reads its revisions: when the
    reader's new name is committed between the two, the shared comments must not be
    kept, under the revision that counts the rename, with the name read before it."""
    from app.threads import views
    from app.threads.services import add_comment

    bruno, chloe = thread_circle.members[:2]
    with app.app_context():
        thread = db.session.get(Thread, thread_circle.thread.id)
        add_comment(thread, author=db.session.get(User, bruno.id), body="Bonjour", now=utcnow())
        db.session.commit()
    path = f"/t/{thread_circle.thread.id}"
    load_thread = views.load_thread_for_reader  # the page's first read

    def renamed_meanwhile(thread_id, reader):
        monkeypatch.setattr(views, "load_thread_for_reader", load_thread)
        with db.engine.begin() as other:  # another request, committed meanwhile
            other.execute(
                sa.update(User).where(User.id == bruno.id).values(stored_name="Bruno Neuf")
            )
        return load_thread(thread_id, reader)

    monkeypatch.setattr(views, "load_thread_for_reader", renamed_meanwhile)
    _page(signed_in_client(cached_app, bruno), path)  # Bruno reads his thread as he renames himself
    got, want = (
        _page(signed_in_client(cached_app, chloe), path),
        _page(signed_in_client(uncached_app, chloe), path),
    )
    assert "Bruno Neuf" in want
    assert got == want, _diff(want, got)


def test_readers_one_after_another_each_see_their_own_page(
    app, make_user, make_group, make_thread, make_app, uncached_app
):
    """An admin, a member, a former member and someone outside an open circle, then the
    same in English, each after the others with the cache warm (and Redis unreachable:
    the page renders without it)."""
    from test_fragments import _free_port

    from app.groups.models import Group, Membership
    from app.groups.services import revoke_membership
    from app.polls.services import cast_stance, create_poll
    from app.threads.services import add_comment, add_reaction

    admin, member, former, outsider = (
        make_user(name=n) for n in ("Alice", "Bruno", "Chloé", "Dan")
    )
    group = make_group(admin, members=[member, former], privacy="open")
    thread = make_thread(group, admin)
    with app.app_context():
        people = {p.id: db.session.get(User, p.id) for p in (admin, member, former)}
        row = db.session.get(Thread, thread.id)
        comment = add_comment(row, author=people[former.id], body="Avant de partir", now=utcnow())
        add_comment(row, author=people[member.id], body="Réponse", now=utcnow())
        add_reaction(comment, user=people[member.id], emoji="👍")
        poll = create_poll(
            row,
            author=people[admin.id],
            kind="choice",
            title="Anonyme",
            options=["Oui", "Non"],
            anonymous=True,
            closing_at=utcnow() + timedelta(days=1),
            now=utcnow(),
        )
        cast_stance(poll, people[member.id], choice={"key": "o1"}, now=utcnow())
        membership = db.session.scalar(
            sa.select(Membership).where(
                Membership.user_id == former.id, Membership.revoked_at.is_(None)
            )
        )
        revoke_membership(
            db.session.get(Group, group.id), membership, actor=people[admin.id], now=utcnow()
        )
        db.session.commit()
        poll_id = poll.id
    cached_app = make_app(
        FRAGMENT_CACHE=True, FRAGMENT_CACHE_URL=f"redis://127.0.0.1:{_free_port()}/0"
    )
    paths = [f"/t/{thread.id}", f"/p/{poll_id}"]
    for headers in ({}, {"Accept-Language": "en"}):
        for person in (admin, member, former, outsider):
            cached, uncached = (
                signed_in_client(cached_app, person),
                signed_in_client(uncached_app, person),
            )
            for path in paths:
                shown, expected = (
                    cached.get(path, headers=headers),
                    uncached.get(path, headers=headers),
                )
                assert shown.status_code == expected.status_code == 200, (person.name, path)
                got = normalised(shown.get_data(as_text=True))
                want = normalised(expected.get_data(as_text=True))
                assert got == want, _diff(want, got)


def test_two_processes_sharing_a_redis_show_a_write_made_through_either(
    app,
    thread_circle,
    make_app,
    uncached_app,
    redis_server,  # noqa: F811 - the fixture
):
    from app.threads.services import add_comment

    one = make_app(FRAGMENT_CACHE=True, FRAGMENT_CACHE_URL=redis_server)
    other = make_app(FRAGMENT_CACHE=True, FRAGMENT_CACHE_URL=redis_server)
    member = thread_circle.members[0]
    path = f"/t/{thread_circle.thread.id}"
    for body in ("Premier", "Deuxième"):
        _page(signed_in_client(one, member), path)
        _page(signed_in_client(other, member), path)  # both warm, from the same Redis
        with one.app_context():  # a comment posted through the first process
            thread = db.session.get(Thread, thread_circle.thread.id)
            add_comment(thread, author=db.session.get(User, member.id), body=body, now=utcnow())
            db.session.commit()
        for process in (one, other):
            got, want = (
                _page(signed_in_client(process, member), path),
                _page(signed_in_client(uncached_app, member), path),
            )
            assert body in want
            assert got == want, _diff(want, got)


def test_a_reader_reacts_and_votes_with_the_forms_of_a_page_kept_for_someone_else(
    thread_circle, open_poll, make_app
):
    """The comparisons above leave the tokens out: the forms of a kept fragment must
    carry this reader's token, or sending them fails (here with CSRF checked)."""
    from app.threads.services import add_comment

    checked = make_app(FRAGMENT_CACHE=True, WTF_CSRF_ENABLED=True)
    bruno, chloe = thread_circle.members[:2]
    with checked.app_context():
        thread = db.session.get(Thread, thread_circle.thread.id)
        comment = add_comment(
            thread, author=db.session.get(User, bruno.id), body="Salut", now=utcnow()
        )
        db.session.commit()
        comment_id = comment.id
    # the page's picker, which «React» opens under the comment (static/app.js)
    react = re.compile(
        r'<template id="reaction-picker"><form[^>]*>'
        r'<input type="hidden" name="csrf_token" value="([^"]*)"'
    )
    vote = re.compile(
        rf'action="/p/{open_poll}/stance"[^>]*>\s*'
        r'<input type="hidden" name="csrf_token" value="([^"]*)"'
    )
    thread_path, poll_path = f"/t/{thread_circle.thread.id}", f"/p/{open_poll}"
    warm = signed_in_client(checked, chloe)  # Chloé reads both pages, then signs in again
    warm.get(thread_path), warm.get(poll_path)
    signed_in_client(checked, bruno).get(thread_path)  # Bruno reads the thread
    client = signed_in_client(checked, chloe)
    token = react.search(client.get(thread_path).get_data(as_text=True)).group(1)
    sent = client.post(f"/comments/{comment_id}/reactions", data={"csrf_token": token, "add": "🎉"})
    assert sent.status_code == 302, ("reaction", sent.status_code)
    client = signed_in_client(checked, chloe)
    signed_in_client(checked, chloe).get(poll_path)  # and the poll page, after the reaction
    token = vote.search(client.get(poll_path).get_data(as_text=True)).group(1)
    sent = client.post(f"/p/{open_poll}/stance", data={"csrf_token": token, "key": "o1"})
    assert sent.status_code in (200, 302), ("vote", sent.status_code)


@pytest.mark.parametrize("how", ["deleted", "deactivated", "left, then deleted"])
def test_an_author_who_goes_shows_as_the_page_says_with_the_cache(
    app, how, thread_circle, open_poll, cached_app, uncached_app
):
    """Account deletion (``wipe_user``: Core claims, then the ORM), deactivation, and a
    deletion long after leaving the circle: every reader's pages, cache warm."""
    from app.account.services import deactivate_account, delete_account, leave_every_circle
    from app.polls.models import Poll
    from app.polls.services import cast_stance
    from app.threads.services import add_comment

    bruno = thread_circle.members[0]
    with app.app_context():
        person = db.session.get(User, bruno.id)
        thread = db.session.get(Thread, thread_circle.thread.id)
        add_comment(thread, author=person, body="Je pars bientôt", now=utcnow())
        cast_stance(db.session.get(Poll, open_poll), person, choice={"key": "o1"}, now=utcnow())
        if how.startswith("left"):
            leave_every_circle(person, now=utcnow())
        db.session.commit()
    readers = [thread_circle.admin, *thread_circle.members[1:]]
    paths = [f"/t/{thread_circle.thread.id}", f"/p/{open_poll}"]
    for reader in readers:
        for path in paths:
            _page(signed_in_client(cached_app, reader), path)  # warm
    before = _page(signed_in_client(uncached_app, readers[0]), paths[0])
    with app.app_context():
        person = db.session.get(User, bruno.id)
        if how == "deactivated":
            deactivate_account(person, now=utcnow())
        else:
            delete_account(person, now=utcnow())
        db.session.commit()
    for reader in readers:
        for path in paths:
            got = _page(signed_in_client(cached_app, reader), path)
            want = _page(signed_in_client(uncached_app, reader), path)
            assert got == want, _diff(want, got)
    assert _page(signed_in_client(uncached_app, readers[0]), paths[0]) != before  # the name changed


@pytest.mark.parametrize("anonymous", [False, True])
def test_a_poll_closed_by_the_periodic_job_shows_closed_with_the_cache(
    monkeypatch, app, anonymous, thread_circle, cached_app, uncached_app
):
    """The job closes due polls with Core statements (an anonymous one's stances lose
    their voters): the pages kept before show the close."""
    from app.jobs.tasks import run_once
    from app.polls.models import Poll
    from app.polls.services import cast_stance, create_poll

    with app.app_context():
        thread = db.session.get(Thread, thread_circle.thread.id)
        poll = create_poll(
            thread,
            author=thread.author,
            kind="choice",
            title="Quel jour ?",
            options=["Lundi", "Mardi"],
            anonymous=anonymous,
            results_visibility="after_close",
            closing_at=utcnow() + timedelta(hours=1),
            now=utcnow(),
        )
        for person in thread_circle.members[:2]:
            cast_stance(poll, db.session.get(User, person.id), choice={"key": "o2"}, now=utcnow())
        db.session.commit()
        poll_id = poll.id
    paths = [f"/t/{thread_circle.thread.id}", f"/p/{poll_id}"]
    for reader in thread_circle.people:
        for path in paths:
            _page(signed_in_client(cached_app, reader), path)  # warm, open, results hidden
    later = utcnow() + timedelta(hours=2)
    with app.app_context():
        run_once(later)
        assert db.session.get(Poll, poll_id).closed_at is not None
    _later(monkeypatch, timedelta(hours=2))
    for reader in thread_circle.people:
        for path in paths:
            got = _page(signed_in_client(cached_app, reader), path)
            want = _page(signed_in_client(uncached_app, reader), path)
            assert got == want, _diff(want, got)
