"""Whoever registers someone else's address first sees nothing sent to it (issue 11,
item 6 follow-up): invitations to an address are shown in the app and accepted without
their emailed link only by an account that has confirmed the address. The emailed link
itself works for anyone signed in with the address, and confirms it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db

EN = {"Accept-Language": "en"}
VICTIM = "victim@example.org"


@pytest.fixture
def announce(app):
    """The periodic command's step that tells invited accounts in the app."""
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


def _is_member(app, group, user) -> bool:
    from app.groups.models import Membership

    with app.app_context():
        return (
            db.session.scalar(
                sa.select(Membership.id).where(
                    Membership.group_id == group.id,
                    Membership.user_id == user.id,
                    Membership.revoked_at.is_(None),
                )
            )
            is not None
        )


def _verified(app, user) -> bool:
    from app.auth.models import User

    with app.app_context():
        return db.session.get(User, user.id).email_verified_at is not None


def _api_answers(api, handle) -> list:
    """What the API tells this account about the group and accepting it."""
    seen = api.get(f"/api/v1/groups/{handle}")
    accept = api.post(f"/api/v1/groups/{handle}/memberships/me")
    return [(r.status_code, r.get_json()) for r in (seen, accept)]


@pytest.fixture
def invited(people, make_group, make_invitation):
    """A secret and a closed circle, each inviting ``victim@example.org``."""
    secret = make_group(people.admin, name="Cercle secret")
    closed = make_group(people.admin, name="Cercle fermé", privacy="closed")
    return (
        secret,
        closed,
        make_invitation(secret, people.admin, email=VICTIM),
        make_invitation(closed, people.admin, email=VICTIM),
    )


def test_an_unconfirmed_account_sees_and_accepts_nothing_until_it_follows_the_link(
    app, client, auth, api_as, people, make_user, invited, announce
):
    secret, closed, secret_invitation, _closed_invitation = invited
    squatter = make_user(name="Squatter", email=VICTIM, verified=False, locale="en")
    stranger = make_user(name="Stranger", email="stranger@example.org", locale="en")
    assert announce() == 2

    # The API answers as for an account nobody invited.
    for group in (secret, closed):
        assert _api_answers(api_as(squatter), group.handle) == _api_answers(
            api_as(stranger), group.handle
        )
    assert api_as(squatter).get("/api/v1/notifications").json["items"] == []
    assert not _is_member(app, secret, squatter) and not _is_member(app, closed, squatter)

    # The pages say nothing of it either.
    auth.login(squatter)
    dashboard = client.get("/", headers=EN).text
    assert "Invitations" not in dashboard and "invites you" not in dashboard
    assert "Cercle secret" not in dashboard and "Cercle fermé" not in dashboard
    assert "invites you" not in client.get("/notifications", headers=EN).text
    assert client.get(f"/g/{secret.handle}", headers=EN).status_code == 404
    assert client.post(f"/g/{secret.handle}/invitation/accept", headers=EN).status_code == 404
    closed_page = client.get(f"/g/{closed.handle}", headers=EN).text
    assert "Your invitation" not in closed_page and "invites you" not in closed_page
    response = client.post(f"/g/{closed.handle}/invitation/accept", headers=EN)
    assert response.status_code == 302
    assert "You have no pending invitation" in client.get(f"/g/{closed.handle}", headers=EN).text
    assert not _is_member(app, secret, squatter) and not _is_member(app, closed, squatter)

    # The owner of the mailbox opens the emailed link: the address is confirmed.
    page = client.get(f"/invitations/{secret_invitation.token}", headers=EN)
    assert page.status_code == 200
    assert _verified(app, squatter)
    assert "Cercle fermé" in client.get("/", headers=EN).text
    response = api_as(squatter).post(f"/api/v1/groups/{closed.handle}/memberships/me")
    assert response.status_code == 201, response.json
    assert _is_member(app, closed, squatter)


def test_the_emailed_link_works_for_an_unconfirmed_account_and_confirms_it(
    app, client, auth, make_user, invited
):
    secret, _closed, secret_invitation, _ = invited
    person = make_user(name="Victim", email=VICTIM, verified=False, locale="en")
    auth.login(person)
    response = client.post(f"/invitations/{secret_invitation.token}", headers=EN)
    assert response.headers["Location"] == f"/g/{secret.handle}"
    assert _is_member(app, secret, person)
    assert _verified(app, person)


def test_a_link_for_another_address_confirms_nothing(
    app, client, auth, people, make_group, make_user, make_invitation
):
    group = make_group(people.admin)
    invitation = make_invitation(group, people.admin, email="someone@example.org")
    person = make_user(email=VICTIM, verified=False, locale="en")
    auth.login(person)
    assert client.get(f"/invitations/{invitation.token}", headers=EN).status_code == 403
    assert client.post(f"/invitations/{invitation.token}", headers=EN).status_code == 403
    assert not _verified(app, person)


def test_an_account_confirmed_later_is_shown_its_invitations(
    app, client, auth, api_as, make_user, invited, announce
):
    from app.auth.models import User
    from app.auth.verify import make_confirmation_token

    secret, _closed, _, _ = invited
    person = make_user(email=VICTIM, verified=False, locale="en")
    announce()
    with app.app_context():
        token = make_confirmation_token(db.session.get(User, person.id))
    auth.login(person)
    assert client.get(f"/email/confirm/{token}").status_code == 302
    assert "Cercle secret" in client.get("/", headers=EN).text
    seen = api_as(person).get(f"/api/v1/groups/{secret.handle}")
    assert seen.status_code == 200 and seen.json["my_role"] is None
    response = api_as(person).post(f"/api/v1/groups/{secret.handle}/memberships/me")
    assert response.status_code == 201


def test_an_invitation_notice_written_before_is_hidden_until_the_address_is_confirmed(
    app, api_as, people, make_user, invited
):
    """Accounts from before confirmation existed start unconfirmed; notices already
    written to them about invitations wait for the confirmation too."""
    from app.auth.models import User
    from app.notifications.models import Notification
    from app.timeutil import utcnow

    secret, _closed, _, _ = invited
    person = make_user(email=VICTIM, verified=False, locale="en")
    with app.app_context():
        db.session.add(
            Notification(
                user_id=person.id,
                kind="invitation",
                group_id=secret.id,
                actor_id=people.admin.id,
                created_at=utcnow(),
            )
        )
        db.session.commit()
    assert api_as(person).get("/api/v1/notifications").json["items"] == []
    with app.app_context():
        db.session.get(User, person.id).email_verified_at = utcnow()
        db.session.commit()
    [item] = api_as(person).get("/api/v1/notifications").json["items"]
    assert item["kind"] == "invitation"
