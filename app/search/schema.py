"""The search index: each database's own full-text engine, kept by triggers.

``search_index`` holds one row per searchable thing of a circle: a thread (title and
context), a comment (not deleted), a poll (title and details), a poll's outcome
statement, and an agreement (its current version). Triggers on the tables those come
from write it, so every write path (services, imports, bulk inserts, a migration's
backfill) updates it in the same transaction, and a rolled-back write leaves it as it
was. Stances are never indexed (an anonymous poll's reasons must not be findable).

- SQLite: an FTS5 table tokenized with ``unicode61 remove_diacritics 2`` (accents
  folded). French stemming is applied to the query (``app/search/query.py``).
- PostgreSQL: a table with a ``tsvector`` generated from the title (weight A) and the
  text (weight B) with ``french_unaccent`` (the French configuration with ``unaccent``
  before the French Snowball stemmer), under a GIN index.

These objects are not SQLAlchemy models: the DDL below is attached to the metadata so
that ``db.create_all()`` and ``db.drop_all()`` build and drop them; the migration creates
them (and fills the index from existing content); ``include_name`` keeps Alembic's
comparison of models and migrations from looking at them.
"""

# ruff: noqa: S608 - SQL built only from this module's constants, never from input
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db

TABLE = "search_index"

#: the kinds of things indexed, and the code that makes an FTS5 row id unique
#: (``rowid = ref_id * 8 + code``)
KIND_CODES = {"thread": 1, "comment": 2, "poll": 3, "outcome": 4, "agreement": 5}


# -- SQLite -------------------------------------------------------------------------

_SQLITE_COLUMNS = "rowid, kind, ref_id, group_id, thread_id, title, body"


def _sqlite_put(kind: str, select: str) -> str:
    return f"INSERT INTO {TABLE} ({_SQLITE_COLUMNS}) {select};"


def _sqlite_remove(kind: str, ref: str) -> str:
    return f"DELETE FROM {TABLE} WHERE rowid = {ref} * 8 + {KIND_CODES[kind]};"


def _thread_row(t: str) -> str:
    return f"SELECT {t}.id * 8 + 1, 'thread', {t}.id, {t}.group_id, {t}.id, {t}.title, {t}.body"


def _comment_row(c: str) -> str:
    return (
        f"SELECT {c}.id * 8 + 2, 'comment', {c}.id, t.group_id, {c}.thread_id, '', {c}.body "
        f"FROM threads t WHERE t.id = {c}.thread_id AND {c}.deleted_at IS NULL"
    )


def _poll_row(p: str) -> str:
    return (
        f"SELECT {p}.id * 8 + 3, 'poll', {p}.id, {p}.group_id, {p}.thread_id, {p}.title, "
        f"{p}.details"
    )


def _outcome_row(p: str) -> str:
    return (
        f"SELECT {p}.id * 8 + 4, 'outcome', {p}.id, {p}.group_id, {p}.thread_id, {p}.title, "
        f"{p}.statement WHERE COALESCE({p}.statement, '') <> ''"
    )


def _agreement_row(agreement_id: str) -> str:
    return (
        "SELECT a.id * 8 + 5, 'agreement', a.id, a.group_id, NULL, v.title, v.body "
        "FROM agreements a JOIN agreement_versions v "
        "ON v.agreement_id = a.id AND v.version = a.current_version "
        f"WHERE a.id = {agreement_id}"
    )


def _sqlite_refresh_agreement(ref: str) -> str:
    return _sqlite_remove("agreement", ref) + " " + _sqlite_put("agreement", _agreement_row(ref))


#: (trigger name, definition) on SQLite
SQLITE_TRIGGERS = [
    (
        "search_threads_ai",
        f"AFTER INSERT ON threads BEGIN {_sqlite_put('thread', _thread_row('new'))} END",
    ),
    (
        "search_threads_au",
        "AFTER UPDATE OF title, body, group_id ON threads BEGIN "
        f"{_sqlite_remove('thread', 'old.id')} {_sqlite_put('thread', _thread_row('new'))} END",
    ),
    (
        "search_threads_ad",
        f"AFTER DELETE ON threads BEGIN {_sqlite_remove('thread', 'old.id')} END",
    ),
    (
        "search_comments_ai",
        f"AFTER INSERT ON comments BEGIN {_sqlite_put('comment', _comment_row('new'))} END",
    ),
    (
        "search_comments_au",
        "AFTER UPDATE OF body, deleted_at, thread_id ON comments BEGIN "
        f"{_sqlite_remove('comment', 'old.id')} {_sqlite_put('comment', _comment_row('new'))} END",
    ),
    (
        "search_comments_ad",
        f"AFTER DELETE ON comments BEGIN {_sqlite_remove('comment', 'old.id')} END",
    ),
    (
        "search_polls_ai",
        "AFTER INSERT ON polls BEGIN "
        f"{_sqlite_put('poll', _poll_row('new'))} "
        f"{_sqlite_put('outcome', _outcome_row('new'))} END",
    ),
    (
        "search_polls_au",
        "AFTER UPDATE OF title, details, statement, group_id, thread_id ON polls BEGIN "
        f"{_sqlite_remove('poll', 'old.id')} {_sqlite_remove('outcome', 'old.id')} "
        f"{_sqlite_put('poll', _poll_row('new'))} "
        f"{_sqlite_put('outcome', _outcome_row('new'))} END",
    ),
    (
        "search_polls_ad",
        "AFTER DELETE ON polls BEGIN "
        f"{_sqlite_remove('poll', 'old.id')} {_sqlite_remove('outcome', 'old.id')} END",
    ),
    (
        "search_agreement_versions_ai",
        "AFTER INSERT ON agreement_versions BEGIN "
        f"{_sqlite_refresh_agreement('new.agreement_id')} END",
    ),
    (
        "search_agreement_versions_au",
        "AFTER UPDATE OF title, body, version, agreement_id ON agreement_versions BEGIN "
        f"{_sqlite_refresh_agreement('old.agreement_id')} "
        f"{_sqlite_refresh_agreement('new.agreement_id')} END",
    ),
    (
        "search_agreement_versions_ad",
        "AFTER DELETE ON agreement_versions BEGIN "
        f"{_sqlite_refresh_agreement('old.agreement_id')} END",
    ),
    (
        "search_agreements_au",
        "AFTER UPDATE OF current_version, group_id ON agreements BEGIN "
        f"{_sqlite_refresh_agreement('new.id')} END",
    ),
    (
        "search_agreements_ad",
        f"AFTER DELETE ON agreements BEGIN {_sqlite_remove('agreement', 'old.id')} END",
    ),
]

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "kind UNINDEXED, ref_id UNINDEXED, group_id UNINDEXED, thread_id UNINDEXED, "
    "title, body, tokenize = 'unicode61 remove_diacritics 2')",
    *(f"CREATE TRIGGER IF NOT EXISTS {name} {body}" for name, body in SQLITE_TRIGGERS),
]
SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name, _body in SQLITE_TRIGGERS),
    f"DROP TABLE IF EXISTS {TABLE}",
]
#: fill the index from what is already there (the migration)
SQLITE_BACKFILL = [
    f"INSERT INTO {TABLE} ({_SQLITE_COLUMNS}) "
    "SELECT id * 8 + 1, 'thread', id, group_id, id, title, body FROM threads",
    f"INSERT INTO {TABLE} ({_SQLITE_COLUMNS}) "
    "SELECT c.id * 8 + 2, 'comment', c.id, t.group_id, c.thread_id, '', c.body "
    "FROM comments c JOIN threads t ON t.id = c.thread_id WHERE c.deleted_at IS NULL",
    f"INSERT INTO {TABLE} ({_SQLITE_COLUMNS}) "
    "SELECT id * 8 + 3, 'poll', id, group_id, thread_id, title, details FROM polls",
    f"INSERT INTO {TABLE} ({_SQLITE_COLUMNS}) "
    "SELECT id * 8 + 4, 'outcome', id, group_id, thread_id, title, statement FROM polls "
    "WHERE COALESCE(statement, '') <> ''",
    f"INSERT INTO {TABLE} ({_SQLITE_COLUMNS}) "
    "SELECT a.id * 8 + 5, 'agreement', a.id, a.group_id, NULL, v.title, v.body "
    "FROM agreements a JOIN agreement_versions v "
    "ON v.agreement_id = a.id AND v.version = a.current_version",
]


# -- PostgreSQL -----------------------------------------------------------------------

CONFIG = "french_unaccent"

_PG_FUNCTIONS = {
    "search_index_threads": """
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM search_index WHERE kind = 'thread' AND ref_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body)
        VALUES ('thread', NEW.id, NEW.group_id, NEW.id, NEW.title, NEW.body);
    END IF;
    RETURN NULL;""",
    "search_index_comments": """
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM search_index WHERE kind = 'comment' AND ref_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
        INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body)
        SELECT 'comment', NEW.id, t.group_id, NEW.thread_id, '', NEW.body
        FROM threads t WHERE t.id = NEW.thread_id;
    END IF;
    RETURN NULL;""",
    "search_index_polls": """
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM search_index WHERE kind IN ('poll', 'outcome') AND ref_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body)
        VALUES ('poll', NEW.id, NEW.group_id, NEW.thread_id, NEW.title, NEW.details);
        IF COALESCE(NEW.statement, '') <> '' THEN
            INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body)
            VALUES ('outcome', NEW.id, NEW.group_id, NEW.thread_id, NEW.title, NEW.statement);
        END IF;
    END IF;
    RETURN NULL;""",
    # an agreement's row is its current version's text: recomputed from the tables
    # whichever of the version and the agreement's ``current_version`` moves first
    "search_index_agreements": """
    IF TG_TABLE_NAME = 'agreements' THEN
        IF TG_OP = 'DELETE' THEN
            target := OLD.id;
        ELSE
            target := NEW.id;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        target := OLD.agreement_id;
    ELSE
        target := NEW.agreement_id;
    END IF;
    DELETE FROM search_index WHERE kind = 'agreement' AND ref_id = target;
    INSERT INTO search_index (kind, ref_id, group_id, thread_id, title, body)
    SELECT 'agreement', a.id, a.group_id, NULL, v.title, v.body
    FROM agreements a JOIN agreement_versions v
      ON v.agreement_id = a.id AND v.version = a.current_version
    WHERE a.id = target;
    RETURN NULL;""",
}

_PG_TRIGGERS = [
    (
        "search_index_threads",
        "AFTER INSERT OR DELETE OR UPDATE OF title, body, group_id ON threads",
    ),
    (
        "search_index_comments",
        "AFTER INSERT OR DELETE OR UPDATE OF body, deleted_at, thread_id ON comments",
    ),
    (
        "search_index_polls",
        "AFTER INSERT OR DELETE OR UPDATE OF title, details, statement, group_id, thread_id "
        "ON polls",
    ),
    (
        "search_index_agreements",
        "AFTER INSERT OR DELETE OR UPDATE OF title, body, version, agreement_id "
        "ON agreement_versions",
    ),
    (
        "search_index_agreements",
        "AFTER DELETE OR UPDATE OF current_version, group_id ON agreements",
    ),
]


def _pg_function(name: str, body: str) -> str:
    declare = "DECLARE target integer;" if name == "search_index_agreements" else ""
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"{declare} BEGIN {body}\nEND $$"
    )


PG_CREATE = [
    # Needs a superuser (or a trusted-extension grant) once per database: see the README.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"""DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{CONFIG}'
                   AND cfgnamespace = current_schema()::regnamespace) THEN
        CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = pg_catalog.french);
        ALTER TEXT SEARCH CONFIGURATION {CONFIG}
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END $$""",
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    kind varchar(10) NOT NULL,
    ref_id integer NOT NULL,
    group_id integer NOT NULL,
    thread_id integer,
    title text NOT NULL DEFAULT '',
    body text NOT NULL DEFAULT '',
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('{CONFIG}'::regconfig, title), 'A')
        || setweight(to_tsvector('{CONFIG}'::regconfig, body), 'B')
    ) STORED,
    CONSTRAINT pk_{TABLE} PRIMARY KEY (kind, ref_id)
)""",
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_tsv ON {TABLE} USING gin (tsv)",
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_group ON {TABLE} (group_id)",
    *(_pg_function(name, body) for name, body in _PG_FUNCTIONS.items()),
    *(
        f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION {name}()"
        for name, when in _PG_TRIGGERS
    ),
]
PG_DROP = [
    *(f"DROP FUNCTION IF EXISTS {name}() CASCADE" for name in _PG_FUNCTIONS),
    f"DROP TABLE IF EXISTS {TABLE}",
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}",
]
PG_BACKFILL = [
    f"INSERT INTO {TABLE} (kind, ref_id, group_id, thread_id, title, body) "
    "SELECT 'thread', id, group_id, id, title, body FROM threads",
    f"INSERT INTO {TABLE} (kind, ref_id, group_id, thread_id, title, body) "
    "SELECT 'comment', c.id, t.group_id, c.thread_id, '', c.body "
    "FROM comments c JOIN threads t ON t.id = c.thread_id WHERE c.deleted_at IS NULL",
    f"INSERT INTO {TABLE} (kind, ref_id, group_id, thread_id, title, body) "
    "SELECT 'poll', id, group_id, thread_id, title, details FROM polls",
    f"INSERT INTO {TABLE} (kind, ref_id, group_id, thread_id, title, body) "
    "SELECT 'outcome', id, group_id, thread_id, title, statement FROM polls "
    "WHERE COALESCE(statement, '') <> ''",
    f"INSERT INTO {TABLE} (kind, ref_id, group_id, thread_id, title, body) "
    "SELECT 'agreement', a.id, a.group_id, NULL, v.title, v.body FROM agreements a "
    "JOIN agreement_versions v ON v.agreement_id = a.id AND v.version = a.current_version",
]


# -- the metadata's create and drop ----------------------------------------------------


def _run(statements: list[str]):
    def execute(target, connection, **kw) -> None:
        for statement in statements:
            connection.exec_driver_sql(statement)

    return execute


def _by_dialect(sqlite: list[str], postgresql: list[str]):
    run_sqlite, run_pg = _run(sqlite), _run(postgresql)

    def execute(target, connection, **kw) -> None:
        if connection.dialect.name == "sqlite":
            run_sqlite(target, connection, **kw)
        elif connection.dialect.name == "postgresql":
            run_pg(target, connection, **kw)

    return execute


sa.event.listen(db.metadata, "after_create", _by_dialect(SQLITE_CREATE, PG_CREATE))
sa.event.listen(db.metadata, "before_drop", _by_dialect(SQLITE_DROP, PG_DROP))


def include_name(name, type_, parent_names) -> bool:
    """For Alembic: leave the search index alone when comparing models and database
    (the FTS5 table and its shadow tables on SQLite, the table on PostgreSQL)."""
    if type_ == "table" and name is not None:
        return not (name == TABLE or name.startswith(f"{TABLE}_"))
    return True
