"""A setting changes what email is planned: ``Notification.email`` after ``notify``, and
the outbox rows written with it."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db

URL = "/notifications/settings"


def _plans(app, ids):
    from app.notifications.models import Notification
    from app.outbox import Delivery

    with app.app_context():
        plans = dict(
            db.session.execute(
                sa.select(Notification.user_id, Notification.email).where(Notification.id.in_(ids))
            ).all()
        )
        emailed = set(
            db.session.scalars(sa.select(Delivery.user_id).where(Delivery.notification_id.in_(ids)))
        )
        return plans, emailed


def _save(client, group, **changes):
    data = {
        "digest_when": "days",
        "digest_hour": "7",
        "digest_days": [str(d) for d in range(1, 8)],
        f"volume_{group.id}": "all",
        f"support_volume_{group.id}": "immediate",
    }
    data.update(changes)
    response = client.post(URL, data={k: v for k, v in data.items() if v is not None})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_circle_volume_chosen_on_the_page_decides_the_email(
    app, client, auth, circle_with_outsider, send
):
    bruno, chloe, david = circle_with_outsider.members
    group = circle_with_outsider.group
    auth.login(chloe)
    _save(client, group, **{f"volume_{group.id}": "digest"})
    auth.login(david)
    _save(client, group, **{f"volume_{group.id}": "mute"})
    ids = send([bruno, chloe, david], kind="mention")
    plans, emailed = _plans(app, ids)
    assert plans == {bruno.id: "now", chloe.id: "digest", david.id: None}
    assert emailed == {bruno.id}


def test_no_email_at_all_then_back_on(app, client, auth, circle_with_outsider, send):
    bruno = circle_with_outsider.members[0]
    group = circle_with_outsider.group
    auth.login(bruno)
    _save(client, group, email_off="y")
    plans, emailed = _plans(app, send([bruno]))
    assert plans == {bruno.id: None} and not emailed
    _save(client, group)
    plans, emailed = _plans(app, send([bruno]))
    assert plans == {bruno.id: "now"} and emailed == {bruno.id}


def test_a_threads_own_setting_wins_over_the_circles(app, client, auth, circle_with_outsider, send):
    bruno, chloe = circle_with_outsider.members[:2]
    group, thread = circle_with_outsider.group, circle_with_outsider.thread
    auth.login(bruno)
    client.post(f"/t/{thread.id}/emails", data={"volume": "mute"})
    auth.login(chloe)
    _save(client, group, **{f"volume_{group.id}": "mute"})
    client.post(f"/t/{thread.id}/emails", data={"volume": "all"})
    plans, emailed = _plans(app, send([bruno, chloe], kind="poll_opened"))
    assert plans == {bruno.id: None, chloe.id: "now"} and emailed == {chloe.id}


def test_support_requests_follow_the_support_choice_not_the_muted_circle(
    app, client, auth, circle_with_outsider, send
):
    bruno, chloe = circle_with_outsider.members[:2]
    group = circle_with_outsider.group
    auth.login(bruno)
    _save(client, group, **{f"volume_{group.id}": "mute", f"support_volume_{group.id}": "digest"})
    auth.login(chloe)
    _save(client, group, **{f"volume_{group.id}": "mute"})
    plans, emailed = _plans(app, send([bruno, chloe], kind="support_closed"))
    assert plans == {bruno.id: "digest", chloe.id: "now"} and emailed == {chloe.id}


def test_the_api_volume_decides_the_email_too(app, api_as, circle_with_outsider, send):
    bruno = circle_with_outsider.members[0]
    url = f"/api/v1/groups/{circle_with_outsider.group.handle}/memberships/me"
    assert api_as(bruno).patch(url, json={"volume": "digest"}).status_code == 200
    plans, emailed = _plans(app, send([bruno]))
    assert plans == {bruno.id: "digest"} and not emailed
