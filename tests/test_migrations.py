"""The Alembic migrations build, from empty, exactly the schema the models describe."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.search.schema import include_name


def _fresh_database(database_url: str, tmp_path):
    """An empty database of the same kind as the test run's, and a cleanup."""
    if database_url.startswith("postgresql"):
        name = f"cercle_mig_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(database_url).set(database=name)

        def drop():
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()

        return url.render_as_string(hide_password=False), drop
    return "sqlite:///" + str(tmp_path / "migrated.sqlite3"), lambda: None


def test_upgrade_from_empty_matches_models_and_downgrades(database_url, make_app, tmp_path):
    url, drop = _fresh_database(database_url, tmp_path)
    app = make_app(url)
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(
                    MigrationContext.configure(
                        conn, opts={"compare_type": True, "include_name": include_name}
                    ),
                    db.metadata,
                )
            assert diff == [], f"models and migrations differ: {diff}"
            downgrade(revision="base")
            with db.engine.connect() as conn:
                tables = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
            assert tables == set()
            upgrade()  # and back up again
            db.engine.dispose()
    finally:
        drop()


def _index_definitions(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
            )
            return dict(rows.all())
    finally:
        engine.dispose()


def test_every_index_is_the_same_from_migrations_and_from_the_models(
    database_url, make_app, tmp_path
):
    """What autogenerate does not compare (an index's INCLUDE columns, its expressions'
    text, its predicate), PostgreSQL's own definition of each index does."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL writes each index's definition out in one normal form")
    migrated_url, drop_migrated = _fresh_database(database_url, tmp_path)
    created_url, drop_created = _fresh_database(database_url, tmp_path)
    try:
        app = make_app(migrated_url)
        with app.app_context():
            upgrade()
            db.engine.dispose()
        app = make_app(created_url)
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        migrated, created = _index_definitions(migrated_url), _index_definitions(created_url)
        migrated.pop("alembic_version_pkc", None)
        assert migrated == created
        assert "INCLUDE (pinned_at)" in migrated["ix_threads_group_list"]
    finally:
        drop_migrated()
        drop_created()


def test_cli_db_upgrade_creates_schema(database_url, make_app, tmp_path):
    """The operator's command, ``flask --app wsgi db upgrade``, on an empty database."""
    if database_url.startswith("postgresql"):
        pytest.skip("the CLI path is the same on PostgreSQL; covered by the test above")
    url, _drop = _fresh_database(database_url, tmp_path)
    app = make_app(url)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "users" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


FIRST_REVISION = "18264e6164e2"


def _era_rows(conn) -> dict[str, int]:
    """A circle as the first release stored it, written with that schema's SQL (the
    columns of migration 18264e6164e2 only): two people, a group, a thread with an edit,
    a comment and a reply with a reaction, a closed proposal that adopted an agreement
    with its rules, notifications, an API token and a pending invitation. Returns the
    ids by name."""
    sqlite = conn.dialect.name == "sqlite"

    def at(text: str) -> str:
        # UTCDateTime: naive UTC text on SQLite, timestamptz on PostgreSQL
        return f"{text}.000000" if sqlite else f"{text}+00:00"

    ids: dict[str, int] = {}

    def insert(key: str, table: str, /, **values) -> None:
        columns = ", ".join(values)
        params = ", ".join(f":{c}" for c in values)
        statement = f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING id"  # noqa: S608
        ids[key] = conn.execute(sa.text(statement), values).scalar_one()

    from app.auth.services import hash_password

    for who, email, name in (
        ("claire", "claire@exemple.org", "Claire"),
        ("elise", "elise@exemple.org", "Élise Girard"),
    ):
        insert(
            who,
            "users",
            email=email,
            name=name,
            handle=who,
            password_hash=hash_password("un mot de passe ancien"),
            locale="fr",
            timezone="Europe/Paris",
            created_at=at("2026-01-05 08:00:00"),
            session_epoch=0,
        )
    insert(
        "group",
        "groups",
        handle="tilleuls",
        name="Cercle des Tilleuls",
        description="Notre *cercle*.",
        description_html="<p>Notre <em>cercle</em>.</p>\n",
        privacy="secret",
        members_can_start_threads=True,
        members_can_raise_proposals=True,
        created_at=at("2026-01-05 08:05:00"),
        created_by_id=ids["claire"],
    )
    for who, role in (("claire", "admin"), ("elise", "member")):
        insert(
            f"m_{who}",
            "memberships",
            group_id=ids["group"],
            user_id=ids[who],
            role=role,
            gives_support=True,
            receives_support=True,
            availability="away" if who == "elise" else "available",
            availability_until="2026-02-01" if who == "elise" else None,
            created_at=at("2026-01-05 08:06:00"),
        )
    insert(
        "invitation",
        "invitations",
        group_id=ids["group"],
        email="bernard@exemple.org",
        role="member",
        token_hash="a" * 64,
        created_by_id=ids["claire"],
        created_at=at("2026-01-06 10:00:00"),
        expires_at=at("2026-01-20 10:00:00"),
    )
    insert(
        "token",
        "api_tokens",
        user_id=ids["claire"],
        name="mon script",
        token_hash="b" * 64,
        prefix="cer_abcd",
        created_at=at("2026-01-06 11:00:00"),
    )
    insert(
        "thread",
        "threads",
        group_id=ids["group"],
        author_id=ids["claire"],
        title="Nos accords d'écoute",
        body="Le **contexte**, réécrit.",
        body_html="<p>Le <strong>contexte</strong>, réécrit.</p>\n",
        created_at=at("2026-01-07 09:00:00"),
        edited_at=at("2026-01-07 09:30:00"),
        last_activity_at=at("2026-01-08 18:00:00"),
    )
    insert(
        "thread_v1",
        "thread_versions",
        thread_id=ids["thread"],
        number=1,
        title="Nos accords d'écoute",
        body="Le contexte.",
        body_html="<p>Le contexte.</p>\n",
        editor_id=ids["claire"],
        created_at=at("2026-01-07 09:00:00"),
    )
    insert(
        "comment",
        "comments",
        thread_id=ids["thread"],
        author_id=ids["elise"],
        body="Deux écoutes par semaine ?",
        body_html="<p>Deux écoutes par semaine ?</p>\n",
        created_at=at("2026-01-07 12:00:00"),
    )
    insert(
        "reply",
        "comments",
        thread_id=ids["thread"],
        author_id=ids["claire"],
        parent_id=ids["comment"],
        body="Oui, essayons.",
        body_html="<p>Oui, essayons.</p>\n",
        created_at=at("2026-01-07 12:30:00"),
    )
    insert(
        "reaction",
        "reactions",
        comment_id=ids["comment"],
        user_id=ids["claire"],
        emoji="👍",
        created_at=at("2026-01-07 12:31:00"),
    )
    insert(
        "visit",
        "thread_visits",
        thread_id=ids["thread"],
        user_id=ids["elise"],
        seen_at=at("2026-01-07 12:00:00"),
    )
    insert(
        "poll",
        "polls",
        thread_id=ids["thread"],
        group_id=ids["group"],
        author_id=ids["claire"],
        kind="proposal",
        title="Adopter nos accords d'écoute",
        details="",
        details_html="",
        created_at=at("2026-01-07 13:00:00"),
        closing_at=at("2026-01-08 18:00:00"),
        closed_at=at("2026-01-08 18:00:00"),
        anonymous=False,
        results_visibility="always",
        reasons="required_for_block",
        min_choices=1,
        max_choices=1,
        min_score=0,
        max_score=5,
        dots=8,
        shuffle_options=False,
        voters_limited=False,
        frozen_results=None,
        eligible_at_close=2,
        participants_at_close=2,
    )
    for position, key in enumerate(("agree", "abstain", "disagree", "block")):
        insert(
            f"option_{key}",
            "poll_options",
            poll_id=ids["poll"],
            key=key,
            name=key,
            position=position,
        )
    for who, choice, current in (
        ("elise", "block", False),
        ("elise", "agree", True),
        ("claire", "agree", True),
    ):
        insert(
            f"stance_{who}_{choice}",
            "stances",
            poll_id=ids["poll"],
            voter_id=ids[who],
            choice=json.dumps({"key": choice}),
            reason="Trop tôt." if choice == "block" else "",
            created_at=at("2026-01-07 14:00:00" if current is False else "2026-01-08 10:00:00"),
            is_current=current,
        )
    rules = {"rhythm_per_week": 2, "reciprocity": "not_required"}
    insert(
        "change",
        "agreement_changes",
        poll_id=ids["poll"],
        action="adopt",
        title="Nos accords d'écoute",
        body="Deux écoutes par semaine.",
        body_html="<p>Deux écoutes par semaine.</p>\n",
        rules=json.dumps(rules),
        change_summary="",
        created_at=at("2026-01-07 13:00:00"),
    )
    insert(
        "agreement",
        "agreements",
        group_id=ids["group"],
        status="active",
        created_at=at("2026-01-08 18:00:00"),
        current_version=1,
        review_on="2026-07-01",
    )
    insert(
        "version",
        "agreement_versions",
        agreement_id=ids["agreement"],
        version=1,
        title="Nos accords d'écoute",
        body="Deux écoutes par semaine.",
        body_html="<p>Deux écoutes par semaine.</p>\n",
        rules=json.dumps(rules),
        change_summary="",
        poll_id=ids["poll"],
        adopted_at=at("2026-01-08 18:00:00"),
        result=json.dumps(
            {
                "counts": {"agree": 2, "abstain": 0, "disagree": 0, "block": 0},
                "participants": 2,
                "eligible": 2,
                "participation_percent": 100,
                "quorum_percent": 50,
            }
        ),
        proposer_id=ids["claire"],
    )
    insert(
        "outcome",
        "proposal_outcomes",
        poll_id=ids["poll"],
        adopted=True,
        applied=True,
        conditions=json.dumps(
            [
                {"code": "no_block", "held": True, "params": {"block": 0}},
                {
                    "code": "more_agree_than_disagree",
                    "held": True,
                    "params": {"agree": 2, "disagree": 0},
                },
                {
                    "code": "quorum",
                    "held": True,
                    "params": {"participants": 2, "eligible": 2, "percent": 100, "quorum": 50},
                },
            ]
        ),
        agreement_id=ids["agreement"],
        version=1,
        decided_at=at("2026-01-08 18:00:00"),
    )
    insert(
        "notification",
        "notifications",
        user_id=ids["elise"],
        kind="poll_closed",
        group_id=ids["group"],
        thread_id=ids["thread"],
        poll_id=ids["poll"],
        actor_id=ids["claire"],
        created_at=at("2026-01-08 18:00:00"),
    )
    return ids


def test_a_circle_stored_by_the_first_release_survives_every_upgrade(
    database_url, make_app, tmp_path
):
    """The operator's upgrade path: a database made by the first migration, holding a
    circle written by that release, upgraded to the newest migrations (whatever they
    are), keeps every row and the app reads and serves them."""
    url, drop = _fresh_database(database_url, tmp_path)
    app = make_app(url, SERVER_NAME=None)
    try:
        with app.app_context():
            upgrade(revision=FIRST_REVISION)
            with db.engine.begin() as conn:
                ids = _era_rows(conn)
                before = {
                    table: conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
                    for table in sa.inspect(conn).get_table_names()
                    if table != "alembic_version"
                }
            upgrade(revision="heads")
            with db.engine.connect() as conn:
                heads = {
                    row[0]
                    for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))
                }
                after = {
                    table: conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
                    for table in before
                }
            assert FIRST_REVISION not in heads
            assert after == before

            from app.agreements.models import AgreementVersion
            from app.auth.models import User
            from app.polls.models import Stance
            from app.threads.models import Comment

            claire = db.session.get(User, ids["claire"])
            assert (claire.email, claire.name, claire.timezone) == (
                "claire@exemple.org",
                "Claire",
                "Europe/Paris",
            )
            assert claire.created_at.isoformat() == "2026-01-05T08:00:00+00:00"
            version = db.session.get(AgreementVersion, ids["version"])
            assert version.rules == {"rhythm_per_week": 2, "reciprocity": "not_required"}
            stances = db.session.scalars(sa.select(Stance).order_by(Stance.id)).all()
            assert [(s.choice, s.is_current) for s in stances] == [
                ({"key": "block"}, False),
                ({"key": "agree"}, True),
                ({"key": "agree"}, True),
            ]
            reply = db.session.get(Comment, ids["reply"])
            assert reply.parent_id == ids["comment"]
            db.session.remove()

        # and the upgraded app serves them: Claire signs in and reads her thread
        client = app.test_client()
        signed_in = client.post(
            "/signin",
            data={"email": "claire@exemple.org", "password": "un mot de passe ancien"},
        )
        assert signed_in.status_code == 302
        page = client.get(f"/t/{ids['thread']}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        for shown in ("Nos accords d&#39;écoute", "Deux écoutes par semaine ?", "Oui, essayons."):
            assert shown in text
        with app.app_context():
            db.engine.dispose()
    finally:
        drop()


def test_migrations_install_every_revision_trigger(database_url, make_app, tmp_path):
    """The migrated database keeps the revisions as ``create_all`` does (app/revisions.py):
    the same triggers, and a comment bumps its thread."""
    from app import revisions

    url, drop = _fresh_database(database_url, tmp_path)
    app = make_app(url)
    try:
        with app.app_context():
            upgrade()
            with db.engine.begin() as conn:
                if conn.dialect.name == "sqlite":
                    expected = {s.split()[5] for s in revisions.sqlite_create()}
                    found = conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                        "AND name LIKE 'rev_%'"
                    ).scalars()
                else:
                    expected = {s.split()[2] for s in revisions.pg_create() if "TRIGGER rev" in s}
                    found = conn.exec_driver_sql(
                        "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'rev_%%'"
                    ).scalars()
                assert set(found) == expected
            db.engine.dispose()
    finally:
        drop()


def test_the_comment_count_migration_counts_and_keeps_counting(database_url, make_app, tmp_path):
    """Threads written before ``threads.comments_count`` get their comments not deleted
    counted by the migration, and the migrated triggers keep the count afterwards."""
    from app import counts

    url, drop = _fresh_database(database_url, tmp_path)
    app = make_app(url)
    try:
        with app.app_context():
            upgrade(revision=FIRST_REVISION)
            with db.engine.begin() as conn:
                ids = _era_rows(conn)  # a thread with a comment and a reply
            upgrade(revision="f1bdeb5a9c65")
            with db.engine.begin() as conn:
                at = "2026-02-01 10:00:00" + (".000000" if conn.dialect.name == "sqlite" else "")
                values = {"g": ids["group"], "u": ids["claire"], "at": at}
                quiet, busy = (
                    conn.execute(
                        sa.text(
                            "INSERT INTO threads (group_id, author_id, title, body, body_html, "
                            "created_at, last_activity_at) "
                            "VALUES (:g, :u, :title, '', '', :at, :at) RETURNING id"
                        ),
                        {**values, "title": title},
                    ).scalar_one()
                    for title in ("Calme", "Animé")
                )
                for deleted in (None, None, None, at, at):
                    conn.execute(
                        sa.text(
                            "INSERT INTO comments (thread_id, author_id, body, body_html, "
                            "created_at, deleted_at) VALUES (:t, :u, 'x', 'x', :at, :deleted)"
                        ),
                        {**values, "t": busy, "deleted": deleted},
                    )
            upgrade(revision="heads")
            stored = "SELECT id, comments_count FROM threads ORDER BY id"
            with db.engine.begin() as conn:
                assert dict(conn.execute(sa.text(stored)).all()) == {
                    ids["thread"]: 2,
                    quiet: 0,
                    busy: 3,
                }
                if conn.dialect.name == "sqlite":
                    expected = {s.split()[5] for s in counts.sqlite_create()}
                    found = conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                        "AND name LIKE 'cnt_%'"
                    ).scalars()
                else:
                    expected = {s.split()[2] for s in counts.pg_create() if "TRIGGER cnt" in s}
                    found = conn.exec_driver_sql(
                        "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'cnt_%%'"
                    ).scalars()
                assert set(found) == expected
                # the migrated triggers count: a comment added, one deleted
                conn.execute(
                    sa.text(
                        "INSERT INTO comments (thread_id, author_id, body, body_html, created_at) "
                        "VALUES (:t, :u, 'y', 'y', :at)"
                    ),
                    {**values, "t": quiet},
                )
                conn.execute(
                    sa.text("UPDATE comments SET deleted_at = :at WHERE id = :c"),
                    {"at": at, "c": ids["reply"]},
                )
                assert dict(conn.execute(sa.text(stored)).all()) == {
                    ids["thread"]: 1,
                    quiet: 1,
                    busy: 3,
                }
            db.engine.dispose()
    finally:
        drop()
