"""Nobody becomes a member without accepting, and inviting an address never tells
whether it has an account (issue 11, item 6).

An admin's ``POST …/memberships`` invites; the invited person accepts with
``POST …/memberships/me``, from the dashboard, from the group's page or from the
emailed link, or declines.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fixtures.accounts import session_user_id

from app.extensions import db

EN = {"Accept-Language": "en"}


def _is_member(app, group, user) -> bool:
    from app.groups.models import Membership

    with app.app_context():
        found = db.session.scalar(
            sa.select(Membership.id).where(
                Membership.group_id == group.id,
                Membership.user_id == user.id,
                Membership.revoked_at.is_(None),
            )
        )
    return found is not None


def _notifications(app, user) -> list[tuple[str, int | None]]:
    from app.notifications.models import Notification

    with app.app_context():
        return [
            (n.kind, n.group_id)
            for n in db.session.scalars(
                sa.select(Notification).where(Notification.user_id == user.id)
            )
        ]


@pytest.fixture
def announce(app):
    """``announce()``: the periodic command's step that tells invited accounts → how many
    invitations it announced."""
    from app.jobs.tasks import RunFigures, announce_invitations
    from app.timeutil import utcnow

    def run() -> int:
        figures = RunFigures()
        with app.app_context():
            announce_invitations(utcnow(), figures)
            db.session.remove()
        assert figures.failures == []
        return figures.invitations_announced

    return run


def _invite(api, group, email, **extra):
    return api.post(f"/api/v1/groups/{group.handle}/memberships", json={"email": email, **extra})


#: response headers that differ between any two responses (the clock, the body's size)
VARYING = {"Date", "Content-Length", "Set-Cookie", "Vary"}


def _shape(response) -> tuple:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in VARYING)
    return response.status_code, response.get_json(), headers


# -- probing -------------------------------------------------------------------------


def test_probing_an_address_answers_the_same_whatever_it_is(
    app, api_as, people, make_user, make_group, outbox
):
    """A stranger makes a group and invites addresses: the answers are identical for an
    address without an account, an account, a current member and themself; nobody is
    made a member, and each address gets the same email."""
    prober = make_user(name="Pierre Prober", email="pierre@example.org", locale="en")
    group = make_group(prober, members=[people.member])
    api = api_as(prober)
    addresses = {
        "no account": "nobody@example.org",
        "an account": "Olga@Example.org",
        "a member": "bob@example.org",
        "the admin": "pierre@example.org",
    }
    shapes = {what: _shape(_invite(api, group, email)) for what, email in addresses.items()}
    assert shapes["no account"][:2] == (201, {"status": "invited"})
    assert len(set(map(repr, shapes.values()))) == 1, shapes
    # No name, handle or id of the account anywhere in the answer.
    body = _invite(api, group, "olga@example.org").get_data(as_text=True)
    for secret in ("Olga", "olga-outsider", str(people.outsider.id)):
        assert secret not in body
    assert not _is_member(app, group, people.outsider)
    members = api.get(f"/api/v1/groups/{group.handle}/memberships").json["items"]
    assert sorted(m["user"]["id"] for m in members) == sorted([prober.id, people.member.id])
    # Every address got one email (twice for Olga, invited twice), saying the same.
    sent = sorted(outbox, key=lambda m: m.to[0])
    assert [m.to[0] for m in sent] == [
        "bob@example.org",
        "nobody@example.org",
        "olga@example.org",
        "olga@example.org",
        "pierre@example.org",
    ]

    def text(message):
        return re.sub(r"/invitations/[\w-]+", "/invitations/TOKEN", message.body)

    assert len({text(m) for m in sent}) == 1
    assert len({m.subject for m in sent}) == 1


def test_probing_by_the_api_names_no_one_even_on_bad_input(api_as, people, make_group, error_of):
    group = make_group(people.admin)
    api = api_as(people.admin)
    error = error_of(_invite(api, group, "not-an-address"), 400)
    assert set(error["fields"]) == {"email"}
    error = error_of(_invite(api, group, "olga@example.org", role="boss"), 400)
    assert set(error["fields"]) == {"role"}
    member_api = api_as(people.member)
    error_of(_invite(member_api, group, "olga@example.org"), 404)  # not even a member


def test_only_admins_invite(api_as, people, make_group, error_of):
    group = make_group(people.admin, members=[people.member])
    error_of(_invite(api_as(people.member), group, "olga@example.org"), 403, "forbidden")


# -- accepting by the API ------------------------------------------------------------------


def test_no_membership_until_accepted_then_accepted_by_the_api(
    app, api_as, people, make_group, error_of
):
    group = make_group(people.admin, name="Cercle des Lilas")
    _invite(api_as(people.admin), group, "olga@example.org", role="admin")
    assert not _is_member(app, group, people.outsider)
    olga = api_as(people.outsider)
    # Invited, she may read the secret group's name before accepting; nothing more.
    seen = olga.get(f"/api/v1/groups/{group.handle}").json
    assert seen["name"] == "Cercle des Lilas" and seen["my_role"] is None
    error_of(olga.get(f"/api/v1/groups/{group.handle}/memberships"), 404)
    error_of(olga.get(f"/api/v1/groups/{group.handle}/threads"), 404)

    response = olga.post(f"/api/v1/groups/{group.handle}/memberships/me")
    assert response.status_code == 201, response.json
    assert response.json["user"]["id"] == people.outsider.id
    assert response.json["role"] == "admin"  # the role the invitation offered
    assert _is_member(app, group, people.outsider)
    assert olga.get(f"/api/v1/groups/{group.handle}").json["my_role"] == "admin"
    error_of(olga.post(f"/api/v1/groups/{group.handle}/memberships/me"), 409, "already_member")


def test_an_invitation_for_another_address_cannot_be_accepted(
    app, api_as, client, auth, people, make_group, make_user, error_of
):
    group = make_group(people.admin)
    _invite(api_as(people.admin), group, "zoe@example.org")
    # Olga, signed in with another address: the secret group stays unknown to her.
    error_of(api_as(people.outsider).post(f"/api/v1/groups/{group.handle}/memberships/me"), 404)
    auth.login(people.outsider)
    assert client.post(f"/g/{group.handle}/invitation/accept").status_code == 404
    assert client.get(f"/g/{group.handle}").status_code == 404
    assert not _is_member(app, group, people.outsider)
    # Zoé, once she has an account with that address, can.
    zoe = make_user(name="Zoé", email="ZOE@example.org")
    assert api_as(zoe).post(f"/api/v1/groups/{group.handle}/memberships/me").status_code == 201
    assert _is_member(app, group, zoe)


def test_without_an_invitation_only_an_open_group_lets_me_in(
    app, api_as, people, make_group, error_of
):
    api = api_as(people.outsider)
    closed = make_group(people.admin, privacy="closed")
    error_of(api.post(f"/api/v1/groups/{closed.handle}/memberships/me"), 403, "no_invitation")
    secret = make_group(people.admin)
    error_of(api.post(f"/api/v1/groups/{secret.handle}/memberships/me"), 404, "not_found")
    opened = make_group(people.admin, privacy="open")
    response = api.post(f"/api/v1/groups/{opened.handle}/memberships/me")
    assert response.status_code == 201 and response.json["role"] == "member"
    assert not _is_member(app, closed, people.outsider)
    assert _is_member(app, opened, people.outsider)


def test_an_expired_or_cancelled_invitation_lets_no_one_in(
    app, api_as, client, auth, people, make_group, make_invitation, expire_invitation, error_of
):
    group = make_group(people.admin)
    invitation = make_invitation(group, people.admin, email="olga@example.org")
    expire_invitation(invitation.id)
    olga = api_as(people.outsider)
    error_of(olga.post(f"/api/v1/groups/{group.handle}/memberships/me"), 404)
    again = make_invitation(group, people.admin, email="olga@example.org")
    auth.login(people.admin)
    client.post(f"/g/{group.handle}/invitations/{again.id}/cancel")
    error_of(olga.post(f"/api/v1/groups/{group.handle}/memberships/me"), 404)
    assert not _is_member(app, group, people.outsider)


def test_inviting_again_replaces_the_pending_invitation(app, api_as, people, make_group):
    from app.groups.models import Invitation

    group = make_group(people.admin)
    api = api_as(people.admin)
    _invite(api, group, "olga@example.org", role="admin")
    _invite(api, group, "olga@example.org")
    with app.app_context():
        rows = db.session.execute(
            sa.select(Invitation.role, Invitation.cancelled_at).order_by(Invitation.id)
        ).all()
    assert [(role, cancelled is None) for role, cancelled in rows] == [
        ("admin", False),
        ("member", True),
    ]
    response = api_as(people.outsider).post(f"/api/v1/groups/{group.handle}/memberships/me")
    assert response.json["role"] == "member"


def test_an_invitation_from_someone_no_longer_admin_lets_no_one_in(
    app, api_as, people, make_user, make_group, error_of
):
    second = make_user(name="Second Admin")
    group = make_group(people.admin, members=[second])
    admin_api = api_as(people.admin)
    base = f"/api/v1/groups/{group.handle}/memberships"
    admin_api.patch(f"{base}/{second.id}", json={"role": "admin"})
    _invite(api_as(second), group, "olga@example.org")
    admin_api.patch(f"{base}/{second.id}", json={"role": "member"})  # her invitations end
    error_of(api_as(people.outsider).post(f"{base}/me"), 404)
    assert not _is_member(app, group, people.outsider)


# -- told in the app and by email -----------------------------------------------------------


def test_the_invited_account_is_told_in_the_app_and_by_email(
    app, api_as, client, auth, people, make_group, outbox, announce
):
    group = make_group(people.admin, name="Cercle des Lilas")
    _invite(api_as(people.admin), group, "olga@example.org")
    # The inviter's request does not even look the address up: the periodic command does.
    assert _notifications(app, people.outsider) == []
    assert announce() == 1
    assert announce() == 0  # once
    assert _notifications(app, people.outsider) == [("invitation", group.id)]
    items = api_as(people.outsider).get("/api/v1/notifications").json["items"]
    [item] = items
    assert item["kind"] == "invitation"
    assert item["text"] == "Alice Admin invites you to join “Cercle des Lilas”."
    assert item["url"].endswith(f"/g/{group.handle}")
    [message] = outbox
    assert message.to == ["olga@example.org"]
    assert "/invitations/" in message.body
    # The notification leads to the group's page, which shows the invitation.
    auth.login(people.outsider)
    page = client.get(f"/g/{group.handle}", headers=EN).text
    assert "Alice Admin invites you to join “Cercle des Lilas”." in page
    assert f'action="/g/{group.handle}/invitation/accept"' in page
    listed = client.get("/notifications", headers=EN).text
    assert "Alice Admin invites you to join “Cercle des Lilas”." in listed
    assert "An admin of this circle invited your email address." in listed


def test_a_member_an_unknown_address_and_a_withdrawn_invitation_tell_no_one(
    app, api_as, client, auth, people, make_group, make_invitation, outbox, announce
):
    from app.notifications.models import Notification

    group = make_group(people.admin, members=[people.member])
    api = api_as(people.admin)
    _invite(api, group, "bob@example.org")
    _invite(api, group, "nobody@example.org")
    cancelled = make_invitation(group, people.admin, email="olga@example.org")
    auth.login(people.admin)
    client.post(f"/g/{group.handle}/invitations/{cancelled.id}/cancel")
    assert announce() == 2
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert len(outbox) == 2


def test_the_email_is_in_the_inviters_language_whatever_the_address(
    api_as, make_user, make_group, outbox
):
    """The request renders it without looking the address up: the inviter's language."""
    jeanne = make_user(name="Jeanne", email="jeanne@example.org", locale="fr")
    english = make_user(name="Emma", email="emma@example.org", locale="en")
    group = make_group(jeanne)
    api = api_as(jeanne)
    _invite(api, group, english.email)
    _invite(api, group, "nobody@example.org")
    assert [m.body.split("\n")[0] for m in outbox] == ["Bonjour,", "Bonjour,"]


def test_line_breaks_in_names_do_not_break_the_invitation_email(
    api_as, make_user, make_group, outbox
):
    admin = make_user(name="Alice\r\nBcc: x@evil.example", email="alice@example.org", locale="en")
    group = make_group(admin, name="Cercle\r\ndes Lilas")
    assert _invite(api_as(admin), group, "zoe@example.org").status_code == 201
    [message] = outbox
    assert message.subject == "Alice Bcc: x@evil.example invites you to “Cercle des Lilas”"
    assert message.to == ["zoe@example.org"] and not message.bcc


# -- pages ----------------------------------------------------------------------------------


def test_accepting_from_the_dashboard(app, client, auth, people, make_group):
    group = make_group(people.admin, name="Cercle des Lilas")
    auth.login(people.admin)
    client.post(
        f"/g/{group.handle}/invitations",
        data={"email": "olga@example.org", "days": "14", "role": "member"},
    )
    assert not _is_member(app, group, people.outsider)
    auth.login(people.outsider)
    dashboard = client.get("/", headers=EN).text
    assert "Invitations" in dashboard
    assert "Alice Admin invites you to join “Cercle des Lilas”." in dashboard
    assert "You become a member only if you accept." in dashboard
    response = client.post(f"/g/{group.handle}/invitation/accept", headers=EN)
    assert response.headers["Location"] == f"/g/{group.handle}"
    assert "Welcome to “Cercle des Lilas”!" in client.get(f"/g/{group.handle}", headers=EN).text
    assert _is_member(app, group, people.outsider)
    assert "Cercle des Lilas" not in client.get("/", headers=EN).text.split("My groups")[0]


def test_declining_from_the_group_page(
    app, client, auth, api_as, people, make_group, make_invitation
):
    group = make_group(people.admin, name="Cercle des Lilas")
    invitation = make_invitation(group, people.admin, email="olga@example.org")
    auth.login(people.outsider)
    page = client.get(f"/g/{group.handle}", headers=EN)
    assert page.status_code == 200  # secret, but she is invited
    assert "Your invitation" in page.text and "Decline" in page.text
    assert "New thread" not in page.text
    response = client.post(f"/g/{group.handle}/invitation/decline", headers=EN)
    assert response.headers["Location"] == "/"
    assert "You declined the invitation to “Cercle des Lilas”." in client.get("/", headers=EN).text
    assert not _is_member(app, group, people.outsider)
    # Gone: from her dashboard, from the group (secret again), from the admins' list.
    assert "Invitations" not in client.get("/", headers=EN).text
    assert client.get(f"/g/{group.handle}", headers=EN).status_code == 404
    page = client.get(f"/invitations/{invitation.token}", headers=EN)
    assert page.status_code == 410 and "You declined this invitation." in page.text
    assert client.post(f"/invitations/{invitation.token}", headers=EN).status_code == 410
    response = api_as(people.outsider).post(f"/api/v1/groups/{group.handle}/memberships/me")
    assert response.status_code == 404
    auth.login(people.admin)
    members = client.get(f"/g/{group.handle}/members", headers=EN).text
    assert "olga@example.org" not in members.split("Pending invitations")[1]


def test_declining_from_the_emailed_link(app, client, auth, people, make_group, make_invitation):
    group = make_group(people.admin)
    invitation = make_invitation(group, people.admin, email="olga@example.org")
    auth.login(people.member)  # another account cannot decline it for her
    response = client.post(f"/invitations/{invitation.token}/decline", headers=EN)
    assert response.status_code == 403
    auth.login(people.outsider)
    page = client.get(f"/invitations/{invitation.token}", headers=EN).text
    assert f'action="/invitations/{invitation.token}/decline"' in page
    response = client.post(f"/invitations/{invitation.token}/decline", headers=EN)
    assert response.headers["Location"] == "/"
    assert client.post(f"/invitations/{invitation.token}", headers=EN).status_code == 410
    assert not _is_member(app, group, people.outsider)


def test_a_shareable_link_offers_no_decline(client, auth, people, make_group, make_invitation):
    group = make_group(people.admin)
    invitation = make_invitation(group, people.admin)
    auth.login(people.outsider)
    page = client.get(f"/invitations/{invitation.token}", headers=EN).text
    assert "Accept and join" in page and "/decline" not in page


def test_the_invitation_in_french(client, auth, make_user, people, make_group, make_invitation):
    french = make_user(name="Françoise", email="francoise@example.org", locale="fr")
    group = make_group(people.admin, name="Cercle des Lilas")
    make_invitation(group, people.admin, email=french.email)
    auth.login(french)
    page = client.get("/").text
    assert '<html lang="fr">' in page and "Cercle des Lilas" in page
    assert "Accepter et rejoindre le cercle" in page and "Refuser" in page


# -- no other way in ------------------------------------------------------------------------


def test_no_service_adds_someone_without_their_own_act():
    """The groups services offer no "add a member": only accepting, joining and an approved
    request make a membership."""
    from app.groups import services

    assert not hasattr(services, "add_member")


@pytest.mark.parametrize("privacy", ["secret", "closed"])
def test_the_page_form_invites_and_adds_no_one(app, client, auth, people, make_group, privacy):
    group = make_group(people.admin, privacy=privacy)
    auth.login(people.admin)
    client.post(
        f"/g/{group.handle}/invitations",
        data={"email": "olga@example.org", "days": "14", "role": "admin"},
    )
    assert not _is_member(app, group, people.outsider)


def test_answering_an_invitation_needs_the_csrf_token(
    csrf_app, app, people, make_group, make_invitation
):
    group = make_group(people.admin)
    make_invitation(group, people.admin, email="olga@example.org")
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(client.application, people.outsider.id)
        session["_fresh"] = True
    dashboard = client.get("/", headers=EN).text
    assert f'action="/g/{group.handle}/invitation/accept"' in dashboard
    assert dashboard.count('<form method="post"') == dashboard.count('name="csrf_token"')
    assert client.post(f"/g/{group.handle}/invitation/accept").status_code == 400
    assert client.post(f"/g/{group.handle}/invitation/decline").status_code == 400
    assert not _is_member(app, group, people.outsider)
    token = re.search(r'name="csrf_token" value="([^"]+)"', dashboard).group(1)
    response = client.post(f"/g/{group.handle}/invitation/accept", data={"csrf_token": token})
    assert response.headers["Location"] == f"/g/{group.handle}"
    assert _is_member(app, group, people.outsider)
