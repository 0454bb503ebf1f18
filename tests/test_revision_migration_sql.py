"""The migration that installs the revision triggers holds the very statements that
``db.create_all()`` runs (app/revisions.py): a changed declaration (a key, the columns
of an update) that the migration missed would leave migrated sites with other
triggers than the tests' databases, where only the names were compared."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from app import revisions

MIGRATION = next(
    Path(__file__).resolve().parent.parent.glob("migrations/versions/*_revisions_of_threads_*.py")
)


def test_the_migration_holds_the_statements_create_all_runs(app):  # every model loaded
    spec = importlib.util.spec_from_file_location("revision_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # the order of the declarations follows the order the models are imported in
    assert sorted(module.SQLITE_CREATE) == sorted(revisions.sqlite_create())
    assert sorted(module.SQLITE_DROP) == sorted(revisions.sqlite_drop())
    assert sorted(module.PG_CREATE) == sorted(revisions.pg_create())
    assert sorted(module.PG_DROP) == sorted(revisions.pg_drop())
