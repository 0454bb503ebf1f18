"""Joining an open group, asking to join a closed one, the admins' answer; the dashboard."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def _role(app, group, user) -> str | None:
    from app.groups.models import Membership

    with app.app_context():
        return db.session.scalar(
            sa.select(Membership.role).where(
                Membership.group_id == group.id,
                Membership.user_id == user.id,
                Membership.revoked_at.is_(None),
            )
        )


def _pending_request_id(app, group, user) -> int | None:
    from app.groups.models import JoinRequest

    with app.app_context():
        return db.session.scalar(
            sa.select(JoinRequest.id).where(
                JoinRequest.group_id == group.id,
                JoinRequest.user_id == user.id,
                JoinRequest.decided_at.is_(None),
            )
        )


# -- open groups -----------------------------------------------------------------


def test_joining_an_open_group(app, client, auth, people, make_group):
    group = make_group(people.admin, privacy="open", name="Cercle ouvert")
    auth.login(people.outsider)
    response = client.post(f"/g/{group.handle}/join", headers=EN)
    assert response.headers["Location"] == f"/g/{group.handle}"
    page = client.get(f"/g/{group.handle}", headers=EN).text
    assert "Welcome to “Cercle ouvert”!" in page
    assert "Join this group" not in page
    assert _role(app, group, people.outsider) == "member"
    client.post(f"/g/{group.handle}/join", headers=EN)  # twice: nothing more happens
    assert "already a member" in client.get(f"/g/{group.handle}", headers=EN).text


def test_closed_groups_cannot_be_joined_directly(app, client, auth, people, make_group):
    group = make_group(people.admin, privacy="closed")
    auth.login(people.outsider)
    assert client.post(f"/g/{group.handle}/join", headers=EN).status_code == 403
    assert _role(app, group, people.outsider) is None


def test_open_groups_take_no_join_requests(client, auth, people, make_group):
    group = make_group(people.admin, privacy="open")
    auth.login(people.outsider)
    response = client.post(f"/g/{group.handle}/join-requests", data={"message": "hi"})
    assert response.status_code == 403


# -- closed groups -----------------------------------------------------------------


def test_asking_to_join_then_approval(app, client, auth, people, make_group):
    group = make_group(people.admin, privacy="closed", name="Cercle fermé")
    auth.login(people.outsider)
    response = client.post(
        f"/g/{group.handle}/join-requests", data={"message": "Je suis voisine"}, headers=EN
    )
    assert response.headers["Location"] == f"/g/{group.handle}"
    page = client.get(f"/g/{group.handle}", headers=EN).text
    assert "Your request is sent" in page
    assert "You asked to join on" in page
    assert 'name="message"' not in page  # no second form while the first is pending
    client.post(f"/g/{group.handle}/join-requests", data={"message": "Encore"})  # no duplicate
    request_id = _pending_request_id(app, group, people.outsider)
    assert request_id is not None

    auth.login(people.admin)
    members_page = client.get(f"/g/{group.handle}/members", headers=EN).text
    assert "Je suis voisine" in members_page and "Encore" not in members_page
    response = client.post(
        f"/g/{group.handle}/join-requests/{request_id}", data={"decision": "approve"}, headers=EN
    )
    assert response.headers["Location"] == f"/g/{group.handle}/members"
    assert "Olga Outsider is now a member." in client.get(response.headers["Location"]).text
    assert _role(app, group, people.outsider) == "member"
    assert _pending_request_id(app, group, people.outsider) is None

    # Answering twice is refused with a message.
    response = client.post(
        f"/g/{group.handle}/join-requests/{request_id}",
        data={"decision": "decline"},
        headers=EN,
        follow_redirects=True,
    )
    assert "This request was already answered." in response.text
    assert _role(app, group, people.outsider) == "member"


def test_declining_a_request(app, client, auth, people, make_group, make_join_request):
    from app.groups.models import JoinRequest

    group = make_group(people.admin, privacy="closed")
    request_id = make_join_request(group, people.outsider, message="Bonjour")
    auth.login(people.admin)
    response = client.post(
        f"/g/{group.handle}/join-requests/{request_id}",
        data={"decision": "decline"},
        headers=EN,
        follow_redirects=True,
    )
    assert "The request of Olga Outsider is declined." in response.text
    assert _role(app, group, people.outsider) is None
    with app.app_context():
        stored = db.session.get(JoinRequest, request_id)
        assert stored.approved is False and stored.decided_by_id == people.admin.id
    # After a refusal, one may ask again.
    auth.login(people.outsider)
    assert 'name="message"' in client.get(f"/g/{group.handle}", headers=EN).text


def test_a_request_of_another_group_is_404(client, auth, people, make_group, make_join_request):
    mine = make_group(people.admin, privacy="closed")
    theirs = make_group(people.member, privacy="closed")
    request_id = make_join_request(theirs, people.outsider)
    auth.login(people.admin)
    response = client.post(
        f"/g/{mine.handle}/join-requests/{request_id}", data={"decision": "approve"}
    )
    assert response.status_code == 404


def test_a_bad_decision_is_400(client, auth, people, make_group, make_join_request):
    group = make_group(people.admin, privacy="closed")
    request_id = make_join_request(group, people.outsider)
    auth.login(people.admin)
    response = client.post(
        f"/g/{group.handle}/join-requests/{request_id}", data={"decision": "maybe"}
    )
    assert response.status_code == 400


# -- the dashboard -----------------------------------------------------------------


def test_the_dashboard_lists_my_groups_with_my_role(client, auth, people, make_group):
    make_group(people.admin, members=[people.member], name="Zèbres", handle="zebres")
    make_group(people.member, name="Abeilles", handle="abeilles")
    make_group(people.admin, name="Pas à moi", handle="pas-a-moi")
    auth.login(people.member)
    page = client.get("/", headers=EN).text
    assert "My groups" in page
    section = page[page.index('id="groups-heading"') :]
    assert section.index("Abeilles") < section.index("Zèbres")
    assert '<a href="/g/abeilles">Abeilles</a>\n          <span class="badge">Admin</span>' in page
    assert '<a href="/g/zebres">Zèbres</a>\n          <span class="badge">Member</span>' in page
    assert "Pas à moi" not in page
    assert 'href="/groups/new"' in page and "Create a group" in page


def test_the_dashboard_without_groups_and_in_french(client, auth, make_user):
    someone = make_user(name="Camille")
    auth.login(someone)
    english = client.get("/", headers=EN).text
    assert "You are not in any group yet." in english
    french = client.get("/", headers=FR).text
    assert '<html lang="fr">' in french
    assert 'href="/groups/new"' in french


def test_the_dashboard_runs_a_fixed_number_of_queries(
    client, auth, people, make_group, count_queries
):
    make_group(people.admin, members=[people.member])
    auth.login(people.member)
    with count_queries() as one:
        client.get("/")
    for _ in range(5):
        make_group(people.admin, members=[people.member])
    with count_queries() as six:
        assert client.get("/").text.count('<span class="badge">Member</span>') == 6
    assert six.count == one.count
