"""``threads.comments_count``, kept by the database (app/counts.py): the number the
group page and the API's thread list show, right after every kind of write to comments,
whatever its path (the services, Core statements, a rollback, a thread deleted)."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from fixtures.transfer import bench_module

from app.auth.models import User
from app.extensions import db
from app.polls.models import Poll
from app.threads.models import Comment, Thread
from app.threads.services import add_comment, delete_comment
from app.timeutil import utcnow


@pytest.fixture
def people(make_user):
    """An admin and a member, reading in English."""
    return SimpleNamespace(
        admin=make_user(name="Alice Admin", email="alice@example.org", locale="en"),
        member=make_user(name="Bob Member", email="bob@example.org", locale="en"),
    )


def _stored(thread_id: int) -> int:
    return db.session.scalar(sa.select(Thread.comments_count).where(Thread.id == thread_id))


def _real() -> dict[int, int]:
    """Each thread's comments not deleted, counted from the rows (0 for none)."""
    rows = db.session.execute(
        sa.select(Thread.id, sa.func.count(Comment.id))
        .outerjoin(Comment, sa.and_(Comment.thread_id == Thread.id, Comment.deleted_at.is_(None)))
        .group_by(Thread.id)
    )
    return dict(rows.all())


def _all_stored() -> dict[int, int]:
    return dict(db.session.execute(sa.select(Thread.id, Thread.comments_count)).all())


def test_every_kind_of_write_moves_the_count(app, people, make_group, make_thread):
    group = make_group(people.admin, members=[people.member])
    one = make_thread(group, people.admin, title="Un", comments=3)
    two = make_thread(group, people.member, title="Deux", comments=1)
    with app.app_context():
        assert (_stored(one.id), _stored(two.id)) == (3, 1)
        thread = db.session.get(Thread, one.id)
        author = db.session.get(User, people.member.id)
        added = add_comment(thread, author=author, body="Un de plus", now=utcnow())
        db.session.commit()
        assert _stored(one.id) == 4

        # soft delete (the service), then deleting it again changes nothing
        delete_comment(added, now=utcnow())
        db.session.commit()
        assert _stored(one.id) == 3
        db.session.execute(
            sa.update(Comment).where(Comment.id == added.id).values(deleted_at=utcnow())
        )
        db.session.commit()
        assert _stored(one.id) == 3
        # undeleted by a Core statement
        db.session.execute(sa.update(Comment).where(Comment.id == added.id).values(deleted_at=None))
        db.session.commit()
        assert _stored(one.id) == 4
        # an edit of the text leaves it
        db.session.execute(sa.update(Comment).where(Comment.id == added.id).values(body="Autre"))
        db.session.commit()
        assert _stored(one.id) == 4

        # moved to the other thread: out of one, into the other
        db.session.execute(
            sa.update(Comment).where(Comment.id == added.id).values(thread_id=two.id)
        )
        db.session.commit()
        assert (_stored(one.id), _stored(two.id)) == (3, 2)
        # a deleted comment moved moves no count
        delete_comment(db.session.get(Comment, added.id), now=utcnow())
        db.session.commit()
        assert _stored(two.id) == 1
        db.session.execute(
            sa.update(Comment).where(Comment.id == added.id).values(thread_id=one.id)
        )
        db.session.commit()
        assert (_stored(one.id), _stored(two.id)) == (3, 1)

        # hard delete: of a counted comment, then of a deleted one
        first = db.session.scalars(
            sa.select(Comment).where(Comment.thread_id == one.id).order_by(Comment.id)
        ).first()
        db.session.execute(sa.delete(Comment).where(Comment.id == first.id))
        db.session.commit()
        assert _stored(one.id) == 2
        db.session.execute(sa.delete(Comment).where(Comment.id == added.id))
        db.session.commit()
        assert _stored(one.id) == 2

        # a write rolled back leaves the count as it was
        add_comment(thread, author=author, body="Annulé", now=utcnow())
        db.session.flush()
        assert _stored(one.id) == 3
        db.session.rollback()
        assert _stored(one.id) == 2
        assert _all_stored() == _real()


def test_the_count_is_the_real_count_on_a_generated_circle(app):
    """Replies, deletions, edits of a generated circle, then random deletions, undeletions
    and hard deletions of whole batches (one statement each), and a thread deleted."""
    with app.app_context():
        bench_module().generate("comptes", 30, now=utcnow().replace(microsecond=0))
        db.session.commit()
        real = _real()
        assert _all_stored() == real
        assert any(real.values()) and db.session.scalar(
            sa.select(sa.func.count()).where(Comment.deleted_at.is_not(None))
        )
        rng = random.Random(10)
        ids = list(db.session.scalars(sa.select(Comment.id).order_by(Comment.id)))
        for _ in range(3):
            batch = rng.sample(ids, len(ids) // 10)
            db.session.execute(
                sa.update(Comment).where(Comment.id.in_(batch)).values(deleted_at=utcnow())
            )
            batch = rng.sample(ids, len(ids) // 10)
            db.session.execute(
                sa.update(Comment).where(Comment.id.in_(batch)).values(deleted_at=None)
            )
        gone = rng.sample(ids, len(ids) // 5)
        # replies only: a top comment with replies is referenced by them
        db.session.execute(
            sa.delete(Comment).where(Comment.id.in_(gone), Comment.parent_id.is_not(None))
        )
        db.session.commit()
        assert _all_stored() == _real()
        # a thread (without polls) deleted: its comments go with it
        thread_id = db.session.scalar(
            sa.select(Thread.id)
            .where(Thread.comments_count > 0, ~sa.exists().where(Poll.thread_id == Thread.id))
            .limit(1)
        )
        db.session.execute(sa.delete(Thread).where(Thread.id == thread_id))
        db.session.commit()
        assert db.session.get(Thread, thread_id) is None
        assert _all_stored() == _real()


def test_a_deleted_account_leaves_the_counts(app, client, auth, people, make_group, make_thread):
    """Deleting an account keeps its comments (their author shows as a former member):
    the counts stay what they were."""
    from app.account.services import delete_account

    group = make_group(people.admin, members=[people.member])
    thread = make_thread(group, people.member, comments=2)
    with app.app_context():
        user = db.session.get(User, people.member.id)
        add_comment(db.session.get(Thread, thread.id), author=db.session.get(User, people.admin.id),
                    body="Réponse", now=utcnow())  # fmt: skip
        db.session.commit()
        delete_account(user, now=utcnow())
        db.session.commit()
        assert _stored(thread.id) == 3 == _real()[thread.id]


def test_the_lists_read_the_stored_count(app, client, auth, api_as, people, make_group,
                                         make_thread, count_queries):  # fmt: skip
    """The group page and the API's thread list show the stored number and count no
    comments at the request."""
    group = make_group(people.admin, members=[people.member])
    thread = make_thread(group, people.admin, title="Compté", comments=2)
    with app.app_context():
        db.session.execute(
            sa.update(Thread).where(Thread.id == thread.id).values(comments_count=41)
        )
        db.session.commit()
    auth.login(people.member)
    with count_queries() as page:
        html = client.get(f"/g/{group.handle}", headers={"Accept-Language": "en"}).text
    assert "41 comments" in html
    api = api_as(people.member)
    with count_queries() as listed:
        data = api.get(f"/api/v1/groups/{group.handle}/threads").get_json()
    assert [i["comments_count"] for i in data["items"]] == [41]
    for statements in (page.statements, listed.statements):
        assert not [s for s in statements if "FROM comments" in s]
