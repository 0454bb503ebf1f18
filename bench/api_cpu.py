"""CPU milliseconds per request of the JSON API's heavy reads, in-process (no server).

    .venv/bin/python bench/api_cpu.py                      # SQLite in a temporary folder
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cercle_bench \\
        .venv/bin/python bench/api_cpu.py                  # PostgreSQL (WIPED first)
    .venv/bin/python bench/api_cpu.py --only thread --profile 25

Builds the data set of ``pages.py`` (``pages.build``), then for each API address
(and the minimal comments page of ``pages.py`` as the yardstick) sends a few
warm-up requests through Flask's test client and measures ``time.process_time``
over ``--requests`` requests (default 100, at most 2000): the CPU the process spends
per request, database driver included (SQLite runs in-process; PostgreSQL's own
work is in another process and not counted). ``--profile N`` prints the N
costliest functions (cumulative) of each address under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import secrets
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, "bench")):
    if path not in sys.path:
        sys.path.insert(0, path)

import pages  # noqa: E402

MAX_REQUESTS = 2000


def addresses(data: pages.Dataset) -> list[tuple[str, str]]:
    """(name, path) of each API address measured, after the minimal comments page."""
    return [
        (f"minimal page ({data.comments} comments)", f"/minimal/{data.thread_id}"),
        ("API thread", f"/api/v1/threads/{data.thread_id}"),
        ("API poll", f"/api/v1/polls/{data.poll_id}"),
        ("API agreements", f"/api/v1/groups/{data.handle}/agreements"),
        ("API rules", f"/api/v1/groups/{data.handle}/rules"),
        ("API threads of the group", f"/api/v1/groups/{data.handle}/threads?limit=100"),
        ("API notifications", "/api/v1/notifications?limit=100"),
    ]


def measure(client, path: str, headers: dict, requests: int) -> float:
    """CPU ms per request over ``requests`` GETs (after 3 warm-up ones)."""
    for _ in range(3):
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    began = time.process_time()
    for _ in range(requests):
        client.get(path, headers=headers)
    return (time.process_time() - began) * 1000 / requests


def profile(client, path: str, headers: dict, requests: int, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path, headers=headers)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def run(label: str, database_url: str, options) -> list[tuple[str, str, float]]:
    secret_key = secrets.token_hex(32)
    began = time.perf_counter()
    data = pages.build(database_url, secret_key, comments=options.comments)
    print(f"[{label}] data built in {time.perf_counter() - began:.1f} s", flush=True)
    os.environ.update(
        DATABASE_URL=database_url, SECRET_KEY=secret_key, PUBLIC_URL="http://127.0.0.1"
    )
    served = pages.wsgi()
    from werkzeug.test import Client

    client = Client(served)
    headers = {"Authorization": f"Bearer {data.token}", "Accept": "application/json"}
    rows = []
    for name, path in addresses(data):
        if options.only and not re.search(options.only, f"{name} {path}"):
            continue
        ms = measure(client, path, headers, options.requests)
        rows.append((name, path, ms))
        if options.profile:
            print(f"--- {name} {path}")
            print(profile(client, path, headers, min(options.requests, 50), options.profile))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=100, help=f"per address (max {MAX_REQUESTS})"
    )
    parser.add_argument("--comments", type=int, default=100)
    parser.add_argument("--only", default="", help="a regular expression on name and path")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest calls")
    options = parser.parse_args(argv)
    options.requests = max(1, min(options.requests, MAX_REQUESTS))

    folder = tempfile.mkdtemp(prefix="cercle-bench-cpu-")
    try:
        postgres_url = os.environ.get("BENCH_DATABASE_URL", "")
        if postgres_url:
            from app.config import normalise_database_url

            label, url = "PostgreSQL", normalise_database_url(postgres_url)
        else:
            label, url = "SQLite", "sqlite:///" + os.path.join(folder, "bench.sqlite3")
        rows = run(label, url, options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print(f"{label}: CPU ms per request, in-process, {options.requests} requests each")
    floor = rows[0][2] if rows and rows[0][1].startswith("/minimal/") else None
    for name, path, ms in rows:
        ratio = f"{floor / ms:>6.2f}" if floor else ""
        print(f"{name:<32} {path:<44} {ms:>8.2f} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
