"""Export a circle, import it into an empty database of the other kind (SQLite ↔
PostgreSQL), export it again: the same document apart from ids and the export time."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import sqlalchemy as sa
from fixtures.database import _empty_tables, build_test_config
from fixtures.transfer import bench_module, export_document, other_database

from app import create_app
from app.extensions import db
from app.polls.models import PollVersion
from app.threads.models import Comment, Thread
from app.timeutil import utcnow
from app.transfer.format import canonical


def _html_by_text(app) -> list[tuple[str, str]]:
    with app.app_context():
        return sorted(db.session.execute(sa.select(Comment.body, Comment.body_html)).all())


@pytest.fixture(scope="module")
def other_app(database_url, _schema, tmp_path_factory):
    """The app on an empty database of the other kind (its schema made once)."""
    with other_database(database_url, tmp_path_factory.mktemp("other")) as (url, _kind):
        application = create_app(build_test_config(url))
        with application.app_context():
            db.create_all()
        yield application
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def other(other_app):
    """``other_app`` with empty tables after the test."""
    yield other_app
    _empty_tables(other_app)


def _round_trip(app, other, tmp_path, handle: str, *, same_html: bool = False):
    """Export ``handle`` with the CLI, import it into the other database, export again
    (``same_html``: and check that the comments' HTML, rendered again, is the app's)."""
    first = tmp_path / "first.json"
    result = app.test_cli_runner().invoke(args=["groups", "export", handle, str(first)])
    assert result.exit_code == 0, result.output
    result = other.test_cli_runner().invoke(args=["groups", "import", str(first)])
    assert result.exit_code == 0, result.output
    assert f"Circle imported as '{handle}'" in result.output
    again = export_document(other, handle)
    if same_html:
        assert _html_by_text(other) == _html_by_text(app)
    return json.loads(first.read_text()), again


def test_the_demo_circle_round_trips_to_the_other_database(app, other, tmp_path):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    # HTML is rendered again on import, and comes out as the app rendered it
    first, again = _round_trip(app, other, tmp_path, "tilleuls", same_html=True)
    assert first["format"] == "cercle-group" and first["version"] == 1
    # every part of the circle the demo has is there
    for section in ("memberships", "threads", "comments", "polls", "stances", "agreements",
                    "agreement_versions", "proposal_outcomes", "support_requests",
                    "support_steps", "check_ins"):  # fmt: skip
        assert first[section], section
    assert canonical(again) == canonical(first)


def test_a_generated_circle_with_every_section_round_trips(app, other, tmp_path):
    """Replies, edits, deletions, reactions, anonymous polls closed (no voters), changed
    stances, amended and repealed agreements, requests with their timelines, check-ins."""
    with app.app_context():
        bench_module().generate("genere", 30, now=utcnow().replace(microsecond=0))
        db.session.commit()
    first, again = _round_trip(app, other, tmp_path, "genere")
    empty = [name for name, rows in first.items() if isinstance(rows, list) and not rows]
    assert empty == []
    assert len(first["comments"]) == 600
    anonymous = {p["id"] for p in first["polls"] if p["anonymous"]}
    assert anonymous
    assert all(s["voter_id"] is None for s in first["stances"] if s["poll_id"] in anonymous)
    # every version of every corrected poll, a proposal's naming the agreement it changes
    assert [v["number"] for v in first["poll_versions"]] == [1, 2] * len(first["polls"])
    named = [v["extra"]["agreement_change"] for v in again["poll_versions"] if v["extra"]]
    assert named
    assert {c["agreement_id"] for c in named} <= {a["id"] for a in again["agreements"]}
    with other.app_context():  # their Markdown rendered again here, mentions linked
        first_html = db.session.scalars(
            sa.select(PollVersion.details_html).where(PollVersion.number == 1)
        ).all()
    assert first_html and all('class="mention"' in html for html in first_html), first_html
    assert canonical(again) == canonical(first)
    # each imported thread's comment count (kept by the database's triggers as the
    # comments went in) is its comments not deleted in the file
    in_file = Counter(c["thread_id"] for c in first["comments"] if c["deleted_at"] is None)
    by_title = {t["title"]: in_file[t["id"]] for t in first["threads"]}
    with other.app_context():
        stored = dict(db.session.execute(sa.select(Thread.title, Thread.comments_count)).all())
    assert stored == by_title and any(by_title.values())
    assert sum(by_title.values()) < len(first["comments"])  # deleted ones not counted
    # and canonical tells a real difference
    changed = json.loads(json.dumps(again))
    changed["comments"][5]["body"] += " (modifié)"
    assert canonical(changed) != canonical(first)
