"""Every group route: sign-in (pages) or token (API) required, secret groups are 404 to
outsiders, admin routes are 403 to members."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

EN = {"Accept-Language": "en"}

#: (method, path, form data) of each page route about one group; ``admin`` marks admin-only
PAGE_ROUTES = [
    ("GET", "/g/{h}", None, False),
    ("GET", "/g/{h}/settings", None, True),
    ("POST", "/g/{h}/settings", {"name": "Renamed", "privacy": "secret"}, True),
    ("GET", "/g/{h}/members", None, False),
    ("POST", "/g/{h}/members/{mid}/role", {"role": "admin"}, True),
    ("POST", "/g/{h}/members/{mid}/remove", {}, True),
    ("POST", "/g/{h}/leave", {}, False),
    (
        "POST",
        "/g/{h}/invitations",
        {"email": "x@example.org", "days": "14", "role": "member"},
        True,
    ),
    ("POST", "/g/{h}/invitations/{iid}/cancel", {}, True),
    ("POST", "/g/{h}/invitation/accept", {}, False),
    ("POST", "/g/{h}/invitation/decline", {}, False),
    ("POST", "/g/{h}/join", {}, False),
    ("POST", "/g/{h}/join-requests", {"message": "hi"}, False),
    ("POST", "/g/{h}/join-requests/{rid}", {"decision": "approve"}, True),
]

API_ROUTES = [
    ("GET", "/api/v1/groups/{h}", None, False),
    ("PATCH", "/api/v1/groups/{h}", {"name": "Renamed"}, True),
    ("GET", "/api/v1/groups/{h}/memberships", None, False),
    ("POST", "/api/v1/groups/{h}/memberships", {"email": "olga@example.org"}, True),
    ("POST", "/api/v1/groups/{h}/memberships/me", None, False),
    ("PATCH", "/api/v1/groups/{h}/memberships/me", {"availability": "busy"}, False),
    ("PATCH", "/api/v1/groups/{h}/memberships/{aid}", {"role": "member"}, True),
    ("DELETE", "/api/v1/groups/{h}/memberships/{aid}", None, True),
]


@pytest.fixture
def world(people, make_group, make_invitation, make_join_request, membership_id):
    """A secret group (admin + member), a pending invitation and a pending join request."""
    group = make_group(
        people.admin, members=[people.member], privacy="secret", handle="secret-circle"
    )
    invitation = make_invitation(group, people.admin)
    return SimpleNamespace(
        group=group,
        h=group.handle,
        mid=membership_id(group, people.admin),
        aid=people.admin.id,
        iid=invitation.id,
        token=invitation.token,
        rid=make_join_request(group, people.outsider),
    )


def _path(template, world):
    return template.format(
        h=world.h, mid=world.mid, aid=world.aid, iid=world.iid, rid=world.rid, token=world.token
    )


def _page(client, method, path, data):
    if method == "GET":
        return client.get(path, headers=EN)
    return client.post(path, data=data or {}, headers=EN)


def _api(api, method, path, data):
    if method == "GET":
        return api.get(path)
    if method == "DELETE":
        return api.delete(path)
    return getattr(api, method.lower())(path, json=data or {})


PAGE_IDS = [f"{m} {p}" for m, p, _d, _a in PAGE_ROUTES]
API_IDS = [f"{m} {p}" for m, p, _d, _a in API_ROUTES]


@pytest.mark.parametrize(("method", "path", "data", "admin_only"), PAGE_ROUTES, ids=PAGE_IDS)
def test_pages_need_sign_in(client, world, method, path, data, admin_only):
    response = _page(client, method, _path(path, world), data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/groups/new"), ("POST", "/groups/new"), ("GET", "/")]
)
def test_creation_and_dashboard_need_sign_in(client, method, path):
    response = _page(client, method, path, {"name": "X"})
    if path == "/":
        assert response.status_code == 200  # the welcome page, without any group
        assert b"Create a group" not in response.data
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/signin?next=")


def test_accepting_an_invitation_needs_sign_in(client, world):
    response = client.post(f"/invitations/{world.token}", headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")


@pytest.mark.parametrize(("method", "path", "data", "admin_only"), PAGE_ROUTES, ids=PAGE_IDS)
def test_secret_group_is_404_to_outsiders(
    client, auth, people, world, method, path, data, admin_only
):
    auth.login(people.outsider)
    response = _page(client, method, _path(path, world), data)
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert b"secret-circle" not in response.data


@pytest.mark.parametrize(
    ("method", "path", "data", "admin_only"),
    [r for r in PAGE_ROUTES if r[3]],
    ids=[i for i, r in zip(PAGE_IDS, PAGE_ROUTES, strict=True) if r[3]],
)
def test_admin_pages_are_403_to_members(
    client, auth, people, world, method, path, data, admin_only
):
    auth.login(people.member)
    response = _page(client, method, _path(path, world), data)
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path", "data", "admin_only"), API_ROUTES, ids=API_IDS)
def test_api_needs_a_token(api_as, world, method, path, data, admin_only):
    response = _api(api_as(None), method, _path(path, world), data)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v1/groups"), ("POST", "/api/v1/groups")]
)
def test_api_group_list_and_creation_need_a_token(api_as, method, path):
    response = _api(api_as(None), method, path, {"name": "X"})
    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path", "data", "admin_only"), API_ROUTES, ids=API_IDS)
def test_api_secret_group_is_404_to_outsiders(
    api_as, people, world, method, path, data, admin_only
):
    response = _api(api_as(people.outsider), method, _path(path, world), data)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "data", "admin_only"),
    [r for r in API_ROUTES if r[3]],
    ids=[i for i, r in zip(API_IDS, API_ROUTES, strict=True) if r[3]],
)
def test_api_admin_operations_are_403_to_members(
    api_as, people, world, method, path, data, admin_only
):
    response = _api(api_as(people.member), method, _path(path, world), data)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_nothing_changed_after_refusals(app, client, auth, api_as, people, world):
    """The refused writes above leave the group as it was (spot check)."""
    auth.login(people.member)
    client.post(f"/g/{world.h}/settings", data={"name": "Hijacked", "privacy": "open"})
    api_as(people.outsider).patch(f"/api/v1/groups/{world.h}", json={"name": "Hijacked"})
    body = api_as(people.admin).get(f"/api/v1/groups/{world.h}").json
    assert body["name"] != "Hijacked"
    assert body["privacy"] == "secret"


def test_members_page_is_403_to_outsiders_of_closed_and_open_groups(
    client, auth, people, make_group
):
    auth.login(people.outsider)
    for privacy in ("closed", "open"):
        group = make_group(people.admin, privacy=privacy)
        assert client.get(f"/g/{group.handle}/members", headers=EN).status_code == 403
        assert client.get(f"/g/{group.handle}/settings", headers=EN).status_code == 403


def test_api_memberships_are_403_to_outsiders_of_closed_and_open_groups(api_as, people, make_group):
    api = api_as(people.outsider)
    for privacy in ("closed", "open"):
        group = make_group(people.admin, privacy=privacy)
        assert api.get(f"/api/v1/groups/{group.handle}/memberships").status_code == 403
        response = api.delete(f"/api/v1/groups/{group.handle}/memberships/{people.admin.id}")
        assert response.status_code == 403
