"""Deleting one account twice at the same moment, for real (threads, each with its own
client or app context; SQLite here, PostgreSQL with TEST_DATABASE_URL): a double click
on two devices and the API together, or two machines running ``jobs run`` on a closed
account whose 30 days are over. Exactly one wipe happens, nobody sees an error page,
and the account ends wiped once, its circle left once."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa
from fixtures.accounts import session_user_id
from fixtures.concurrency import headers, race

from app import events
from app.auth.models import SignInSession, User
from app.extensions import db
from app.groups.models import Membership
from app.threads.models import Comment
from app.timeutil import utcnow

EN = {"Accept-Language": "en"}


def _wipes():
    """The ids of the accounts wiped while it is connected (``events.account_deleted``
    is sent by the wipe itself, in its transaction)."""
    wiped: list[int] = []
    lock = threading.Lock()

    def record(user, **_):
        with lock:
            wiped.append(user.id)

    return wiped, record


def _state(app, user_id, group_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        memberships = db.session.execute(
            sa.select(Membership.revoked_at).where(
                Membership.user_id == user_id, Membership.group_id == group_id
            )
        ).all()
        comments = db.session.scalar(
            sa.select(sa.func.count(Comment.id)).where(Comment.author_id == user_id)
        )
        sessions = db.session.scalar(
            sa.select(sa.func.count(SignInSession.id)).where(SignInSession.user_id == user_id)
        )
        return user.deleted_at, user.email, user.password_hash, memberships, comments, sessions


def test_two_devices_and_the_api_delete_one_account_at_once(
    app, api, user, make_user, make_group, make_thread
):
    admin = make_user(name="Claire")
    group = make_group(admin, [user])
    make_thread(group, user, title="Ma discussion", comments=2)
    token = api(user).token
    devices = [session_user_id(app, user.id) for _ in range(2)]

    def device(session_id):
        def job(client):
            with client.session_transaction() as session:
                session["_user_id"] = session_id
                session["_fresh"] = True
            return [
                client.post(
                    "/profile/delete",
                    data={"close-current_password": user.password},
                    headers=EN,
                )
            ]

        return job

    def by_api(client):
        return [
            client.delete(
                "/api/v1/me", json={"password": user.password}, headers=headers(token) | EN
            )
        ]

    wiped, record = _wipes()
    events.account_deleted.connect(record)
    try:
        responses = race(app, [device(devices[0]), device(devices[1]), by_api])
    finally:
        events.account_deleted.disconnect(record)

    assert wiped == [user.id]  # one wipe, whoever won
    statuses = sorted(r.status_code for r in responses)
    # no error page: the pages send the person to the sign-in page (deleted, or signed
    # out by the deletion); the API deletes (204) or no longer knows the token (401)
    assert all(s < 500 for s in statuses), [r.get_data(as_text=True)[:300] for r in responses]
    web = [r for r in responses if r.request.path == "/profile/delete"]
    assert all(r.status_code == 302 and "/signin" in r.location for r in web), [
        (r.status_code, r.get_data(as_text=True)[:300]) for r in web
    ]
    (api_response,) = [r for r in responses if r.request.path == "/api/v1/me"]
    assert api_response.status_code in (204, 401), api_response.get_data(as_text=True)

    deleted_at, email, password_hash, memberships, comments, sessions = _state(
        app, user.id, group.id
    )
    assert deleted_at is not None
    assert email.endswith("@deleted.invalid") and password_hash == ""
    assert len(memberships) == 1 and memberships[0].revoked_at is not None  # left once
    assert comments == 2  # contributions stay
    assert sessions == 0


def test_two_machines_running_the_expiry_step_delete_a_closed_account_once(
    app, user, make_user, make_group, make_thread
):
    from app.account.services import deactivate_account
    from app.jobs.tasks import RunFigures, delete_expired_accounts

    admin = make_user(name="Claire")
    group = make_group(admin, [user])
    make_thread(group, user, title="Ma discussion", comments=1)
    with app.app_context():
        deactivate_account(db.session.get(User, user.id), now=utcnow() - timedelta(days=31))
        db.session.commit()

    now = utcnow()
    barrier = threading.Barrier(2)
    figures = [RunFigures(), RunFigures()]
    errors: list[BaseException] = []

    def machine(figures):
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                delete_expired_accounts(now, figures)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    wiped, record = _wipes()
    events.account_deleted.connect(record)
    try:
        threads = [threading.Thread(target=machine, args=(f,)) for f in figures]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        events.account_deleted.disconnect(record)

    assert not any(thread.is_alive() for thread in threads), "a machine is stuck"
    assert errors == []
    assert [f.failures for f in figures] == [[], []]  # neither machine logged a failure
    assert sorted(f.accounts_deleted for f in figures) == [0, 1]
    assert wiped == [user.id]
    deleted_at, email, _hash, memberships, comments, _sessions = _state(app, user.id, group.id)
    assert deleted_at == now and email.endswith("@deleted.invalid")
    assert len(memberships) == 1 and memberships[0].revoked_at is not None
    assert comments == 1
