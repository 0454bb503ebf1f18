"""Export and import a circle at two sizes, on SQLite and PostgreSQL: peak memory and time.

```sh
.venv/bin/python bench/export.py
# and PostgreSQL too (the database named here is EMPTIED: every table is dropped):
BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cercle_bench \
    .venv/bin/python bench/export.py
```

For each size (``--small`` and ``--large`` threads, twenty comments a thread), the
script fills a fresh database with a generated circle (``generate``: bulk inserts
touching every section of the format: edits, replies, deleted comments, reactions,
anonymous and named polls, agreements with versions, support requests with their
timelines, check-ins…), then measures with ``tracemalloc`` and a clock:

1. the export to a file (``stream_group``);
2. the import of that file into an empty database of the *other* kind (SQLite →
   PostgreSQL when ``BENCH_DATABASE_URL`` is set, else another SQLite file), in
   one transaction;
3. and checks once that exporting the imported circle gives the same document
   apart from ids and the export time (``format.canonical``).

The export streams: its peak stays flat as the circle grows. The import reads the
whole file before writing (it checks everything first), so its peak grows with it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app  # noqa: E402
from app.agreements.models import Agreement, AgreementVersion  # noqa: E402
from app.auth.models import User  # noqa: E402
from app.config import normalise_database_url  # noqa: E402
from app.extensions import db  # noqa: E402
from app.groups.models import Group, JoinRequest, Membership  # noqa: E402
from app.notifications.models import ThreadPreference  # noqa: E402
from app.polls.models import Poll, PollOption, PollVersion, PollVoter, Stance  # noqa: E402
from app.proposals.models import AgreementChange, ProposalOutcome  # noqa: E402
from app.support.models import (  # noqa: E402
    CheckIn,
    CheckInPeriod,
    SupportAddressee,
    SupportRequest,
    SupportResponse,
    SupportStep,
    SupportTime,
)
from app.threads.models import (  # noqa: E402
    Comment,
    CommentVersion,
    Reaction,
    Thread,
    ThreadVersion,
    ThreadVisit,
)
from app.transfer.exporting import stream_group  # noqa: E402
from app.transfer.format import canonical  # noqa: E402
from app.transfer.importing import import_group, read_document  # noqa: E402

PEOPLE = 12
COMMENTS_PER_THREAD = 20


def _insert(model, rows: list[dict]) -> list[int]:
    """Bulk insert; the new ids in the order of ``rows``."""
    if not rows:
        return []
    table = model.__table__
    keys = set().union(*rows)
    defaults = {
        key: table.c[key].default.arg
        if table.c[key].default is not None and table.c[key].default.is_scalar
        else None
        for key in keys
    }
    rows = [{**defaults, **row} for row in rows]  # one shape for one executemany
    statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(db.session.execute(statement, rows).scalars())


def generate(handle: str, threads: int, *, now: datetime, people: int = PEOPLE) -> int:
    """A circle of ``people`` members and ``threads`` threads of twenty comments each
    (a reply in four, an edit in ten, a deletion in fifty, a reaction in five), a poll
    in every tenth thread (anonymous and closed in every other one; each corrected once,
    its two versions kept), three agreements, support requests and check-ins. Written
    with bulk inserts; returns the group's id."""
    start = now - timedelta(days=400)
    user_ids = _insert(
        User,
        [
            {
                "email": f"{handle}-{n}@example.org",
                "name": f"Personne {n} «{handle}»",
                "handle": f"{handle}-p{n}",
                "password_hash": "",
                "timezone": "Europe/Paris",
                "created_at": start,
                "quiet_from": datetime(2000, 1, 1, 22).time() if n % 3 == 0 else None,
                "quiet_until": datetime(2000, 1, 1, 7).time() if n % 3 == 0 else None,
                "locale": "fr" if n % 2 else None,
            }
            for n in range(people)
        ],
    )
    group_id = _insert(
        Group,
        [
            {
                "handle": handle,
                "name": f"Cercle {handle}",
                "description": "Un cercle *généré* pour mesurer.",
                "description_html": "",
                "privacy": "closed",
                "created_at": start,
                "created_by_id": user_ids[0],
            }
        ],
    )[0]
    members = []
    for n, uid in enumerate(user_ids):
        members.append(
            {
                "group_id": group_id,
                "user_id": uid,
                "role": "admin" if n == 0 else "member",
                "created_at": start,
                "volume": ("all", "digest", "mute")[n % 3],
                "availability": "away" if n == 2 else "available",
                "availability_until": (now + timedelta(days=3)).date() if n == 2 else None,
                "invited_by_id": user_ids[0] if n else None,
            }
        )
    # a past membership of the last person (left, then came back)
    members.insert(
        0,
        {
            "group_id": group_id,
            "user_id": user_ids[-1],
            "created_at": start - timedelta(days=30),
            "revoked_at": start - timedelta(days=1),
            "revoked_by_id": user_ids[-1],
        },
    )
    _insert(Membership, members)
    outsider = _insert(
        User,
        [
            {
                "email": f"{handle}-outside@example.org",
                "name": "Quelqu'un",
                "handle": f"{handle}-outside",
                "password_hash": "",
                "created_at": start,
            }
        ],
    )[0]
    _insert(
        JoinRequest,
        [{"group_id": group_id, "user_id": outsider, "message": "Bonjour !", "created_at": now}],
    )
    thread_rows = []
    for t in range(threads):
        at = start + timedelta(hours=8 * t)
        thread_rows.append(
            {
                "group_id": group_id,
                "author_id": user_ids[t % people],
                "title": f"Discussion n° {t}",
                "body": f"Le contexte de la discussion {t}, avec **du Markdown**.",
                "body_html": "",
                "created_at": at,
                "last_activity_at": at + timedelta(hours=COMMENTS_PER_THREAD),
                "edited_at": at + timedelta(minutes=5) if t % 7 == 0 else None,
                "closed_at": at + timedelta(days=2) if t % 9 == 0 else None,
                "pinned_at": at if t == 0 else None,
            }
        )
    thread_ids = _insert(Thread, thread_rows)
    versions = []
    for tid, row in zip(thread_ids, thread_rows, strict=True):
        versions.append(
            {
                "thread_id": tid,
                "number": 1,
                "title": row["title"],
                "body": row["body"],
                "body_html": "",
                "editor_id": row["author_id"],
                "created_at": row["created_at"],
            }
        )
        if row["edited_at"]:
            versions[-1]["body"] = "Première version."
            versions.append({**versions[-1], "number": 2, "body": row["body"]})
    _insert(ThreadVersion, versions)
    _insert(
        ThreadVisit,
        [
            {"thread_id": tid, "user_id": user_ids[1], "seen_at": now - timedelta(days=1)}
            for tid in thread_ids[::3]
        ],
    )
    _insert(
        ThreadPreference,
        [
            {"thread_id": tid, "user_id": user_ids[2], "volume": "mute", "updated_at": now}
            for tid in thread_ids[::11]
        ],
    )
    tops, replies = [], []
    for t, tid in enumerate(thread_ids):
        base = thread_rows[t]["created_at"]
        for c in range(COMMENTS_PER_THREAD):
            n = t * COMMENTS_PER_THREAD + c
            row = {
                "thread_id": tid,
                "author_id": user_ids[(t + c) % people],
                "body": f"Commentaire {n} : je suis d'accord avec @{handle}-p{c % people}.",
                "body_html": "",
                "created_at": base + timedelta(minutes=30 * c),
                "edited_at": base + timedelta(minutes=30 * c + 3) if n % 10 == 0 else None,
                "deleted_at": base + timedelta(hours=30) if n % 50 == 1 else None,
            }
            if row["deleted_at"]:
                row["body"] = ""
            (replies if c % 4 == 3 else tops).append((n, row))
    top_ids = _insert(Comment, [row for _n, row in tops])
    by_number = {n: cid for (n, _row), cid in zip(tops, top_ids, strict=True)}
    for n, row in replies:
        row["parent_id"] = by_number[n - 1] if (n - 1) in by_number else by_number[n - 3]
    reply_ids = _insert(Comment, [row for _n, row in replies])
    by_number.update({n: cid for (n, _row), cid in zip(replies, reply_ids, strict=True)})
    comment_rows = dict(tops + replies)
    cversions, reactions = [], []
    for n, cid in by_number.items():
        row = comment_rows[n]
        cversions.append(
            {
                "comment_id": cid,
                "number": 1,
                "body": "Avant correction." if row["edited_at"] else row["body"],
                "body_html": "",
                "created_at": row["created_at"],
            }
        )
        if row["edited_at"]:
            cversions.append(
                {**cversions[-1], "number": 2, "body": row["body"], "created_at": row["edited_at"]}
            )
        if n % 5 == 0:
            reactions.append(
                {
                    "comment_id": cid,
                    "user_id": user_ids[(n + 1) % people],
                    "emoji": "🙏",
                    "created_at": row["created_at"] + timedelta(minutes=1),
                }
            )
    _insert(CommentVersion, cversions)
    _insert(Reaction, reactions)

    # polls: every tenth thread; every other one anonymous and closed (voters erased)
    poll_threads = thread_ids[::10]
    poll_rows = []
    for p, tid in enumerate(poll_threads):
        at = start + timedelta(hours=8 * p * 10 + 1)
        anonymous = p % 2 == 1
        poll_rows.append(
            {
                "thread_id": tid,
                "group_id": group_id,
                "author_id": user_ids[0],
                "kind": "choice" if anonymous else "proposal",
                "title": f"Sondage {p}",
                "details": "Qu'en pensez-vous ?",
                "details_html": "",
                "created_at": at,
                "closing_at": at + timedelta(days=7),
                "closed_at": at + timedelta(days=7),
                "anonymous": anonymous,
                "reasons": "optional",
                "voters_limited": p % 5 == 2,
                "statement": "Nous avons décidé." if p % 2 == 0 else None,
                "statement_html": "" if p % 2 == 0 else None,
                "statement_by_id": user_ids[0] if p % 2 == 0 else None,
                "statement_at": at + timedelta(days=8) if p % 2 == 0 else None,
                "frozen_results": {"kind": "choice", "rows": [], "cast": 3, "eligible": people}
                if anonymous
                else None,
                "eligible_at_close": people,
                "participants_at_close": 3,
            }
        )
    poll_ids = _insert(Poll, poll_rows)
    options, stances, voters = [], [], []
    for p, pid in enumerate(poll_ids):
        anonymous = poll_rows[p]["anonymous"]
        keys = ["o1", "o2", "o3"] if anonymous else ["agree", "abstain", "disagree", "block"]
        options += [
            {"poll_id": pid, "key": key, "name": key, "position": i} for i, key in enumerate(keys)
        ]
        if poll_rows[p]["voters_limited"]:
            voters += [{"poll_id": pid, "user_id": uid} for uid in user_ids[:4]]
        for v in range(3):
            at = poll_rows[p]["created_at"] + timedelta(hours=v + 1)
            stance = {
                "poll_id": pid,
                "voter_id": None if anonymous else user_ids[v],
                "choice": {"key": keys[v % len(keys)]},
                "reason": "" if anonymous else f"Raison {v}",
                "created_at": at,
            }
            if not anonymous and v == 0:  # a changed stance: its history stays
                stances.append({**stance, "choice": {"key": "block"}, "is_current": False})
            stances.append(stance)
    _insert(PollOption, options)
    _insert(PollVoter, voters)
    _insert(Stance, stances)

    # three agreements, adopted (and one amended, one repealed) by the named proposals
    proposals = [pid for p, pid in enumerate(poll_ids) if not poll_rows[p]["anonymous"]]
    agreements, versions, changes, outcomes = [], [], [], []
    adopted_by = proposals[:5]
    for a in range(min(3, len(adopted_by))):
        pid = adopted_by[a]
        row = poll_rows[poll_ids.index(pid)]
        agreements.append(
            {
                "group_id": group_id,
                "created_at": row["closed_at"],
                "current_version": 1,
                "status": "repealed" if a == 2 and len(adopted_by) > 4 else "active",
                "repealed_at": now - timedelta(days=1) if a == 2 and len(adopted_by) > 4 else None,
                "repealed_by_poll_id": adopted_by[4] if a == 2 and len(adopted_by) > 4 else None,
            }
        )
    agreement_ids = _insert(Agreement, agreements)
    for a, aid in enumerate(agreement_ids):
        pid = adopted_by[a]
        row = poll_rows[poll_ids.index(pid)]
        rules = {"relance_after_days": 14} if a == 0 else {"channels": ["Jitsi", "téléphone"]}
        result = {"counts": {"agree": 2, "abstain": 0, "disagree": 0, "block": 0}}
        versions.append(
            {
                "agreement_id": aid,
                "version": 1,
                "title": f"Accord {a}",
                "body": f"Nous convenons de la chose {a}.",
                "body_html": "",
                "rules": rules,
                "poll_id": pid,
                "adopted_at": row["closed_at"],
                "result": result,
                "proposer_id": user_ids[0],
            }
        )
        changes.append(
            {
                "poll_id": pid,
                "action": "adopt",
                "agreement_id": aid,
                "title": f"Accord {a}",
                "body": f"Nous convenons de la chose {a}.",
                "body_html": "",
                "rules": rules,
                "created_at": row["created_at"],
            }
        )
        outcomes.append(
            {
                "poll_id": pid,
                "adopted": True,
                "applied": True,
                "conditions": [{"code": "no_block", "held": True, "params": {}}],
                "agreement_id": aid,
                "version": 1,
                "decided_at": row["closed_at"],
            }
        )
    if len(adopted_by) > 4 and agreement_ids:
        pid = adopted_by[3]
        row = poll_rows[poll_ids.index(pid)]
        db.session.execute(
            sa.update(Agreement).where(Agreement.id == agreement_ids[0]).values(current_version=2)
        )
        versions.append(
            {
                **versions[0],
                "version": 2,
                "body": "Amendé.",
                "poll_id": pid,
                "adopted_at": row["closed_at"],
                "rules": {"relance_after_days": 10},
            }
        )
        changes.append(
            {
                **changes[0],
                "poll_id": pid,
                "action": "amend",
                "base_version": 1,
                "body": "Amendé.",
            }
        )
        outcomes.append({**outcomes[0], "poll_id": pid, "version": 2})
        changes.append(
            {
                "poll_id": adopted_by[4],
                "action": "repeal",
                "agreement_id": agreement_ids[2],
                "base_version": 1,
                "created_at": row["created_at"],
            }
        )
    _insert(AgreementVersion, versions)
    _insert(AgreementChange, changes)
    _insert(ProposalOutcome, outcomes)

    # every poll corrected once while open: its first wording and the correction, a
    # proposal's versions keeping its agreement change (which names the agreement)
    change_of = {c["poll_id"]: c for c in changes}
    poll_versions = []
    for p, pid in enumerate(poll_ids):
        row = poll_rows[p]
        change = change_of.get(pid)
        extra = None
        if change is not None:
            extra = {
                "agreement_change": {
                    "action": change["action"],
                    "agreement_id": change["agreement_id"],
                    "base_version": change.get("base_version"),
                    "title": change.get("title"),
                    "body": change.get("body", ""),
                    "rules": dict(change.get("rules") or {}),
                    "review_on": None,
                    "change_summary": change.get("change_summary", ""),
                }
            }
        first = {
            "poll_id": pid,
            "number": 1,
            "title": f"{row['title']} (brouillon)",
            "details": f"Première rédaction, relue par @{handle}-p1.",
            "details_html": "",
            "closing_at": row["closing_at"] - timedelta(days=2),
            "extra": extra,
            "changed": [],
            "editor_id": row["author_id"],
            "created_at": row["created_at"] + timedelta(minutes=30),
        }
        poll_versions += [
            first,
            {
                **first,
                "number": 2,
                "title": row["title"],
                "details": row["details"],
                "closing_at": row["closing_at"],
                "changed": ["title", "details", "closing_at"],
                "editor_id": user_ids[1],
            },
        ]
    _insert(PollVersion, poll_versions)

    # support: a request every ten threads' worth of time, with its timeline
    source = (
        {
            "agreement_id": agreement_ids[0],
            "version": 1,
            "title": "Accord 0",
            "poll_id": adopted_by[0],
            "adopted_at": "2026-01-01T00:00:00+00:00",
        }
        if agreement_ids
        else None
    )
    requests = []
    for r in range(max(1, threads // 10)):
        at = start + timedelta(days=r)
        requests.append(
            {
                "group_id": group_id,
                "requester_id": user_ids[r % people],
                "kind": "emotional",
                "urgent": r % 2 == 0,
                "important": r % 3 == 0,
                "body": f"J'aurais besoin d'écoute ({r}).",
                "body_html": "",
                "when_text": "ce soir après 20 h",
                "named": r % 4 == 1,
                "status": "closed" if r % 2 else "open",
                "created_at": at,
                "matched_with_id": user_ids[(r + 1) % people] if r % 2 else None,
                "matched_at": at + timedelta(minutes=10) if r % 2 else None,
                "closed_at": at + timedelta(days=1) if r % 2 else None,
                "closed_by_id": user_ids[r % people] if r % 2 else None,
                "outcome": "happened" if r % 2 else None,
                "rules": {
                    "relance_after_days": {"value": 14, "source": source},
                    "urgent_response_minutes": {"value": 60, "source": None},
                },
            }
        )
    request_ids = _insert(SupportRequest, requests)
    addressees, responses, steps, times = [], [], [], []
    for r, rid in enumerate(request_ids):
        at = requests[r]["created_at"]
        if requests[r]["named"]:
            addressees.append({"request_id": rid, "user_id": user_ids[(r + 1) % people]})
        steps.append(
            {
                "request_id": rid,
                "kind": "asked",
                "user_id": requests[r]["requester_id"],
                "at": at,
                "why": {"code": "urgent_important", "params": {"minutes": 60}},
            }
        )
        if r % 2:
            helper = user_ids[(r + 1) % people]
            responses.append(
                {
                    "request_id": rid,
                    "supporter_id": helper,
                    "available": True,
                    "message": "Je t'appelle.",
                    "created_at": at + timedelta(minutes=10),
                }
            )
            steps.append(
                {"request_id": rid, "kind": "matched", "user_id": helper, "at": at, "why": None}
            )
            times.append(
                {
                    "group_id": group_id,
                    "member_id": requests[r]["requester_id"],
                    "at": at,
                    "request_id": rid,
                    "created_at": at + timedelta(days=1),
                }
            )
    _insert(SupportAddressee, addressees)
    _insert(SupportResponse, responses)
    _insert(SupportStep, steps)
    times.append(
        {
            "group_id": group_id,
            "member_id": user_ids[1],
            "at": now - timedelta(days=2),
            "note": "Un temps d'écoute.",
            "created_at": now - timedelta(days=2),
        }
    )
    _insert(SupportTime, times)
    _insert(
        CheckIn,
        [
            {
                "group_id": group_id,
                "member_id": user_ids[m],
                "by_id": user_ids[(m + 1) % people],
                "kind": "check_in" if m % 2 else "all_well",
                "note": "On s'est parlé." if m % 2 else "",
                "created_at": now - timedelta(days=m),
            }
            for m in range(min(people, 6))
        ],
    )
    _insert(
        CheckInPeriod,
        [
            {
                "group_id": group_id,
                "member_id": user_ids[3],
                "due_since": now - timedelta(days=1),
                "claimed_by_id": user_ids[4],
                "claimed_at": now,
                "reminded_at": now - timedelta(hours=20),
            }
        ],
    )
    return group_id


def export_to(path: str, group_id: int, now: datetime) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for chunk in stream_group(group_id, now=now):
            out.write(chunk)


def measured(function, *args, **kwargs):
    """``(result, seconds, peak MiB)`` of one call."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = function(*args, **kwargs)
    finally:
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, elapsed, peak / 2**20


def _app(url: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": url,
            "SERVER_NAME": "localhost",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


def _fresh(url: str):
    app = _app(url)
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def run_size(label: str, threads: int, source_url: str, target_url: str, folder: str) -> bool:
    now = datetime.now(UTC).replace(microsecond=0)
    source = _fresh(source_url)
    with source.app_context():
        group_id = generate("bench", threads, now=now)
        db.session.commit()
        comments = db.session.scalar(sa.select(sa.func.count(Comment.id)))
    first = os.path.join(folder, f"{label}-1.json")
    with source.test_request_context("/", method="GET"):
        _r, export_s, export_mb = measured(export_to, first, group_id, now)
    size_mb = os.path.getsize(first) / 2**20

    target = _fresh(target_url)

    def do_import():
        with open(first, "rb") as stream:
            imported = import_group(read_document(stream))
        db.session.commit()
        return imported

    with target.test_request_context("/", method="POST"):
        imported, import_s, import_mb = measured(do_import)
    second = os.path.join(folder, f"{label}-2.json")
    with target.test_request_context("/", method="GET"):
        export_to(second, imported.group_id, now + timedelta(minutes=1))
    with open(first, encoding="utf-8") as a, open(second, encoding="utf-8") as b:
        same = canonical(json.load(a)) == canonical(json.load(b))
    kinds = " → ".join(sa.make_url(url).get_backend_name() for url in (source_url, target_url))
    print(
        f"{label:5} {threads:5} threads {comments:6} comments  {size_mb:6.1f} MiB file  "
        f"export {export_s:6.2f} s peak {export_mb:6.1f} MiB  "
        f"import ({kinds}) {import_s:6.2f} s peak {import_mb:6.1f} MiB  "
        f"round trip {'identical' if same else 'DIFFERENT'}"
    )
    for app in (source, target):
        with app.app_context():
            db.drop_all()
            db.engine.dispose()
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=100, help="threads of the small circle")
    parser.add_argument("--large", type=int, default=1000, help="threads of the large circle")
    args = parser.parse_args()
    postgres = os.environ.get("BENCH_DATABASE_URL")
    postgres = normalise_database_url(postgres) if postgres else None
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        sqlite_a = "sqlite:///" + os.path.join(folder, "a.sqlite3")
        sqlite_b = "sqlite:///" + os.path.join(folder, "b.sqlite3")
        pairs = [(sqlite_a, postgres or sqlite_b)]
        if postgres:
            pairs.append((postgres, sqlite_b))
        for source, target in pairs:
            for label, threads in (("small", args.small), ("large", args.large)):
                ok = run_size(label, threads, source, target, folder) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
