"""Mentions are linked, and Markdown cannot carry script: in the page and in the API."""

from __future__ import annotations

import re

import pytest

ATTACKS = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
]


def _assert_inert(html: str) -> None:
    """No script element, no javascript: link, no image, no event-handler attribute."""
    lowered = html.lower()
    assert "<script>" not in lowered
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", lowered)
    assert "<img" not in lowered
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", lowered)


@pytest.mark.parametrize("attack", ATTACKS)
def test_markdown_attacks_in_a_comment_are_inert(
    client, auth, api_as, secret_circle, make_thread, attack
):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    api = api_as(secret_circle.member)
    created = api.post(f"/api/v1/threads/{thread.id}/comments", json={"body": attack}).get_json()
    _assert_inert(created["body_html"])
    detail = api.get(f"/api/v1/threads/{thread.id}").get_json()
    _assert_inert(detail["comments"][0]["body_html"])

    auth.login(secret_circle.member)
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "alert(1)" in html  # shown as text...
    _assert_inert(html)  # ...never as markup


@pytest.mark.parametrize("attack", ATTACKS)
def test_markdown_attacks_in_a_thread_context_are_inert(
    client, auth, api_as, secret_circle, attack
):
    api = api_as(secret_circle.member)
    thread = api.post(
        f"/api/v1/groups/{secret_circle.group.handle}/threads",
        json={"title": "Essai", "body": attack},
    ).get_json()
    _assert_inert(thread["body_html"])
    _assert_inert(api.get(f"/api/v1/threads/{thread['id']}").get_json()["body_html"])

    auth.login(secret_circle.member)
    _assert_inert(client.get(f"/t/{thread['id']}").get_data(as_text=True))
    _assert_inert(client.get(f"/t/{thread['id']}/versions").get_data(as_text=True))


def test_a_title_is_escaped(client, auth, secret_circle, make_thread):
    thread = make_thread(
        secret_circle.group, secret_circle.admin, title="<script>alert(1)</script>"
    )
    auth.login(secret_circle.member)
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html


def test_mentions_of_existing_people_are_linked(client, auth, api_as, secret_circle, make_thread):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    handle = secret_circle.member.handle
    body = f"Merci @{handle} ! Et @personne-inconnue ?"
    comment = (
        api_as(secret_circle.admin)
        .post(f"/api/v1/threads/{thread.id}/comments", json={"body": body})
        .get_json()
    )
    link = f'<a class="mention" href="/u/{handle}">@{handle}</a>'
    assert link in comment["body_html"]
    assert "@personne-inconnue" in comment["body_html"]
    assert 'href="/u/personne-inconnue"' not in comment["body_html"]

    auth.login(secret_circle.member)
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert link in html and 'href="/u/personne-inconnue"' not in html
    assert client.get(f"/u/{handle}").status_code == 200


def test_mentions_in_a_thread_context(client, auth, secret_circle):
    auth.login(secret_circle.member)
    response = client.post(
        f"/g/{secret_circle.group.handle}/threads/new",
        data={"title": "Qui ?", "body": f"Une question pour @{secret_circle.admin.handle}"},
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/u/{secret_circle.admin.handle}">@{secret_circle.admin.handle}</a>' in html
