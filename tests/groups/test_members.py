"""Members: roles, removal, leaving, the last admin, history; the membership API."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow

EN = {"Accept-Language": "en"}
LAST_ADMIN = "make another member an admin first"


def _memberships(app, group, user):
    """Every membership row (current and past) of ``user`` in ``group``."""
    from app.groups.models import Membership

    with app.app_context():
        rows = db.session.scalars(
            sa.select(Membership)
            .where(Membership.group_id == group.id, Membership.user_id == user.id)
            .order_by(Membership.id)
        ).all()
        return [(m.role, m.revoked_at, m.revoked_by_id) for m in rows]


# -- the members page ------------------------------------------------------------


def test_members_see_the_list_but_not_the_admin_tools(client, auth, people, make_group):
    group = make_group(people.admin, members=[people.member])
    auth.login(people.member)
    page = client.get(f"/g/{group.handle}/members", headers=EN).text
    assert "Alice Admin" in page and "Bob Member" in page
    assert '<span class="badge">Admin</span>' in page
    assert '<span class="badge">Member</span>' in page
    assert "Leave this group" in page
    for admin_only in ("Make admin", "Remove", "Invite people", "Membership history"):
        assert admin_only not in page


def test_admins_see_invitations_requests_and_history(
    client, auth, people, make_group, make_invitation, make_join_request, membership_id
):
    group = make_group(people.admin, members=[people.member], privacy="closed")
    make_invitation(group, people.admin, email="zoe@example.org")
    make_join_request(group, people.outsider, message="Je suis voisine")
    auth.login(people.admin)
    client.post(f"/g/{group.handle}/members/{membership_id(group, people.member)}/remove")
    page = client.get(f"/g/{group.handle}/members", headers=EN).text
    assert "zoe@example.org" in page
    assert "Olga Outsider" in page and "Je suis voisine" in page
    assert 'id="history-heading"' in page
    history = page[page.index('id="history-heading"') :]
    assert "Bob Member" in history and "<time" in history


def test_promote_and_demote(app, client, auth, people, make_group, membership_id):
    group = make_group(people.admin, members=[people.member])
    mid = membership_id(group, people.member)
    auth.login(people.admin)
    response = client.post(
        f"/g/{group.handle}/members/{mid}/role", data={"role": "admin"}, headers=EN
    )
    assert response.headers["Location"] == f"/g/{group.handle}/members"
    assert "Bob Member is now an admin." in client.get(response.headers["Location"]).text
    assert _memberships(app, group, people.member)[0][0] == "admin"
    client.post(f"/g/{group.handle}/members/{mid}/role", data={"role": "member"})
    assert _memberships(app, group, people.member)[0][0] == "member"


def test_the_last_admin_cannot_be_demoted_removed_or_leave(
    app, client, auth, people, make_group, membership_id
):
    group = make_group(people.admin, members=[people.member])
    mid = membership_id(group, people.admin)
    auth.login(people.admin)
    for action, data in (("role", {"role": "member"}), ("remove", {})):
        response = client.post(f"/g/{group.handle}/members/{mid}/{action}", data=data, headers=EN)
        assert response.status_code == 302
        # Demoting: the reason on the page it came from; removing oneself is leaving,
        # whose page says why not.
        assert LAST_ADMIN in client.get(response.location, headers=EN).text
    response = client.post(f"/g/{group.handle}/leave", headers=EN, follow_redirects=True)
    assert "You are the group&#39;s only admin" in response.text
    assert _memberships(app, group, people.admin) == [("admin", None, None)]


def test_with_a_second_admin_the_first_may_leave(
    app, client, auth, people, make_group, membership_id
):
    group = make_group(people.admin, members=[people.member])
    auth.login(people.admin)
    client.post(
        f"/g/{group.handle}/members/{membership_id(group, people.member)}/role",
        data={"role": "admin"},
    )
    response = client.post(f"/g/{group.handle}/leave", headers=EN)
    assert response.headers["Location"] == "/"
    assert "You have left" in client.get("/", headers=EN).text
    [(role, revoked_at, revoked_by)] = _memberships(app, group, people.admin)
    assert revoked_at is not None and revoked_by == people.admin.id


def test_leaving_keeps_the_row_and_what_i_wrote(app, client, auth, people, make_group, make_thread):
    from app.threads.models import Thread

    group = make_group(people.admin, members=[people.member])
    thread = make_thread(group, people.member, title="Mon fil", comments=2)
    auth.login(people.member)
    response = client.post(f"/g/{group.handle}/leave", headers=EN)
    assert response.status_code == 302
    [(role, revoked_at, revoked_by)] = _memberships(app, group, people.member)
    assert role == "member" and revoked_at is not None and revoked_by == people.member.id
    with app.app_context():
        assert db.session.get(Thread, thread.id).author_id == people.member.id
    auth.login(people.admin)
    page = client.get(f"/g/{group.handle}", headers=EN).text
    assert "Mon fil" in page and "by Bob Member" in page
    history = client.get(f"/g/{group.handle}/members", headers=EN).text
    assert "Bob Member" in history[history.index('id="history-heading"') :]


def test_removal_and_return_are_two_periods(
    app, client, auth, people, make_group, membership_id, make_invitation
):
    from app.groups.services import members_at
    from app.timeutil import utcnow

    group = make_group(people.admin, members=[people.member])
    auth.login(people.admin)
    client.post(f"/g/{group.handle}/members/{membership_id(group, people.member)}/remove")
    between = utcnow()
    invitation = make_invitation(group, people.admin)
    auth.login(people.member)
    client.post(f"/invitations/{invitation.token}")
    rows = _memberships(app, group, people.member)
    assert len(rows) == 2
    assert rows[0][1] is not None and rows[0][2] == people.admin.id
    assert rows[1][1] is None
    from app.groups.models import Group, Membership

    # Times are kept to the second: the return may fall in the second of ``between``.
    with app.app_context():
        returned = db.session.scalar(
            sa.select(sa.func.max(Membership.created_at)).where(
                Membership.group_id == group.id, Membership.user_id == people.member.id
            )
        )
        present = people.member.id in members_at(db.session.get(Group, group.id), between)
    assert present == (returned <= between)


def test_removing_someone_not_in_the_group_is_404(client, auth, people, make_group, membership_id):
    group = make_group(people.admin)
    other = make_group(people.member)
    auth.login(people.admin)
    mid = membership_id(other, people.member)
    assert client.post(f"/g/{group.handle}/members/{mid}/remove").status_code == 404


# -- API -------------------------------------------------------------------------


def test_api_lists_memberships(api_as, people, make_group):
    group = make_group(people.admin, members=[people.member])
    body = api_as(people.member).get(f"/api/v1/groups/{group.handle}/memberships").json
    first, second = body["items"]
    assert first["user"] == {"id": people.admin.id, "name": "Alice Admin", "handle": "alice-admin"}
    assert first["role"] == "admin" and second["role"] == "member"
    assert set(first) == {
        "user", "role", "gives_support", "receives_support", "availability",
        "availability_until", "joined_at", "revoked_at",
    }  # fmt: skip
    assert first["joined_at"].endswith("Z") and first["revoked_at"] is None


def test_api_my_membership_availability_and_reciprocity(api_as, people, make_group):
    group = make_group(people.admin, members=[people.member])
    api = api_as(people.member)
    url = f"/api/v1/groups/{group.handle}/memberships/me"
    until = (utcnow() + timedelta(days=20)).date().isoformat()
    response = api.patch(url, json={"availability": "away", "availability_until": until})
    assert response.status_code == 200
    assert response.json["availability"] == "away"
    assert response.json["availability_until"] == until
    assert response.json["user"]["id"] == people.member.id
    for switch in ("gives_support", "receives_support"):
        response = api.patch(url, json={switch: False})
        assert response.status_code == 409
        assert response.json["error"]["code"] == "reciprocity_locked"
        assert list(response.json["error"]["fields"]) == [switch]
    assert api.patch(url, json={"gives_support": True}).status_code == 200
    response = api.patch(url, json={"availability": "asleep"})
    assert response.status_code == 400
    assert "availability" in response.json["error"]["fields"]


def test_api_away_until_a_day_from_today_to_a_year_ahead(api_as, people, make_group, error_of):
    group = make_group(people.admin, members=[people.member])
    api = api_as(people.member)
    url = f"/api/v1/groups/{group.handle}/memberships/me"
    today = utcnow().date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    away = api.patch(url, json={"availability": "away", "availability_until": tomorrow})
    assert (away.json["availability"], away.json["availability_until"]) == ("away", tomorrow)
    # away again keeps the date; another availability clears it
    assert api.patch(url, json={"availability": "away"}).json["availability_until"] == tomorrow
    assert api.patch(url, json={"availability": "busy"}).json["availability_until"] is None
    past = (today - timedelta(days=2)).isoformat()
    far = (today + timedelta(days=400)).isoformat()
    for payload, field in (
        ({"availability": "away", "availability_until": past}, "availability_until"),
        ({"availability": "away", "availability_until": far}, "availability_until"),
        ({"availability": "busy", "availability_until": tomorrow}, "availability_until"),
        ({"availability_until": tomorrow}, "availability_until"),  # busy: no end date
        ({"availability_until": "demain"}, "availability_until"),
        ({"availability": "sleeping"}, "availability"),
        ({"support_volume": "mute"}, "support_volume"),
        ({"volume": "loud"}, "volume"),
    ):
        error = error_of(api.patch(url, json=payload, headers=EN), 400)
        assert set(error["fields"]) == {field}, payload
    assert api.patch(url, json={"availability": "available"}).json["availability"] == "available"


def test_api_a_locked_switch_names_the_default_rule(api_as, people, make_group, error_of):
    group = make_group(people.admin, members=[people.member])
    url = f"/api/v1/groups/{group.handle}/memberships/me"
    error = error_of(
        api_as(people.member).patch(url, json={"receives_support": False}),
        409,
        "reciprocity_locked",
    )
    assert "Reciprocity is required" in error["message"] and "default rule" in error["message"]
    assert set(error["fields"]) == {"receives_support"}


def test_api_a_locked_switch_names_the_agreement_that_set_it(
    api_as, thread_circle, ten_days_ago, decide, error_of
):
    url = f"/api/v1/groups/{thread_circle.group.handle}/memberships/me"
    decide(
        {
            "action": "adopt",
            "title": "Réciprocité",
            "body": "Chacun donne et reçoit.",
            "rules": {"reciprocity": "required"},
        }
    )
    error = error_of(
        api_as(thread_circle.members[0]).patch(url, json={"gives_support": False}, headers=EN),
        409,
        "reciprocity_locked",
    )
    assert "Reciprocity is required by the agreement “Réciprocité” (v1)" in error["message"]
    assert set(error["fields"]) == {"gives_support"}


def test_api_non_member_of_an_open_group_has_no_membership_to_change(api_as, people, make_group):
    group = make_group(people.admin, privacy="open")
    response = api_as(people.outsider).patch(
        f"/api/v1/groups/{group.handle}/memberships/me", json={"availability": "busy"}
    )
    assert response.status_code == 403


def test_api_roles_and_the_last_admin(api_as, people, make_group):
    group = make_group(people.admin, members=[people.member])
    api = api_as(people.admin)
    base = f"/api/v1/groups/{group.handle}/memberships"
    response = api.patch(f"{base}/{people.admin.id}", json={"role": "member"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "last_admin"
    response = api.delete(f"{base}/{people.admin.id}")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "last_admin"
    assert api.patch(f"{base}/{people.outsider.id}", json={"role": "admin"}).status_code == 404
    assert api.patch(f"{base}/{people.member.id}", json={"role": "boss"}).status_code == 400
    assert api.patch(f"{base}/{people.member.id}", json={"role": "admin"}).json["role"] == "admin"
    assert api.patch(f"{base}/{people.admin.id}", json={"role": "member"}).status_code == 200


def test_api_leave_or_be_removed(app, api_as, people, make_user, make_group):
    third = make_user(name="Chloé")
    group = make_group(people.admin, members=[people.member, third])
    base = f"/api/v1/groups/{group.handle}/memberships"
    member_api = api_as(people.member)
    assert member_api.delete(f"{base}/{third.id}").status_code == 403  # not an admin
    assert member_api.delete(f"{base}/{people.member.id}").status_code == 204  # leaving
    assert member_api.get(f"/api/v1/groups/{group.handle}").status_code == 404  # secret again
    assert api_as(people.admin).delete(f"{base}/{third.id}").status_code == 204
    assert api_as(people.admin).delete(f"{base}/{third.id}").status_code == 404
    rows = _memberships(app, group, third)
    assert len(rows) == 1 and rows[0][1] is not None and rows[0][2] == people.admin.id
    items = api_as(people.admin).get(base).json["items"]
    assert [m["user"]["id"] for m in items] == [people.admin.id]


def test_api_get_group_for_outsiders_of_closed_and_open_groups(api_as, people, make_group):
    closed = make_group(people.admin, privacy="closed")
    body = api_as(people.outsider).get(f"/api/v1/groups/{closed.handle}").json
    assert body["my_role"] is None and body["members_count"] == 1
    open_group = make_group(people.admin, privacy="open", members=[people.member])
    body = api_as(people.member).get(f"/api/v1/groups/{open_group.handle}").json
    assert body["my_role"] == "member" and body["members_count"] == 2
