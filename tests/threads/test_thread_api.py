"""The threads API, as DESIGN.md describes it."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import sqlalchemy as sa

from app.extensions import db
from app.threads.models import ThreadVersion
from app.timeutil import utcnow

Z_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_create_and_read_a_thread(api_as, secret_circle):
    api = api_as(secret_circle.member)
    response = api.post(
        f"/api/v1/groups/{secret_circle.group.handle}/threads",
        json={"title": "Réseau ou système ?", "body": "Une **question**"},
    )
    assert response.status_code == 201
    thread = response.get_json()
    assert set(thread) >= {
        "id",
        "group",
        "title",
        "body",
        "body_html",
        "author",
        "created_at",
        "edited_at",
        "last_activity_at",
        "closed",
        "pinned",
        "comments_count",
    }
    assert thread["group"] == secret_circle.group.handle
    assert thread["body_html"] == "<p>Une <strong>question</strong></p>\n"
    assert thread["author"] == {
        "id": secret_circle.member.id,
        "name": secret_circle.member.name,
        "handle": secret_circle.member.handle,
    }
    assert Z_TIME.match(thread["created_at"]) and thread["edited_at"] is None
    assert thread["closed"] is False and thread["pinned"] is False
    assert thread["comments_count"] == 0

    detail = api.get(f"/api/v1/threads/{thread['id']}").get_json()
    assert detail["title"] == "Réseau ou système ?"
    assert detail["comments"] == [] and detail["polls"] == []


def test_create_thread_input_errors(api_as, secret_circle):
    api = api_as(secret_circle.member)
    response = api.post(f"/api/v1/groups/{secret_circle.group.handle}/threads", json={"body": "x"})
    assert response.status_code == 400
    assert "title" in response.get_json()["error"]["fields"]
    response = api.post(
        f"/api/v1/groups/{secret_circle.group.handle}/threads", json={"title": "   "}
    )
    assert response.status_code == 400
    assert "title" in response.get_json()["error"]["fields"]


def test_comments_replies_and_deletion(api_as, secret_circle, make_thread):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    member, admin = api_as(secret_circle.member), api_as(secret_circle.admin)
    url = f"/api/v1/threads/{thread.id}/comments"

    top = member.post(url, json={"body": "Premier *avis*"})
    assert top.status_code == 201
    top = top.get_json()
    assert top["body_html"] == "<p>Premier <em>avis</em></p>\n" and top["parent_id"] is None
    reply = admin.post(url, json={"body": "Réponse", "parent_id": top["id"]}).get_json()
    deeper = member.post(url, json={"body": "Sous-réponse", "parent_id": reply["id"]}).get_json()
    assert reply["parent_id"] == top["id"]
    assert deeper["parent_id"] == top["id"]  # a reply to a reply attaches to the top comment

    other = make_thread(secret_circle.group, secret_circle.admin)
    wrong = member.post(url, json={"body": "x", "parent_id": 999999})
    assert wrong.status_code == 400 and "parent_id" in wrong.get_json()["error"]["fields"]
    elsewhere = member.post(
        f"/api/v1/threads/{other.id}/comments", json={"body": "x", "parent_id": top["id"]}
    )
    assert elsewhere.status_code == 400
    assert "parent_id" in elsewhere.get_json()["error"]["fields"]
    empty = member.post(url, json={"body": ""})
    assert empty.status_code == 400 and "body" in empty.get_json()["error"]["fields"]

    assert member.delete(f"/api/v1/comments/{top['id']}").status_code == 204
    detail = member.get(f"/api/v1/threads/{thread.id}").get_json()
    assert [c["id"] for c in detail["comments"]] == [top["id"], reply["id"], deeper["id"]]
    deleted = detail["comments"][0]
    assert deleted["deleted"] is True and deleted["body"] == "" and deleted["body_html"] == ""
    assert detail["comments"][1]["body"] == "Réponse"
    assert detail["comments_count"] == 2
    assert member.delete(f"/api/v1/comments/{top['id']}").status_code == 409

    # An admin deletes others' comments; a member does not.
    assert member.delete(f"/api/v1/comments/{reply['id']}").status_code == 403
    assert admin.delete(f"/api/v1/comments/{deeper['id']}").status_code == 204


def test_edit_a_comment(api_as, secret_circle, make_thread):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    member = api_as(secret_circle.member)
    comment = member.post(
        f"/api/v1/threads/{thread.id}/comments", json={"body": "Avant"}
    ).get_json()
    assert comment["edited_at"] is None
    response = member.patch(f"/api/v1/comments/{comment['id']}", json={"body": "Après"})
    assert response.status_code == 200
    edited = response.get_json()
    assert edited["body"] == "Après" and Z_TIME.match(edited["edited_at"])
    assert (
        api_as(secret_circle.admin)
        .patch(f"/api/v1/comments/{comment['id']}", json={"body": "Non"})
        .status_code
        == 403
    )


def test_patch_a_thread_field_by_field(app, api_as, secret_circle, make_thread):
    thread = make_thread(secret_circle.group, secret_circle.member, title="Titre", body="Texte")
    member, admin = api_as(secret_circle.member), api_as(secret_circle.admin)
    url = f"/api/v1/threads/{thread.id}"

    response = member.patch(url, json={"title": "Nouveau titre", "body": "Nouveau texte"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["title"] == "Nouveau titre" and data["body_html"] == "<p>Nouveau texte</p>\n"
    assert Z_TIME.match(data["edited_at"])
    with app.app_context():
        versions = db.session.scalars(
            sa.select(ThreadVersion.title)
            .where(ThreadVersion.thread_id == thread.id)
            .order_by(ThreadVersion.number)
        ).all()
    assert versions == ["Titre", "Nouveau titre"]

    # The author may close but not pin; nothing changes when one field is refused.
    refused = member.patch(url, json={"closed": True, "pinned": True})
    assert refused.status_code == 403
    assert member.get(url).get_json()["closed"] is False

    assert member.patch(url, json={"closed": True}).get_json()["closed"] is True
    assert admin.patch(url, json={"pinned": True}).get_json()["pinned"] is True
    closed = member.post(f"{url}/comments", json={"body": "Encore"})
    assert closed.status_code == 409
    assert closed.get_json()["error"]["code"] == "thread_closed"
    assert admin.patch(url, json={"closed": False}).get_json()["closed"] is False
    assert member.post(f"{url}/comments", json={"body": "Encore"}).status_code == 201

    bad = member.patch(url, json={"closed": "perhaps"})
    assert bad.status_code == 400 and "closed" in bad.get_json()["error"]["fields"]


def test_reactions(api_as, secret_circle, make_thread, comment_as):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    comment_id = comment_as(secret_circle.admin, thread, "Merci")
    member, admin = api_as(secret_circle.member), api_as(secret_circle.admin)
    url = f"/api/v1/comments/{comment_id}/reactions/{quote('🙏')}"

    first = member.put(url)
    assert first.status_code == 201
    assert first.get_json() == {"comment_id": comment_id, "emoji": "🙏", "count": 1, "mine": True}
    again = member.put(url)
    assert again.status_code == 200 and again.get_json()["count"] == 1
    assert admin.put(url).get_json()["count"] == 2
    # The heart works with or without its variation selector.
    assert member.put(f"/api/v1/comments/{comment_id}/reactions/{quote('❤')}").status_code == 201

    detail = member.get(f"/api/v1/threads/{thread.id}").get_json()
    assert detail["comments"][0]["reactions"] == [
        {"emoji": "❤️", "count": 1, "mine": True},
        {"emoji": "🙏", "count": 2, "mine": True},
    ]
    assert member.delete(url).status_code == 204
    assert member.delete(url).status_code == 204
    detail = member.get(f"/api/v1/threads/{thread.id}").get_json()
    assert {"emoji": "🙏", "count": 1, "mine": False} in detail["comments"][0]["reactions"]

    unknown = member.put(f"/api/v1/comments/{comment_id}/reactions/{quote('💩')}")
    assert unknown.status_code == 400
    assert "emoji" in unknown.get_json()["error"]["fields"]
    assert member.delete(f"/api/v1/comments/{comment_id}/reactions/x").status_code == 400


def test_list_threads_with_a_cursor(app, api_as, secret_circle, make_thread, comment_as):
    threads = [
        make_thread(secret_circle.group, secret_circle.admin, title=f"Fil {i}") for i in range(5)
    ]
    later = utcnow() + timedelta(minutes=1)
    comment_as(secret_circle.member, threads[1], "Relance", now=later)  # the most recent activity
    api = api_as(secret_circle.member)
    api.patch(f"/api/v1/threads/{threads[3].id}", json={})  # a no-op changes nothing
    url = f"/api/v1/groups/{secret_circle.group.handle}/threads"

    page = api.get(f"{url}?limit=2").get_json()
    assert len(page["items"]) == 2 and page["next"]
    assert page["items"][0]["title"] == "Fil 1"
    assert page["items"][0]["comments_count"] == 1
    seen = [item["id"] for item in page["items"]]
    while page["next"]:
        page = api.get(f"{url}?limit=2&cursor={page['next']}").get_json()
        seen += [item["id"] for item in page["items"]]
    assert sorted(seen) == sorted(t.id for t in threads) and len(seen) == 5

    assert api.get(f"{url}?limit=0").status_code == 400
    forged = api.get(f"{url}?cursor=nonsense")
    assert forged.status_code == 400 and "cursor" in forged.get_json()["error"]["fields"]


def test_pinned_threads_are_not_put_first_in_the_api(api_as, secret_circle, make_thread):
    old = make_thread(secret_circle.group, secret_circle.admin, title="Ancien")
    make_thread(secret_circle.group, secret_circle.admin, title="Récent")
    admin = api_as(secret_circle.admin)
    admin.patch(f"/api/v1/threads/{old.id}", json={"pinned": True})
    items = admin.get(f"/api/v1/groups/{secret_circle.group.handle}/threads").get_json()["items"]
    assert [i["title"] for i in items] == ["Récent", "Ancien"]


def test_closed_group_threads_are_for_members(api_as, make_user, make_group, make_thread):
    admin, visitor = make_user(), make_user()
    group = make_group(admin, privacy="closed")
    thread = make_thread(group, admin)
    api = api_as(visitor)
    assert api.get(f"/api/v1/groups/{group.handle}/threads").status_code == 403
    assert api.get(f"/api/v1/threads/{thread.id}").status_code == 404


def test_openapi_documents_the_thread_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    reaction = paths["/api/v1/comments/{comment_id}/reactions/{emoji}"]
    assert {"200", "201", "400", "403", "404"} <= set(reaction["put"]["responses"])
    assert reaction["put"]["security"] == [{"bearerAuth": []}]
    listing = paths["/api/v1/groups/{handle}/threads"]["get"]
    assert "not" in listing["description"] and "pinned" in listing["description"].lower()
    assert "polls" in paths["/api/v1/threads/{thread_id}"]["get"]["description"]
    assert "409" in paths["/api/v1/threads/{thread_id}/comments"]["post"]["responses"]
