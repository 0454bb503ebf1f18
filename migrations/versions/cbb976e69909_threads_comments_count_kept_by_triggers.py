"""A thread's comments counted by the database (app/counts.py).

``threads.comments_count`` holds the number of the thread's comments not deleted, kept by
triggers on ``comments`` (insert, delete, an update of ``deleted_at`` or ``thread_id``)
whatever the path of the write: the group page and the API's thread list read it instead
of counting at every request. The statements are copied from app/counts.py as they stand
at this revision (a migration does not follow later changes of the code).

Revision ID: cbb976e69909
Revises: f1bdeb5a9c65
Create Date: 2026-12-01 11:55:55.048668
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "cbb976e69909"
down_revision = "f1bdeb5a9c65"
branch_labels = None
depends_on = None

SQLITE_CREATE = [
    "CREATE TRIGGER IF NOT EXISTS cnt_thread_comments_ai AFTER INSERT ON comments FOR EACH ROW WHEN (new.deleted_at IS NULL) BEGIN UPDATE threads SET comments_count = comments_count + 1 WHERE id = new.thread_id; END",
    "CREATE TRIGGER IF NOT EXISTS cnt_thread_comments_au AFTER UPDATE OF thread_id, deleted_at ON comments FOR EACH ROW WHEN new.thread_id IS NOT old.thread_id OR (new.deleted_at IS NULL) IS NOT (old.deleted_at IS NULL) BEGIN UPDATE threads SET comments_count = comments_count - 1 WHERE id = old.thread_id AND (old.deleted_at IS NULL); UPDATE threads SET comments_count = comments_count + 1 WHERE id = new.thread_id AND (new.deleted_at IS NULL); END",
    "CREATE TRIGGER IF NOT EXISTS cnt_thread_comments_ad AFTER DELETE ON comments FOR EACH ROW WHEN (old.deleted_at IS NULL) BEGIN UPDATE threads SET comments_count = comments_count - 1 WHERE id = old.thread_id; END",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS cnt_thread_comments_ai",
    "DROP TRIGGER IF EXISTS cnt_thread_comments_au",
    "DROP TRIGGER IF EXISTS cnt_thread_comments_ad",
]

PG_CREATE = [
    "CREATE OR REPLACE FUNCTION cnt_thread_comments() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'UPDATE' THEN IF NEW.thread_id IS NOT DISTINCT FROM OLD.thread_id AND (NEW.deleted_at IS NULL) = (OLD.deleted_at IS NULL) THEN RETURN NULL; END IF; END IF; IF TG_OP <> 'INSERT' THEN IF (OLD.deleted_at IS NULL) THEN UPDATE threads SET comments_count = comments_count - 1 WHERE id = OLD.thread_id; END IF; END IF; IF TG_OP <> 'DELETE' THEN IF (NEW.deleted_at IS NULL) THEN UPDATE threads SET comments_count = comments_count + 1 WHERE id = NEW.thread_id; END IF; END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS cnt_thread_comments ON comments",
    "CREATE TRIGGER cnt_thread_comments AFTER INSERT OR DELETE OR UPDATE OF thread_id, deleted_at ON comments FOR EACH ROW EXECUTE FUNCTION cnt_thread_comments()",
]

PG_DROP = [
    "DROP FUNCTION IF EXISTS cnt_thread_comments() CASCADE",
]

#: the same on both databases
BACKFILL = [
    "UPDATE threads SET comments_count = 0 WHERE comments_count <> 0",
    "UPDATE threads SET comments_count = x.n FROM (SELECT thread_id AS ref, count(*) AS n FROM comments WHERE (comments.deleted_at IS NULL) GROUP BY thread_id) AS x WHERE x.ref = threads.id",
]


def _statements(sqlite: list[str], postgresql: list[str]) -> list[str]:
    name = op.get_bind().dialect.name
    return {"sqlite": sqlite, "postgresql": postgresql}.get(name, [])


def upgrade():
    # A plain ADD COLUMN on both databases (no table copy on SQLite: the triggers on
    # ``threads`` stay).
    op.add_column(
        "threads",
        sa.Column("comments_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    # counted first, then kept: the migration runs in one transaction on PostgreSQL
    for statement in BACKFILL:
        op.execute(statement)
    for statement in _statements(SQLITE_CREATE, PG_CREATE):
        op.execute(statement)


def downgrade():
    for statement in _statements(SQLITE_DROP, PG_DROP):
        op.execute(statement)
    op.execute("ALTER TABLE threads DROP COLUMN comments_count")
