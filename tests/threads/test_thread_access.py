"""Every thread route: sign-in (pages) or token (API) required, secret groups are 404 to
outsiders, and members lacking the right get 403."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote

import pytest

THUMB = quote("👍")

# (method, path, form data); {t} is the thread id, {c} the admin's comment, {g} the group.
PAGE_ROUTES = [
    ("GET", "/g/{g}/threads/new", None),
    ("POST", "/g/{g}/threads/new", {"title": "T", "body": ""}),
    ("GET", "/t/{t}", None),
    ("POST", "/t/{t}/seen", {}),
    ("POST", "/t/{t}/comments", {"body": "x"}),
    ("GET", "/t/{t}/edit", None),
    ("POST", "/t/{t}/edit", {"title": "T", "body": ""}),
    ("POST", "/t/{t}/close", {}),
    ("POST", "/t/{t}/reopen", {}),
    ("POST", "/t/{t}/pin", {}),
    ("POST", "/t/{t}/unpin", {}),
    ("GET", "/t/{t}/versions", None),
    ("GET", "/comments/{c}/edit", None),
    ("POST", "/comments/{c}/edit", {"body": "x"}),
    ("GET", "/comments/{c}/delete", None),
    ("POST", "/comments/{c}/delete", {}),
    ("GET", "/comments/{c}/versions", None),
    ("POST", "/comments/{c}/reactions", {"emoji": "👍", "action": "add"}),
]

#: the routes a plain member (not the author of the thread or comment, not an admin) may not use
MEMBER_FORBIDDEN = [
    ("GET", "/t/{t}/edit", None),
    ("POST", "/t/{t}/edit", {"title": "T", "body": ""}),
    ("POST", "/t/{t}/close", {}),
    ("POST", "/t/{t}/reopen", {}),
    ("POST", "/t/{t}/pin", {}),
    ("POST", "/t/{t}/unpin", {}),
    ("GET", "/comments/{c}/edit", None),
    ("POST", "/comments/{c}/edit", {"body": "x"}),
    ("GET", "/comments/{c}/delete", None),
    ("POST", "/comments/{c}/delete", {}),
]

#: (method, path, json)
API_ROUTES = [
    ("POST", "/api/v1/groups/{g}/threads", {"title": "T", "body": ""}),
    ("GET", "/api/v1/groups/{g}/threads", None),
    ("GET", "/api/v1/threads/{t}", None),
    ("PATCH", "/api/v1/threads/{t}", {"title": "T"}),
    ("POST", "/api/v1/threads/{t}/comments", {"body": "x"}),
    ("PATCH", "/api/v1/comments/{c}", {"body": "x"}),
    ("DELETE", "/api/v1/comments/{c}", None),
    ("PUT", "/api/v1/comments/{c}/reactions/" + THUMB, None),
    ("DELETE", "/api/v1/comments/{c}/reactions/" + THUMB, None),
]

API_MEMBER_FORBIDDEN = [
    ("PATCH", "/api/v1/threads/{t}", {"title": "T"}),
    ("PATCH", "/api/v1/threads/{t}", {"body": "B"}),
    ("PATCH", "/api/v1/threads/{t}", {"closed": True}),
    ("PATCH", "/api/v1/threads/{t}", {"pinned": True}),
    ("PATCH", "/api/v1/comments/{c}", {"body": "x"}),
    ("DELETE", "/api/v1/comments/{c}", None),
]

#: what a signed-in non-member of an *open* group may read but not write
OPEN_GROUP_WRITES = [
    ("POST", "/t/{t}/comments", {"body": "x"}),
    ("POST", "/comments/{c}/reactions", {"emoji": "👍", "action": "add"}),
    ("POST", "/g/{g}/threads/new", {"title": "T", "body": ""}),
    ("POST", "/api/v1/threads/{t}/comments", {"body": "x"}),
    ("PUT", "/api/v1/comments/{c}/reactions/" + THUMB, None),
    ("POST", "/api/v1/groups/{g}/threads", {"title": "T", "body": ""}),
    ("PATCH", "/api/v1/threads/{t}", {"title": "T"}),
]


@pytest.fixture
def place(secret_circle, make_thread, comment_as):
    """A thread and a comment of the secret circle, both by its admin."""
    thread = make_thread(secret_circle.group, secret_circle.admin)
    comment_id = comment_as(secret_circle.admin, thread, "Du texte")
    return SimpleNamespace(t=thread.id, c=comment_id, g=secret_circle.group.handle)


def _call(client, method, path, data):
    if path.startswith("/api/"):
        return client.open(path, method=method, json=data)
    return client.open(path, method=method, data=data)


@pytest.mark.parametrize(("method", "path", "data"), PAGE_ROUTES)
def test_pages_need_sign_in(client, place, method, path, data):
    response = _call(client, method, path.format(**vars(place)), data)
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


@pytest.mark.parametrize(("method", "path", "data"), PAGE_ROUTES)
def test_pages_are_404_to_outsiders_of_a_secret_group(
    client, auth, secret_circle, place, method, path, data
):
    auth.login(secret_circle.outsider)
    assert _call(client, method, path.format(**vars(place)), data).status_code == 404


@pytest.mark.parametrize(("method", "path", "data"), MEMBER_FORBIDDEN)
def test_pages_are_403_to_members_without_the_right(
    client, auth, secret_circle, place, method, path, data
):
    auth.login(secret_circle.member)
    assert _call(client, method, path.format(**vars(place)), data).status_code == 403


def test_starting_threads_can_be_kept_for_admins(client, auth, make_user, make_group, api_as):
    admin, member = make_user(), make_user()
    group = make_group(admin, members=[member], members_can_start_threads=False)
    auth.login(member)
    assert client.get(f"/g/{group.handle}/threads/new").status_code == 403
    form = {"title": "T", "body": ""}
    assert client.post(f"/g/{group.handle}/threads/new", data=form).status_code == 403
    api = api_as(member)
    response = api.post(f"/api/v1/groups/{group.handle}/threads", json=form)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    auth.login(admin)
    assert client.post(f"/g/{group.handle}/threads/new", data=form).status_code == 302


@pytest.mark.parametrize(("method", "path", "data"), API_ROUTES)
def test_api_needs_a_token(client, place, method, path, data):
    response = _call(client, method, path.format(**vars(place)), data)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_api_401_comes_before_404(client):
    assert client.get("/api/v1/threads/999999").status_code == 401


@pytest.mark.parametrize(("method", "path", "data"), API_ROUTES)
def test_api_is_404_to_outsiders_of_a_secret_group(
    api_as, secret_circle, place, method, path, data
):
    api = api_as(secret_circle.outsider)
    response = getattr(api, method.lower())(path.format(**vars(place)), **_json(data))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("method", "path", "data"), API_MEMBER_FORBIDDEN)
def test_api_is_403_to_members_without_the_right(api_as, secret_circle, place, method, path, data):
    api = api_as(secret_circle.member)
    response = getattr(api, method.lower())(path.format(**vars(place)), **_json(data))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("method", "path", "data"), OPEN_GROUP_WRITES)
def test_open_group_threads_are_writable_by_members_only(
    client, auth, api_as, make_user, make_group, make_thread, comment_as, method, path, data
):
    admin, visitor = make_user(), make_user()
    group = make_group(admin, privacy="open")
    thread = make_thread(group, admin)
    comment_id = comment_as(admin, thread, "Texte")
    ids = {"t": thread.id, "c": comment_id, "g": group.handle}
    if path.startswith("/api/"):
        api = api_as(visitor)
        assert api.get(f"/api/v1/threads/{thread.id}").status_code == 200
        response = getattr(api, method.lower())(path.format(**ids), **_json(data))
    else:
        auth.login(visitor)
        assert client.get(f"/t/{thread.id}").status_code == 200
        response = _call(client, method, path.format(**ids), data)
    assert response.status_code == 403


def _json(data):
    return {} if data is None else {"json": data}
