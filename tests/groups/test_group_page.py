"""The group page: who sees what, the threads list, the members list, both languages."""

from __future__ import annotations

import re
from datetime import timedelta

from app.extensions import db

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def _titles(html: str) -> list[str]:
    return re.findall(r'<a href="/t/\d+">([^<]+)</a>', html)


def _set_thread(app, thread_id, **values):
    from app.threads.models import Thread

    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        for key, value in values.items():
            setattr(thread, key, value)
        db.session.commit()


# -- who sees what ---------------------------------------------------------------


def test_members_see_threads_members_and_a_new_thread_link(
    client, auth, people, make_group, make_thread
):
    group = make_group(people.admin, members=[people.member], description="Notre *cercle*")
    make_thread(group, people.admin, title="Première discussion", comments=2)
    auth.login(people.member)
    page = client.get(f"/g/{group.handle}", headers=EN).text
    assert f"<h1>{group.name} " in page
    assert "Secret</span>" in page
    assert "<p>Notre <em>cercle</em></p>" in page
    assert "Première discussion" in page
    assert "by Alice Admin" in page
    assert "2 comments" in page
    assert f'href="/g/{group.handle}/threads/new">New thread</a>' in page
    assert 'Alice Admin <span class="badge">Admin</span>' in page
    assert "Bob Member" in page
    assert f'href="/g/{group.handle}/members"' in page
    assert "Settings</a>" not in page  # for admins only
    assert 'id="threads-heading"' in page and 'id="members-heading"' in page


def test_no_new_thread_link_when_members_may_not_start_threads(client, auth, people, make_group):
    group = make_group(people.admin, members=[people.member], members_can_start_threads=False)
    auth.login(people.member)
    assert "New thread" not in client.get(f"/g/{group.handle}", headers=EN).text
    auth.login(people.admin)
    page = client.get(f"/g/{group.handle}", headers=EN).text
    assert "New thread" in page and "Settings</a>" in page


def test_a_closed_group_shows_outsiders_only_its_name_description_and_a_request_form(
    client, auth, people, make_group, make_thread
):
    group = make_group(people.admin, privacy="closed", description="Pour les *voisins*")
    make_thread(group, people.admin, title="Sujet privé")
    auth.login(people.outsider)
    response = client.get(f"/g/{group.handle}", headers=EN)
    assert response.status_code == 200
    page = response.text
    assert group.name in page and "<em>voisins</em>" in page
    assert "Sujet privé" not in page
    assert "Alice Admin" not in page  # the members list is for members
    assert f'action="/g/{group.handle}/join-requests"' in page
    assert 'name="message"' in page
    assert "Ask to join" in page


def test_an_open_group_is_readable_by_outsiders_with_a_join_button(
    client, auth, people, make_group, make_thread
):
    group = make_group(people.admin, privacy="open")
    make_thread(group, people.admin, title="Sujet ouvert")
    auth.login(people.outsider)
    page = client.get(f"/g/{group.handle}", headers=EN).text
    assert "Sujet ouvert" in page
    assert "Alice Admin" in page
    assert f'action="/g/{group.handle}/join"' in page
    assert "Join this group" in page
    assert "New thread" not in page


def test_secret_groups_are_404_and_unknown_handles_too(client, auth, people, make_group):
    group = make_group(people.admin, privacy="secret")
    auth.login(people.outsider)
    assert client.get(f"/g/{group.handle}").status_code == 404
    assert client.get("/g/no-such-group").status_code == 404


def test_a_removed_member_no_longer_sees_a_secret_group(
    client, auth, people, make_group, membership_id
):
    group = make_group(people.admin, members=[people.member])
    auth.login(people.admin)
    client.post(f"/g/{group.handle}/members/{membership_id(group, people.member)}/remove")
    auth.login(people.member)
    assert client.get(f"/g/{group.handle}").status_code == 404


# -- the threads list ------------------------------------------------------------


def test_pinned_first_then_newest_activity_first(
    app, client, auth, people, make_group, make_thread
):
    from app.timeutil import utcnow

    group = make_group(people.admin)
    now = utcnow()
    old = make_thread(group, people.admin, title="Ancienne")
    recent = make_thread(group, people.admin, title="Récente")
    pinned = make_thread(group, people.admin, title="Épinglée")
    _set_thread(app, old.id, last_activity_at=now - timedelta(days=3))
    _set_thread(app, recent.id, last_activity_at=now - timedelta(days=1))
    _set_thread(app, pinned.id, last_activity_at=now - timedelta(days=9), pinned_at=now)
    auth.login(people.admin)
    page = client.get(f"/g/{group.handle}", headers=EN).text
    assert _titles(page) == ["Épinglée", "Récente", "Ancienne"]
    assert "pinned</span>" in page


def test_closed_threads_have_a_badge(app, client, auth, people, make_group, make_thread):
    from app.timeutil import utcnow

    group = make_group(people.admin)
    thread = make_thread(group, people.admin, title="Terminée")
    _set_thread(app, thread.id, closed_at=utcnow())
    auth.login(people.admin)
    page = client.get(f"/g/{group.handle}", headers=EN).text
    assert '<span class="badge badge-closed">closed</span>' in page


def test_new_badge_until_i_read_the_thread(app, client, auth, people, make_group, make_thread):
    from app.auth.models import User
    from app.threads.models import Thread
    from app.threads.services import add_comment, mark_seen
    from app.timeutil import utcnow

    group = make_group(people.admin, members=[people.member])
    thread = make_thread(group, people.admin, title="Lue")
    hidden_text = '<span class="visually-hidden">new activity since your last visit</span>'
    auth.login(people.member)
    assert hidden_text in client.get(f"/g/{group.handle}", headers=EN).text
    with app.app_context():
        mark_seen(db.session.get(Thread, thread.id), db.session.get(User, people.member.id),
                  now=utcnow() + timedelta(seconds=1))  # fmt: skip
        db.session.commit()
    assert hidden_text not in client.get(f"/g/{group.handle}", headers=EN).text
    with app.app_context():
        add_comment(db.session.get(Thread, thread.id), author=db.session.get(User, people.admin.id),
                    body="Du nouveau", now=utcnow() + timedelta(minutes=5))  # fmt: skip
        db.session.commit()
    assert hidden_text in client.get(f"/g/{group.handle}", headers=EN).text


def test_threads_are_paginated(app, client, auth, people, make_group, make_thread):
    """A page at a time, with links to the older and newer ones (keyset pagination:
    ``tests/threads/test_group_thread_pages.py`` walks it in detail)."""
    app.config["THREADS_PER_PAGE"] = 2
    group = make_group(people.admin)
    for i in range(5):
        make_thread(group, people.admin, title=f"Fil {i}")
    auth.login(people.admin)
    first = client.get(f"/g/{group.handle}", headers=EN).text
    assert _titles(first) == ["Fil 4", "Fil 3"]
    assert 'aria-label="Pages of threads"' in first
    older = re.search(rf'href="(/g/{group.handle}\?after=[^"]+)" rel="next">Older</a>', first)
    second = client.get(older.group(1).replace("&amp;", "&"), headers=EN).text
    assert _titles(second) == ["Fil 2", "Fil 1"]
    assert 'rel="prev">Newer</a>' in second
    assert client.get(f"/g/{group.handle}?page=4").status_code == 404


def test_the_group_page_runs_a_fixed_number_of_queries(
    client, auth, people, make_user, make_group, make_thread, count_queries
):
    group = make_group(people.admin, members=[people.member])
    make_thread(group, people.admin, comments=1)
    auth.login(people.member)
    client.get(f"/g/{group.handle}")
    with count_queries() as small:
        assert client.get(f"/g/{group.handle}").status_code == 200
    others = [make_user() for _ in range(4)]
    bigger = make_group(people.admin, members=[people.member, *others])
    for i in range(6):
        make_thread(bigger, others[i % 4], comments=i)
    with count_queries() as large:
        assert client.get(f"/g/{bigger.handle}").status_code == 200
    assert large.count == small.count, large.statements


# -- languages -------------------------------------------------------------------


def test_the_group_page_in_english_and_french(client, auth, make_user, make_group, make_thread):
    nobody_chose = make_user(name="Camille")  # no locale: the browser's language counts
    group = make_group(nobody_chose)
    make_thread(group, nobody_chose, title="Bonjour", comments=1)
    auth.login(nobody_chose)
    english = client.get(f"/g/{group.handle}", headers=EN).text
    french = client.get(f"/g/{group.handle}", headers=FR).text
    assert '<html lang="en">' in english
    assert '<html lang="fr">' in french
    assert "1 comment" in english
    for page in (english, french):
        assert f"<h1>{group.name} " in page
        assert 'aria-labelledby="threads-heading"' in page
        assert 'aria-labelledby="members-heading"' in page
        assert "Bonjour</a>" in page
        assert '<nav aria-label="' in page


def test_dates_are_in_time_elements(client, auth, people, make_group, make_thread):
    group = make_group(people.admin)
    make_thread(group, people.admin)
    auth.login(people.admin)
    page = client.get(f"/g/{group.handle}", headers=EN).text
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+"[^>]*>[^<]+</time>', page)
