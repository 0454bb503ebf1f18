"""The notifications page a page at a time (keyset: ``?after=`` / ``?before=`` a
notification's position), old ``?page=N`` links, the header's count capped at «99+», and
a fixed number of statements whatever the number of notifications."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.timeutil import utcnow

EN = {"Accept-Language": "en"}
PER_PAGE = 30


@pytest.fixture
def many(run_in_request, circle_with_outsider):
    """``many(user, n, ties=range(...))``: ``n`` unread mentions for ``user``, one a
    minute, those at the positions in ``ties`` all at the same moment; their ids newest
    first (created_at, then id, descending)."""
    from app.notifications.models import Notification

    def call(user, n, ties=()):
        def go():
            start = utcnow() - timedelta(days=1)
            rows = []
            for i in range(n):
                when = start + timedelta(minutes=min(ties) if i in ties else i)
                rows.append(
                    Notification(
                        user_id=user.id,
                        kind="mention",
                        group_id=circle_with_outsider.group.id,
                        thread_id=circle_with_outsider.thread.id,
                        actor_id=circle_with_outsider.admin.id,
                        created_at=when,
                    )
                )
            db.session.add_all(rows)
            db.session.flush()
            return [r.id for r in sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)]

        return run_in_request(go)

    return call


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'action="/notifications/(\d+)/open"', page)]


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


def test_pages_follow_one_another_without_gap_or_repeat(circle_with_outsider, client, auth, many):
    bruno = circle_with_outsider.members[0]
    # ten notifications at the same moment across the first page's end
    expected = many(bruno, 70, ties=range(35, 45))
    auth.login(bruno)
    pages = [client.get("/notifications", headers=EN).text]
    assert _link(pages[0], "prev") is None and "Newest" not in pages[0]
    while (older := _link(pages[-1], "next")) is not None:
        assert "/notifications?after=" in older
        pages.append(client.get(older, headers=EN).text)
    assert [len(_ids(p)) for p in pages] == [30, 30, 10]
    assert [i for p in pages for i in _ids(p)] == expected
    # and back up, newer page after newer page, to the first one
    back = [pages[-1]]
    while (newer := _link(back[-1], "prev")) is not None:
        assert "/notifications?before=" in newer
        back.append(client.get(newer, headers=EN).text)
    assert [_ids(p) for p in back] == [_ids(p) for p in reversed(pages)]
    assert "Newest" in pages[1]


@pytest.mark.parametrize(
    "query",
    [
        "after=nonsense",
        "before=%%%",
        "after=WzEsMl0",  # [1, 2]: base64 of the wrong shape
        "after=WyJub3QgYSBkYXRlIiwgMV0",  # ["not a date", 1]
        "before=WyIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsIC0xXQ",  # a negative id
        "after=WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0",  # a time without its zone
        "after=" + "A" * 300,
    ],
)
def test_a_forged_position_is_a_400_naming_it(circle_with_outsider, client, auth, query):
    auth.login(circle_with_outsider.members[0])
    response = client.get(f"/notifications?{query}", headers=EN)
    assert response.status_code == 400
    main = response.text.split("<main", 1)[1]
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))
    name = query.split("=")[0]
    assert f"{name} — This link to a page of notifications is not valid." in said


def test_a_position_past_the_end_goes_back_to_the_top(circle_with_outsider, client, auth, many):
    from app.api.schemas import encode_cursor

    bruno = circle_with_outsider.members[0]
    many(bruno, 3)
    auth.login(bruno)
    past = encode_cursor("2000-01-01T00:00:00Z", 1)
    response = client.get(f"/notifications?after={past}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications")


def test_an_old_page_link_goes_where_that_page_starts(circle_with_outsider, client, auth, many):
    bruno = circle_with_outsider.members[0]
    expected = many(bruno, 70, ties=range(25, 35))
    auth.login(bruno)
    response = client.get("/notifications?page=2")
    assert response.status_code == 302 and "after=" in response.headers["Location"]
    assert _ids(client.get(response.headers["Location"], headers=EN).text) == expected[30:60]
    assert client.get("/notifications?page=1").status_code == 200
    gone = client.get("/notifications?page=9")  # past the end: the list from the top
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/notifications")
    assert client.get("/notifications?page=nope", headers=EN).status_code == 400


def _header(client) -> str:
    header = client.get("/", headers=EN).text.split("</header>")[0]
    return header


def test_the_header_counts_up_to_99_then_says_99_plus(circle_with_outsider, client, auth, many):
    bruno = circle_with_outsider.members[0]
    many(bruno, 99)
    auth.login(bruno)
    header = _header(client)
    assert "(99)" in header and "(99 unread)" in header and "99+" not in header
    many(bruno, 1)
    header = _header(client)
    assert "(99+)" in header and "(more than 99 unread)" in header
    assert "(100)" not in header


def test_statements_stay_the_same_whatever_the_number_of_notifications(
    circle_with_outsider, client, auth, many, count_queries
):
    bruno = circle_with_outsider.members[0]
    auth.login(bruno)

    def statements(path):
        with count_queries() as q:
            assert client.get(path, headers=EN).status_code == 200
        return q.count

    many(bruno, 5)
    few = statements("/notifications")
    assert statements("/") == statements("/")
    home = statements("/")
    many(bruno, 200)
    assert statements("/notifications") == few
    assert statements("/") == home
    second = _link(client.get("/notifications", headers=EN).text, "next")
    assert statements(second) == few


def test_the_list_leaves_the_planner_as_it_found_it(
    app, run_in_request, circle_with_outsider, many
):
    """The list asks PostgreSQL for its statement's cached plan (``db.generic_plan``):
    the statements after it in the same transaction are planned as usual again, and a
    failing statement inside leaves nothing behind once rolled back."""
    import sqlalchemy as sa

    from app.db import generic_plan
    from app.notifications.services import page_for

    member = circle_with_outsider.members[0]
    many(member, 3)

    def go():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's plan_cache_mode")
        before = db.session.scalar(sa.text("SHOW plan_cache_mode"))
        assert len(page_for(member, per_page=2).items) == 2
        assert db.session.scalar(sa.text("SHOW plan_cache_mode")) == before == "auto"
        with pytest.raises(sa.exc.DBAPIError), generic_plan():
            db.session.execute(sa.text("SELECT 1 / 0"))
        db.session.rollback()
        assert db.session.scalar(sa.text("SHOW plan_cache_mode")) == "auto"

    run_in_request(go)
