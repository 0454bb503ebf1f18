"""The admins' pages: list, connect, the secret shown once, test post and delivery log,
re-enable, delete; members get 403, outsiders 404; the group page links to them."""

from __future__ import annotations

import json

import pytest

from app.timeutil import utcnow


@pytest.fixture
def as_admin(client, auth, thread_circle):
    """Alice, the admin, reading in English."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    auth.login(thread_circle.admin)
    return client


def page(thread_circle, tail=""):
    return f"/g/{thread_circle.group.handle}/webhooks{tail}"


def test_only_admins_see_the_pages(client, auth, thread_circle, make_user, make_hook):
    hook = make_hook("http://127.0.0.1:9/hook")
    auth.login(thread_circle.members[0])
    for path in (page(thread_circle), page(thread_circle, f"/{hook.id}")):
        assert client.get(path).status_code == 403
    assert client.post(page(thread_circle, f"/{hook.id}/test")).status_code == 403
    assert client.post(page(thread_circle, f"/{hook.id}/delete")).status_code == 403
    auth.login(make_user(name="Eve"))
    assert client.get(page(thread_circle)).status_code == 404
    assert client.post(page(thread_circle, f"/{hook.id}/delete")).status_code == 404


def test_the_group_page_links_admins_to_their_webhooks(client, auth, thread_circle):
    auth.login(thread_circle.admin)
    html = client.get(f"/g/{thread_circle.group.handle}").get_data(as_text=True)
    assert f'href="/g/{thread_circle.group.handle}/webhooks"' in html
    auth.login(thread_circle.members[0])
    html = client.get(f"/g/{thread_circle.group.handle}").get_data(as_text=True)
    assert "/webhooks" not in html


def test_connect_a_chat_room_then_see_it_masked(as_admin, thread_circle):
    url = "http://127.0.0.1:9/hooks/abcdefgh1234"
    response = as_admin.post(
        page(thread_circle), data={"kind": "slack", "url": url, "events": ["thread", "poll"]}
    )
    assert response.status_code == 302
    html = as_admin.get(page(thread_circle)).get_data(as_text=True)
    assert "http://127.0.0.1/…1234" in html
    assert "abcdefgh" not in html


def test_bad_input_is_named_on_the_form(as_admin, thread_circle):
    response = as_admin.post(
        page(thread_circle), data={"kind": "slack", "url": "ftp://x/", "events": ["thread"]}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "field-error" in html


def test_a_generic_hook_shows_its_secret_once(as_admin, thread_circle):
    response = as_admin.post(
        page(thread_circle),
        data={"kind": "generic", "url": "http://127.0.0.1:9/in", "events": ["comment"]},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "whsec_" in html
    assert "whsec_" not in as_admin.get(page(thread_circle)).get_data(as_text=True)


def test_a_test_post_goes_with_the_periodic_run_and_shows_in_the_log(
    as_admin, thread_circle, httpserver, make_hook, deliver
):
    hook = make_hook(httpserver.url_for("/room"))
    httpserver.expect_request("/room").respond_with_data("ok")
    log = page(thread_circle, f"/{hook.id}")
    html = as_admin.get(log).get_data(as_text=True)
    assert "Nothing was posted to it yet." in html
    assert "The periodic command has never run." in html

    response = as_admin.post(page(thread_circle, f"/{hook.id}/test"), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "next periodic run" in html
    assert "test" in html and "Waiting" in html
    assert httpserver.log == []  # nothing is sent from a web request

    deliver(utcnow())
    (request, _response) = httpserver.log[0]
    assert "Cercle" in json.loads(request.get_data())["text"]
    html = as_admin.get(log).get_data(as_text=True)
    assert "Sent" in html and "HTTP status 200" in html and " ms" in html


def test_a_disabled_hook_can_be_turned_on_again(
    as_admin, thread_circle, make_hook, run, hook_state
):
    from app.extensions import db
    from app.webhooks.models import Webhook

    hook = make_hook("http://127.0.0.1:9/hook")

    def turn_off():
        row = db.session.get(Webhook, hook.id)
        row.disabled_at, row.disabled_reason, row.failing_since = utcnow(), "gone", utcnow()

    run(turn_off)
    html = as_admin.get(page(thread_circle, f"/{hook.id}")).get_data(as_text=True)
    assert "410 Gone" in html and "Turn it on again" in html
    assert as_admin.post(page(thread_circle, f"/{hook.id}/test")).status_code == 302
    response = as_admin.post(page(thread_circle, f"/{hook.id}/enable"))
    assert response.status_code == 302
    state = hook_state(hook.id)
    assert state.active and state.failing_since is None


def test_delete_asks_first_then_deletes(as_admin, thread_circle, make_hook, hook_state):
    hook = make_hook("http://127.0.0.1:9/hook")
    confirm = as_admin.get(page(thread_circle, f"/{hook.id}/delete"))
    assert confirm.status_code == 200 and "Delete this webhook?" in confirm.get_data(as_text=True)
    assert hook_state(hook.id) is not None
    response = as_admin.post(page(thread_circle, f"/{hook.id}/delete"))
    assert response.status_code == 302
    assert hook_state(hook.id) is None
    assert as_admin.get(page(thread_circle, f"/{hook.id}")).status_code == 404


def test_a_hook_of_another_group_is_not_found(as_admin, thread_circle, make_group, make_hook):
    other = make_group(thread_circle.admin)
    hook = make_hook("http://127.0.0.1:9/hook", group=other)
    assert as_admin.get(page(thread_circle, f"/{hook.id}")).status_code == 404
