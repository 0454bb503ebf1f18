"""A big Cercle database on PostgreSQL, for measuring how pages keep up as data grows.

    .venv/bin/python bench/bigdata.py --database-url postgresql://postgres@127.0.0.1:5432/cercle_big
    BIGDATA_DATABASE_URL=postgresql://... .venv/bin/python bench/bigdata.py --scale 0.01

**The database is emptied first** (every table of the app dropped, then the schema made
again with ``db.create_all()``, as ``bench/pages.py`` does). At ``--scale 1`` it holds
(issue 10's "Scale"): 20,000 threads (5,000 in one big circle), 1,000,000 comments with
their stored HTML and first version, 50,000 polls (six open in each main circle, the
rest closed; proposals and single-choice polls) with their options, 500,000 stances,
1,000,000 notifications,
10,000 agreements with 20,000 versions (each adopted by a closed proposal, with its
change and outcome, a fifth of them with a review date), a few hundred support
requests. Smaller scales keep the same shape (``--scale 0.01``: 200 threads, 10,000
comments).

Rows go in with ``COPY`` (psycopg), their ids given here; the search index's triggers
are switched off while loading and the index is filled once at the end with the
statements the migration uses (``app.search.schema.PG_BACKFILL``), its GIN index built
after; the threads' comment counts (``threads.comments_count``, kept by triggers too)
are counted once the same way (``app.counts.backfill``). The member to measure with is
user 1 (``membre1@bench.example``), a member (not an admin) of the big circle ``grand``
and of three others.
"""

# ruff: noqa: S608 - SQL built only from this module's table names, never from input
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

#: the numbers at ``--scale 1``
FULL = {
    "threads": 20_000,
    "big_group_threads": 5_000,
    "comments": 1_000_000,
    "polls": 50_000,
    "stances": 500_000,
    "notifications": 1_000_000,
    "agreements": 10_000,
    "versions": 20_000,
    "support_requests": 300,
}
GROUPS = 12
#: agreements per circle (a circle keeps a few dozen): more agreements, more circles,
#: each with one thread where its agreements were decided and a few members
AGREEMENTS_PER_GROUP = 40
SMALL_CIRCLE_MEMBERS = 8
#: open polls in each of the main circles
OPEN_PER_GROUP = 6
PINNED_PER_GROUP = 3
#: user 1's groups: the big one (index 0) and three others
BENCH_USER_GROUPS = (0, 1, 2, 3)
BIG_HANDLE = "grand"
PROPOSAL_KEYS = ("agree", "abstain", "disagree", "block")
PROPOSAL_NAMES = ("Agree", "Abstain", "Disagree", "Block")
WORDS = (
    "écoute disponibilité relance soutien cercle accord temps semaine appel message "
    "proposition réunion besoin aide partage confiance rythme question réponse idée"
).split()


@dataclass(frozen=True)
class Sizes:
    threads: int
    big_group_threads: int
    comments: int
    polls: int
    stances: int
    notifications: int
    agreements: int
    versions: int
    support_requests: int
    users: int
    big_group_members: int
    group_members: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        if not 0 < scale <= 1:
            raise ValueError("--scale must be in (0, 1]")

        def n(key, least):
            return max(least, round(FULL[key] * scale))

        # people do not grow with the data as fast as threads do
        root = scale**0.5
        agreements = n("agreements", 10)
        return cls(
            threads=n("threads", 60),
            big_group_threads=n("big_group_threads", 30),
            comments=n("comments", 600),
            polls=max(n("polls", 60), 2 * agreements + 20),
            stances=n("stances", 300),
            notifications=n("notifications", 600),
            agreements=agreements,
            versions=max(agreements, n("versions", 20)),
            support_requests=n("support_requests", 5),
            users=max(60, round(3_000 * root)),
            # a circle's size does not grow with the data (pages list its members)
            big_group_members=60,
            group_members=25,
        )


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def html(text: str) -> str:
    return f"<p>{text}</p>"


class Loader:
    """COPY rows into tables through one psycopg connection."""

    def __init__(self, connection):
        self.connection = connection
        self.counts: dict[str, int] = {}

    def copy(self, table: str, columns: tuple[str, ...], rows) -> int:
        """COPY ``rows`` (tuples in ``columns``' order); the columns left out that the
        model gives a default (in Python, not in the schema) get that default."""
        from app.extensions import db

        defaults = []
        for column in db.metadata.tables[table].columns:
            if column.name in columns or column.default is None:
                continue
            value = column.default.arg
            if column.default.is_callable:
                value = value(None)
            if isinstance(value, dict | list):
                value = jsonb(value)
            defaults.append((column.name, value))
        names = (*columns, *(name for name, _value in defaults))
        extra = tuple(value for _name, value in defaults)
        count = 0
        with self.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *extra))
                    count += 1
        self.counts[table] = self.counts.get(table, 0) + count
        return count


def jsonb(value) -> str:
    return json.dumps(value)


def generate(loader: Loader, sizes: Sizes, now: datetime, seed: int = 10) -> dict:
    """Every row of the data set; returns what a benchmark needs to find its pages."""
    from app.auth.services import hash_password

    rng = random.Random(seed)
    start = now - timedelta(days=730)
    password = hash_password("cercle-bench")

    # -- people and circles -----------------------------------------------------------
    loader.copy(
        "users",
        (
            "id",
            "email",
            "name",
            "handle",
            "password_hash",
            "locale",
            "timezone",
            "created_at",
            "email_verified_at",
            "session_epoch",
            "quiet_wake",
            "digest_hour",
            "digest_days",
            "email_discreet",
            "email_off",
        ),
        (
            (
                u,
                f"membre{u}@bench.example",
                f"Membre {u}",
                f"membre{u}",
                password,
                "fr",
                "Europe/Paris",
                start,
                start,
                0,
                True,
                7,
                "1234567",
                False,
                False,
            )
            for u in range(1, sizes.users + 1)
        ),
    )
    n_groups = max(GROUPS, -(-sizes.agreements // AGREEMENTS_PER_GROUP))
    groups = list(range(1, n_groups + 1))
    loader.copy(
        "groups",
        (
            "id",
            "handle",
            "name",
            "description",
            "description_html",
            "privacy",
            "members_can_start_threads",
            "members_can_raise_proposals",
            "created_at",
            "created_by_id",
        ),
        (
            (
                g,
                BIG_HANDLE if g == 1 else f"cercle{g}",
                "Le grand cercle" if g == 1 else f"Cercle {g}",
                "Un cercle de soutien.",
                html("Un cercle de soutien."),
                "closed",
                True,
                True,
                start,
                2,
            )
            for g in groups
        ),
    )
    members: dict[int, list[int]] = {}
    others = list(range(2, sizes.users + 1))
    for index, g in enumerate(groups):
        size = (
            sizes.big_group_members
            if index == 0
            else sizes.group_members
            if index < GROUPS
            else SMALL_CIRCLE_MEMBERS
        )
        chosen = rng.sample(others, min(size - 1, len(others)))
        if 2 not in chosen:
            chosen[0] = 2  # user 2 is every circle's admin
        chosen.remove(2)
        people = [2, *chosen]
        if index in BENCH_USER_GROUPS:
            people.insert(1, 1)
        members[g] = people
    membership_id = 0

    def membership_rows():
        nonlocal membership_id
        for g, people in members.items():
            for user in people:
                membership_id += 1
                yield (
                    membership_id,
                    g,
                    user,
                    "admin" if user == 2 else "member",
                    True,
                    True,
                    "available",
                    "all",
                    "immediate",
                    start,
                )

    loader.copy(
        "memberships",
        (
            "id",
            "group_id",
            "user_id",
            "role",
            "gives_support",
            "receives_support",
            "availability",
            "volume",
            "support_volume",
            "created_at",
        ),
        membership_rows(),
    )

    # -- threads: the big circle first, the rest spread over the others ---------------------
    thread_group = [groups[0]] * sizes.big_group_threads
    rest = sizes.threads - sizes.big_group_threads
    thread_group += groups[GROUPS:]  # the small circles' one thread each
    rest -= n_groups - GROUPS
    thread_group += [groups[1 + i % (GROUPS - 1)] for i in range(rest)]
    n_threads = len(thread_group)
    # comments per thread: uneven (a few long threads), summing to the total
    # (capped: the longest thread is ~20 times the average, at every scale)
    weights = [min(20.0, rng.paretovariate(1.6)) for _ in range(n_threads)]
    total_weight = sum(weights)
    per_thread = [int(sizes.comments * w / total_weight) for w in weights]
    for i in range(sizes.comments - sum(per_thread)):
        per_thread[i % n_threads] += 1
    created = [start + timedelta(minutes=rng.randrange(0, 700 * 24 * 60)) for _ in thread_group]
    authors = [rng.choice(members[g]) for g in thread_group]
    pinned: set[int] = set()
    by_group: dict[int, list[int]] = {}
    for t, g in enumerate(thread_group, start=1):
        by_group.setdefault(g, []).append(t)
    for ids in by_group.values():
        pinned.update(ids[:PINNED_PER_GROUP])

    # comment times and the threads' last activity (to the minute: ties happen)
    last_activity = list(created)
    comment_id = 0

    def comment_rows():
        nonlocal comment_id
        for t in range(1, n_threads + 1):
            g = thread_group[t - 1]
            people = members[g]
            moment = created[t - 1]
            top = None
            for k in range(per_thread[t - 1]):
                comment_id += 1
                moment = min(
                    now - timedelta(minutes=1), moment + timedelta(minutes=rng.randrange(1, 600))
                )
                moment = moment.replace(second=0, microsecond=0)
                body = sentence(rng, rng.randrange(6, 30))
                parent = top if top is not None and k % 10 == 9 else None
                if k % 10 == 0:
                    top = comment_id
                deleted = moment if rng.random() < 0.01 else None
                yield (
                    comment_id,
                    t,
                    rng.choice(people),
                    parent,
                    body,
                    html(body),
                    moment,
                    None,
                    deleted,
                )
            last_activity[t - 1] = moment

    began = time.perf_counter()
    # comments first (they set the threads' last activity), but the threads must exist
    # for the foreign key: threads go in with their creation time, updated after
    loader.copy(
        "threads",
        (
            "id",
            "group_id",
            "author_id",
            "title",
            "body",
            "body_html",
            "created_at",
            "last_activity_at",
            "pinned_at",
            "closed_at",
        ),
        (
            (
                t,
                thread_group[t - 1],
                authors[t - 1],
                f"Fil {t} : {sentence(rng, 4)[:-1]}",
                f"Contexte du fil {t}.",
                html(f"Contexte du fil {t}."),
                created[t - 1],
                created[t - 1],
                created[t - 1] if t in pinned else None,
                created[t - 1] + timedelta(days=60) if t % 97 == 0 else None,
            )
            for t in range(1, n_threads + 1)
        ),
    )
    loader.copy(
        "thread_versions",
        ("id", "thread_id", "number", "title", "body", "body_html", "editor_id", "created_at"),
        (
            (
                t,
                t,
                1,
                f"Fil {t}",
                f"Contexte du fil {t}.",
                html(f"Contexte du fil {t}."),
                authors[t - 1],
                created[t - 1],
            )
            for t in range(1, n_threads + 1)
        ),
    )
    comments_kept: list[tuple[int, int, str, datetime]] = []

    def remember(rows):
        for row in rows:
            comments_kept.append((row[0], row[1], row[4], row[6]))
            yield row

    loader.copy(
        "comments",
        (
            "id",
            "thread_id",
            "author_id",
            "parent_id",
            "body",
            "body_html",
            "created_at",
            "edited_at",
            "deleted_at",
        ),
        remember(comment_rows()),
    )
    loader.copy(
        "comment_versions",
        ("id", "comment_id", "number", "body", "body_html", "created_at"),
        ((c, c, 1, body, html(body), at) for c, _t, body, at in comments_kept),
    )
    comment_ids_by_thread_first = {}
    for c, t, _body, _at in comments_kept:
        comment_ids_by_thread_first.setdefault(t, c)
    n_comments = len(comments_kept)
    comments_kept.clear()  # free the memory
    print(f"  comments: {n_comments} in {time.perf_counter() - began:.1f} s", flush=True)

    # -- polls: agreements' proposals (closed), then others -----------------------------------
    poll_rows, option_rows, voter_rows, stance_rows = [], [], [], []
    change_rows, outcome_rows, agreement_rows, version_rows = [], [], [], []
    poll_id = option_id = 0
    open_polls = 0

    def add_poll(t, *, kind, closed, created_at, agreement=None):
        nonlocal poll_id, option_id, open_polls
        poll_id += 1
        g = thread_group[t - 1]
        people = members[g]
        author = rng.choice(people)
        title = f"Sondage {poll_id} : {sentence(rng, 3)[:-1]}"
        details = sentence(rng, 12)
        if closed:
            closing_at = min(created_at + timedelta(days=7), now - timedelta(hours=1))
            closed_at = closing_at
        else:
            open_polls += 1
            closing_at = now + timedelta(days=rng.randrange(1, 14))
            closed_at = None
        limited = kind != "proposal" and poll_id % 20 == 0
        keys = PROPOSAL_KEYS if kind == "proposal" else ("a", "b", "c")
        names = PROPOSAL_NAMES if kind == "proposal" else ("Mardi", "Jeudi", "Samedi")
        for position, (key, name) in enumerate(zip(keys, names, strict=True), start=1):
            option_id += 1
            option_rows.append((option_id, poll_id, key, name, position))
        eligible = people
        if limited:
            eligible = rng.sample(people, max(2, len(people) // 3))
            voter_rows.extend((poll_id, user) for user in eligible)
        if agreement is not None:  # the proposer alone voted the agreement's versions
            participants = [author]
        else:
            wanted = max(1, round(rng.expovariate(1 / stance_mean)))
            participants = rng.sample(eligible, min(len(eligible), wanted))
        for voter in participants:
            stance_rows.append(
                (
                    poll_id,
                    voter,
                    jsonb({"key": "agree" if agreement else rng.choice(keys)}),
                    "",
                    created_at + timedelta(hours=1),
                    True,
                )
            )
        poll_rows.append(
            (
                poll_id,
                t,
                g,
                author,
                kind,
                title,
                details,
                html(details),
                created_at,
                closing_at,
                closed_at,
                False if poll_id % 7 else True,
                "always",
                "optional",
                limited,
                len(eligible) if closed else None,
                len(participants) if closed else None,
            )
        )
        return poll_id

    # stances per ordinary poll, on average, to reach the total
    ordinary = sizes.polls - sizes.versions
    stance_mean = max(1.0, (sizes.stances - sizes.versions) / max(1, ordinary))

    # agreements: decided in threads of their circle
    today = now.date()
    version_numbers = [1] * sizes.agreements
    for _extra in range(sizes.versions - sizes.agreements):
        version_numbers[rng.randrange(sizes.agreements)] += 1
    for a in range(1, sizes.agreements + 1):
        g = groups[(a - 1) // AGREEMENTS_PER_GROUP]
        t = rng.choice(by_group[g])
        moment = start + timedelta(minutes=rng.randrange(0, 600 * 24 * 60))
        count = version_numbers[a - 1]
        review = None
        if a % 5 == 0:  # a fifth have a review date: most past and already reminded
            review = today + timedelta(days=rng.randrange(-400, 60))
        notified = review if review is not None and review <= today and a % 50 else None
        for v in range(1, count + 1):
            pid = add_poll(t, kind="proposal", closed=True, created_at=moment, agreement=a)
            decided = moment + timedelta(days=7)
            body = sentence(rng, 30)
            title = f"Accord {a}"
            version_review = review if v == count and a % 10 == 0 else None
            change_rows.append(
                (
                    pid,
                    pid,
                    "adopt" if v == 1 else "amend",
                    None if v == 1 else a,
                    None if v == 1 else v - 1,
                    title,
                    body,
                    html(body),
                    jsonb({"relance_after_days": 7 * v}),
                    version_review,
                    "" if v == 1 else f"Version {v}",
                    moment,
                )
            )
            outcome_rows.append((pid, pid, True, True, jsonb([]), a, v, decided))
            version_rows.append(
                (
                    title,
                    body,
                    html(body),
                    jsonb({"relance_after_days": 7 * v}),
                    "" if v == 1 else f"Version {v}",
                    version_review,
                    pid,
                    decided,
                    jsonb({"agree": 1}),
                    None,
                    a,
                    v,
                )
            )
            moment = min(decided + timedelta(days=rng.randrange(1, 30)), now - timedelta(days=8))
        agreement_rows.append(
            (
                a,
                g,
                "active",
                version_rows[-count][7],
                count,
                review if a % 10 != 0 else None,
                notified,
            )
        )
    # a circle votes on a few things at a time, whatever its history: the open polls are
    # a fixed number per main circle (in recent threads), the rest closed
    open_in = [
        rng.choice(by_group[g][-50:]) for g in groups[:GROUPS] for _n in range(OPEN_PER_GROUP)
    ]
    for number in range(ordinary):
        is_open = number < len(open_in)
        t = open_in[number] if is_open else rng.randrange(1, n_threads + 1)
        created_at = created[t - 1] + timedelta(days=rng.randrange(0, 30))
        if is_open:
            created_at = now - timedelta(days=rng.randrange(1, 7))
        created_at = min(created_at, now - timedelta(hours=2))
        kind = "proposal" if rng.random() < 0.6 else "choice"
        add_poll(t, kind=kind, closed=not is_open, created_at=created_at)

    loader.copy(
        "polls",
        (
            "id",
            "thread_id",
            "group_id",
            "author_id",
            "kind",
            "title",
            "details",
            "details_html",
            "created_at",
            "closing_at",
            "closed_at",
            "anonymous",
            "results_visibility",
            "reasons",
            "voters_limited",
            "eligible_at_close",
            "participants_at_close",
        ),
        poll_rows,
    )
    loader.copy("poll_options", ("id", "poll_id", "key", "name", "position"), option_rows)
    loader.copy(
        "poll_voters",
        ("id", "poll_id", "user_id"),
        ((i, p, u) for i, (p, u) in enumerate(voter_rows, start=1)),
    )
    loader.copy(
        "stances",
        ("id", "poll_id", "voter_id", "choice", "reason", "created_at", "is_current"),
        ((i, *row) for i, row in enumerate(stance_rows, start=1)),
    )
    loader.copy(
        "agreements",
        (
            "id",
            "group_id",
            "status",
            "created_at",
            "current_version",
            "review_on",
            "review_notified_on",
        ),
        agreement_rows,
    )
    loader.copy(
        "agreement_changes",
        (
            "id",
            "poll_id",
            "action",
            "agreement_id",
            "base_version",
            "title",
            "body",
            "body_html",
            "rules",
            "review_on",
            "change_summary",
            "created_at",
        ),
        change_rows,
    )
    loader.copy(
        "agreement_versions",
        (
            "id",
            "title",
            "body",
            "body_html",
            "rules",
            "change_summary",
            "review_on",
            "poll_id",
            "adopted_at",
            "result",
            "proposer_id",
            "agreement_id",
            "version",
        ),
        ((i, *row) for i, row in enumerate(version_rows, start=1)),
    )
    loader.copy(
        "proposal_outcomes",
        (
            "id",
            "poll_id",
            "adopted",
            "applied",
            "conditions",
            "agreement_id",
            "version",
            "decided_at",
        ),
        outcome_rows,
    )
    n_polls = len(poll_rows)
    polls_by_thread: dict[int, int] = {}
    for row in poll_rows:
        polls_by_thread.setdefault(row[1], row[0])
    for rows in (poll_rows, option_rows, voter_rows, stance_rows, change_rows, outcome_rows,
                 agreement_rows, version_rows):  # fmt: skip
        rows.clear()  # free the memory

    # -- the threads' last activity, user 1's visits ----------------------------------------
    with loader.connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE activity (id integer, at timestamptz)")
        with cursor.copy("COPY activity (id, at) FROM STDIN") as copy:
            for t, at in enumerate(last_activity, start=1):
                copy.write_row((t, at))
        cursor.execute(
            "UPDATE threads SET last_activity_at = activity.at FROM activity "
            "WHERE activity.id = threads.id"
        )
        cursor.execute("DROP TABLE activity")
    visited = [t for t in by_group[groups[0]] if t % 2 == 0]
    loader.copy(
        "thread_visits",
        ("id", "thread_id", "user_id", "seen_at"),
        ((i, t, 1, last_activity[t - 1]) for i, t in enumerate(visited, start=1)),
    )

    # -- notifications: user 1 has their share, the rest spread -----------------------------
    kinds = ("reply", "mention", "poll_opened", "poll_closed")
    member_of: dict[int, list[int]] = {}
    for g, people in members.items():
        for user in people:
            member_of.setdefault(user, []).append(g)
    people_with_groups = sorted(member_of)
    mine = max(50, sizes.notifications // 200)

    def notification_rows():
        for n in range(1, sizes.notifications + 1):
            user = 1 if n <= mine else rng.choice(people_with_groups)
            g = rng.choice(member_of[user])
            t = rng.choice(by_group[g])
            kind = kinds[n % len(kinds)]
            comment = comment_ids_by_thread_first.get(t) if kind in ("reply", "mention") else None
            poll = polls_by_thread.get(t) if kind.startswith("poll") else None
            if kind.startswith("poll") and poll is None:
                kind = "reply"
                comment = comment_ids_by_thread_first.get(t)
            at = now - timedelta(minutes=rng.randrange(1, 700 * 24 * 60))
            at = at.replace(second=0, microsecond=0)
            yield (
                n,
                user,
                kind,
                g,
                t,
                poll,
                comment,
                2,
                at,
                at + timedelta(hours=1) if rng.random() < 0.8 else None,
                "now",
            )

    loader.copy(
        "notifications",
        (
            "id",
            "user_id",
            "kind",
            "group_id",
            "thread_id",
            "poll_id",
            "comment_id",
            "actor_id",
            "created_at",
            "read_at",
            "email",
        ),
        notification_rows(),
    )

    # -- support requests, closed long ago ---------------------------------------------------
    def support_rows():
        for r in range(1, sizes.support_requests + 1):
            g = groups[r % GROUPS]
            requester = rng.choice(members[g])
            at = start + timedelta(days=rng.randrange(0, 600))
            body = sentence(rng, 10)
            yield (
                r,
                g,
                requester,
                "emotional",
                False,
                False,
                body,
                html(body),
                "",
                False,
                "closed",
                at,
                at + timedelta(days=2),
                requester,
                "happened",
                jsonb({}),
            )

    loader.copy(
        "support_requests",
        (
            "id",
            "group_id",
            "requester_id",
            "kind",
            "urgent",
            "important",
            "body",
            "body_html",
            "when_text",
            "named",
            "status",
            "created_at",
            "closed_at",
            "closed_by_id",
            "outcome",
            "rules",
        ),
        support_rows(),
    )
    return {
        "threads": n_threads,
        "comments": n_comments,
        "polls": n_polls,
        "open_polls": open_polls,
        "big_group": BIG_HANDLE,
    }


LOADED_TABLES = ("threads", "comments", "polls", "agreement_versions", "agreements")


#: the versions' review dates needing no reminder, settled as the periodic command (and
#: the migration that added ``review_settled``) would have: replaced versions, repealed
#: agreements, dates already reminded
SETTLE_REVIEW_DATES = """
UPDATE agreement_versions SET review_settled = true
WHERE review_on IS NOT NULL AND EXISTS (
    SELECT 1 FROM agreements
    WHERE agreements.id = agreement_versions.agreement_id
    AND (agreements.current_version <> agreement_versions.version
         OR agreements.status <> 'active'
         OR agreements.review_notified_on = agreement_versions.review_on)
)
"""


def build(database_url: str, scale: float, *, quiet: bool = False) -> dict:  # noqa: C901
    """Empty ``database_url`` (PostgreSQL), make the schema, load the data set."""
    from app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "x" * 40,
            "PUBLIC_URL": "http://127.0.0.1",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_PARALLELISM": 1,
            "MAIL_BACKEND": "locmem",
        }
    )
    from app import counts
    from app.extensions import db
    from app.search import schema as search_schema
    from app.timeutil import utcnow

    def say(text):
        if not quiet:
            print(text, flush=True)

    sizes = Sizes.at(scale)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            raise SystemExit("bench/bigdata.py loads PostgreSQL only")
        began = time.perf_counter()
        db.drop_all()
        db.create_all()
        say(f"schema made in {time.perf_counter() - began:.1f} s")
        raw = db.engine.raw_connection()
        try:
            connection = raw.driver_connection
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '256MB'")
                cursor.execute("SET synchronous_commit = off")
                for table in LOADED_TABLES:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                cursor.execute(f"DROP INDEX IF EXISTS ix_{search_schema.TABLE}_tsv")
            loader = Loader(connection)
            began = time.perf_counter()
            summary = generate(loader, sizes, utcnow())
            say(f"rows loaded in {time.perf_counter() - began:.1f} s")
            began = time.perf_counter()
            with connection.cursor() as cursor:
                # the threads' comment counts, counted once (their triggers were off)
                for statement in counts.backfill():
                    cursor.execute(statement)
                for table in LOADED_TABLES:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                for statement in search_schema.PG_BACKFILL:
                    cursor.execute(statement)
                cursor.execute(
                    f"CREATE INDEX ix_{search_schema.TABLE}_tsv ON {search_schema.TABLE} "
                    "USING gin (tsv)"
                )
                for table in loader.counts:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                cursor.execute(SETTLE_REVIEW_DATES)
            connection.commit()
            say(f"search index filled in {time.perf_counter() - began:.1f} s")
            began = time.perf_counter()
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            say(f"vacuum analyze in {time.perf_counter() - began:.1f} s")
        finally:
            raw.close()
        db.engine.dispose()
    summary["rows"] = dict(loader.counts)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BIGDATA_DATABASE_URL", ""),
        help="PostgreSQL URL (or BIGDATA_DATABASE_URL); EVERYTHING IN IT IS DROPPED",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="0 < scale <= 1 (default 1)")
    options = parser.parse_args(argv)
    if not options.database_url:
        parser.error("give --database-url or BIGDATA_DATABASE_URL")
    from app.config import normalise_database_url

    url = normalise_database_url(options.database_url)
    began = time.perf_counter()
    summary = build(url, options.scale)
    print(f"done in {time.perf_counter() - began:.1f} s")
    for table, count in sorted(summary["rows"].items()):
        print(f"  {table:<20} {count:>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
