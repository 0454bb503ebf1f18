"""Fixtures: the app on SQLite (or TEST_DATABASE_URL), clients, and factories.

The schema is created once per run; every test starts from empty tables.
No application context stays pushed during a test, so each request gets its
own database session, as in production. Factories commit and return plain
records (``SimpleNamespace``) that tests can read without a session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from fixtures.database import (  # noqa: F401 - re-exported for test modules
    IN_CI,
    PASSWORD,
    TEST_DATABASE_URL,
    _empty_tables,
    _postgres_reachable,
    build_test_config,
    require_postgres,
)
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import normalise_database_url
from app.extensions import db, limiter
from app.timeutil import utcnow

#: shared fixture modules (tests/fixtures/), loaded here: pytest reads this list only
#: from the top-level conftest
pytest_plugins = [
    "fixtures.outbox",
    "fixtures.accounts",
    "fixtures.pages",
    "fixtures.polls",
    "fixtures.poll_api",
    "fixtures.poll_pages",
    "fixtures.proposal_api",
    "fixtures.agreement_api",
    "fixtures.agreement_pages",
    "fixtures.support_pages",
    "fixtures.support_api",
    "fixtures.smtp",
]


class ReadWholeClient(FlaskClient):
    """A test client that reads each response whole, as a WSGI server does: a streamed
    download (``stream_with_context``) left unread would keep its request context
    pushed until garbage collection popped it in the middle of another test."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


Flask.test_client_class = ReadWholeClient


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The database of this run: TEST_DATABASE_URL, else a fresh SQLite file."""
    if TEST_DATABASE_URL:
        problem = _postgres_reachable(TEST_DATABASE_URL)
        if problem:
            message = f"TEST_DATABASE_URL is not reachable: {problem}"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        return normalise_database_url(TEST_DATABASE_URL)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def _schema(database_url):
    """Create the schema once for the run (migrations are tested on their own)."""
    app = create_app(build_test_config(database_url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    yield


@pytest.fixture
def app_config() -> dict:
    """Overrides of the test configuration; a test module may redefine it."""
    return {}


@pytest.fixture
def app(database_url, _schema, app_config) -> Iterator:
    """A fresh application over empty tables."""
    application = create_app(build_test_config(database_url, **app_config))
    limiter.reset()
    yield application
    _empty_tables(application)
    limiter.reset()


@pytest.fixture
def csrf_app(database_url, _schema):
    """The application with CSRF protection on, as in production."""
    application = create_app(build_test_config(database_url, WTF_CSRF_ENABLED=True))
    yield application
    _empty_tables(application)


@pytest.fixture
def make_app(database_url, _schema):
    """``make_app(url=None, **config)``: another application, e.g. on another database."""

    def make(url: str | None = None, **config):
        return create_app(build_test_config(url or database_url, **config))

    return make


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner of ``app``'s ``flask`` commands."""
    return app.test_cli_runner()


# -- factories ---------------------------------------------------------------


@pytest.fixture
def run(app):
    """``run(fn)``: call ``fn()`` in a fresh app context and session, commit, return its result."""

    def call(fn):
        with app.app_context():
            try:
                result = fn()
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise

    return call


@pytest.fixture
def thread_circle(make_user, make_group, make_thread):
    """An admin (Alice) and three members (Bruno, Chloé, David) in a group with a thread."""
    admin = make_user(name="Alice")
    members = [make_user(name=n) for n in ("Bruno", "Chloé", "David")]
    group = make_group(admin, members=members)
    thread = make_thread(group, admin)
    return SimpleNamespace(
        admin=admin, members=members, people=[admin, *members], group=group, thread=thread
    )


def _record(obj, *names) -> SimpleNamespace:
    return SimpleNamespace(**{n: getattr(obj, n) for n in names})


@pytest.fixture
def make_user(app):
    """``make_user(name="Anaïs", email=..., locale=...)`` → record with ``password``.
    Its address is confirmed unless ``verified=False`` (an account that never opened a
    link emailed to it)."""
    from app.auth.services import create_user
    from app.timeutil import utcnow

    counter = {"n": 0}

    def make(
        name: str | None = None, email: str | None = None, *, verified: bool = True, **kwargs
    ) -> SimpleNamespace:
        counter["n"] += 1
        n = counter["n"]
        name = name or f"Person {n}"
        email = email or f"person{n}@example.org"
        with app.app_context():
            user = create_user(email=email, name=name, password=PASSWORD, **kwargs)
            if verified:
                user.email_verified_at = utcnow()
            db.session.commit()
            record = _record(user, "id", "email", "name", "handle", "locale", "timezone")
        record.password = PASSWORD
        return record

    return make


@pytest.fixture
def make_group(app):
    """``make_group(admin, members=[...], privacy="secret", handle=...)``: the members are
    made directly (``fixtures.memberships.admit``), as if they had accepted invitations."""
    from fixtures.memberships import admit

    from app.groups.services import create_group

    counter = {"n": 0}

    def make(admin, members=(), **kwargs) -> SimpleNamespace:
        counter["n"] += 1
        kwargs.setdefault("name", f"Cercle {counter['n']}")
        kwargs.setdefault("handle", f"cercle-{counter['n']}")
        kwargs.setdefault("now", utcnow())
        from app.auth.models import User

        with app.app_context():
            creator = db.session.get(User, admin.id)
            group = create_group(creator=creator, **kwargs)
            for member in members:
                admit(group, db.session.get(User, member.id), actor=creator, now=kwargs["now"])
            db.session.commit()
            return _record(group, "id", "handle", "name", "privacy")

    return make


@pytest.fixture
def make_thread(app):
    """``make_thread(group, author, title=..., body=..., comments=n)``."""
    from app.auth.models import User
    from app.groups.models import Group
    from app.threads.services import add_comment, start_thread

    def make(group, author, title="Une discussion", body="Le contexte.", comments=0):
        with app.app_context():
            user = db.session.get(User, author.id)
            thread = start_thread(
                db.session.get(Group, group.id), author=user, title=title, body=body, now=utcnow()
            )
            for i in range(comments):
                add_comment(thread, author=user, body=f"Commentaire {i + 1}", now=utcnow())
            db.session.commit()
            return _record(thread, "id", "title", "group_id")

    return make


class AuthActions:
    """Sign a test client in and out."""

    def __init__(self, client):
        self._client = client

    def login(self, user) -> None:
        """Sign in as ``user`` without the form (the form has its own tests)."""
        from fixtures.accounts import session_user_id

        user_id = session_user_id(self._client.application, user.id)
        with self._client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True

    def logout(self) -> None:
        with self._client.session_transaction() as session:
            session.clear()


@pytest.fixture
def auth(client) -> AuthActions:
    """``auth.login(user)`` and ``auth.logout()`` on ``client``."""
    return AuthActions(client)


class ApiClient:
    """A test client that sends a Bearer token and JSON."""

    def __init__(self, client, token: str | None):
        self._client = client
        self.token = token

    def _headers(self, headers):
        merged = {"Accept": "application/json"}
        if self.token:
            merged["Authorization"] = f"Bearer {self.token}"
        merged.update(headers or {})
        return merged

    def get(self, path, headers=None, **kw):
        return self._client.get(path, headers=self._headers(headers), **kw)

    def delete(self, path, headers=None, **kw):
        return self._client.delete(path, headers=self._headers(headers), **kw)

    def post(self, path, json=None, headers=None, **kw):
        return self._client.post(path, json=json, headers=self._headers(headers), **kw)

    def put(self, path, json=None, headers=None, **kw):
        return self._client.put(path, json=json, headers=self._headers(headers), **kw)

    def patch(self, path, json=None, headers=None, **kw):
        return self._client.patch(path, json=json, headers=self._headers(headers), **kw)


@pytest.fixture
def api_as(app, client):
    """``api_as(user)`` → an ``ApiClient`` with a fresh token of that user; ``api_as(None)``
    sends no token."""
    from app.auth.models import User
    from app.auth.services import create_api_token

    def make(user) -> ApiClient:
        if user is None:
            return ApiClient(client, None)
        with app.app_context():
            _token, secret = create_api_token(db.session.get(User, user.id), "tests", now=utcnow())
            db.session.commit()
        return ApiClient(client, secret)

    return make


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: ...`` then ``q.count`` is the SQL statements run."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        state = SimpleNamespace(count=0, statements=[])

        def before(conn, cursor, statement, parameters, context, executemany):
            if statement.strip().upper() in {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"}:
                return
            state.count += 1
            state.statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield state
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return counting


# -- proposals: a clock, and propose, vote, close, decide at its time ---------------


class Clock:
    """Test time, ahead of the wall clock (memberships were created before it)."""

    def __init__(self):
        self.now = utcnow() + timedelta(minutes=1)

    def tick(self, **delta) -> object:
        self.now = self.now + timedelta(**delta or {"minutes": 1})
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The time the proposal helpers act at: a minute ahead of the wall clock;
    ``clock.tick(**delta)`` moves it on (a minute by default)."""
    return Clock()


@pytest.fixture
def propose(run, thread_circle, clock):
    """``propose(change=None, author=None, closing_in=timedelta(days=1), thread=None)`` →
    a new proposal created now (``clock.now``), carrying ``change``: record with ``id``,
    ``closing_at``, ``change_id``."""
    from app.auth.models import User
    from app.polls.services import create_poll
    from app.proposals.services import attach_agreement_change
    from app.threads.models import Thread

    def make(change=None, *, author=None, closing_in=timedelta(days=1), thread=None):
        now = clock.now
        author = author or thread_circle.admin

        def create():
            poll = create_poll(
                db.session.get(Thread, (thread or thread_circle.thread).id),
                author=db.session.get(User, author.id),
                kind="proposal",
                title="Une proposition",
                closing_at=now + closing_in,
                now=now,
            )
            record = None
            if change is not None:
                record = attach_agreement_change(poll, change, now=now)
            return SimpleNamespace(
                id=poll.id, closing_at=poll.closing_at, change_id=getattr(record, "id", None)
            )

        return run(create)

    return make


@pytest.fixture
def vote(run, clock):
    """``vote(poll, person, key, reason=...)`` at ``clock.now`` (a block gets a reason)."""
    from app.auth.models import User
    from app.polls.models import Poll
    from app.polls.services import cast_stance

    def cast(poll, person, key, reason=None):
        if reason is None:
            reason = "Je bloque parce que…" if key == "block" else ""
        now = clock.now
        return run(
            lambda: (
                cast_stance(
                    db.session.get(Poll, poll.id),
                    db.session.get(User, person.id),
                    choice={"key": key},
                    reason=reason,
                    now=now,
                ).id
            )
        )

    return cast


@pytest.fixture
def close(run, thread_circle, clock):
    """``close(poll, actor=None)``: close early at ``clock.now`` → the outcome as the API
    shows it (English)."""
    from app.auth.models import User
    from app.polls.models import Poll
    from app.polls.services import close_poll
    from app.proposals.services import outcome_json

    def do(poll, actor=None):
        now = clock.now

        def closing():
            closed = close_poll(
                db.session.get(Poll, poll.id),
                actor=db.session.get(User, (actor or thread_circle.admin).id),
                now=now,
            )
            return outcome_json(closed, "en")

        return run(closing)

    return do


@pytest.fixture
def decide(propose, vote, close, thread_circle, clock):
    """``decide(change, votes=None)``: propose, vote (``[(person, key)]``, default: everyone
    agrees), close, a minute apart → (poll record, outcome)."""

    def make(change, votes=None, **kwargs):
        poll = propose(change, **kwargs)
        clock.tick()
        everyone_agrees = [(p, "agree") for p in thread_circle.people]
        for person, key in votes if votes is not None else everyone_agrees:
            vote(poll, person, key)
        clock.tick()
        outcome = close(poll)
        clock.tick()
        return poll, outcome

    return make


# -- the API's error shape ------------------------------------------------------

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@pytest.fixture
def error_of():
    """``error_of(response, status, code=None)`` checks the documented error shape and
    returns ``body["error"]``."""

    def check(response, status, code=None):
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert set(body) == {"error"}
        error = body["error"]
        assert set(error) == {"code", "message", "fields"}
        assert SNAKE.match(error["code"]), error["code"]
        assert isinstance(error["message"], str) and error["message"].strip()
        assert isinstance(error["fields"], dict)
        assert all(isinstance(v, str) and v for v in error["fields"].values())
        if code is not None:
            assert error["code"] == code, error
        return error

    return check


@pytest.fixture
def api(api_as):
    """``api(user)`` → an API client with a Bearer token of ``user`` (one token each)."""
    clients = {}

    def get(user):
        key = None if user is None else user.id
        if key not in clients:
            clients[key] = api_as(user)
        return clients[key]

    return get
