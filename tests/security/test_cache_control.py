"""Personal responses are never stored by a cache (``Cache-Control: no-store``); static
files and anonymous pages that set no cookie keep the usual caching."""

from __future__ import annotations

NO_STORE = "no-store"


def _cache_control(response) -> str:
    return response.headers.get("Cache-Control", "")


def test_signed_in_pages_are_not_stored(client, auth, thread_circle):
    auth.login(thread_circle.admin)
    for path in (
        "/",
        f"/g/{thread_circle.group.handle}",
        f"/g/{thread_circle.group.handle}/members",
        f"/t/{thread_circle.thread.id}",
        "/notifications",
        "/profile",
        "/g/no-such-circle",  # an error page for a signed-in person too
    ):
        response = client.get(path)
        assert response.status_code in {200, 404}, path
        assert _cache_control(response) == NO_STORE, path


def test_api_answers_to_a_token_are_not_stored(api, thread_circle):
    member = thread_circle.members[0]
    for path in (
        f"/api/v1/groups/{thread_circle.group.handle}",
        f"/api/v1/threads/{thread_circle.thread.id}",
        "/api/v1/notifications",
        "/api/v1/threads/999999",
    ):
        response = api(member).get(path)
        assert response.status_code in {200, 404}, path
        assert _cache_control(response) == NO_STORE, path


def test_signing_in_and_out_are_not_stored(client, make_user):
    user = make_user()
    response = client.post("/signin", data={"email": user.email, "password": user.password})
    assert response.status_code == 302
    assert "Set-Cookie" in response.headers
    assert _cache_control(response) == NO_STORE
    response = client.post("/signout")
    assert _cache_control(response) == NO_STORE


def test_a_token_made_through_the_api_is_not_stored(api_as, make_user):
    user = make_user()
    response = api_as(None).post(
        "/api/v1/tokens", json={"email": user.email, "password": user.password}
    )
    assert response.status_code == 201
    assert _cache_control(response) == NO_STORE


def test_static_files_keep_their_caching_for_a_signed_in_person(client, auth, make_user):
    auth.login(make_user())
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert NO_STORE not in _cache_control(response)


def test_anonymous_pages_that_set_no_cookie_keep_their_caching(client):
    first = client.get("/signin")
    assert "Set-Cookie" in first.headers  # the first visit starts a session (a CSRF token)
    assert _cache_control(first) == NO_STORE
    client.get("/signin")  # the second marks it not fresh (Flask-Login's session protection)
    again = client.get("/signin")
    assert again.status_code == 200
    assert "Set-Cookie" not in again.headers
    assert NO_STORE not in _cache_control(again)
    openapi = client.get("/api/v1/openapi.json")
    assert openapi.status_code == 200
    assert NO_STORE not in _cache_control(openapi)
