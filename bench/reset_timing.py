"""How long asking for a password reset takes, for an address with an account and one
without: the two must not be told apart by their timing.

    .venv/bin/python bench/reset_timing.py                     # SQLite in a temporary folder
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cercle_bench \\
        .venv/bin/python bench/reset_timing.py                 # PostgreSQL (its tables WIPED)

The app is configured as in production (an SMTP server is set, on a port where nothing
listens: a request that tried to send would fail or wait), with rate limits and CSRF
off so that one client can ask many times. Requests alternate between the two
addresses (``--rounds`` each, after a warm-up) through Flask's test client, the whole
request measured: routing, form, the request written to the outbox (the same row for
both: the account is looked up and the email composed by ``jobs run``), the commit.
It prints the median, p95 and mean of each, and exits 1 when an SMTP connection was
attempted during a request.
"""

from __future__ import annotations

import argparse
import os
import secrets
import smtplib
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

EXISTING = "anais@example.org"
UNKNOWN = "nobody@example.org"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def build_app(database_url: str):
    from app import create_app
    from app.auth.services import create_user
    from app.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "PUBLIC_URL": "https://cercle.example.org",
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": 9,  # discard: nothing listens
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        create_user(email=EXISTING, name="Anaïs", password=secrets.token_urlsafe(16))
        db.session.commit()
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cercle-reset-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    from app.config import normalise_database_url

    app = build_app(normalise_database_url(url))
    attempts = []
    real_connect = smtplib.SMTP.connect

    def recording(self, *args, **kwargs):
        attempts.append(args)
        return real_connect(self, *args, **kwargs)

    smtplib.SMTP.connect = recording
    client = app.test_client()
    base = {"base_url": "https://cercle.example.org"}
    times: dict[str, list[float]] = {EXISTING: [], UNKNOWN: []}
    for round_ in range(options.rounds + 20):
        for email in (EXISTING, UNKNOWN) if round_ % 2 else (UNKNOWN, EXISTING):
            start = time.perf_counter()
            response = client.post("/password/reset", data={"email": email}, **base)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 302, response.status_code
            if round_ >= 20:  # warm-up
                times[email].append(elapsed)
    print(f"database: {url.split('://')[0]}, {options.rounds} requests each")
    print(f"{'address':<28}{'median ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for email, label in ((EXISTING, "with an account"), (UNKNOWN, "without an account")):
        values = times[email]
        print(
            f"{label:<28}{statistics.median(values):>10.2f}"
            f"{percentile(values, 0.95):>10.2f}{statistics.fmean(values):>10.2f}"
        )
    print(f"SMTP connections during the requests: {len(attempts)}")
    return 1 if attempts else 0


if __name__ == "__main__":
    sys.exit(main())
