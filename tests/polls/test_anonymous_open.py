"""An anonymous poll shows no live result and no live list of who has voted, to anyone
(its author, an admin, a voter, a member who has not voted), on the pages and in the
API, until it closes: nothing that changes after a vote but the bare participation
line, which names nobody. Reminders reach those who have not voted without the sender
learning who they are."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fixtures.poll_pages import EN, main_of, text_of

from app.extensions import db

REASON = "Pas sans un vrai temps de parole"


@pytest.fixture
def anonymous(thread_circle, start_poll, api):
    """Bruno's anonymous proposal (Alice admin): Chloé blocked with a reason, David and
    Alice have not voted."""
    alice, bruno, chloe, david = thread_circle.people
    poll = start_poll(by=bruno, anonymous=True)
    response = api(chloe).put(
        f"/api/v1/polls/{poll['id']}/stance", json={"key": "block", "reason": REASON}
    )
    assert response.status_code == 200
    roles = {"author": bruno, "admin": alice, "voter": chloe, "non-voter": david}
    return poll["id"], roles


ROLES = ["author", "admin", "voter", "non-voter"]


def _results_section(html: str) -> str:
    return html.split('class="poll-results-section"', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize("role", ROLES)
def test_pages_show_no_result_and_no_name_while_open(anonymous, thread_circle, page, client, role):
    poll_id, roles = anonymous
    reader = roles[role]
    for url in (f"/p/{poll_id}", f"/t/{thread_circle.thread.id}"):
        status, html = page(url, user=reader)
        assert status == 200
        section = _results_section(main_of(html))
        text = text_of(section)
        assert "This poll is anonymous: its results will show when it closes" in text
        assert 'class="poll-results"' not in section and "poll-chart" not in section
        assert "stance-list" not in section and REASON not in section
        assert (REASON in html) is (role == "voter")  # their own stance, on its card
        for name in ("Alice", "Bruno", "Chloé", "David"):
            assert name not in text
        assert "1 of 4 people have participated (25%)" in text
    html = page(f"/p/{poll_id}", user=reader)[1]
    assert ("Your stance:" in html) is (role == "voter")  # one's own stance only
    assert "Export as CSV" not in html
    exported = client.get(f"/p/{poll_id}/export.csv", headers=EN).status_code
    assert exported == (409 if role in ("author", "admin") else 403)  # the others never export


@pytest.mark.parametrize("role", ["author", "admin"])
def test_a_vote_changes_nothing_but_the_participation_line(
    anonymous, thread_circle, page, api, role
):
    """What would let a name be matched with a choice: the counts, the stances, the
    undecided, their order or times. Before and after David's vote, the author's and an
    admin's pages differ only by the participation figures."""
    poll_id, roles = anonymous
    reader = roles[role]

    def snapshot():
        pages = [main_of(page(url, user=reader)[1]) for url in (f"/p/{poll_id}", "/")]
        pages.append(main_of(page(f"/t/{thread_circle.thread.id}", user=reader)[1]))
        pages.append(main_of(page(f"/p/{poll_id}/remind", user=reader)[1]))
        masked = [re.sub(r'name="csrf_token" value="[^"]*"', "", p) for p in pages]
        masked = [re.sub(r"\d+ (people have|person has)", "N people have", p) for p in masked]
        masked = [re.sub(r"\d+ (of|people|person)", r"N \1", p) for p in masked]
        return [re.sub(r"\(\d+%\)", "(N%)", p) for p in masked]

    before = snapshot()
    assert (
        api(roles["non-voter"])
        .put(f"/api/v1/polls/{poll_id}/stance", json={"key": "agree"})
        .status_code
        == 200
    )
    after = snapshot()
    assert after == before
    assert "2 of 4 people have participated" in text_of(page(f"/p/{poll_id}", user=reader)[1])


@pytest.mark.parametrize("role", ["author", "admin"])
def test_the_remind_page_names_nobody_and_reaches_those_who_have_not_voted(
    anonymous, run, client, page, role
):
    from app.notifications.models import Notification

    poll_id, roles = anonymous
    sender = roles[role]
    status, html = page(f"/p/{poll_id}/remind", user=sender)
    assert status == 200
    text = text_of(main_of(html))
    assert "2 people have not voted yet." in text or "3 people have not voted yet." in text
    assert "without showing you their names" in text
    for name in ("Alice", "Bruno", "Chloé", "David"):
        assert name not in text
    response = client.post(f"/p/{poll_id}/remind", data={"message": "Votez !"}, headers=EN)
    assert response.status_code == 302
    reached = run(
        lambda: set(
            db.session.scalars(
                sa.select(Notification.user_id).where(
                    Notification.poll_id == poll_id, Notification.kind == "poll_remind"
                )
            )
        )
    )
    undecided = {roles["admin"].id, roles["author"].id, roles["non-voter"].id}
    assert reached == undecided - {sender.id}  # not the voter, not the sender
    flashed = text_of(page(f"/p/{poll_id}", user=sender)[1])
    assert "Reminder sent to 2 people who have not voted." in flashed


@pytest.mark.parametrize("role", ["voter", "non-voter"])
def test_only_the_author_and_admins_remind(anonymous, page, client, role):
    poll_id, roles = anonymous
    assert page(f"/p/{poll_id}/remind", user=roles[role])[0] == 403
    assert client.post(f"/p/{poll_id}/remind", data={}).status_code == 403


def test_a_named_poll_still_lists_who_has_not_voted(thread_circle, start_poll, api, page):
    alice, bruno, chloe, david = thread_circle.people
    poll = start_poll(by=bruno)
    api(chloe).put(f"/api/v1/polls/{poll['id']}/stance", json={"key": "agree"})
    text = text_of(main_of(page(f"/p/{poll['id']}/remind", user=bruno)[1]))
    assert "2 people have not voted yet: Alice, David." in text  # not Bruno, who sends it


@pytest.mark.parametrize("role", ROLES)
def test_the_api_shows_no_result_and_no_name_while_open(anonymous, api, error_of, role):
    poll_id, roles = anonymous
    caller = api(roles[role])
    data = caller.get(f"/api/v1/polls/{poll_id}").get_json()
    assert data["anonymous"] is True and data["status"] == "open"
    assert data["results"] is None and data["stances"] is None
    assert (data["participants"], data["eligible"], data["undecided"]) == (1, 4, 3)
    if role == "voter":
        assert data["my_stance"]["key"] == "block" and data["my_stance"]["reason"] == REASON
    else:
        assert data["my_stance"] is None
    assert REASON not in str(data) or role == "voter"
    if role in ("author", "admin"):
        error_of(caller.get(f"/api/v1/polls/{poll_id}/export.csv"), 409, "results_hidden")
    else:
        error_of(caller.get(f"/api/v1/polls/{poll_id}/export.csv"), 403)


def test_the_api_reminds_without_naming(anonymous, api, error_of):
    poll_id, roles = anonymous
    answer = api(roles["author"]).post(f"/api/v1/polls/{poll_id}/remind", json={})
    assert answer.status_code == 200 and answer.get_json() == {"reminded": 2}
    answer = api(roles["admin"]).post(f"/api/v1/polls/{poll_id}/remind", json={})
    assert answer.get_json() == {"reminded": 2}
    for role in ("voter", "non-voter"):
        error_of(api(roles[role]).post(f"/api/v1/polls/{poll_id}/remind", json={}), 403)


def test_no_block_is_told_while_open(anonymous, api):
    """A block on a named proposal is told at once to its author; on an anonymous one it
    would be a live result, so it is told by the outcome."""
    poll_id, roles = anonymous
    for role in ("author", "admin"):
        items = api(roles[role]).get("/api/v1/notifications").get_json()["items"]
        assert "stance_block" not in [n["kind"] for n in items]


@pytest.mark.parametrize("role", ROLES)
def test_everything_shows_once_closed_still_naming_nobody(anonymous, api, page, role):
    poll_id, roles = anonymous
    api(roles["admin"]).post(f"/api/v1/polls/{poll_id}/close")
    data = api(roles[role]).get(f"/api/v1/polls/{poll_id}").get_json()
    assert [(r["key"], r["count"]) for r in data["results"]] == [
        ("agree", 0), ("abstain", 0), ("disagree", 0), ("block", 1)
    ]  # fmt: skip
    assert [(s["voter"], s["reason"]) for s in data["stances"]] == [(None, REASON)]
    status, html = page(f"/p/{poll_id}", user=roles[role])
    section = _results_section(main_of(html))
    assert status == 200 and 'class="poll-results"' in section and REASON in section
    for name in ("Alice", "Bruno", "Chloé", "David"):
        assert name not in text_of(section)
    exported = api(roles[role]).get(f"/api/v1/polls/{poll_id}/export.csv").status_code
    assert exported == (200 if role in ("author", "admin") else 403)
