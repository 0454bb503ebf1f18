"""The webhooks API: admins connect, list (masked), read the delivery log a page at a
time, test, re-enable and delete; members get 403, others 404; errors name the field."""

from __future__ import annotations

import pytest

EN = {"Accept-Language": "en"}


def hooks_url(group):
    return f"/api/v1/groups/{group.handle}/webhooks"


@pytest.fixture
def created(api, thread_circle):
    """A generic hook made by Alice through the API: its 201 JSON."""
    response = api(thread_circle.admin).post(
        hooks_url(thread_circle.group),
        json={"kind": "generic", "url": "http://127.0.0.1:9/in/abcdefgh9876"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_returns_the_secret_once_and_the_address_masked(api, thread_circle, created):
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["url"] == "http://127.0.0.1/…9876"
    assert created["kind"] == "generic" and created["active"] is True
    assert created["events"] == [
        "thread",
        "comment",
        "poll",
        "outcome",
        "agreement",
        "support_request",
    ]
    listed = api(thread_circle.admin).get(hooks_url(thread_circle.group)).get_json()
    assert listed == {"items": [{k: v for k, v in created.items() if k != "secret"}]}
    assert "abcdefgh" not in str(listed)


def test_a_chat_room_has_no_secret(api, thread_circle):
    response = api(thread_circle.admin).post(
        hooks_url(thread_circle.group),
        json={"kind": "discord", "url": "http://127.0.0.1:9/d", "events": ["poll", "poll"]},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["secret"] is None and body["events"] == ["poll"]


def test_the_delivery_log_is_paged_with_a_cursor(api, thread_circle, created, new_thread, error_of):
    for n in range(3):
        new_thread(title=f"Discussion {n}")
    client = api(thread_circle.admin)
    path = f"/api/v1/webhooks/{created['id']}/deliveries"
    first = client.get(path + "?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next"]
    item = first["items"][0]
    assert item["event"] == "thread.created" and item["status"] == "pending"
    assert item["attempts"] == 0 and item["last_status"] is None
    assert item["created_at"].endswith("Z")
    second = client.get(path + f"?limit=2&cursor={first['next']}").get_json()
    assert len(second["items"]) == 1 and second["next"] is None
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    error = error_of(client.get(path + "?cursor=forged", headers=EN), 400)
    assert "cursor" in error["fields"]
    error_of(client.get(path + "?limit=0", headers=EN), 400)


def test_test_and_enable(api, thread_circle, created, run, error_of):
    from app.extensions import db
    from app.timeutil import utcnow
    from app.webhooks.models import Webhook

    client = api(thread_circle.admin)
    response = client.post(f"/api/v1/webhooks/{created['id']}/test")
    assert response.status_code == 202
    assert response.get_json()["event"] == "test"

    def turn_off():
        db.session.get(Webhook, created["id"]).disabled_at = utcnow()

    run(turn_off)
    error_of(client.post(f"/api/v1/webhooks/{created['id']}/test"), 409, "webhook_disabled")
    enabled = client.post(f"/api/v1/webhooks/{created['id']}/enable")
    assert enabled.status_code == 200 and enabled.get_json()["active"] is True


def test_delete(api, thread_circle, created, new_thread, error_of):
    new_thread()
    client = api(thread_circle.admin)
    assert client.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    error_of(client.delete(f"/api/v1/webhooks/{created['id']}"), 404, "not_found")
    error_of(client.get(f"/api/v1/webhooks/{created['id']}/deliveries"), 404)
    assert client.get(hooks_url(thread_circle.group)).get_json() == {"items": []}


def test_members_get_403_and_others_404(
    api, thread_circle, created, make_user, make_group, error_of
):
    bruno = thread_circle.members[0]
    group = thread_circle.group
    hook = f"/api/v1/webhooks/{created['id']}"
    body = {"kind": "slack", "url": "http://127.0.0.1:9/x"}
    error_of(api(bruno).get(hooks_url(group)), 403, "forbidden")
    error_of(api(bruno).post(hooks_url(group), json=body), 403, "forbidden")
    error_of(api(bruno).delete(hook), 403, "forbidden")
    error_of(api(bruno).get(hook + "/deliveries"), 403, "forbidden")
    eve = make_user(name="Eve")
    make_group(eve)  # Eve is an admin, of another group
    error_of(api(eve).get(hooks_url(group)), 404, "not_found")
    error_of(api(eve).post(hooks_url(group), json=body), 404, "not_found")
    error_of(api(eve).delete(hook), 404, "not_found")
    error_of(api(eve).get(hook + "/deliveries"), 404, "not_found")
    error_of(api(None).get(hooks_url(group)), 401)
    error_of(api(thread_circle.admin).get("/api/v1/groups/nobody/webhooks"), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "irc", "url": "http://127.0.0.1:9/x"}, "kind"),
        ({"url": "http://127.0.0.1:9/x"}, "kind"),
        ({"kind": "slack"}, "url"),
        ({"kind": "slack", "url": "ftp://127.0.0.1/x"}, "url"),
        ({"kind": "slack", "url": "http://u:p@127.0.0.1/x"}, "url"),
        ({"kind": "slack", "url": "http://127.0.0.1/" + "x" * 2000}, "url"),
        ({"kind": "slack", "url": "http://127.0.0.1:9/x", "events": []}, "events"),
        ({"kind": "slack", "url": "http://127.0.0.1:9/x", "events": ["votes"]}, "events"),
    ],
)
def test_bad_fields_are_named(api, thread_circle, error_of, body, field):
    response = api(thread_circle.admin).post(hooks_url(thread_circle.group), json=body, headers=EN)
    error = error_of(response, 400)
    assert any(name == field or name.startswith(field + ".") for name in error["fields"]), error


def test_a_group_keeps_at_most_twenty(api, thread_circle, error_of):
    client = api(thread_circle.admin)
    body = {"kind": "slack", "url": "http://127.0.0.1:9/x"}
    for _ in range(20):
        assert client.post(hooks_url(thread_circle.group), json=body).status_code == 201
    error_of(client.post(hooks_url(thread_circle.group), json=body), 409, "too_many_webhooks")


def test_the_openapi_document_describes_them(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert "post" in paths["/api/v1/groups/{handle}/webhooks"]
    assert "get" in paths["/api/v1/groups/{handle}/webhooks"]
    assert "delete" in paths["/api/v1/webhooks/{webhook_id}"]
    deliveries = paths["/api/v1/webhooks/{webhook_id}/deliveries"]["get"]
    assert "delivery log" in deliveries["summary"] + deliveries.get("description", "")
    assert "WebhookCreated" in spec["components"]["schemas"]
