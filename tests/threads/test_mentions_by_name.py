"""Mentions by display name, as people type them: «@Bruno» in a comment becomes a
link and a notification for the circle's Bruno; the suggestions endpoint lists the
members, for members only."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db


def _mentions_of(app, user_id):
    from app.notifications.models import MENTION, Notification

    with app.app_context():
        return db.session.scalars(
            sa.select(Notification.comment_id).where(
                Notification.user_id == user_id, Notification.kind == MENTION
            )
        ).all()


def test_a_display_name_typed_in_a_comment_is_a_mention(
    app, client, auth, thread_circle, make_user
):
    bruno, chloe = thread_circle.members[0], thread_circle.members[1]
    outsider = make_user(name="Zoé")
    auth.login(thread_circle.admin)
    response = client.post(
        f"/t/{thread_circle.thread.id}/comments",
        data={"body": "Merci @bruno et @Chloe ! Et @Zoé ?"},
    )
    assert response.status_code == 302
    page = client.get(f"/t/{thread_circle.thread.id}").get_data(as_text=True)
    assert f'<a class="mention" href="/u/{bruno.handle}">@bruno</a>' in page
    assert f'<a class="mention" href="/u/{chloe.handle}">@Chloe</a>' in page
    assert "@Zoé ?" in page  # not a member of the circle: not named
    assert len(_mentions_of(app, bruno.id)) == 1
    assert len(_mentions_of(app, chloe.id)) == 1
    assert _mentions_of(app, outsider.id) == []


def test_an_edit_tells_only_the_newly_named(app, client, auth, thread_circle):
    from app.threads.models import Comment

    bruno, david = thread_circle.members[0], thread_circle.members[2]
    auth.login(thread_circle.admin)
    client.post(f"/t/{thread_circle.thread.id}/comments", data={"body": "Bonjour @Bruno"})
    with app.app_context():
        comment_id = db.session.scalar(sa.select(sa.func.max(Comment.id)))
    client.post(f"/comments/{comment_id}/edit", data={"body": "Bonjour @Bruno et @david"})
    assert len(_mentions_of(app, bruno.id)) == 1
    assert len(_mentions_of(app, david.id)) == 1


def test_suggestions_list_members_by_what_is_typed(client, auth, thread_circle, make_user):
    group = thread_circle.group
    auth.login(thread_circle.members[0])
    items = client.get(f"/g/{group.handle}/mention-suggestions?q=ch").get_json()["items"]
    chloe = thread_circle.members[1]
    assert items == [{"name": "Chloé", "handle": chloe.handle, "mention": "Chloé"}]
    everyone = client.get(f"/g/{group.handle}/mention-suggestions").get_json()["items"]
    assert [i["name"] for i in everyone] == ["Alice", "Bruno", "Chloé", "David"]
    long = client.get(f"/g/{group.handle}/mention-suggestions?q=" + "a" * 5000)
    assert long.status_code == 200 and long.get_json() == {"items": []}

    auth.login(make_user(name="Outsider"))
    assert client.get(f"/g/{group.handle}/mention-suggestions?q=ch").status_code == 404
