"""Revisions of threads and circles, kept by triggers (app/revisions.py).

``threads.revision`` and ``groups.revision`` are bumped by the database on every write
that a thread page or a circle's pages show, whatever the path of the write. The
statements are copied from app/revisions.py as they stand at this revision (a migration
does not follow later changes of the code).

Revision ID: f1bdeb5a9c65
Revises: 66aedeae4f47
Create Date: 2026-12-01 10:57:11.033721
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1bdeb5a9c65"
down_revision = "66aedeae4f47"
branch_labels = None
depends_on = None

SQLITE_CREATE = [
    "CREATE TRIGGER IF NOT EXISTS rev_groups_self AFTER UPDATE ON groups FOR EACH ROW WHEN new.revision = old.revision BEGIN UPDATE groups SET revision = revision + 1 WHERE id = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_threads_self AFTER UPDATE ON threads FOR EACH ROW WHEN new.revision = old.revision BEGIN UPDATE threads SET revision = revision + 1 WHERE id = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_memberships_group_ai AFTER INSERT ON memberships FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id = new.group_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_memberships_group_au AFTER UPDATE ON memberships FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id = new.group_id OR id = old.group_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_memberships_group_ad AFTER DELETE ON memberships FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id = old.group_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_users_groups_ai AFTER INSERT ON users FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id IN (SELECT group_id FROM memberships WHERE user_id = new.id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_users_groups_au AFTER UPDATE OF name, handle, deactivated_at, deleted_at ON users FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id IN (SELECT group_id FROM memberships WHERE user_id = new.id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_users_groups_ad AFTER DELETE ON users FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id IN (SELECT group_id FROM memberships WHERE user_id = old.id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_comments_thread_ai AFTER INSERT ON comments FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = new.thread_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_comments_thread_au AFTER UPDATE ON comments FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = new.thread_id OR id = old.thread_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_comments_thread_ad AFTER DELETE ON comments FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = old.thread_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_reactions_thread_ai AFTER INSERT ON reactions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = new.comment_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_reactions_thread_au AFTER UPDATE ON reactions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = new.comment_id) OR id = (SELECT thread_id FROM comments WHERE id = old.comment_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_reactions_thread_ad AFTER DELETE ON reactions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = old.comment_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_thread_versions_thread_ai AFTER INSERT ON thread_versions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = new.thread_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_thread_versions_thread_au AFTER UPDATE ON thread_versions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = new.thread_id OR id = old.thread_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_thread_versions_thread_ad AFTER DELETE ON thread_versions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = old.thread_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_comment_versions_thread_ai AFTER INSERT ON comment_versions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = new.comment_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_comment_versions_thread_au AFTER UPDATE ON comment_versions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = new.comment_id) OR id = (SELECT thread_id FROM comments WHERE id = old.comment_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_comment_versions_thread_ad AFTER DELETE ON comment_versions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = old.comment_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_polls_thread_ai AFTER INSERT ON polls FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = new.thread_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_polls_thread_au AFTER UPDATE ON polls FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = new.thread_id OR id = old.thread_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_polls_thread_ad AFTER DELETE ON polls FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = old.thread_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_poll_options_thread_ai AFTER INSERT ON poll_options FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_poll_options_thread_au AFTER UPDATE ON poll_options FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_poll_options_thread_ad AFTER DELETE ON poll_options FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_poll_voters_thread_ai AFTER INSERT ON poll_voters FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_poll_voters_thread_au AFTER UPDATE ON poll_voters FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_poll_voters_thread_ad AFTER DELETE ON poll_voters FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_stances_thread_ai AFTER INSERT ON stances FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_stances_thread_au AFTER UPDATE ON stances FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_stances_thread_ad AFTER DELETE ON stances FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_poll_versions_thread_ai AFTER INSERT ON poll_versions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_poll_versions_thread_au AFTER UPDATE ON poll_versions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_poll_versions_thread_ad AFTER DELETE ON poll_versions FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_agreements_group_ai AFTER INSERT ON agreements FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id = new.group_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_agreements_group_au AFTER UPDATE ON agreements FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id = new.group_id OR id = old.group_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_agreements_group_ad AFTER DELETE ON agreements FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id = old.group_id; END",
    "CREATE TRIGGER IF NOT EXISTS rev_agreement_versions_group_ai AFTER INSERT ON agreement_versions FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id = (SELECT group_id FROM agreements WHERE id = new.agreement_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_agreement_versions_group_au AFTER UPDATE ON agreement_versions FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id = (SELECT group_id FROM agreements WHERE id = new.agreement_id) OR id = (SELECT group_id FROM agreements WHERE id = old.agreement_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_agreement_versions_group_ad AFTER DELETE ON agreement_versions FOR EACH ROW BEGIN UPDATE groups SET revision = revision + 1 WHERE id = (SELECT group_id FROM agreements WHERE id = old.agreement_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_agreement_changes_thread_ai AFTER INSERT ON agreement_changes FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_agreement_changes_thread_au AFTER UPDATE ON agreement_changes FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_agreement_changes_thread_ad AFTER DELETE ON agreement_changes FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_proposal_outcomes_thread_ai AFTER INSERT ON proposal_outcomes FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_proposal_outcomes_thread_au AFTER UPDATE ON proposal_outcomes FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = new.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
    "CREATE TRIGGER IF NOT EXISTS rev_proposal_outcomes_thread_ad AFTER DELETE ON proposal_outcomes FOR EACH ROW BEGIN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = old.poll_id); END",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS rev_groups_self",
    "DROP TRIGGER IF EXISTS rev_threads_self",
    "DROP TRIGGER IF EXISTS rev_memberships_group_ai",
    "DROP TRIGGER IF EXISTS rev_memberships_group_au",
    "DROP TRIGGER IF EXISTS rev_memberships_group_ad",
    "DROP TRIGGER IF EXISTS rev_users_groups_ai",
    "DROP TRIGGER IF EXISTS rev_users_groups_au",
    "DROP TRIGGER IF EXISTS rev_users_groups_ad",
    "DROP TRIGGER IF EXISTS rev_comments_thread_ai",
    "DROP TRIGGER IF EXISTS rev_comments_thread_au",
    "DROP TRIGGER IF EXISTS rev_comments_thread_ad",
    "DROP TRIGGER IF EXISTS rev_reactions_thread_ai",
    "DROP TRIGGER IF EXISTS rev_reactions_thread_au",
    "DROP TRIGGER IF EXISTS rev_reactions_thread_ad",
    "DROP TRIGGER IF EXISTS rev_thread_versions_thread_ai",
    "DROP TRIGGER IF EXISTS rev_thread_versions_thread_au",
    "DROP TRIGGER IF EXISTS rev_thread_versions_thread_ad",
    "DROP TRIGGER IF EXISTS rev_comment_versions_thread_ai",
    "DROP TRIGGER IF EXISTS rev_comment_versions_thread_au",
    "DROP TRIGGER IF EXISTS rev_comment_versions_thread_ad",
    "DROP TRIGGER IF EXISTS rev_polls_thread_ai",
    "DROP TRIGGER IF EXISTS rev_polls_thread_au",
    "DROP TRIGGER IF EXISTS rev_polls_thread_ad",
    "DROP TRIGGER IF EXISTS rev_poll_options_thread_ai",
    "DROP TRIGGER IF EXISTS rev_poll_options_thread_au",
    "DROP TRIGGER IF EXISTS rev_poll_options_thread_ad",
    "DROP TRIGGER IF EXISTS rev_poll_voters_thread_ai",
    "DROP TRIGGER IF EXISTS rev_poll_voters_thread_au",
    "DROP TRIGGER IF EXISTS rev_poll_voters_thread_ad",
    "DROP TRIGGER IF EXISTS rev_stances_thread_ai",
    "DROP TRIGGER IF EXISTS rev_stances_thread_au",
    "DROP TRIGGER IF EXISTS rev_stances_thread_ad",
    "DROP TRIGGER IF EXISTS rev_poll_versions_thread_ai",
    "DROP TRIGGER IF EXISTS rev_poll_versions_thread_au",
    "DROP TRIGGER IF EXISTS rev_poll_versions_thread_ad",
    "DROP TRIGGER IF EXISTS rev_agreements_group_ai",
    "DROP TRIGGER IF EXISTS rev_agreements_group_au",
    "DROP TRIGGER IF EXISTS rev_agreements_group_ad",
    "DROP TRIGGER IF EXISTS rev_agreement_versions_group_ai",
    "DROP TRIGGER IF EXISTS rev_agreement_versions_group_au",
    "DROP TRIGGER IF EXISTS rev_agreement_versions_group_ad",
    "DROP TRIGGER IF EXISTS rev_agreement_changes_thread_ai",
    "DROP TRIGGER IF EXISTS rev_agreement_changes_thread_au",
    "DROP TRIGGER IF EXISTS rev_agreement_changes_thread_ad",
    "DROP TRIGGER IF EXISTS rev_proposal_outcomes_thread_ai",
    "DROP TRIGGER IF EXISTS rev_proposal_outcomes_thread_au",
    "DROP TRIGGER IF EXISTS rev_proposal_outcomes_thread_ad",
]

PG_CREATE = [
    "CREATE OR REPLACE FUNCTION rev_groups_self() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.revision = OLD.revision THEN NEW.revision := OLD.revision + 1; END IF; RETURN NEW; END $$",
    "DROP TRIGGER IF EXISTS rev_groups_self ON groups",
    "CREATE TRIGGER rev_groups_self BEFORE UPDATE ON groups FOR EACH ROW EXECUTE FUNCTION rev_groups_self()",
    "CREATE OR REPLACE FUNCTION rev_threads_self() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.revision = OLD.revision THEN NEW.revision := OLD.revision + 1; END IF; RETURN NEW; END $$",
    "DROP TRIGGER IF EXISTS rev_threads_self ON threads",
    "CREATE TRIGGER rev_threads_self BEFORE UPDATE ON threads FOR EACH ROW EXECUTE FUNCTION rev_threads_self()",
    "CREATE OR REPLACE FUNCTION rev_memberships_group() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE groups SET revision = revision + 1 WHERE id = NEW.group_id; ELSIF TG_OP = 'UPDATE' THEN UPDATE groups SET revision = revision + 1 WHERE id = NEW.group_id OR id = OLD.group_id; ELSE UPDATE groups SET revision = revision + 1 WHERE id = OLD.group_id; END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_memberships_group ON memberships",
    "CREATE TRIGGER rev_memberships_group AFTER INSERT OR DELETE OR UPDATE ON memberships FOR EACH ROW EXECUTE FUNCTION rev_memberships_group()",
    "CREATE OR REPLACE FUNCTION rev_users_groups() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE groups SET revision = revision + 1 WHERE id IN (SELECT group_id FROM memberships WHERE user_id = NEW.id); ELSIF TG_OP = 'UPDATE' THEN UPDATE groups SET revision = revision + 1 WHERE id IN (SELECT group_id FROM memberships WHERE user_id = NEW.id); ELSE UPDATE groups SET revision = revision + 1 WHERE id IN (SELECT group_id FROM memberships WHERE user_id = OLD.id); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_users_groups ON users",
    "CREATE TRIGGER rev_users_groups AFTER INSERT OR DELETE OR UPDATE OF name, handle, deactivated_at, deleted_at ON users FOR EACH ROW EXECUTE FUNCTION rev_users_groups()",
    "CREATE OR REPLACE FUNCTION rev_comments_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = NEW.thread_id; ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = NEW.thread_id OR id = OLD.thread_id; ELSE UPDATE threads SET revision = revision + 1 WHERE id = OLD.thread_id; END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_comments_thread ON comments",
    "CREATE TRIGGER rev_comments_thread AFTER INSERT OR DELETE OR UPDATE ON comments FOR EACH ROW EXECUTE FUNCTION rev_comments_thread()",
    "CREATE OR REPLACE FUNCTION rev_reactions_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = NEW.comment_id); ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = NEW.comment_id) OR id = (SELECT thread_id FROM comments WHERE id = OLD.comment_id); ELSE UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = OLD.comment_id); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_reactions_thread ON reactions",
    "CREATE TRIGGER rev_reactions_thread AFTER INSERT OR DELETE OR UPDATE ON reactions FOR EACH ROW EXECUTE FUNCTION rev_reactions_thread()",
    "CREATE OR REPLACE FUNCTION rev_thread_versions_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = NEW.thread_id; ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = NEW.thread_id OR id = OLD.thread_id; ELSE UPDATE threads SET revision = revision + 1 WHERE id = OLD.thread_id; END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_thread_versions_thread ON thread_versions",
    "CREATE TRIGGER rev_thread_versions_thread AFTER INSERT OR DELETE OR UPDATE ON thread_versions FOR EACH ROW EXECUTE FUNCTION rev_thread_versions_thread()",
    "CREATE OR REPLACE FUNCTION rev_comment_versions_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = NEW.comment_id); ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = NEW.comment_id) OR id = (SELECT thread_id FROM comments WHERE id = OLD.comment_id); ELSE UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM comments WHERE id = OLD.comment_id); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_comment_versions_thread ON comment_versions",
    "CREATE TRIGGER rev_comment_versions_thread AFTER INSERT OR DELETE OR UPDATE ON comment_versions FOR EACH ROW EXECUTE FUNCTION rev_comment_versions_thread()",
    "CREATE OR REPLACE FUNCTION rev_polls_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = NEW.thread_id; ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = NEW.thread_id OR id = OLD.thread_id; ELSE UPDATE threads SET revision = revision + 1 WHERE id = OLD.thread_id; END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_polls_thread ON polls",
    "CREATE TRIGGER rev_polls_thread AFTER INSERT OR DELETE OR UPDATE ON polls FOR EACH ROW EXECUTE FUNCTION rev_polls_thread()",
    "CREATE OR REPLACE FUNCTION rev_poll_options_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id); ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); ELSE UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_poll_options_thread ON poll_options",
    "CREATE TRIGGER rev_poll_options_thread AFTER INSERT OR DELETE OR UPDATE ON poll_options FOR EACH ROW EXECUTE FUNCTION rev_poll_options_thread()",
    "CREATE OR REPLACE FUNCTION rev_poll_voters_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id); ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); ELSE UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_poll_voters_thread ON poll_voters",
    "CREATE TRIGGER rev_poll_voters_thread AFTER INSERT OR DELETE OR UPDATE ON poll_voters FOR EACH ROW EXECUTE FUNCTION rev_poll_voters_thread()",
    "CREATE OR REPLACE FUNCTION rev_stances_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id); ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); ELSE UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_stances_thread ON stances",
    "CREATE TRIGGER rev_stances_thread AFTER INSERT OR DELETE OR UPDATE ON stances FOR EACH ROW EXECUTE FUNCTION rev_stances_thread()",
    "CREATE OR REPLACE FUNCTION rev_poll_versions_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id); ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); ELSE UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_poll_versions_thread ON poll_versions",
    "CREATE TRIGGER rev_poll_versions_thread AFTER INSERT OR DELETE OR UPDATE ON poll_versions FOR EACH ROW EXECUTE FUNCTION rev_poll_versions_thread()",
    "CREATE OR REPLACE FUNCTION rev_agreements_group() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE groups SET revision = revision + 1 WHERE id = NEW.group_id; ELSIF TG_OP = 'UPDATE' THEN UPDATE groups SET revision = revision + 1 WHERE id = NEW.group_id OR id = OLD.group_id; ELSE UPDATE groups SET revision = revision + 1 WHERE id = OLD.group_id; END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_agreements_group ON agreements",
    "CREATE TRIGGER rev_agreements_group AFTER INSERT OR DELETE OR UPDATE ON agreements FOR EACH ROW EXECUTE FUNCTION rev_agreements_group()",
    "CREATE OR REPLACE FUNCTION rev_agreement_versions_group() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE groups SET revision = revision + 1 WHERE id = (SELECT group_id FROM agreements WHERE id = NEW.agreement_id); ELSIF TG_OP = 'UPDATE' THEN UPDATE groups SET revision = revision + 1 WHERE id = (SELECT group_id FROM agreements WHERE id = NEW.agreement_id) OR id = (SELECT group_id FROM agreements WHERE id = OLD.agreement_id); ELSE UPDATE groups SET revision = revision + 1 WHERE id = (SELECT group_id FROM agreements WHERE id = OLD.agreement_id); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_agreement_versions_group ON agreement_versions",
    "CREATE TRIGGER rev_agreement_versions_group AFTER INSERT OR DELETE OR UPDATE ON agreement_versions FOR EACH ROW EXECUTE FUNCTION rev_agreement_versions_group()",
    "CREATE OR REPLACE FUNCTION rev_agreement_changes_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id); ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); ELSE UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_agreement_changes_thread ON agreement_changes",
    "CREATE TRIGGER rev_agreement_changes_thread AFTER INSERT OR DELETE OR UPDATE ON agreement_changes FOR EACH ROW EXECUTE FUNCTION rev_agreement_changes_thread()",
    "CREATE OR REPLACE FUNCTION rev_proposal_outcomes_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id); ELSIF TG_OP = 'UPDATE' THEN UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = NEW.poll_id) OR id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); ELSE UPDATE threads SET revision = revision + 1 WHERE id = (SELECT thread_id FROM polls WHERE id = OLD.poll_id); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS rev_proposal_outcomes_thread ON proposal_outcomes",
    "CREATE TRIGGER rev_proposal_outcomes_thread AFTER INSERT OR DELETE OR UPDATE ON proposal_outcomes FOR EACH ROW EXECUTE FUNCTION rev_proposal_outcomes_thread()",
]

PG_DROP = [
    "DROP FUNCTION IF EXISTS rev_groups_self() CASCADE",
    "DROP FUNCTION IF EXISTS rev_threads_self() CASCADE",
    "DROP FUNCTION IF EXISTS rev_memberships_group() CASCADE",
    "DROP FUNCTION IF EXISTS rev_users_groups() CASCADE",
    "DROP FUNCTION IF EXISTS rev_comments_thread() CASCADE",
    "DROP FUNCTION IF EXISTS rev_reactions_thread() CASCADE",
    "DROP FUNCTION IF EXISTS rev_thread_versions_thread() CASCADE",
    "DROP FUNCTION IF EXISTS rev_comment_versions_thread() CASCADE",
    "DROP FUNCTION IF EXISTS rev_polls_thread() CASCADE",
    "DROP FUNCTION IF EXISTS rev_poll_options_thread() CASCADE",
    "DROP FUNCTION IF EXISTS rev_poll_voters_thread() CASCADE",
    "DROP FUNCTION IF EXISTS rev_stances_thread() CASCADE",
    "DROP FUNCTION IF EXISTS rev_poll_versions_thread() CASCADE",
    "DROP FUNCTION IF EXISTS rev_agreements_group() CASCADE",
    "DROP FUNCTION IF EXISTS rev_agreement_versions_group() CASCADE",
    "DROP FUNCTION IF EXISTS rev_agreement_changes_thread() CASCADE",
    "DROP FUNCTION IF EXISTS rev_proposal_outcomes_thread() CASCADE",
]


def _statements(sqlite: list[str], postgresql: list[str]) -> list[str]:
    name = op.get_bind().dialect.name
    return {"sqlite": sqlite, "postgresql": postgresql}.get(name, [])


def upgrade():
    # A plain ADD COLUMN on both databases (no table copy on SQLite: the search index's
    # triggers on ``threads`` stay).
    for table in ("groups", "threads"):
        op.add_column(
            table,
            sa.Column("revision", sa.Integer(), server_default=sa.text("0"), nullable=False),
        )
    for statement in _statements(SQLITE_CREATE, PG_CREATE):
        op.execute(statement)


def downgrade():
    for statement in _statements(SQLITE_DROP, PG_DROP):
        op.execute(statement)
    for table in ("threads", "groups"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN revision")
