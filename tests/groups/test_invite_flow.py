"""Inviting without friction: a link with a note of whom it is for, shown once after a
redirect (a reload repeats nothing and is no 405), a list that tells links apart, the
group's description on the invitation page, and a newcomer who signs up from a link
lands in the group."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.extensions import db

EN = {"Accept-Language": "en"}


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


def _make_link(client, group, note="") -> str:
    response = client.post(
        f"/g/{group.handle}/invitations",
        data={"note": note, "email": "", "days": "14", "role": "member"},
        headers=EN,
    )
    assert response.status_code == 302
    assert response.location == f"/g/{group.handle}/members#new-link"
    page = client.get(response.location, headers=EN).text
    return re.search(r'id="new-invitation-link" value="([^"]+)"', page).group(1)


def test_a_link_for_someone_is_shown_once_after_a_redirect_and_listed_by_its_note(
    client, auth, people, make_group
):
    group = make_group(people.admin)
    auth.login(people.admin)
    show = client.get(f"/g/{group.handle}", headers=EN).text
    assert f'href="/g/{group.handle}/members#invite">Invite</a>' in show
    response = client.post(
        f"/g/{group.handle}/invitations",
        data={"note": "Bernard du mardi", "email": "", "days": "14", "role": "member"},
        headers=EN,
    )
    first = client.get(response.location, headers=EN)
    assert first.status_code == 200
    assert "Your invitation link for Bernard du mardi." in first.text
    assert re.search(
        r'id="new-invitation-link" value="http[^"]+/invitations/[^"]+" readonly', first.text
    )
    assert 'data-copy="new-invitation-link"' in first.text  # revealed by JavaScript
    # A reload of the page shown after creating the link: a plain GET, the link gone.
    again = client.get(response.location, headers=EN)
    assert again.status_code == 200
    assert "new-invitation-link" not in again.text
    _make_link(client, group)
    listed = again = client.get(f"/g/{group.handle}/members", headers=EN).text
    pending = listed[listed.index("Pending invitations") :]
    assert "<strong>Bernard du mardi</strong>" in pending
    assert "Link without a note" in pending
    assert pending.count("Link to share") == 2


def test_a_note_longer_than_a_name_is_refused_naming_the_field(client, auth, people, make_group):
    group = make_group(people.admin)
    auth.login(people.admin)
    response = client.post(
        f"/g/{group.handle}/invitations",
        data={"note": "x" * 101, "email": "", "days": "14", "role": "member"},
        headers=EN,
    )
    assert response.status_code == 400
    assert 'id="note-error"' in response.text


def test_the_invitation_page_shows_the_description_and_sign_up_first(
    client, auth, people, make_group
):
    group = make_group(people.admin, description="On se soutient *entre voisins*.")
    auth.login(people.admin)
    path = urlsplit(_make_link(client, group)).path
    auth.logout()
    page = client.get(path, headers=EN).text
    assert "<em>entre voisins</em>" in page
    signup = page.index(f'href="/signup?next={path}"')
    signin = page.index("/signin?next=")
    assert signup < signin
    assert "Create an account" in page


def test_signing_up_from_a_link_lands_in_the_group(app, client, auth, people, make_group):
    from app.auth.models import User

    group = make_group(people.admin)
    auth.login(people.admin)
    path = urlsplit(_make_link(client, group)).path
    auth.logout()
    response = client.post(
        f"/signup?next={path}",
        data={
            "name": "Nadia",
            "email": "nadia@example.org",
            "password": "un mot de passe assez long",
            "confirm": "un mot de passe assez long",
        },
        headers=EN,
    )
    assert response.status_code == 302
    assert response.location == f"/g/{group.handle}"
    page = client.get(response.location, headers=EN).text
    assert "Welcome to “" in page and "You are a member of this group." in page
    with app.app_context():
        nadia = db.session.scalar(sa.select(User).where(User.email == "nadia@example.org"))
    assert _is_member(app, group, nadia)
    # The link worked once: it is used.
    auth.logout()
    assert client.get(path, headers=EN).status_code == 410


def test_signing_up_with_another_address_than_the_invited_one_does_not_join(
    app, client, people, make_group, make_invitation
):
    from app.auth.models import User

    group = make_group(people.admin)
    invitation = make_invitation(group, people.admin, email="zoe@example.org")
    path = f"/invitations/{invitation.token}"
    response = client.post(
        f"/signup?next={path}",
        data={
            "name": "Pas Zoé",
            "email": "other@example.org",
            "password": "un mot de passe assez long",
            "confirm": "un mot de passe assez long",
        },
        headers=EN,
    )
    assert response.location == path  # the invitation's page, which says why
    with app.app_context():
        other = db.session.scalar(sa.select(User).where(User.email == "other@example.org"))
    assert not _is_member(app, group, other)
    assert client.get(path, headers=EN).status_code == 403


def test_signing_up_with_the_invited_address_joins(
    app, client, people, make_group, make_invitation
):
    from app.auth.models import User

    group = make_group(people.admin)
    invitation = make_invitation(group, people.admin, email="zoe@example.org")
    response = client.post(
        f"/signup?next=/invitations/{invitation.token}",
        data={
            "name": "Zoé",
            "email": "Zoe@Example.org",
            "password": "un mot de passe assez long",
            "confirm": "un mot de passe assez long",
        },
    )
    assert response.location == f"/g/{group.handle}"
    with app.app_context():
        zoe = db.session.scalar(sa.select(User).where(User.email == "zoe@example.org"))
    assert _is_member(app, group, zoe)
