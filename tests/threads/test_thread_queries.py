"""The thread page and the thread API load in a fixed number of SQL statements."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.auth.models import User
from app.extensions import db
from app.groups.models import Group
from app.threads.models import REACTIONS
from app.threads.services import (
    add_comment,
    add_reaction,
    delete_comment,
    edit_comment,
    start_thread,
)
from app.timeutil import utcnow

MAX_STATEMENTS = 12
#: the page's two more than the API: the stances' history for «block lifted» in the
#: timeline, and whether a closed proposal's outcome was applied (may it be reopened?)
MAX_PAGE_STATEMENTS = MAX_STATEMENTS + 2
#: the page with its fragments kept (app/fragments.py): the reader's session (with
#: their unread count), the thread (one statement: the thread with its revisions, the
#: reader's membership, read mark, reactions and email setting for the thread)
MAX_WARM_PAGE_STATEMENTS = 2


@pytest.fixture
def thread_with(app, secret_circle, make_user, set_seen):
    """``thread_with(n)``: a thread of ``n`` comments by five authors, with replies, reactions,
    edits and a deletion; the member last read it half-way."""
    from fixtures.memberships import admit

    extra = [make_user(name=f"Membre {i}") for i in range(3)]
    with app.app_context():
        group = db.session.get(Group, secret_circle.group.id)
        admin = db.session.get(User, secret_circle.admin.id)
        for record in extra:
            admit(group, db.session.get(User, record.id), actor=admin, now=utcnow())
        db.session.commit()
    author_ids = [secret_circle.admin.id, secret_circle.member.id, *(r.id for r in extra)]

    def make(n: int):
        start = utcnow() - timedelta(days=1)
        with app.app_context():
            group = db.session.get(Group, secret_circle.group.id)
            authors = [db.session.get(User, i) for i in author_ids]
            thread = start_thread(group, author=authors[0], title=f"{n} comments", now=start)
            tops = []
            for i in range(n):
                author = authors[i % len(authors)]
                parent = tops[-1].id if tops and i % 3 == 2 else None
                comment = add_comment(
                    thread,
                    author=author,
                    body=f"Commentaire {i} pour @{authors[(i + 1) % len(authors)].handle}",
                    parent_id=parent,
                    now=start + timedelta(minutes=i),
                )
                if parent is None:
                    tops.append(comment)
                for j, emoji in enumerate(REACTIONS[: 1 + i % 3]):
                    add_reaction(comment, user=authors[(i + j) % len(authors)], emoji=emoji)
                if i % 5 == 1:
                    edit_comment(comment, body=f"Commentaire {i}, corrigé", now=comment.created_at)
                if i % 11 == 4:
                    delete_comment(comment, now=utcnow())
            _add_polls(thread, authors, n, start)
            db.session.commit()
            thread_id = thread.id
        set_seen(
            secret_circle.member, SimpleNamespace(id=thread_id), start + timedelta(minutes=n // 2)
        )
        return thread_id

    return make


def _add_polls(thread, authors, n, start):
    """Two polls in the thread: an open proposal with stances (more of them, and changed
    ones, in a longer thread) and a closed choice poll; the page loads them in a fixed
    number of queries too."""
    from app.polls.services import cast_stance, close_poll, create_poll

    proposal = create_poll(
        thread,
        author=authors[0],
        kind="proposal",
        title="Une proposition",
        closing_at=start + timedelta(days=7),
        now=start + timedelta(minutes=1, seconds=30),
    )
    choice = create_poll(
        thread,
        author=authors[1],
        kind="choice",
        title="Un choix",
        options=["Zoom", "Jitsi"],
        closing_at=start + timedelta(days=3),
        now=start + timedelta(minutes=2, seconds=30),
    )
    voters = authors if n > 10 else authors[:1]
    for i, voter in enumerate(voters):
        moment = start + timedelta(minutes=3 + i)
        cast_stance(proposal, voter, choice={"key": "agree"}, reason="Oui", now=moment)
        if n > 10:
            cast_stance(proposal, voter, choice={"key": "abstain"}, reason="Plutôt", now=moment)
        cast_stance(choice, voter, choice={"key": "o1"}, now=moment)
    close_poll(choice, actor=authors[1], now=start + timedelta(minutes=30))


def _count(count_queries, call) -> int:
    with count_queries() as q:
        response = call()
    assert response.status_code == 200
    return q.count


def test_thread_page_runs_a_fixed_number_of_queries(
    client, auth, secret_circle, thread_with, count_queries
):
    small, large = thread_with(3), thread_with(60)
    auth.login(secret_circle.member)
    client.get(f"/t/{small}")  # warm up
    fragments = client.application.extensions["fragments"]

    def cold(thread_id):
        fragments.clear()  # rendered again, as after a write
        return client.get(f"/t/{thread_id}")

    few = _count(count_queries, lambda: cold(small))
    many = _count(count_queries, lambda: cold(large))
    html = client.get(f"/t/{large}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html.count('class="comment') >= 60 and "badge badge-new" in html
    assert html.count('class="poll-card') == 2 and html.count('class="poll-event"') == 1
    assert few == many, f"{few} statements for 3 comments, {many} for 60"
    assert many <= MAX_PAGE_STATEMENTS
    # the shared fragments kept: the page reads only the thread and the reader's parts
    client.get(f"/t/{small}")
    warm_few = _count(count_queries, lambda: client.get(f"/t/{small}"))
    warm_many = _count(count_queries, lambda: client.get(f"/t/{large}"))
    assert warm_few == warm_many <= MAX_WARM_PAGE_STATEMENTS


def test_thread_api_runs_a_fixed_number_of_queries(
    api_as, secret_circle, thread_with, count_queries
):
    small, large = thread_with(3), thread_with(60)
    api = api_as(secret_circle.member)
    api.get(f"/api/v1/threads/{small}")  # warm up
    few = _count(count_queries, lambda: api.get(f"/api/v1/threads/{small}"))
    many = _count(count_queries, lambda: api.get(f"/api/v1/threads/{large}"))
    data = api.get(f"/api/v1/threads/{large}").get_json()
    assert len(data["comments"]) == 60
    assert any(len(c["reactions"]) == 3 for c in data["comments"])
    assert few == many, f"{few} statements for 3 comments, {many} for 60"
    assert many <= MAX_STATEMENTS


def test_thread_list_runs_a_fixed_number_of_queries(
    api_as, secret_circle, make_thread, count_queries
):
    for i in range(3):
        make_thread(secret_circle.group, secret_circle.admin, title=f"A{i}", comments=2)
    api = api_as(secret_circle.member)
    url = f"/api/v1/groups/{secret_circle.group.handle}/threads"
    api.get(url)
    few = _count(count_queries, lambda: api.get(url))
    for i in range(20):
        make_thread(secret_circle.group, secret_circle.member, title=f"B{i}", comments=1)
    many = _count(count_queries, lambda: api.get(f"{url}?limit=100"))
    assert few == many
