"""The Alembic migrations build, from empty, exactly the schema the models describe."""

from __future__ import annotations

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
