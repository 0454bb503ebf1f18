"""The thread API's reads build their JSON with plain functions (``app/threads/serialize.py``);
the marshmallow schemas stay the documented shape. These tests compare the two on a rich
circle, byte for byte, so that they cannot drift apart: a field added to one and not the
other fails here."""

from __future__ import annotations

import pytest
from fixtures.api_output import rich_circle  # noqa: F401 - the fixture
from flask import g

from app import hooks
from app.auth.models import User
from app.extensions import db
from app.threads.api import comment_out, thread_out
from app.threads.schemas import ThreadDetailSchema, ThreadListSchema, ThreadSchema
from app.threads.services import load_thread, reaction_summary, thread_comments
from app.timeutil import utcnow


def _schema_fields(schema, data, path="") -> None:
    """Every object of ``data`` has exactly its schema's fields (nested ones too)."""
    assert set(data) == set(schema.fields), path
    for name, field in schema.fields.items():
        nested = getattr(field, "inner", field)
        if hasattr(nested, "schema") and data[name] is not None:
            items = data[name] if field is not nested else [data[name]]
            for item in items:
                _schema_fields(nested.schema, item, f"{path}.{name}")


def _as_the_schema_dumps(app, viewer_id: int, thread_id: int, language: str) -> tuple[dict, bytes]:
    """``GET /threads/{id}`` as the schema dumped it before: ORM objects, ``thread_out``
    and ``comment_out``, ``ThreadDetailSchema().dump()``, flask's JSON."""
    with app.test_request_context(headers={"Accept-Language": language}):
        viewer = db.session.get(User, viewer_id)
        g.api_user = viewer
        thread = load_thread(thread_id)
        extras = {"polls": []}
        for answer in hooks.thread_json.answers(thread, viewer=viewer, now=utcnow()):
            extras.update(answer)
        comments = thread_comments(thread)
        summary = reaction_summary([c.id for c in comments], viewer)
        raw = thread_out(thread, sum(1 for c in comments if not c.is_deleted))
        raw["comments"] = [comment_out(c, summary.get(c.id)) for c in comments]
        raw.update(extras)
        dumped = ThreadDetailSchema().dump(raw)
        return dumped, app.json.response(dumped).get_data()


@pytest.mark.parametrize("who", ["admin", "member", "voter", "outsider"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_thread_json_is_what_the_schema_dumps(app, api_as, rich_circle, who, language):  # noqa: F811
    person = getattr(rich_circle, who)
    response = api_as(person).get(
        f"/api/v1/threads/{rich_circle.thread_id}", headers={"Accept-Language": language}
    )
    assert response.status_code == 200
    expected, expected_bytes = _as_the_schema_dumps(app, person.id, rich_circle.thread_id, language)
    data = response.get_json()
    assert data == expected
    assert response.get_data() == expected_bytes
    _schema_fields(ThreadDetailSchema(), data)
    # the data set holds what the test is about
    comments = data["comments"]
    assert any(c["deleted"] for c in comments) and any(c["edited_at"] for c in comments)
    assert any(c["parent_id"] for c in comments) and any(c["reactions"] for c in comments)
    assert any(r["mine"] for c in comments for r in c["reactions"]) == (who != "outsider")
    former = "Ancien membre" if language == "fr" else "Former member"
    assert former in {c["author"]["name"] for c in comments}
    assert {p["status"] for p in data["polls"]} == {"open", "closed"}


def test_the_thread_list_is_what_the_schema_dumps(app, api_as, rich_circle, make_thread):  # noqa: F811
    for i in range(3):
        make_thread(rich_circle.group, rich_circle.member, title=f"Fil {i}", comments=i)
    response = api_as(rich_circle.outsider).get(
        f"/api/v1/groups/{rich_circle.group.handle}/threads?limit=2"
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["next"] and len(data["items"]) == 2
    # the newest activity first: "Fil 2" and its two comments, then "Fil 1"
    assert [(i["title"], i["comments_count"]) for i in data["items"]] == [
        ("Fil 2", 2),
        ("Fil 1", 1),
    ]
    with app.test_request_context():
        ids = [item["id"] for item in data["items"]]
        threads = [load_thread(i) for i in ids]
        raw = {"items": [thread_out(t, t.comments_count) for t in threads], "next": data["next"]}
        expected = ThreadListSchema().dump(raw)
        assert response.get_data() == app.json.response(expected).get_data()
    _schema_fields(ThreadListSchema(), data)
    for item in data["items"]:
        _schema_fields(ThreadSchema(), item)


def test_the_thread_api_reads_in_five_statements(
    api_as,
    rich_circle,  # noqa: F811
    make_thread,
    count_queries,
):
    """The token's person, the thread with the reader's membership, its polls, its
    comments as rows, their reactions: five, whether it has 3 comments or 40."""
    small = make_thread(rich_circle.group, rich_circle.member, title="Petit", comments=3)
    large = make_thread(rich_circle.group, rich_circle.member, title="Grand", comments=40)
    for person in (rich_circle.member, rich_circle.outsider):
        api = api_as(person)
        api.get(f"/api/v1/threads/{small.id}")  # warm up
        counts = []
        for thread_id in (small.id, large.id, rich_circle.thread_id):
            with count_queries() as q:
                assert api.get(f"/api/v1/threads/{thread_id}").status_code == 200
            counts.append(q.count)
        assert counts == [5, 5, 5]
