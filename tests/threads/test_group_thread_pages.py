"""The group page's thread list, a page at a time (keyset): pinned threads first, then
the newest activity (the higher id first on a tie), links to older and newer pages that
carry a position, old ``?page=N`` links sent where that page starts, forged positions
refused, and the same statements whatever the depth or the size of the group."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.timeutil import utcnow

EN = {"Accept-Language": "en"}


@pytest.fixture
def people(make_user):
    """An admin and a member, reading in English."""
    from types import SimpleNamespace

    return SimpleNamespace(
        admin=make_user(name="Alice Admin", email="alice@example.org", locale="en"),
        member=make_user(name="Bob Member", email="bob@example.org", locale="en"),
    )


def _titles(html: str) -> list[str]:
    return re.findall(r'<a href="/t/\d+">([^<]+)</a>', html)


def _link(html: str, rel: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="' + rel + '">', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def listed(app, client, auth, people, make_group, make_thread):
    """A group of 9 threads, 3 a page: two pinned, and three sharing one moment."""
    from app.threads.models import Thread

    app.config["THREADS_PER_PAGE"] = 3
    group = make_group(people.admin, members=[people.member])
    now = utcnow().replace(microsecond=0)
    ids = [make_thread(group, people.admin, title=f"Fil {i}").id for i in range(9)]
    with app.app_context():
        for i, thread_id in enumerate(ids):
            thread = db.session.get(Thread, thread_id)
            # Fil 3, 4 and 5 are active at the same moment: the higher id comes first
            thread.last_activity_at = now - timedelta(hours=4 if i in (3, 4, 5) else 10 - i)
            if i in (0, 7):
                thread.pinned_at = now
        db.session.commit()
    auth.login(people.member)
    return group


EXPECTED = ["Fil 7", "Fil 0", "Fil 8", "Fil 6", "Fil 5", "Fil 4", "Fil 3", "Fil 2", "Fil 1"]


def test_walking_older_then_newer_shows_every_thread_once_in_order(client, listed):
    url = f"/g/{listed.handle}"
    pages = []
    while url:
        html = client.get(url, headers=EN).text
        pages.append(_titles(html))
        url = _link(html, "next")
        assert len(pages) < 10
    assert pages == [EXPECTED[0:3], EXPECTED[3:6], EXPECTED[6:9]]
    back = []
    url = _link(html, "prev")
    while url:
        html = client.get(url, headers=EN).text
        back.append(_titles(html))
        url = _link(html, "prev")
        assert len(back) < 10
    assert back == [EXPECTED[3:6], EXPECTED[0:3]]
    assert "Most recent</a>" not in html  # back on the first page


def test_the_first_page_has_no_newer_link_and_later_pages_lead_back(client, listed):
    first = client.get(f"/g/{listed.handle}", headers=EN).text
    assert _link(first, "prev") is None and "Most recent</a>" not in first
    second = client.get(_link(first, "next"), headers=EN).text
    assert _link(second, "prev") and f'href="/g/{listed.handle}">Most recent</a>' in second


def test_an_old_page_link_is_sent_where_that_page_starts(client, listed):
    response = client.get(f"/g/{listed.handle}?page=3", headers=EN)
    assert response.status_code == 302
    assert "?after=" in response.headers["Location"]
    assert _titles(client.get(response.headers["Location"], headers=EN).text) == EXPECTED[6:9]
    assert _titles(client.get(f"/g/{listed.handle}?page=1", headers=EN).text) == EXPECTED[:3]
    assert client.get(f"/g/{listed.handle}?page=4").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "after=nonsense",
        "before=%%%",
        "after=WzEsMl0",  # [1, 2]: base64 of the wrong shape
        "after=WyJ5ZXMiLCAiMjAyNi0wMS0wMVQwMDowMDowMFoiLCAxXQ",  # ["yes", a time, 1]
        "after=W2ZhbHNlLCAibm90IGEgZGF0ZSIsIDFd",  # [false, "not a date", 1]
        "after=W2ZhbHNlLCAiMjAyNi0wMS0wMVQwMDowMDowMFoiLCAtMV0",  # a negative id
        "after=" + "A" * 300,
    ],
)
def test_a_forged_position_is_a_400_naming_it(client, listed, query):
    response = client.get(f"/g/{listed.handle}?{query}", headers=EN)
    assert response.status_code == 400
    assert "This link to a page of threads is not valid." in response.text


def test_a_position_past_the_end_goes_back_to_the_top(client, listed):
    from app.api.schemas import encode_cursor

    past = encode_cursor(False, "2000-01-01T00:00:00Z", 1)
    response = client.get(f"/g/{listed.handle}?after={past}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/g/{listed.handle}")


def test_the_open_votes_show_on_the_first_page_only(client, listed):
    first = client.get(f"/g/{listed.handle}", headers=EN).text
    second = client.get(_link(first, "next"), headers=EN).text
    assert first.count("<section") == second.count("<section") + 1


def test_the_list_runs_the_same_statements_however_big_and_deep(
    app, client, auth, people, make_user, make_group, make_thread, count_queries
):
    app.config["THREADS_PER_PAGE"] = 2
    small = make_group(people.admin, members=[people.member])
    for i in range(3):
        make_thread(small, people.admin, comments=1, title=f"Petit {i}")
    auth.login(people.member)
    client.get(f"/g/{small.handle}")
    with count_queries() as few:
        first = client.get(f"/g/{small.handle}")
    assert first.status_code == 200
    with count_queries() as few_deep:
        assert client.get(_link(first.text, "next")).status_code == 200

    others = [make_user() for _ in range(3)]
    big = make_group(people.admin, members=[people.member, *others])
    threads = [make_thread(big, others[i % 3], comments=i % 4) for i in range(12)]
    with app.app_context():
        from app.threads.models import Thread

        db.session.get(Thread, threads[5].id).pinned_at = utcnow()
        db.session.commit()
    with count_queries() as many:
        html = client.get(f"/g/{big.handle}").text
    for _ in range(3):
        html = client.get(_link(html, "next")).text
    with count_queries() as many_deep:
        assert client.get(_link(html, "next")).status_code == 200
    assert many.count == few.count, many.statements
    assert many_deep.count == few_deep.count, many_deep.statements
