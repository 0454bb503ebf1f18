"""Requests per second and latency of Cercle's heaviest pages, next to a bare Flask page.

    .venv/bin/python bench/pages.py                 # SQLite in a temporary folder
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cercle_bench \\
        .venv/bin/python bench/pages.py             # SQLite, then PostgreSQL (WIPED first)

What it does, for each database:

1. builds a fresh database: a circle of 18 members; a thread with 100 comments and a
   proposal with 18 stances (the seed's 5 agree, 8 abstain, 3 disagree, 2 block);
   and, through real proposals closed in the past, 40 agreements of 5 versions each;
2. serves the application with gunicorn (2 sync workers, 127.0.0.1 on a free port,
   ``SECRET_KEY`` set). The served WSGI callable is ``wsgi()`` below: it sends
   ``/bare`` to a minimal Flask app made here, and everything else to Cercle;
3. signs a session cookie for a member (pages) and makes an API token (API paths);
4. for each address, after a few warm-up requests, runs a bounded load loop (threads
   and ``http.client``, loopback only, at most ``--requests`` requests and
   ``--seconds`` seconds) and prints requests per second, p50 and p95 latency.

It exits 0 when every measured request answered 200, 1 otherwise. It is not part of
the test suite (``tests/test_bench_smoke.py`` only imports it and builds a tiny
data set).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

HOST = "127.0.0.1"
#: hard limits, whatever the options say
MAX_REQUESTS = 5000
MAX_SECONDS = 60
#: the browser the pages' session cookie was made for (``session_cookie``)
BENCH_USER_AGENT = "cercle-bench"
SEED_STANCES = ["agree"] * 5 + ["abstain"] * 8 + ["disagree"] * 3 + ["block"] * 2


# -- the served application ---------------------------------------------------------------


def bare_app():
    """A minimal Flask app: one route, plain text (the floor to compare with)."""
    from flask import Flask

    bare = Flask("bare")

    @bare.get("/bare")
    def index():
        return "ok"

    return bare


MINIMAL_PAGE = """<!doctype html><title>{{ title }}</title><h1>{{ title }}</h1>
{% for c in comments %}<article id="c{{ c.id }}"><p>{{ c.name }}, {{ c.created_at }}</p>
{{ c.body_html|safe }}</article>
{% endfor %}"""


def minimal_app(database_url: str):
    """A minimal Flask + SQLAlchemy + Jinja page, ``/minimal/<thread id>``: the thread's
    title and its comments with their authors' names and stored HTML, read as rows
    (the yardstick of the issue's goal: what showing 100 comments from the database
    costs at the least)."""
    import sqlalchemy as sa
    from flask import Flask, abort, render_template_string

    minimal = Flask("minimal")
    engine = sa.create_engine(database_url)
    thread_stmt = sa.text("SELECT title FROM threads WHERE id = :id")
    comments_stmt = sa.text(
        "SELECT c.id, c.body_html, c.created_at, u.name FROM comments c "
        "JOIN users u ON u.id = c.author_id WHERE c.thread_id = :id "
        "ORDER BY c.created_at, c.id"
    )

    @minimal.get("/minimal/<int:thread_id>")
    def page(thread_id):
        with engine.connect() as conn:
            title = conn.execute(thread_stmt, {"id": thread_id}).scalar()
            if title is None:
                abort(404)
            comments = conn.execute(comments_stmt, {"id": thread_id}).mappings().all()
        return render_template_string(MINIMAL_PAGE, title=title, comments=comments)

    return minimal


def wsgi():
    """What gunicorn serves (``pages:wsgi()``): ``/bare`` to the bare app, ``/minimal/…``
    to the minimal comments page, the rest to Cercle (configured from the environment:
    DATABASE_URL, SECRET_KEY)."""
    from app import create_app
    from app.config import normalise_database_url

    cercle = create_app()
    bare = bare_app()
    minimal = minimal_app(normalise_database_url(os.environ["DATABASE_URL"]))

    def dispatch(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/bare":
            return bare(environ, start_response)
        if path.startswith("/minimal/"):
            return minimal(environ, start_response)
        return cercle(environ, start_response)

    return dispatch


# -- the data --------------------------------------------------------------------------------


@dataclass
class Dataset:
    handle: str
    thread_id: int
    poll_id: int
    user_id: int
    #: what Flask-Login keeps in the cookie: the member and a server-side session
    login_id: str
    token: str
    comments: int
    stances: int
    agreements: int
    versions: int


def build(
    database_url: str,
    secret_key: str,
    *,
    comments: int = 100,
    members: int = 18,
    agreements: int = 40,
    versions: int = 5,
) -> Dataset:
    """A fresh schema on ``database_url`` (everything in it is dropped first) and the data
    set described in the module docstring."""
    from app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": secret_key,
            "PUBLIC_URL": f"http://{HOST}",
            # the accounts never sign in with their password here: hash cheaply
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_PARALLELISM": 1,
            "MAIL_BACKEND": "locmem",
        }
    )
    # Imported once the app exists: the features import each other in that order.
    from app.auth.services import create_api_token, create_user
    from app.auth.sessions import start_session
    from app.extensions import db
    from app.groups.services import accept_invitation, create_group, create_invitation
    from app.polls.services import cast_stance, close_poll, create_poll
    from app.proposals.services import attach_agreement_change, outcome_for
    from app.threads.services import add_comment, start_thread
    from app.timeutil import utcnow

    with app.app_context():
        db.drop_all()
        db.create_all()
        now = utcnow()
        clock = now - timedelta(days=30)
        people = [
            create_user(email=f"membre{n}@bench.example", name=f"Membre {n}", password="x" * 12)
            for n in range(1, members + 1)
        ]
        admin = people[0]
        db.session.flush()
        group = create_group(
            creator=admin, name="Cercle de soutien", handle="bench", now=clock - timedelta(days=1)
        )
        for person in people[1:]:  # each invited, each accepting
            invitation, _secret = create_invitation(
                group, actor=admin, email=person.email, now=clock - timedelta(days=1, hours=1)
            )
            accept_invitation(invitation, person, now=clock - timedelta(days=1))

        # the thread measured: 100 comments (every tenth a reply), then an open proposal
        thread = start_thread(
            group,
            author=admin,
            title="Réseau ou système de soutien ?",
            body="Quelle **différence** entre un réseau et un système de soutien ?",
            now=clock,
        )
        top = None
        for n in range(comments):
            comment = add_comment(
                thread,
                author=people[n % members],
                body=f"Commentaire {n + 1} : *écoute*, disponibilité, relance.",
                parent_id=top.id if top is not None and n % 10 == 9 else None,
                now=clock + timedelta(minutes=n),
            )
            if n % 10 == 0:
                top = comment
        poll = create_poll(
            thread,
            author=admin,
            kind="proposal",
            title="Nos accords d'écoute",
            details="Pas de réciprocité exigée ; relance après trois semaines.",
            closing_at=now + timedelta(days=7),
            now=now - timedelta(hours=1),
        )
        attach_agreement_change(
            poll,
            {
                "action": "adopt",
                "title": "Nos accords d'écoute",
                "body": "Pas de réciprocité exigée.",
                "rules": {"reciprocity": "not_required", "relance_after_days": 21},
            },
            now=now - timedelta(hours=1),
        )
        for person, key in zip(people, SEED_STANCES * (members // 18 + 1), strict=False):
            cast_stance(
                poll,
                person,
                choice={"key": key},
                reason="Je bloque : il faut en parler d'abord." if key == "block" else "",
                now=now - timedelta(minutes=30),
            )

        # the agreements: adopted and amended by proposals (the admin alone votes)
        decisions = start_thread(group, author=admin, title="Nos accords", now=clock)
        step = clock

        def decide(change) -> int | None:
            nonlocal step
            proposal = create_poll(
                decisions,
                author=admin,
                kind="proposal",
                title=change.get("title") or "Modification",
                closing_at=step + timedelta(days=1),
                voters=[admin.id],
                now=step,
            )
            attach_agreement_change(proposal, change, now=step)
            cast_stance(proposal, admin, choice={"key": "agree"}, now=step)
            step += timedelta(minutes=1)
            close_poll(proposal, actor=admin, now=step)
            step += timedelta(minutes=1)
            return proposal.id

        for n in range(agreements):
            first = decide(
                {
                    "action": "adopt",
                    "title": f"Accord {n + 1}",
                    "body": f"Texte de l'accord {n + 1}.\n\nDeux temps d'écoute par semaine.",
                    "rules": {"rhythm_per_week": 1 + n % 21, "channels": ["Téléphone", "Jitsi"]},
                }
            )
            agreement_id = outcome_for(first).agreement_id
            for version in range(2, versions + 1):
                decide(
                    {
                        "action": "amend",
                        "agreement_id": agreement_id,
                        "base_version": version - 1,
                        "body": f"Texte de l'accord {n + 1}, version {version}.",
                        "rules": {"relance_after_days": 7 * version},
                        "change_summary": f"Version {version}",
                    }
                )
        _token, secret = create_api_token(admin, "bench", now=utcnow())
        start_session(people[1], user_agent="bench", now=utcnow())
        data = Dataset(
            handle=group.handle,
            thread_id=thread.id,
            poll_id=poll.id,
            user_id=people[1].id,
            login_id=people[1].get_id(),
            token=secret,
            comments=comments,
            stances=min(members, len(people)),
            agreements=agreements,
            versions=versions,
        )
        db.session.commit()
        db.engine.dispose()
    return data


def session_cookie(secret_key: str, data: Dataset, remote: str | None = HOST) -> str:
    """A signed Flask session cookie signing in ``data``'s member (Flask-Login's keys and
    Flask-WTF's CSRF secret)."""
    from flask import Flask

    signer = Flask("cookie")
    signer.secret_key = secret_key
    serializer = signer.session_interface.get_signing_serializer(signer)
    # as a returning browser's: with the CSRF secret its first page stored and
    # Flask-Login's identifier of the browser (its address ``remote``, None in-process,
    # and ``BENCH_USER_AGENT``, written as Flask-Login does); without them, every page
    # would change the session and send its cookie again
    address = remote.encode() if remote is not None else None
    browser = f"{address}|{BENCH_USER_AGENT.encode()}"
    value = serializer.dumps(
        {
            "_user_id": data.login_id,
            "_fresh": True,
            "_id": hashlib.sha512(browser.encode()).hexdigest(),
            "csrf_token": secrets.token_hex(20),
        }
    )
    return f"session={value}"


def targets(data: Dataset, cookie: str) -> list[tuple[str, str, dict]]:
    """(name, path, headers) of each measured address."""
    page = {"Cookie": cookie, "Accept-Language": "fr", "User-Agent": BENCH_USER_AGENT}
    api = {"Authorization": f"Bearer {data.token}", "Accept": "application/json"}
    return [
        ("bare Flask page", "/bare", {}),
        (f"minimal page ({data.comments} comments)", f"/minimal/{data.thread_id}", {}),
        (f"thread page ({data.comments} comments, 1 poll)", f"/t/{data.thread_id}", page),
        (f"poll page ({data.stances} stances)", f"/p/{data.poll_id}", page),
        (
            f"agreements page ({data.agreements}×{data.versions})",
            f"/g/{data.handle}/agreements",
            page,
        ),
        ("API thread", f"/api/v1/threads/{data.thread_id}", api),
        ("API agreements", f"/api/v1/groups/{data.handle}/agreements", api),
        ("API rules", f"/api/v1/groups/{data.handle}/rules", api),
    ]


# -- serving ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """gunicorn serving ``wsgi()`` on 127.0.0.1; stopped by ``stop`` (its own process)."""

    def __init__(self, database_url: str, secret_key: str, instance: str, workers: int = 2):
        self.port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key,
            "PUBLIC_URL": f"http://{HOST}:{self.port}",
            "CERCLE_INSTANCE_PATH": instance,
            "PYTHONPATH": ROOT,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"{HOST}:{self.port}",
                "--pythonpath",
                os.path.join(ROOT, "bench"),
                "--log-level",
                "warning",
                "pages:wsgi()",
            ],
            cwd=ROOT,
            env=env,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if get(self.port, "/bare", {}, timeout=2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Measure:
    name: str
    path: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    elapsed: float = 0.0

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def per_second(self) -> float:
        return self.done / self.elapsed if self.elapsed else 0.0


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def load(
    port: int,
    name: str,
    path: str,
    headers: dict,
    *,
    concurrency: int,
    requests: int,
    seconds: float,
    warmup: int = 5,
) -> Measure:
    """``requests`` GETs of ``path`` from ``concurrency`` threads, stopping after ``seconds``
    whatever is left; each thread has its own connection (reopened when the server
    closes it, as gunicorn's sync workers do)."""
    requests = min(requests, MAX_REQUESTS)
    seconds = min(seconds, MAX_SECONDS)
    for _ in range(warmup):
        get(port, path, headers)
    result = Measure(name, path)
    lock = threading.Lock()
    issued = 0
    start = time.perf_counter()
    deadline = start + seconds

    def worker():
        nonlocal issued
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            while True:
                with lock:
                    if issued >= requests or time.perf_counter() >= deadline:
                        return
                    issued += 1
                began = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    if response.will_close:
                        conn.close()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    with lock:
                        result.errors += 1
                    continue
                took = time.perf_counter() - began
                with lock:
                    result.latencies.append(took)
                    result.statuses[status] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - start
    return result


def table(title: str, measures: list[Measure]) -> str:
    lines = [
        title,
        f"{'address':<40} {'path':<32} {'requests':>8} {'non-200':>7} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'÷ minimal':>9}",
    ]
    floor = next((m.per_second for m in measures if m.path.startswith("/minimal/")), 0.0)
    for m in measures:
        ratio = f"{m.per_second / floor:>9.2f}" if floor else f"{'':>9}"
        lines.append(
            f"{m.name:<40} {m.path:<32} {m.done:>8} {m.done - m.ok + m.errors:>7} "
            f"{m.per_second:>8.1f} {percentile(m.latencies, 0.50) * 1000:>8.1f} "
            f"{percentile(m.latencies, 0.95) * 1000:>8.1f} {ratio}"
        )
    return "\n".join(lines)


def cpu_per_request(
    database_url: str, secret_key: str, data: Dataset, requests: int, only: str = ""
) -> list:
    """In-process, without a server: CPU milliseconds per request of each address
    (``time.process_time`` over ``requests`` requests through the WSGI dispatcher, after
    5 warm-up requests), robust to other load on the machine; (name, path, ms, the
    minimal page's ms divided by it)."""
    from werkzeug.test import Client

    instance = tempfile.mkdtemp(prefix="cercle-bench-instance-")
    names = ("DATABASE_URL", "SECRET_KEY", "PUBLIC_URL", "CERCLE_INSTANCE_PATH")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secret_key,
        PUBLIC_URL="http://localhost",
        CERCLE_INSTANCE_PATH=instance,
    )
    try:
        client = Client(wsgi(), use_cookies=False)
        cookie = session_cookie(secret_key, data, remote=None)  # no address in-process
        results = []
        for name, path, headers in targets(data, cookie):
            if not wanted(only, name, path):
                continue
            for _ in range(5):
                response = client.get(path, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")
            began = time.process_time()
            for _ in range(requests):
                client.get(path, headers=headers)
            results.append((name, path, (time.process_time() - began) * 1000 / requests))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(instance, ignore_errors=True)
    floor = next((ms for _n, path, ms in results if path.startswith("/minimal/")), 0.0)
    return [(name, path, ms, floor / ms if ms else 0.0) for name, path, ms in results]


def cpu_table(title: str, rows: list) -> str:
    lines = [title, f"{'address':<40} {'path':<32} {'CPU ms':>8} {'÷ minimal':>9}"]
    for name, path, ms, ratio in rows:
        lines.append(f"{name:<40} {path:<32} {ms:>8.2f} {ratio:>9.2f}")
    return "\n".join(lines)


def wanted(only: str, name: str, path: str) -> bool:
    """Whether an address is measured: every one without ``--only``; else the floors
    (the bare and minimal pages, to compare with) and those whose name or path
    matches the regular expression."""
    if not only:
        return True
    return (
        path == "/bare" or path.startswith("/minimal/") or bool(re.search(only, f"{name} {path}"))
    )


def run_one(label: str, database_url: str, options) -> list[Measure]:
    """Build, serve, measure, stop: the figures of one database."""
    secret_key = secrets.token_hex(32)
    instance = tempfile.mkdtemp(prefix="cercle-bench-instance-")
    began = time.perf_counter()
    data = build(
        database_url,
        secret_key,
        comments=options.comments,
        agreements=options.agreements,
        versions=options.versions,
    )
    print(f"[{label}] data built in {time.perf_counter() - began:.1f} s", flush=True)
    if options.cpu:
        requests = min(options.cpu, MAX_REQUESTS)
        rows = cpu_per_request(database_url, secret_key, data, requests, options.only)
        print(cpu_table(f"{label}, in-process, {requests} requests each", rows), flush=True)
        if options.cpu_only:
            return []
    server = Server(database_url, secret_key, instance, workers=options.workers)
    try:
        server.wait_ready()
        cookie = session_cookie(secret_key, data)
        measures = []
        for name, path, headers in targets(data, cookie):
            if not wanted(options.only, name, path):
                continue
            status, _body = get(server.port, path, headers)
            if status != 200:
                print(f"[{label}] {path} answered {status}", flush=True)
            measures.append(
                load(
                    server.port,
                    name,
                    path,
                    headers,
                    concurrency=options.concurrency,
                    requests=options.requests,
                    seconds=options.seconds,
                )
            )
    finally:
        server.stop()
        shutil.rmtree(instance, ignore_errors=True)
    return measures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per address (max 5000)")
    parser.add_argument("--seconds", type=float, default=10, help="per address (max 60)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--comments", type=int, default=100)
    parser.add_argument("--agreements", type=int, default=40)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument(
        "--only",
        default="",
        help="measure only the addresses whose name or path matches this regular "
        "expression (the bare and minimal pages always)",
    )
    parser.add_argument(
        "--cpu",
        type=int,
        default=0,
        help="first, CPU ms per request in-process over N requests (max 5000)",
    )
    parser.add_argument("--cpu-only", action="store_true", help="with --cpu: no server")
    options = parser.parse_args(argv)

    runs = []
    folder = tempfile.mkdtemp(prefix="cercle-bench-")
    try:
        sqlite_url = "sqlite:///" + os.path.join(folder, "bench.sqlite3")
        runs.append(("SQLite", run_one("SQLite", sqlite_url, options)))
        postgres_url = os.environ.get("BENCH_DATABASE_URL", "")
        if postgres_url:
            from app.config import normalise_database_url

            url = normalise_database_url(postgres_url)
            runs.append(("PostgreSQL", run_one("PostgreSQL", url, options)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print()
    print(
        f"gunicorn {options.workers} sync workers on {HOST}; {options.concurrency} client "
        f"threads; at most {options.requests} requests or {options.seconds:g} s per address"
    )
    failed = False
    for label, measures in runs:
        if not measures:
            continue
        print()
        print(table(label, measures))
        failed = failed or any(m.done - m.ok + m.errors for m in measures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
