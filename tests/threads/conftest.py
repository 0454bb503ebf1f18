"""Fixtures of the thread tests: a circle with an admin, a member and an outsider."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import app.auth.models  # noqa: F401 - loads the features in an order free of import cycles
from app.extensions import db


@pytest.fixture
def secret_circle(make_user, make_group):
    """A secret group: ``admin`` (its admin), ``member``, and ``outsider`` (not a member)."""
    admin = make_user(name="Alice Admin")
    member = make_user(name="Bruno Member")
    outsider = make_user(name="Olga Outsider")
    group = make_group(admin, members=[member], privacy="secret", handle="le-cercle")
    return SimpleNamespace(admin=admin, member=member, outsider=outsider, group=group)


@pytest.fixture
def comment_as(app):
    """``comment_as(user, thread, body, parent_id=None, now=None)`` → the comment id."""
    from app.auth.models import User
    from app.threads.models import Thread
    from app.threads.services import add_comment
    from app.timeutil import utcnow

    def make(user, thread, body, parent_id=None, now=None):
        with app.app_context():
            comment = add_comment(
                db.session.get(Thread, thread.id),
                author=db.session.get(User, user.id),
                body=body,
                parent_id=parent_id,
                now=now or utcnow(),
            )
            db.session.commit()
            return comment.id

    return make


@pytest.fixture
def set_seen(app):
    """``set_seen(user, thread, when)``: record that ``user`` read ``thread`` at ``when``."""
    from app.auth.models import User
    from app.threads.models import Thread
    from app.threads.services import mark_seen

    def run(user, thread, when):
        with app.app_context():
            mark_seen(db.session.get(Thread, thread.id), db.session.get(User, user.id), now=when)
            db.session.commit()

    return run


@pytest.fixture
def react_as(app):
    """``react_as(user, comment_id, emoji)`` through the service."""
    from app.auth.models import User
    from app.threads.models import Comment
    from app.threads.services import add_reaction

    def run(user, comment_id, emoji):
        with app.app_context():
            add_reaction(
                db.session.get(Comment, comment_id), user=db.session.get(User, user.id), emoji=emoji
            )
            db.session.commit()

    return run


@pytest.fixture
def cached_app(make_app):
    """The application with the fragment cache on."""
    return make_app(FRAGMENT_CACHE=True)


@pytest.fixture
def uncached_app(make_app):
    """The application with the fragment cache off."""
    return make_app(FRAGMENT_CACHE=False)
