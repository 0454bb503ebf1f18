"""Search latency on a circle of 20,000 comments, on SQLite and on PostgreSQL.

    .venv/bin/python bench/search.py                       # SQLite in a temporary folder
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cercle_bench \\
        .venv/bin/python bench/search.py                   # SQLite, then PostgreSQL (WIPED)

For each database: a fresh schema (``db.create_all()``, which builds the index and its
triggers), a circle with 200 threads, then 20,000 comments of French text inserted in
bulk (one multi-row INSERT per 1,000 comments: the triggers index every row in the
same transaction; the time is printed). Then each query below is run ``--rounds``
times through ``app.search.query.search`` (the first page of 20, highlighted, as the
page and the API ask for it), after one warm-up round, and the median and p95 of all
runs are printed, with the slowest query's median.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

COMMENTS = 20_000
THREADS = 200
BATCH = 1_000
WORDS = (
    "soutien écoute réciprocité accord accords décision proposition cercle groupe "
    "disponibilité urgence important relance semaine temps besoin aide matériel "
    "émotionnel confiance parole partage rencontre téléphone jitsi matrix soirée "
    "demain week-end présence famille travail fatigue joie fête anniversaire repas "
    "courses déménagement conseil information réseau système membre facilitatrice "
    "consentement blocage abstention objection règle version révision texte"
).split()
FILLER = "le la les de des du un une et ou mais donc pour avec sans sur dans nous vous je".split()
QUERIES = [
    "reciprocite",
    "accords",
    "écoute semaine",
    "décision consentement",
    "déménagement",
    "urgence important",
    '"temps d\'écoute"',
    "anniversaire fête",
    "zzzz introuvable",
    "soutien -blocage",
    "NEAR(relance",
    "jitsi matrix téléphone",
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) if rng.random() < 0.45 else rng.choice(FILLER) for _ in range(30)]
    return " ".join(words).capitalize() + "."


def build(url: str, *, comments: int = COMMENTS, threads: int = THREADS):
    """A fresh database at ``url`` with one circle; returns ``(app, group_id, seconds)``,
    the seconds spent inserting (and indexing) the comments."""
    import sqlalchemy as sa

    from app import create_app
    from app.auth.services import create_user
    from app.extensions import db
    from app.groups.services import create_group
    from app.threads.models import Comment
    from app.threads.services import start_thread
    from app.timeutil import utcnow

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-of-at-least-32-characters",
            "PUBLIC_URL": "http://localhost",
        }
    )
    rng = random.Random(13)  # noqa: S311 - text for a benchmark
    with app.app_context():
        db.drop_all()
        db.create_all()
        now = utcnow()
        user = create_user(email="bench@example.org", name="Bench", password="x" * 16)
        db.session.flush()
        group = create_group(creator=user, name="Bench", handle="bench", now=now)
        thread_ids = [
            start_thread(
                group, author=user, title=sentence(rng)[:120], body=sentence(rng), now=now
            ).id
            for _ in range(threads)
        ]
        db.session.commit()
        group_id = group.id
        rows = [
            {
                "thread_id": thread_ids[i % threads],
                "author_id": user.id,
                "body": " ".join(sentence(rng) for _ in range(2)),
                "body_html": "",
                "created_at": now,
            }
            for i in range(comments)
        ]
        started = time.perf_counter()
        for i in range(0, comments, BATCH):
            db.session.execute(sa.insert(Comment), rows[i : i + BATCH])
        db.session.commit()
        seconds = time.perf_counter() - started
    return app, group_id, seconds


def measure(app, group_id: int, rounds: int) -> dict:
    from app.extensions import db
    from app.search.query import search

    timings: dict[str, list[float]] = {q: [] for q in QUERIES}
    counts = {}
    with app.app_context():
        for round_ in range(rounds + 1):
            for q in QUERIES:
                started = time.perf_counter()
                hits = search(group_id, q, limit=21)
                elapsed = (time.perf_counter() - started) * 1000
                if round_:  # the first round warms the caches
                    timings[q].append(elapsed)
                counts[q] = len(hits)
            db.session.rollback()
    every = [t for values in timings.values() for t in values]
    slowest = max(QUERIES, key=lambda q: statistics.median(timings[q]))
    return {
        "median": statistics.median(every),
        "p95": percentile(every, 0.95),
        "slowest": slowest,
        "slowest_median": statistics.median(timings[slowest]),
        "counts": counts,
    }


def report(name: str, url: str, rounds: int) -> None:
    app, group_id, seconds = build(url)
    figures = measure(app, group_id, rounds)
    print(f"{name}: {COMMENTS:,} comments inserted and indexed in {seconds:.1f} s")
    print(
        f"{name}: {len(QUERIES)} queries x {rounds}: median {figures['median']:.1f} ms, "
        f"p95 {figures['p95']:.1f} ms; slowest «{figures['slowest']}» median "
        f"{figures['slowest_median']:.1f} ms"
    )
    for q, n in figures["counts"].items():
        print(f"    {q!r}: {n if n <= 20 else '20+'} results on the first page")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report("SQLite", "sqlite:///" + os.path.join(folder, "bench.sqlite3"), args.rounds)
    pg = os.environ.get("BENCH_DATABASE_URL")
    if pg:
        from app.config import normalise_database_url

        report("PostgreSQL", normalise_database_url(pg), args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
