"""Revisions kept by the database (app/revisions.py): every kind of write that a thread
page or a circle's pages show bumps the revision in the same transaction, whichever path
it takes (a service, a Core statement); reading does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.agreements.models import Agreement, AgreementVersion
from app.auth.models import User
from app.extensions import db
from app.groups.models import Group, Membership
from app.polls.models import Poll, PollOption, Stance
from app.threads.models import Comment, Reaction, Thread
from app.timeutil import utcnow


def _revisions(app, thread_id: int, group_id: int) -> tuple[int, int]:
    with app.app_context():
        thread = db.session.execute(
            sa.select(Thread.revision).where(Thread.id == thread_id)
        ).scalar_one()
        group = db.session.execute(
            sa.select(Group.revision).where(Group.id == group_id)
        ).scalar_one()
        return thread, group


@pytest.fixture
def scene(app, run, thread_circle):
    """The circle, its thread with two comments (one with a reaction) and an open poll."""
    from app.polls.services import cast_stance, create_poll
    from app.threads.services import add_comment, add_reaction

    c = thread_circle

    def build():
        thread = db.session.get(Thread, c.thread.id)
        admin = db.session.get(User, c.admin.id)
        first = add_comment(thread, author=admin, body="Premier", now=utcnow())
        add_comment(thread, author=admin, body="Second", now=utcnow())
        add_reaction(first, user=db.session.get(User, c.members[0].id), emoji="👍")
        poll = create_poll(
            thread,
            author=admin,
            kind="proposal",
            title="Une proposition",
            closing_at=utcnow() + timedelta(days=2),
            now=utcnow(),
        )
        cast_stance(poll, admin, choice={"key": "agree"}, now=utcnow())
        return first.id, poll.id

    c.comment_id, c.poll_id = run(build)
    return c


def _thread(c):
    return db.session.get(Thread, c.thread.id)


def _user(record):
    return db.session.get(User, record.id)


def _poll(c):
    return db.session.get(Poll, c.poll_id)


# Each write: (name, function of the scene run in a transaction).
THREAD_WRITES = {
    "thread edit": lambda c: _svc("threads").edit_thread(
        _thread(c), editor=_user(c.admin), title="Autre titre", body="Autre", now=utcnow()
    ),
    "thread pinned": lambda c: _svc("threads").set_pinned(_thread(c), True, now=utcnow()),
    "thread closed": lambda c: _svc("threads").set_closed(_thread(c), True, now=utcnow()),
    "comment added": lambda c: _svc("threads").add_comment(
        _thread(c), author=_user(c.members[1]), body="Nouveau", now=utcnow()
    ),
    "comment edited": lambda c: _svc("threads").edit_comment(
        db.session.get(Comment, c.comment_id), body="Corrigé", now=utcnow()
    ),
    "comment deleted": lambda c: _svc("threads").delete_comment(
        db.session.get(Comment, c.comment_id), now=utcnow()
    ),
    "comment deleted by Core": lambda c: db.session.execute(
        sa.delete(Comment).where(Comment.id == c.comment_id)
    ),
    "reaction added": lambda c: _svc("threads").add_reaction(
        db.session.get(Comment, c.comment_id), user=_user(c.admin), emoji="🎉"
    ),
    "reaction removed": lambda c: _svc("threads").remove_reaction(
        db.session.get(Comment, c.comment_id), user=_user(c.members[0]), emoji="👍"
    ),
    "reaction removed by Core": lambda c: db.session.execute(sa.delete(Reaction)),
    "stance cast": lambda c: _svc("polls").cast_stance(
        _poll(c), _user(c.members[0]), choice={"key": "abstain"}, now=utcnow()
    ),
    "stance withdrawn": lambda c: _svc("polls").withdraw_stance(
        _poll(c), _user(c.admin), now=utcnow()
    ),
    "stance erased by Core": lambda c: db.session.execute(sa.update(Stance).values(voter_id=None)),
    "poll created": lambda c: _svc("polls").create_poll(
        _thread(c),
        author=_user(c.admin),
        kind="choice",
        title="Un sondage",
        options=["Oui", "Non"],
        closing_at=utcnow() + timedelta(days=1),
        now=utcnow(),
    ),
    "poll edited": lambda c: _svc("polls").edit_poll(
        _poll(c), actor=_user(c.admin), now=utcnow(), title="Titre corrigé"
    ),
    "poll closed": lambda c: _svc("polls").close_poll(_poll(c), actor=_user(c.admin), now=utcnow()),
    "poll closed by Core": lambda c: db.session.execute(
        sa.update(Poll).where(Poll.id == c.poll_id).values(closed_at=utcnow())
    ),
    "poll option renamed by Core": lambda c: db.session.execute(
        sa.update(PollOption).where(PollOption.poll_id == c.poll_id).values(name="Autre")
    ),
    "poll deleted by Core": lambda c: db.session.execute(
        sa.delete(Poll).where(Poll.id == c.poll_id)
    ),
}

GROUP_WRITES = {
    "circle renamed": lambda c: _svc("groups").update_group(
        db.session.get(Group, c.group.id), name="Nouveau nom"
    ),
    "member admitted": lambda c: _admit_new(c),
    "role changed": lambda c: _svc("groups").change_role(
        db.session.get(Group, c.group.id), _membership(c, c.members[0]), "admin", now=utcnow()
    ),
    "member left": lambda c: _svc("groups").revoke_membership(
        db.session.get(Group, c.group.id),
        _membership(c, c.members[0]),
        actor=_user(c.members[0]),
        now=utcnow(),
    ),
    "member renamed by Core": lambda c: db.session.execute(
        sa.update(User).where(User.id == c.members[0].id).values(stored_name="Autre nom")
    ),
    "member's handle changed": lambda c: setattr(_user(c.members[0]), "handle", "autre-handle"),
    "account deleted": lambda c: _svc("auth").wipe_user(_user(c.members[0]), now=utcnow()),
    "account deactivated": lambda c: _svc("auth").deactivate_user(
        _user(c.members[0]), now=utcnow()
    ),
    "agreement adopted": lambda c: _adopt(c),
}


def _svc(feature: str):
    from importlib import import_module

    return import_module(f"app.{feature}.services")


def _membership(c, person):
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.group_id == c.group.id,
            Membership.user_id == person.id,
            Membership.revoked_at.is_(None),
        )
    )


def _admit_new(c):
    from fixtures.memberships import admit

    from app.auth.services import create_user

    person = create_user(email="new@example.org", name="Nouvelle", password="x" * 12)
    db.session.flush()
    admit(db.session.get(Group, c.group.id), person, now=utcnow())


def _adopt(c):
    agreement = Agreement(group_id=c.group.id, current_version=1, created_at=utcnow())
    db.session.add(agreement)
    db.session.flush()
    db.session.add(
        AgreementVersion(
            agreement_id=agreement.id,
            version=1,
            title="Un accord",
            body="Le texte.",
            body_html="<p>Le texte.</p>",
            poll_id=c.poll_id,
            adopted_at=utcnow(),
        )
    )


@pytest.mark.parametrize("write", sorted(THREAD_WRITES))
def test_a_write_the_thread_shows_bumps_its_revision(app, run, scene, write):
    before = _revisions(app, scene.thread.id, scene.group.id)
    run(lambda: THREAD_WRITES[write](scene))
    after = _revisions(app, scene.thread.id, scene.group.id)
    assert after[0] > before[0]


@pytest.mark.parametrize("write", sorted(GROUP_WRITES))
def test_a_write_shown_across_the_circle_bumps_its_revision(app, run, scene, write):
    before = _revisions(app, scene.thread.id, scene.group.id)
    run(lambda: GROUP_WRITES[write](scene))
    after = _revisions(app, scene.thread.id, scene.group.id)
    assert after[1] > before[1]


def test_a_rolled_back_write_leaves_the_revision(app, scene):
    from app.threads.services import add_comment

    before = _revisions(app, scene.thread.id, scene.group.id)
    with app.app_context():
        add_comment(_thread(scene), author=_user(scene.admin), body="Annulé", now=utcnow())
        db.session.flush()
        db.session.rollback()
    assert _revisions(app, scene.thread.id, scene.group.id) == before


def test_another_threads_writes_leave_it_alone(app, run, scene, make_thread):
    other = make_thread(scene.group, scene.admin, title="Une autre")
    before = _revisions(app, scene.thread.id, scene.group.id)
    run(
        lambda: _svc("threads").add_comment(
            db.session.get(Thread, other.id), author=_user(scene.admin), body="Ici", now=utcnow()
        )
    )
    assert _revisions(app, scene.thread.id, scene.group.id) == before


def test_a_persons_settings_leave_the_circle_alone(app, run, scene):
    before = _revisions(app, scene.thread.id, scene.group.id)

    def settings():
        user = _user(scene.members[0])
        user.timezone = "America/Montreal"
        user.digest_hour = 9

    run(settings)
    assert _revisions(app, scene.thread.id, scene.group.id) == before


def test_reading_bumps_nothing(app, client, auth, scene):
    """Viewing the thread and the poll, and marking the thread read, write only the
    reader's own read mark."""
    before = _revisions(app, scene.thread.id, scene.group.id)
    auth.login(scene.members[1])
    assert client.get(f"/t/{scene.thread.id}").status_code == 200
    assert client.get(f"/p/{scene.poll_id}").status_code == 200
    assert client.post(f"/t/{scene.thread.id}/seen").status_code == 204
    assert client.get(f"/g/{scene.group.handle}").status_code == 200
    assert _revisions(app, scene.thread.id, scene.group.id) == before
