"""Backups of a running instance: ``flask --app wsgi backup PATH`` on SQLite and
``pg_dump``/``pg_restore`` on PostgreSQL, taken while a real HTTP server commits
comments, restored, and every comment committed before the backup began is there."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 4


@contextmanager
def served(app):
    """``app`` behind a real threaded HTTP server on a free port; yields its address."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["SERVER_NAME"] = None
    app.config["PUBLIC_URL"] = base
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _post(url: str, payload: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - our own local server
        url, data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        assert response.status == 201
        return json.loads(response.read())


class Writers:
    """Threads posting comments through the API until stopped; each comment's body is
    recorded with the moment its 201 came back (it was committed by then)."""

    def __init__(self, base: str, token: str, thread_id: int):
        self.url = f"{base}/api/v1/threads/{thread_id}/comments"
        self.token = token
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.committed: list[tuple[float, str]] = []
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._write, args=(n,)) for n in range(WRITERS)]

    def _write(self, writer: int) -> None:
        n = 0
        while not self.stop.is_set():
            body = f"écrit par {writer}, numéro {n}"
            try:
                _post(self.url, {"body": body}, self.token)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(exc)
                return
            with self.lock:
                self.committed.append((time.monotonic(), body))
            n += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while len(self.committed) < count:
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, "the writers are stuck"
            time.sleep(0.01)

    def committed_before(self, moment: float) -> set[str]:
        with self.lock:
            return {body for at, body in self.committed if at <= moment}

    def committed_after(self, moment: float) -> int:
        with self.lock:
            return sum(1 for at, _ in self.committed if at > moment)


@pytest.fixture
def writing_circle(app, make_user, make_group, make_thread):
    """A member's API token and a thread to comment on."""
    ana = make_user(name="Ana")
    group = make_group(ana)
    thread = make_thread(group, ana)
    client = app.test_client()
    response = client.post("/api/v1/tokens", json={"email": ana.email, "password": ana.password})
    assert response.status_code == 201
    return response.get_json()["token"], thread.id


def _flask(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "a-long-random-value-for-the-backup-process",
        "PUBLIC_URL": "https://cercle.example.org",
        "FLASK_DEBUG": "0",
    }
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sqlite_backup_of_a_running_site_keeps_every_committed_comment(
    app, database_url, writing_circle, make_app, tmp_path
):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite backup; PostgreSQL's is pg_dump, tested below")
    token, thread_id = writing_circle
    backup = tmp_path / "cercle-backup.sqlite3"
    with served(app) as base, Writers(base, token, thread_id) as writers:
        writers.wait_for(40)
        started = time.monotonic()
        before = writers.committed_before(started)
        result = _flask(database_url, "backup", str(backup))
        finished = time.monotonic()
        writers.wait_for(len(writers.committed) + 20)
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout
    assert not writers.errors
    # the site kept committing while the copy was made
    assert writers.committed_after(started) - writers.committed_after(finished) > 0

    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        saved = {body for (body,) in copy.execute("SELECT body FROM comments")}
    assert before <= saved
    assert len(saved) < len(writers.committed)  # a snapshot, not the end state

    # restored: the app opened on the copy shows the comments through the API
    restored = make_app("sqlite:///" + str(backup))
    page = restored.test_client().get(
        f"/api/v1/threads/{thread_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert page.status_code == 200
    assert {c["body"] for c in page.get_json()["comments"]} == saved


def test_backup_refuses_to_overwrite_without_force(app, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite backup")
    target = tmp_path / "existing.sqlite3"
    target.write_text("yesterday's backup")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["backup", str(target)])
    assert refused.exit_code == 1
    assert "already exists" in refused.output and "--force" in refused.output
    assert target.read_text() == "yesterday's backup"
    forced = runner.invoke(args=["backup", "--force", str(target)])
    assert forced.exit_code == 0, forced.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM users").fetchone()[0] == 0
    assert not list(tmp_path.glob(".*partial"))  # nothing left behind


def test_backup_on_postgresql_prints_the_pg_dump_command_without_the_password(make_app):
    """Refused, naming the exact pg_dump command for the configured database."""
    app = make_app("postgresql+psycopg://cercle:s3cret@db.example:5433/cercle_prod")
    result = app.test_cli_runner().invoke(args=["backup", "/var/backups/cercle.dump"])
    assert result.exit_code == 1
    assert (
        "pg_dump --format=custom --file=/var/backups/cercle.dump "
        "postgresql://cercle@db.example:5433/cercle_prod"
    ) in result.output
    assert "s3cret" not in result.output
    assert "pg_restore" in result.output


@contextmanager
def _fresh_postgres(database_url: str):
    name = f"cercle_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(database_url).set(database=name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_pg_dump_of_a_running_site_restores_every_committed_comment(
    app, database_url, writing_circle, tmp_path
):
    """The README's PostgreSQL backup and restore, under writes."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    for tool in ("pg_dump", "pg_restore"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    from app.backup import pg_dump_command

    token, thread_id = writing_circle
    url = sa.engine.make_url(database_url)
    dump = tmp_path / "cercle.dump"
    command = pg_dump_command(url, str(dump))
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    with served(app) as base, Writers(base, token, thread_id) as writers:
        writers.wait_for(40)
        started = time.monotonic()
        before = writers.committed_before(started)
        dumped = subprocess.run(  # noqa: S603 - the command the README gives
            shlex.split(command), env=env, capture_output=True, text=True, timeout=120
        )
        finished = time.monotonic()
        writers.wait_for(len(writers.committed) + 20)
    assert dumped.returncode == 0, dumped.stderr
    assert not writers.errors
    assert writers.committed_after(started) - writers.committed_after(finished) > 0

    with _fresh_postgres(database_url) as fresh:
        address = fresh.set(drivername="postgresql").render_as_string(hide_password=False)
        restored = subprocess.run(  # noqa: S603
            ["pg_restore", "--no-owner", f"--dbname={address}", str(dump)],  # noqa: S607
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert restored.returncode == 0, restored.stderr
        engine = sa.create_engine(fresh)
        with engine.connect() as conn:
            saved = set(conn.scalars(sa.text("SELECT body FROM comments")))
            version = conn.scalar(sa.text("SELECT count(*) FROM users"))
        engine.dispose()
    assert before <= saved
    assert len(saved) < len(writers.committed)
    assert version == 1
