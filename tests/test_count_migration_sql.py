"""The migration that installs the comment-count triggers holds the very statements that
``db.create_all()`` runs (app/counts.py), and counts with the same statements as the
code's ``backfill``: a changed declaration the migration missed would leave migrated
sites with other triggers than the tests' databases."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from app import counts

MIGRATION = next(
    Path(__file__).resolve().parent.parent.glob("migrations/versions/*_threads_comments_count_*.py")
)


def test_the_count_migration_holds_the_statements_create_all_runs(app):  # every model loaded
    spec = importlib.util.spec_from_file_location("count_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.SQLITE_CREATE == counts.sqlite_create()
    assert module.SQLITE_DROP == counts.sqlite_drop()
    assert module.PG_CREATE == counts.pg_create()
    assert module.PG_DROP == counts.pg_drop()
    assert module.BACKFILL == counts.backfill()
