"""Searching a circle: each database's own engine, ranked, with highlighted snippets.

PostgreSQL parses the query with ``websearch_to_tsquery`` (quotes for a phrase, ``-``
to exclude, ``or``; it never fails on odd input) in the ``french_unaccent``
configuration, ranks with ``ts_rank`` (a title match, weight A, before a text match)
and highlights with ``ts_headline``.

SQLite's FTS5 has no French stemmer (its ``porter`` is English) and Python cannot give
it a tokenizer of its own; a stemmed copy of the text would need a Python function
inside the triggers, which any other SQLite client (the ``sqlite3`` shell) would lack.
So the index keeps the words as written, accents folded, and the *query* is stemmed:
each word becomes the prefix query of its French Snowball stem (``accords`` →
``accord*``, ``réciprocité`` → ``reciproc*``), which finds every inflection that the
stemmer conflates (and, being a prefix, a few longer words too). The words are quoted,
so FTS5's syntax (``-``, ``"``, ``*``, ``NEAR``, ``:``, ``AND``…) never reaches it: every
query is valid. Ranking is ``bm25`` with the title weighing ten times the text;
highlighting is FTS5's ``highlight`` and ``snippet``.

Highlighted text is built safely: the engine marks matches with two control characters
that stored text never holds (``app/textcheck.py`` refuses them), the text is escaped,
and only then are the marks turned into ``<mark>``.
"""

# ruff: noqa: S608 - SQL built only from constants (table and configuration names)
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
import sqlalchemy as sa
from markupsafe import Markup, escape

from ..extensions import db
from .schema import CONFIG, TABLE

#: the longest query, in characters (pages and API)
MAX_QUERY = 200
#: the most words of a query that are searched (a query is a few words)
MAX_WORDS = 16
#: results per page on the search page
PER_PAGE = 20

OPEN, CLOSE = "\x02", "\x03"
#: a stem shorter than this is searched as the exact word (``de*`` would match too much)
MIN_PREFIX = 3
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Hit:
    """One result: what it is, where it lives, and its highlighted title and snippet."""

    kind: str
    ref_id: int
    thread_id: int | None
    title: Markup
    snippet: Markup
    rank: float


# -- text -----------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, accents removed (as FTS5's ``remove_diacritics 2`` and ``unaccent``)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("french")


def stem(word: str) -> str:
    """The French Snowball stem of a word, accents folded."""
    return fold(_stemmer().stemWord(word.lower()))


def fts5_query(text: str) -> str:
    """The FTS5 expression for what a person typed: every word required, each one as
    the prefix of its French stem (or the exact word when the stem is short, or the
    word too when stemming changed its letters). Empty when no word is left."""
    terms = []
    for word in _WORD.findall(text)[:MAX_WORDS]:
        folded = fold(word)
        root = stem(word)
        if len(root) < MIN_PREFIX:
            terms.append(f'"{folded}"')
        elif folded.startswith(root):
            terms.append(f'"{root}"*')
        else:  # heureuse → heureux: the stem is no prefix of the word
            terms.append(f'("{root}"* OR "{folded}")')
    return " AND ".join(terms)


#: Markdown's marks as a snippet shows them bare: emphasis and code marks, line-start
#: headings, quotes and bullets, a link's address (its words stay)
_MARKDOWN_MARKS = [
    (re.compile(r"\[([^\]\n]*)\]\([^)\s]*\)"), r"\1"),
    (re.compile(r"(^|\n)[ \t]*(?:#{1,6}|>+|[-*+]|\d{1,3}[.)])[ \t]+"), r"\1"),
    (re.compile(r"\*+|~~|`+|(?<!\w)_{1,2}|_{1,2}(?!\w)"), ""),
    (re.compile(r"\s*\n\s*"), " "),
]


def plain_snippet(text: str) -> str:
    """A stretch of a Markdown source as a reader sees it: «**sans** obligation»
    becomes «sans obligation» (the index holds the source; the snippet is a stretch of
    it, cut anywhere, so it is cleaned rather than rendered)."""
    for pattern, replacement in _MARKDOWN_MARKS:
        text = pattern.sub(replacement, text)
    return text


def marked(text: str | None, *, markdown: bool = False) -> Markup:
    """Escaped text in which the engine's marks became ``<mark>`` elements (balanced,
    whatever the marks; nothing else of the text can become markup). ``markdown``: the
    text is a stretch of Markdown source, shown without its marks."""
    if markdown and text:
        text = plain_snippet(text)
    out, inside = [], False
    for part in re.split(f"([{OPEN}{CLOSE}])", text or ""):
        if part == OPEN:
            if not inside:
                out.append(Markup("<mark>"))
                inside = True
        elif part == CLOSE:
            if inside:
                out.append(Markup("</mark>"))
                inside = False
        elif part:
            out.append(escape(part))
    if inside:
        out.append(Markup("</mark>"))
    return Markup("").join(out)


def query_problem(text: str) -> str | None:
    """Why a query cannot be searched (too long), or None. The caller words it."""
    return "too_long" if len(text) > MAX_QUERY else None


# -- the engines ----------------------------------------------------------------------

_SQLITE = sa.text(
    f"""SELECT kind, ref_id, thread_id,
           highlight({TABLE}, 4, :open, :close) AS title,
           snippet({TABLE}, 5, :open, :close, '…', 32) AS snippet,
           bm25({TABLE}, 0.0, 0.0, 0.0, 0.0, 10.0, 1.0) AS rank
    FROM {TABLE}
    WHERE {TABLE} MATCH :query AND group_id = :group_id
    ORDER BY rank, rowid
    LIMIT :limit OFFSET :offset"""
)

_HEADLINE_TITLE = f"StartSel={OPEN}, StopSel={CLOSE}, HighlightAll=true"
_HEADLINE_BODY = (
    f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords=32, MinWords=12, MaxFragments=2, "
    'FragmentDelimiter=" … "'
)

_POSTGRESQL = sa.text(
    f"""WITH q AS (SELECT websearch_to_tsquery('{CONFIG}', :query) AS query),
    hits AS (
        SELECT s.kind, s.ref_id, s.thread_id, s.title, s.body, ts_rank(s.tsv, q.query) AS rank
        FROM {TABLE} s, q
        WHERE s.group_id = :group_id AND s.tsv @@ q.query
        ORDER BY rank DESC, s.kind, s.ref_id
        LIMIT :limit OFFSET :offset
    )
    SELECT hits.kind, hits.ref_id, hits.thread_id,
           ts_headline('{CONFIG}', hits.title, q.query, :title_options) AS title,
           ts_headline('{CONFIG}', hits.body, q.query, :body_options) AS snippet,
           hits.rank
    FROM hits, q
    ORDER BY hits.rank DESC, hits.kind, hits.ref_id"""
)


def search(group_id: int, text: str, *, limit: int, offset: int = 0) -> list[Hit]:
    """The group's things that match ``text``, best first: ``limit`` of them from
    ``offset``. A query with no word in it finds nothing."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        expression = fts5_query(text)
        if not expression:
            return []
        rows = db.session.execute(
            _SQLITE,
            {
                "query": expression,
                "group_id": group_id,
                "limit": limit,
                "offset": offset,
                "open": OPEN,
                "close": CLOSE,
            },
        )
        ranks = lambda value: -value  # noqa: E731 - bm25: lower is better
    else:
        if not _WORD.search(text):
            return []
        rows = db.session.execute(
            _POSTGRESQL,
            {
                "query": text,
                "group_id": group_id,
                "limit": limit,
                "offset": offset,
                "title_options": _HEADLINE_TITLE,
                "body_options": _HEADLINE_BODY,
            },
        )
        ranks = float
    return [
        Hit(
            kind=row.kind,
            ref_id=int(row.ref_id),
            thread_id=int(row.thread_id) if row.thread_id is not None else None,
            title=marked(row.title),
            snippet=marked(row.snippet, markdown=True),
            rank=ranks(row.rank),
        )
        for row in rows
    ]
