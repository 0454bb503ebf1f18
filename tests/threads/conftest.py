"""Fixtures of the thread tests: a circle with an admin, a member and an outsider."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.extensions import db

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


@pytest.fixture
def circle(make_user, make_group):
    """A secret group: ``admin`` (its admin), ``member``, and ``outsider`` (not a member)."""
    admin = make_user(name="Alice Admin")
    member = make_user(name="Bruno Member")
    outsider = make_user(name="Olga Outsider")
    group = make_group(admin, members=[member], privacy="secret", handle="le-cercle")
    return SimpleNamespace(admin=admin, member=member, outsider=outsider, group=group)


@pytest.fixture
def in_app(app):
    """``in_app(fn)`` runs ``fn()`` in an application context, commits, and returns its result."""

    def run(fn):
        with app.app_context():
            result = fn()
            db.session.commit()
            return result

    return run


@pytest.fixture
def comment_as(app):
    """``comment_as(user, thread, body, parent_id=None, now=None)`` → comment id (via the service)."""
    from app.auth.models import User
    from app.threads.models import Thread
    from app.threads.services import add_comment

    def make(user, thread, body, parent_id=None, now=None):
        with app.app_context():
            comment = add_comment(
                db.session.get(Thread, thread.id),
                author=db.session.get(User, user.id),
                body=body,
                parent_id=parent_id,
                now=now,
            )
            db.session.commit()
            return comment.id

    return make
