"""Personal responses are never stored by a cache (``Cache-Control: no-store``); static
files and anonymous pages that set no cookie keep the usual caching. The thread and poll
pages, which send a validator, are kept by the browser only to be revalidated
(``private, no-cache``), and signing out clears what it kept (``Clear-Site-Data``)."""

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


REVALIDATE = "private, no-cache"


def _thread_page(client, thread_id, **headers):
    return client.get(f"/t/{thread_id}", headers=headers)


def test_the_thread_page_is_revalidated_and_answers_304_while_unchanged(
    client, auth, thread_circle
):
    auth.login(thread_circle.admin)
    thread_id = thread_circle.thread.id
    first = _thread_page(client, thread_id)  # rendered now: no validator yet
    assert first.status_code == 200
    page = _thread_page(client, thread_id)
    etag = page.headers["ETag"]
    assert etag.startswith('W/"') and _cache_control(page) == REVALIDATE
    again = _thread_page(client, thread_id, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and _cache_control(again) == REVALIDATE


def test_a_write_or_another_reader_changes_the_validator(
    app, client, auth, thread_circle, make_app
):
    from app.auth.models import User
    from app.extensions import db
    from app.threads.models import Thread
    from app.threads.services import add_comment
    from app.timeutil import utcnow

    thread_id = thread_circle.thread.id
    auth.login(thread_circle.admin)
    _thread_page(client, thread_id)
    etag = _thread_page(client, thread_id).headers["ETag"]
    with app.app_context():
        add_comment(
            db.session.get(Thread, thread_id),
            author=db.session.get(User, thread_circle.members[0].id),
            body="Du nouveau",
            now=utcnow(),
        )
        db.session.commit()
    changed = _thread_page(client, thread_id, **{"If-None-Match": etag})
    assert changed.status_code == 200 and "Du nouveau" in changed.get_data(as_text=True)
    other = make_app().test_client()
    from fixtures.accounts import session_user_id

    with other.session_transaction() as session:
        session["_user_id"] = session_user_id(app, thread_circle.members[1].id)
    _thread_page(other, thread_id)
    assert _thread_page(other, thread_id, **{"If-None-Match": etag}).status_code == 200


def test_no_304_while_a_message_waits(client, auth, thread_circle):
    auth.login(thread_circle.admin)
    thread_id = thread_circle.thread.id
    _thread_page(client, thread_id)
    etag = _thread_page(client, thread_id).headers["ETag"]
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Le message attendu")]
    page = _thread_page(client, thread_id, **{"If-None-Match": etag})
    assert page.status_code == 200 and "Le message attendu" in page.get_data(as_text=True)
    assert _cache_control(page) == NO_STORE


def test_the_poll_page_is_revalidated_too(client, auth, thread_circle, new_poll):
    poll = new_poll()
    auth.login(thread_circle.admin)
    client.get(f"/p/{poll.id}")
    page = client.get(f"/p/{poll.id}")
    assert _cache_control(page) == REVALIDATE
    again = client.get(f"/p/{poll.id}", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304


def test_signing_out_clears_what_the_browser_kept(client, auth, thread_circle):
    auth.login(thread_circle.admin)
    response = client.post("/signout")
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert _cache_control(response) == NO_STORE


def _api_thread(client, thread_id, etag=None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(f"/api/v1/threads/{thread_id}", headers=headers)


def test_the_api_thread_is_revalidated_and_answers_304_while_unchanged(api, app, thread_circle):
    from app.auth.models import User
    from app.extensions import db
    from app.threads.models import Thread
    from app.threads.services import add_comment
    from app.timeutil import utcnow

    member = api(thread_circle.members[0])
    thread_id = thread_circle.thread.id
    first = _api_thread(member, thread_id)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and _cache_control(first) == REVALIDATE
    again = _api_thread(member, thread_id, etag)
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and _cache_control(again) == REVALIDATE
    # someone else holds another answer (their own reactions, their view of polls)
    other = _api_thread(api(thread_circle.members[1]), thread_id, etag)
    assert other.status_code == 200 and other.headers["ETag"] != etag
    with app.app_context():
        add_comment(
            db.session.get(Thread, thread_id),
            author=db.session.get(User, thread_circle.members[1].id),
            body="Du nouveau",
            now=utcnow(),
        )
        db.session.commit()
    changed = _api_thread(member, thread_id, etag)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["comments"][-1]["body"] == "Du nouveau"


def test_the_api_thread_is_not_304_once_a_poll_fell_due(api, monkeypatch, thread_circle, new_poll):
    """No write happened between the two questions, only time: the poll that fell due is
    closed by the second reading, which must answer it closed, not 304."""
    from datetime import timedelta

    import app.threads.api
    from app.timeutil import utcnow

    poll = new_poll(kind="proposal", closing_in=timedelta(hours=1))
    member = api(thread_circle.members[0])
    thread_id = thread_circle.thread.id
    first = _api_thread(member, thread_id)
    assert [p["status"] for p in first.get_json()["polls"] if p["id"] == poll.id] == ["open"]
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(app.threads.api, "utcnow", lambda: later)
    again = _api_thread(member, thread_id, first.headers["ETag"])
    assert again.status_code == 200
    assert [p["status"] for p in again.get_json()["polls"] if p["id"] == poll.id] == ["closed"]
    assert _api_thread(member, thread_id, again.headers["ETag"]).status_code == 304
