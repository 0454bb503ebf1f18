"""Does each page keep its latency as the database grows? A big database next to a small
one of the same shape (``bench/bigdata.py``), page by page, with the ratio.

    .venv/bin/python bench/scale.py \\
        --big postgresql://postgres@127.0.0.1:5432/cercle_big \\
        --small postgresql://postgres@127.0.0.1:5432/cercle_small --build-small 0.01

``--build-small SCALE`` (re)makes the small database first (**it is emptied**); the big
one is made beforehand with ``bench/bigdata.py`` (it takes minutes). Each database is
measured in its own process: the app made in it, user 1 signed in (a server-side
session, the cookie set through Flask's test client, as ``bench/pages.py`` signs a
cookie) and an API token made for them; each address is requested ``--requests``
times in a row after ``--warmup`` requests, in-process (no server: the latency is the
app's and the database's), and its median printed. The periodic command's
review-reminder query (``review_reminders_due``, the ``jobs run`` step that looks at
agreements) is timed the same way, as a call: its first batch (at most ``REVIEW_BATCH``
dates from each of its two parts), what each read of a run is; its line counts the dates
due in that batch.

Which thread, poll and pages: the same rules on both databases. The thread page shows
the big circle's thread with comments nearest to 50 among those with a poll; the poll
page its open poll whose stances are nearest to 16; the group page's deep page is page
250 (or the small circle's last), reached as an old ``?page=`` link is (following a
redirect when there is one, whose own time is printed too); the API's cursor list is
asked for its first page and for the page at the same depth.

The goal (issue 10): every line within 1.5× of the small database. Exits 0 when every
request answered as expected (200, or the redirect of an old page link).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

GOAL = 1.5
DEEP_PAGE = 250
MAX_REQUESTS = 500


def pick(db, sa) -> dict:
    """The ids and addresses measured, by the rules of the module docstring."""
    from app.groups.models import Group
    from app.polls.models import Poll, Stance
    from app.threads.models import Comment, Thread

    group = db.session.scalar(sa.select(Group).where(Group.handle == "grand"))
    counts = (
        sa.select(Comment.thread_id, sa.func.count().label("n"))
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.group_id == group.id)
        .group_by(Comment.thread_id)
        .subquery()
    )
    with_poll = sa.select(Poll.id).where(Poll.thread_id == counts.c.thread_id).exists()
    thread_id, comments = db.session.execute(
        sa.select(counts.c.thread_id, counts.c.n)
        .where(with_poll)
        .order_by(sa.func.abs(counts.c.n - 50), counts.c.thread_id)
        .limit(1)
    ).one()
    stances = (
        sa.select(Stance.poll_id, sa.func.count().label("n"))
        .where(Stance.is_current.is_(True))
        .group_by(Stance.poll_id)
        .subquery()
    )
    poll_id, voters = db.session.execute(
        sa.select(Poll.id, stances.c.n)
        .join(stances, stances.c.poll_id == Poll.id)
        .where(Poll.group_id == group.id, Poll.closed_at.is_(None), Poll.kind == "proposal")
        .order_by(sa.func.abs(stances.c.n - 16), Poll.id)
        .limit(1)
    ).one()
    threads = db.session.scalar(sa.select(sa.func.count()).where(Thread.group_id == group.id))
    per_page = 20
    deep = min(DEEP_PAGE, -(-threads // per_page))
    # the API's list at the same depth: the cursor of the thread just before it
    from app.api.schemas import encode_cursor

    before = db.session.execute(
        sa.select(Thread.last_activity_at, Thread.id)
        .where(Thread.group_id == group.id)
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .offset((deep - 1) * per_page - 1)
        .limit(1)
    ).one()
    return {
        "handle": group.handle,
        "thread_id": thread_id,
        "comments": comments,
        "poll_id": poll_id,
        "stances": voters,
        "threads": threads,
        "deep": deep,
        "api_cursor": encode_cursor(before[0].isoformat(), before[1]),
    }


def measure_one(database_url: str, requests: int, warmup: int, only: str = "") -> dict:
    """Everything measured on one database (run in its own process); ``only``: the
    lines whose names contain one of these comma-separated words (all when empty)."""
    import sqlalchemy as sa

    from app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "s" * 40,
            "PUBLIC_URL": "http://localhost",
            "MAIL_BACKEND": "locmem",
        }
    )
    from app.agreements.services import review_reminders_due
    from app.auth.models import User
    from app.auth.services import create_api_token
    from app.auth.sessions import start_session
    from app.extensions import db
    from app.timeutil import utcnow

    with app.app_context():
        chosen = pick(db, sa)
        user = db.session.get(User, 1)
        start_session(user, user_agent="bench", now=utcnow())
        login_id = user.get_id()
        _token, secret = create_api_token(user, "scale bench", now=utcnow())
        db.session.commit()

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True
    page = {"Accept-Language": "fr"}
    api = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
    handle = chosen["handle"]
    lines = []

    wanted = [word.strip() for word in only.split(",") if word.strip()]

    def chosen_line(name: str) -> bool:
        return not wanted or any(word in name for word in wanted)

    def timed(name, path, headers, expect=(200,)):
        if not chosen_line(name):
            return None
        for _ in range(warmup):
            response = client.get(path, headers=headers)
        took = []
        statuses = set()
        for _ in range(min(requests, MAX_REQUESTS)):
            began = time.perf_counter()
            response = client.get(path, headers=headers)
            took.append(time.perf_counter() - began)
            statuses.add(response.status_code)
        ok = statuses <= set(expect)
        lines.append(
            {
                "name": name,
                "path": path,
                "ms": statistics.median(took) * 1000,
                "ok": ok,
                "statuses": sorted(statuses),
            }
        )
        return response

    timed(f"thread page ({chosen['comments']} comments)", f"/t/{chosen['thread_id']}", page)
    timed(f"poll page ({chosen['stances']} stances)", f"/p/{chosen['poll_id']}", page)
    timed("agreements page", f"/g/{handle}/agreements", page)
    timed("group page, first", f"/g/{handle}", page)
    old_link = f"/g/{handle}?page={chosen['deep']}"
    first = client.get(old_link, headers=page)
    if first.status_code in (301, 302, 303, 307, 308):
        target = first.headers["Location"]
        timed(
            f"group page, old ?page= link (redirect, page {chosen['deep']})",
            old_link,
            page,
            expect=(302, 301),
        )
        timed(f"group page, deep (page {chosen['deep']})", target, page)
    else:
        timed(f"group page, deep (page {chosen['deep']})", old_link, page)
    timed("dashboard", "/", page)
    timed("notifications", "/notifications", page)
    timed("API thread", f"/api/v1/threads/{chosen['thread_id']}", api)
    timed("API threads list, first", f"/api/v1/groups/{handle}/threads", api)
    timed(
        f"API threads list, deep (~page {chosen['deep']})",
        f"/api/v1/groups/{handle}/threads?cursor={chosen['api_cursor']}",
        api,
    )
    timed("API notifications list", "/api/v1/notifications", api)

    if not chosen_line("jobs: review reminders query"):
        return {"chosen": chosen, "lines": lines}
    with app.app_context():
        today = utcnow().date()
        took = []
        for _ in range(warmup):
            review_reminders_due(today)
        for _ in range(min(requests, MAX_REQUESTS)):
            began = time.perf_counter()
            due = review_reminders_due(today).due
            took.append(time.perf_counter() - began)
            db.session.rollback()
        lines.append(
            {
                "name": f"jobs: review reminders query ({len(due)} due)",
                "path": "review_reminders_due()",
                "ms": statistics.median(took) * 1000,
                "ok": True,
                "statuses": [],
            }
        )
    return {"chosen": chosen, "lines": lines}


def run_child(database_url: str, requests: int, warmup: int, only: str = "") -> dict:
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--one",
            database_url,
            "--requests",
            str(requests),
            "--warmup",
            str(warmup),
            "--only",
            only,
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def key(name: str) -> str:
    """A line's name without its sizes (they differ between the databases)."""
    return name.split(" (")[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big", default=os.environ.get("SCALE_BIG_DATABASE_URL", ""))
    parser.add_argument("--small", default=os.environ.get("SCALE_SMALL_DATABASE_URL", ""))
    parser.add_argument(
        "--build-small",
        type=float,
        metavar="SCALE",
        help="make the small database first at this scale (EMPTIES it)",
    )
    parser.add_argument("--requests", type=int, default=30, help="per address (max 500)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--only",
        default="",
        help="measure only the lines whose names contain one of these comma-separated words",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    from app.config import normalise_database_url

    if options.one:
        result = measure_one(
            normalise_database_url(options.one), options.requests, options.warmup, options.only
        )
        print(json.dumps(result))
        return 0
    if not options.big or not options.small:
        parser.error("give --big and --small (or SCALE_BIG/SMALL_DATABASE_URL)")
    if options.build_small:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from bigdata import build

        build(normalise_database_url(options.small), options.build_small, quiet=True)
    small = run_child(options.small, options.requests, options.warmup, options.only)
    big = run_child(options.big, options.requests, options.warmup, options.only)
    print(f"median of {options.requests} sequential in-process requests, signed-in member")
    print(
        f"small: {small['chosen']['threads']} threads in the big circle; "
        f"big: {big['chosen']['threads']}"
    )
    print(f"{'page':<44} {'small ms':>9} {'big ms':>9} {'ratio':>6}")
    failed = False
    smalls = {key(line["name"]): line for line in small["lines"]}
    for line in big["lines"]:
        other = smalls.get(key(line["name"]))
        if other is None:
            print(f"{line['name']:<44} {'-':>9} {line['ms']:>9.1f}")
            continue
        ratio = line["ms"] / other["ms"] if other["ms"] else 0
        flag = "" if ratio <= GOAL else "  > 1.5x"
        bad = (
            ""
            if line["ok"] and other["ok"]
            else f"  statuses {other['statuses']}/{line['statuses']}"
        )
        failed = failed or bool(bad)
        print(
            f"{line['name']:<44} {other['ms']:>9.1f} {line['ms']:>9.1f} {ratio:>5.2f}x{flag}{bad}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
