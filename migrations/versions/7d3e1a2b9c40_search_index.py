"""Search index: SQLite FTS5 / PostgreSQL full text (french_unaccent), kept by triggers,
filled from existing content.

The statements are copied from app/search/schema.py as they stand at this revision (a
migration does not follow later changes of the code). On PostgreSQL, ``CREATE EXTENSION
unaccent`` needs a superuser once per database (see the README).

Revision ID: 7d3e1a2b9c40
Revises: 79e70891a84a
Create Date: 2026-01-01 00:00:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7d3e1a2b9c40"
down_revision = '79e70891a84a'
branch_labels = None
depends_on = None

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5(kind UNINDEXED, ref_id UNINDEXED, "
    "group_id UNINDEXED, thread_id UNINDEXED, title, body, tokenize = 'unicode61 "
    "remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS search_threads_ai AFTER INSERT ON threads BEGIN INSERT INTO "
    "search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT new.id * 8 + 1, "
    "'thread', new.id, new.group_id, new.id, new.title, new.body; END",
    "CREATE TRIGGER IF NOT EXISTS search_threads_au AFTER UPDATE OF title, body, group_id ON "
    "threads BEGIN DELETE FROM search_index WHERE rowid = old.id * 8 + 1; INSERT INTO "
    "search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT new.id * 8 + 1, "
    "'thread', new.id, new.group_id, new.id, new.title, new.body; END",
    "CREATE TRIGGER IF NOT EXISTS search_threads_ad AFTER DELETE ON threads BEGIN DELETE FROM "
    "search_index WHERE rowid = old.id * 8 + 1; END",
    "CREATE TRIGGER IF NOT EXISTS search_comments_ai AFTER INSERT ON comments BEGIN INSERT INTO "
    "search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT new.id * 8 + 2, "
    "'comment', new.id, t.group_id, new.thread_id, '', new.body FROM threads t WHERE t.id = "
    "new.thread_id AND new.deleted_at IS NULL; END",
    "CREATE TRIGGER IF NOT EXISTS search_comments_au AFTER UPDATE OF body, deleted_at, thread_id "
    "ON comments BEGIN DELETE FROM search_index WHERE rowid = old.id * 8 + 2; INSERT INTO "
    "search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT new.id * 8 + 2, "
    "'comment', new.id, t.group_id, new.thread_id, '', new.body FROM threads t WHERE t.id = "
    "new.thread_id AND new.deleted_at IS NULL; END",
    "CREATE TRIGGER IF NOT EXISTS search_comments_ad AFTER DELETE ON comments BEGIN DELETE FROM "
    "search_index WHERE rowid = old.id * 8 + 2; END",
    "CREATE TRIGGER IF NOT EXISTS search_polls_ai AFTER INSERT ON polls BEGIN INSERT INTO "
    "search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT new.id * 8 + 3, "
    "'poll', new.id, new.group_id, new.thread_id, new.title, new.details; INSERT INTO "
    "search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT new.id * 8 + 4, "
    "'outcome', new.id, new.group_id, new.thread_id, new.title, new.statement WHERE "
    "COALESCE(new.statement, '') <> ''; END",
    "CREATE TRIGGER IF NOT EXISTS search_polls_au AFTER UPDATE OF title, details, statement, "
    "group_id, thread_id ON polls BEGIN DELETE FROM search_index WHERE rowid = old.id * 8 + 3; "
    "DELETE FROM search_index WHERE rowid = old.id * 8 + 4; INSERT INTO search_index (rowid, "
    "kind, ref_id, group_id, thread_id, title, body) SELECT new.id * 8 + 3, 'poll', new.id, "
    "new.group_id, new.thread_id, new.title, new.details; INSERT INTO search_index (rowid, kind, "
    "ref_id, group_id, thread_id, title, body) SELECT new.id * 8 + 4, 'outcome', new.id, "
    "new.group_id, new.thread_id, new.title, new.statement WHERE COALESCE(new.statement, '') <> "
    "''; END",
    "CREATE TRIGGER IF NOT EXISTS search_polls_ad AFTER DELETE ON polls BEGIN DELETE FROM "
    "search_index WHERE rowid = old.id * 8 + 3; DELETE FROM search_index WHERE rowid = old.id * 8 "
    "+ 4; END",
    "CREATE TRIGGER IF NOT EXISTS search_agreement_versions_ai AFTER INSERT ON agreement_versions "
    "BEGIN DELETE FROM search_index WHERE rowid = new.agreement_id * 8 + 5; INSERT INTO "
    "search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT a.id * 8 + 5, "
    "'agreement', a.id, a.group_id, NULL, v.title, v.body FROM agreements a JOIN "
    "agreement_versions v ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = "
    "new.agreement_id; END",
    "CREATE TRIGGER IF NOT EXISTS search_agreement_versions_au AFTER UPDATE OF title, body, "
    "version, agreement_id ON agreement_versions BEGIN DELETE FROM search_index WHERE rowid = "
    "old.agreement_id * 8 + 5; INSERT INTO search_index (rowid, kind, ref_id, group_id, "
    "thread_id, title, body) SELECT a.id * 8 + 5, 'agreement', a.id, a.group_id, NULL, v.title, "
    "v.body FROM agreements a JOIN agreement_versions v ON v.agreement_id = a.id AND v.version = "
    "a.current_version WHERE a.id = old.agreement_id; DELETE FROM search_index WHERE rowid = "
    "new.agreement_id * 8 + 5; INSERT INTO search_index (rowid, kind, ref_id, group_id, "
    "thread_id, title, body) SELECT a.id * 8 + 5, 'agreement', a.id, a.group_id, NULL, v.title, "
    "v.body FROM agreements a JOIN agreement_versions v ON v.agreement_id = a.id AND v.version = "
    "a.current_version WHERE a.id = new.agreement_id; END",
    "CREATE TRIGGER IF NOT EXISTS search_agreement_versions_ad AFTER DELETE ON agreement_versions "
    "BEGIN DELETE FROM search_index WHERE rowid = old.agreement_id * 8 + 5; INSERT INTO "
    "search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT a.id * 8 + 5, "
    "'agreement', a.id, a.group_id, NULL, v.title, v.body FROM agreements a JOIN "
    "agreement_versions v ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = "
    "old.agreement_id; END",
    "CREATE TRIGGER IF NOT EXISTS search_agreements_au AFTER UPDATE OF current_version, group_id "
    "ON agreements BEGIN DELETE FROM search_index WHERE rowid = new.id * 8 + 5; INSERT INTO "
    "search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT a.id * 8 + 5, "
    "'agreement', a.id, a.group_id, NULL, v.title, v.body FROM agreements a JOIN "
    "agreement_versions v ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = "
    "new.id; END",
    "CREATE TRIGGER IF NOT EXISTS search_agreements_ad AFTER DELETE ON agreements BEGIN DELETE "
    "FROM search_index WHERE rowid = old.id * 8 + 5; END",
]
SQLITE_BACKFILL = [
    "INSERT INTO search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT id * "
    "8 + 1, 'thread', id, group_id, id, title, body FROM threads",
    "INSERT INTO search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT c.id "
    "* 8 + 2, 'comment', c.id, t.group_id, c.thread_id, '', c.body FROM comments c JOIN threads t "
    "ON t.id = c.thread_id WHERE c.deleted_at IS NULL",
    "INSERT INTO search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT id * "
    "8 + 3, 'poll', id, group_id, thread_id, title, details FROM polls",
    "INSERT INTO search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT id * "
    "8 + 4, 'outcome', id, group_id, thread_id, title, statement FROM polls WHERE "
    "COALESCE(statement, '') <> ''",
    "INSERT INTO search_index (rowid, kind, ref_id, group_id, thread_id, title, body) SELECT a.id "
    "* 8 + 5, 'agreement', a.id, a.group_id, NULL, v.title, v.body FROM agreements a JOIN "
    "agreement_versions v ON v.agreement_id = a.id AND v.version = a.current_version",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_threads_ai",
    "DROP TRIGGER IF EXISTS search_threads_au",
    "DROP TRIGGER IF EXISTS search_threads_ad",
    "DROP TRIGGER IF EXISTS search_comments_ai",
    "DROP TRIGGER IF EXISTS search_comments_au",
    "DROP TRIGGER IF EXISTS search_comments_ad",
    "DROP TRIGGER IF EXISTS search_polls_ai",
    "DROP TRIGGER IF EXISTS search_polls_au",
    "DROP TRIGGER IF EXISTS search_polls_ad",
    "DROP TRIGGER IF EXISTS search_agreement_versions_ai",
    "DROP TRIGGER IF EXISTS search_agreement_versions_au",
    "DROP TRIGGER IF EXISTS search_agreement_versions_ad",
    "DROP TRIGGER IF EXISTS search_agreements_au",
    "DROP TRIGGER IF EXISTS search_agreements_ad",
    "DROP TABLE IF EXISTS search_index",
]
PG_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "DO $$ BEGIN\n"
    "    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent'\n"
    "                   AND cfgnamespace = current_schema()::regnamespace) THEN\n"
    "        CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = pg_catalog.french);\n"
    "        ALTER TEXT SEARCH CONFIGURATION french_unaccent\n"
    "            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;\n"
    "    END IF;\n"
    "END $$",
    "CREATE TABLE IF NOT EXISTS search_index (\n"
    "    kind varchar(10) NOT NULL,\n"
    "    ref_id integer NOT NULL,\n"
    "    group_id integer NOT NULL,\n"
    "    thread_id integer,\n"
    "    title text NOT NULL DEFAULT '',\n"
    "    body text NOT NULL DEFAULT '',\n"
    "    tsv tsvector GENERATED ALWAYS AS (\n"
    "        setweight(to_tsvector('french_unaccent'::regconfig, title), 'A')\n"
    "        || setweight(to_tsvector('french_unaccent'::regconfig, body), 'B')\n"
    "    ) STORED,\n"
    "    CONSTRAINT pk_search_index PRIMARY KEY (kind, ref_id)\n"
    ")",
    "CREATE INDEX IF NOT EXISTS ix_search_index_tsv ON search_index USING gin (tsv)",
    "CREATE INDEX IF NOT EXISTS ix_search_index_group ON search_index (group_id)",
    "CREATE OR REPLACE FUNCTION search_index_threads() RETURNS trigger LANGUAGE plpgsql AS $$  "
    "BEGIN \n"
    "    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
    "        DELETE FROM search_index WHERE kind = 'thread' AND ref_id = OLD.id;\n"
    "    END IF;\n"
    "    IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
    "        INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body)\n"
    "        VALUES ('thread', NEW.id, NEW.group_id, NEW.id, NEW.title, NEW.body);\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END $$",
    "CREATE OR REPLACE FUNCTION search_index_comments() RETURNS trigger LANGUAGE plpgsql AS $$  "
    "BEGIN \n"
    "    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
    "        DELETE FROM search_index WHERE kind = 'comment' AND ref_id = OLD.id;\n"
    "    END IF;\n"
    "    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN\n"
    "        INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body)\n"
    "        SELECT 'comment', NEW.id, t.group_id, NEW.thread_id, '', NEW.body\n"
    "        FROM threads t WHERE t.id = NEW.thread_id;\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END $$",
    "CREATE OR REPLACE FUNCTION search_index_polls() RETURNS trigger LANGUAGE plpgsql AS $$  "
    "BEGIN \n"
    "    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
    "        DELETE FROM search_index WHERE kind IN ('poll', 'outcome') AND ref_id = OLD.id;\n"
    "    END IF;\n"
    "    IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
    "        INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body)\n"
    "        VALUES ('poll', NEW.id, NEW.group_id, NEW.thread_id, NEW.title, NEW.details);\n"
    "        IF COALESCE(NEW.statement, '') <> '' THEN\n"
    "            INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body)\n"
    "            VALUES ('outcome', NEW.id, NEW.group_id, NEW.thread_id, NEW.title, "
    "NEW.statement);\n"
    "        END IF;\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END $$",
    "CREATE OR REPLACE FUNCTION search_index_agreements() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE target integer; BEGIN \n"
    "    IF TG_TABLE_NAME = 'agreements' THEN\n"
    "        IF TG_OP = 'DELETE' THEN\n"
    "            target := OLD.id;\n"
    "        ELSE\n"
    "            target := NEW.id;\n"
    "        END IF;\n"
    "    ELSIF TG_OP = 'DELETE' THEN\n"
    "        target := OLD.agreement_id;\n"
    "    ELSE\n"
    "        target := NEW.agreement_id;\n"
    "    END IF;\n"
    "    DELETE FROM search_index WHERE kind = 'agreement' AND ref_id = target;\n"
    "    INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body)\n"
    "    SELECT 'agreement', a.id, a.group_id, NULL, v.title, v.body\n"
    "    FROM agreements a JOIN agreement_versions v\n"
    "      ON v.agreement_id = a.id AND v.version = a.current_version\n"
    "    WHERE a.id = target;\n"
    "    RETURN NULL;\n"
    "END $$",
    "CREATE TRIGGER search_index_threads AFTER INSERT OR DELETE OR UPDATE OF title, body, "
    "group_id ON threads FOR EACH ROW EXECUTE FUNCTION search_index_threads()",
    "CREATE TRIGGER search_index_comments AFTER INSERT OR DELETE OR UPDATE OF body, deleted_at, "
    "thread_id ON comments FOR EACH ROW EXECUTE FUNCTION search_index_comments()",
    "CREATE TRIGGER search_index_polls AFTER INSERT OR DELETE OR UPDATE OF title, details, "
    "statement, group_id, thread_id ON polls FOR EACH ROW EXECUTE FUNCTION search_index_polls()",
    "CREATE TRIGGER search_index_agreements AFTER INSERT OR DELETE OR UPDATE OF title, body, "
    "version, agreement_id ON agreement_versions FOR EACH ROW EXECUTE FUNCTION "
    "search_index_agreements()",
    "CREATE TRIGGER search_index_agreements AFTER DELETE OR UPDATE OF current_version, group_id "
    "ON agreements FOR EACH ROW EXECUTE FUNCTION search_index_agreements()",
]
PG_BACKFILL = [
    "INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body) SELECT 'thread', "
    "id, group_id, id, title, body FROM threads",
    "INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body) SELECT 'comment', "
    "c.id, t.group_id, c.thread_id, '', c.body FROM comments c JOIN threads t ON t.id = "
    "c.thread_id WHERE c.deleted_at IS NULL",
    "INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body) SELECT 'poll', id, "
    "group_id, thread_id, title, details FROM polls",
    "INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body) SELECT 'outcome', "
    "id, group_id, thread_id, title, statement FROM polls WHERE COALESCE(statement, '') <> ''",
    "INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body) SELECT "
    "'agreement', a.id, a.group_id, NULL, v.title, v.body FROM agreements a JOIN "
    "agreement_versions v ON v.agreement_id = a.id AND v.version = a.current_version",
]
PG_DROP = [
    "DROP FUNCTION IF EXISTS search_index_threads() CASCADE",
    "DROP FUNCTION IF EXISTS search_index_comments() CASCADE",
    "DROP FUNCTION IF EXISTS search_index_polls() CASCADE",
    "DROP FUNCTION IF EXISTS search_index_agreements() CASCADE",
    "DROP TABLE IF EXISTS search_index",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent",
]


def _statements(sqlite, postgresql):
    name = op.get_bind().dialect.name
    return sqlite if name == "sqlite" else postgresql if name == "postgresql" else []


def upgrade():
    for statement in _statements(SQLITE_CREATE + SQLITE_BACKFILL, PG_CREATE + PG_BACKFILL):
        op.execute(statement)


def downgrade():
    for statement in _statements(SQLITE_DROP, PG_DROP):
        op.execute(statement)
