"""One unit of work per request: a view that succeeds is committed once; a request that
fails on the database is rolled back before the error is rendered, and gets the app's own
500 (a page in the reader's language, or the API's error shape); what leaves the process
(email) goes only after the commit."""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa

from app.extensions import db

FR = {"Accept-Language": "fr"}


@contextlib.contextmanager
def failing_inserts(app, table: str, *, at_commit: bool = False):
    """A real database failure: inserts into ``table`` are refused by a trigger, at once
    or (``at_commit``, PostgreSQL: a deferred constraint trigger) when the transaction
    commits; SQLite has no deferred triggers and refuses at once."""
    with app.app_context():
        dialect = db.engine.dialect.name
        with db.engine.begin() as conn:
            if dialect == "sqlite":
                conn.exec_driver_sql(
                    f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                )
            else:
                conn.exec_driver_sql(
                    "CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger AS "
                    "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
                )
                timing = (
                    "CONSTRAINT TRIGGER {name} AFTER INSERT ON {table} "
                    "DEFERRABLE INITIALLY DEFERRED"
                    if at_commit
                    else "TRIGGER {name} BEFORE INSERT ON {table}"
                )
                conn.exec_driver_sql(
                    "CREATE "
                    + timing.format(name=f"refuse_{table}", table=table)
                    + " FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
                )
    try:
        yield
    finally:
        with app.app_context(), db.engine.begin() as conn:
            if dialect == "sqlite":
                conn.exec_driver_sql(f"DROP TRIGGER refuse_{table}")
            else:
                conn.exec_driver_sql(f"DROP TRIGGER refuse_{table} ON {table}")
                conn.exec_driver_sql("DROP FUNCTION refuse_insert()")


@pytest.fixture
def app_config():
    """Errors are handled as in production (not raised into the test)."""
    return {"PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def member_thread(make_user, make_group, make_thread):
    """A French-speaking member of a group, and a thread there."""
    member = make_user(name="Odile", locale="fr")
    group = make_group(member)
    return member, make_thread(group, member)


def _comment_count(app, thread_id: int) -> int:
    from app.threads.models import Comment

    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(Comment.id)).where(Comment.thread_id == thread_id)
        )


def test_a_failing_write_in_a_page_gets_our_500_page_in_french(app, client, auth, member_thread):
    member, thread = member_thread
    auth.login(member)
    with failing_inserts(app, "comments"):
        response = client.post(
            f"/t/{thread.id}/comments", data={"body": "Je suis là ce soir."}, headers=FR
        )
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert 'lang="fr"' in html
    assert "Un problème est survenu de notre côté" in html
    assert "disk full" not in html and "Traceback" not in html
    assert _comment_count(app, thread.id) == 0
    # The next page works, and does not claim the comment was posted.
    page = client.get(f"/t/{thread.id}", headers=FR).get_data(as_text=True)
    assert "Je suis là ce soir." not in page
    assert "Votre commentaire est publié" not in page


def test_a_failing_write_in_the_api_gets_the_error_shape(app, api_as, member_thread, error_of):
    member, thread = member_thread
    api = api_as(member)
    with failing_inserts(app, "comments"):
        response = api.post(
            f"/api/v1/threads/{thread.id}/comments", json={"body": "Un mot."}, headers=FR
        )
    error = error_of(response, 500, "server_error")
    assert "disk full" not in response.get_data(as_text=True)
    assert error["message"].startswith("Un problème est survenu")
    assert _comment_count(app, thread.id) == 0


def test_a_successful_request_is_committed_once(app, client, auth, member_thread):
    """Posting a comment (comment, version, mention scan, read mark) is one transaction."""
    member, thread = member_thread
    auth.login(member)
    commits = []
    with app.app_context():
        engine = db.engine

    def on_commit(conn):
        commits.append(conn)

    sa.event.listen(engine, "commit", on_commit)
    try:
        response = client.post(f"/t/{thread.id}/comments", data={"body": "Bonsoir @odile."})
    finally:
        sa.event.remove(engine, "commit", on_commit)
    assert response.status_code == 302
    assert len(commits) == 1
    assert _comment_count(app, thread.id) == 1


def test_email_leaves_only_after_the_commit(app, outbox):
    """``after_commit``: a rolled-back transaction sends nothing; a committed one sends."""
    from app.db import after_commit

    sent = []
    with app.app_context():
        after_commit(lambda: sent.append("rolled back"))
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
        after_commit(lambda: sent.append("committed"))
        assert sent == []
        db.session.commit()
    assert sent == ["committed"]


def test_a_savepoint_rollback_keeps_what_the_transaction_queued(app):
    from app.db import after_commit

    sent = []
    with app.app_context():
        after_commit(lambda: sent.append("kept"))
        with contextlib.suppress(RuntimeError), db.session.begin_nested():
            raise RuntimeError("a savepoint fails")
        db.session.commit()
    assert sent == ["kept"]


def test_an_invitation_email_is_sent_after_the_commit_and_not_on_failure(
    app, client, auth, make_user, make_group, outbox
):
    admin = make_user(name="Claire", locale="fr")
    group = make_group(admin)
    auth.login(admin)
    url = f"/g/{group.handle}/invitations"
    form = {"email": "malik@exemple.org", "days": "7", "role": "member"}
    with failing_inserts(app, "invitations", at_commit=True):
        failed = client.post(url, data=form, headers=FR)
    assert failed.status_code == 500
    assert "Une invitation est envoyée" not in failed.get_data(as_text=True)
    assert outbox == []
    page = client.get(f"/g/{group.handle}/members", headers=FR).get_data(as_text=True)
    assert "malik@exemple.org" not in page  # no invitation, and no flash saying so
    sent = client.post(url, data=form, headers=FR)
    assert sent.status_code in (302, 303)
    assert [m.to for m in outbox] == [["malik@exemple.org"]]
