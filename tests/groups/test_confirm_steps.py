"""Destructive acts ask first, without JavaScript: a link to a confirmation page (GET,
nothing written), whose button does it (POST); the only admin is not offered what would
be refused, and a refusal says why with a way back."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db

EN = {"Accept-Language": "en"}


def _form_action(page: str) -> str | None:
    found = re.search(r'<form method="post" action="([^"]+)" class="actions">', page)
    return found.group(1) if found else None


def test_leaving_asks_first_and_the_question_writes_nothing(
    client, auth, people, make_group, membership_id
):
    group = make_group(people.admin, members=[people.member])
    auth.login(people.member)
    members = client.get(f"/g/{group.handle}/members", headers=EN).text
    link = f'href="/g/{group.handle}/leave?next=/g/{group.handle}/members"'
    assert link in members  # a link, not a one-tap form
    question = client.get(f"/g/{group.handle}/leave?next=/g/{group.handle}/members", headers=EN)
    assert question.status_code == 200
    assert f"Leave “{group.name}”?" in question.text
    assert "What you wrote stays in the group" in question.text
    assert _form_action(question.text) == f"/g/{group.handle}/leave"
    assert (
        f'class="secondary outline" href="/g/{group.handle}/members">No, go back</a>'
        in question.text
    )
    assert membership_id(group, people.member) is not None  # asking changed nothing
    done = client.post(f"/g/{group.handle}/leave", headers=EN, follow_redirects=True)
    assert "You have left" in done.text
    assert membership_id(group, people.member) is None


def test_the_way_back_never_leaves_the_site(client, auth, people, make_group):
    group = make_group(people.admin, members=[people.member])
    auth.login(people.member)
    page = client.get(f"/g/{group.handle}/leave?next=https://evil.example/", headers=EN).text
    assert "evil.example" not in page
    assert f'href="/g/{group.handle}">No, go back</a>' in page


def test_removing_someone_asks_first_then_comes_back(
    client, auth, people, make_group, membership_id
):
    group = make_group(people.admin, members=[people.member])
    mid = membership_id(group, people.member)
    auth.login(people.admin)
    members = client.get(f"/g/{group.handle}/members", headers=EN).text
    assert f'href="/g/{group.handle}/members/{mid}/remove?next=' in members
    question = client.get(f"/g/{group.handle}/members/{mid}/remove", headers=EN)
    assert question.status_code == 200
    assert "Remove Bob Member from" in question.text
    assert "Yes, remove Bob Member" in question.text
    assert membership_id(group, people.member) == mid
    done = client.post(
        f"/g/{group.handle}/members/{mid}/remove",
        data={"next": f"/g/{group.handle}/members"},
        headers=EN,
    )
    assert done.status_code == 302 and done.location.endswith(f"/g/{group.handle}/members")
    assert membership_id(group, people.member) is None


def test_cancelling_an_invitation_asks_first(
    app, client, auth, people, make_group, make_invitation
):
    from app.groups.models import Invitation

    group = make_group(people.admin)
    invitation = make_invitation(group, people.admin, email="zoe@example.org")
    auth.login(people.admin)
    members = client.get(f"/g/{group.handle}/members", headers=EN).text
    assert f'href="/g/{group.handle}/invitations/{invitation.id}/cancel?next=' in members
    question = client.get(f"/g/{group.handle}/invitations/{invitation.id}/cancel", headers=EN)
    assert "Cancel the invitation for zoe@example.org?" in question.text
    with app.app_context():
        assert db.session.get(Invitation, invitation.id).cancelled_at is None
    client.post(f"/g/{group.handle}/invitations/{invitation.id}/cancel")
    with app.app_context():
        assert db.session.get(Invitation, invitation.id).cancelled_at is not None
    again = client.get(f"/g/{group.handle}/invitations/{invitation.id}/cancel", headers=EN)
    assert "nothing to cancel" in again.text and "Yes, cancel" not in again.text


def test_only_what_is_allowed_is_offered_to_the_only_admin(
    client, auth, people, make_group, membership_id
):
    group = make_group(people.admin, members=[people.member])
    auth.login(people.admin)
    page = client.get(f"/g/{group.handle}/members", headers=EN).text
    assert "Make member" not in page
    assert f"/g/{group.handle}/leave" not in page
    assert 'id="sole-admin-note"' in page and "only admin" in page
    assert "Make admin" in page  # for Bob
    # Asked anyway (an old tab): the reason, and a way back; nothing changes.
    refused = client.get(f"/g/{group.handle}/leave", headers=EN)
    assert refused.status_code == 200
    assert "make another member an admin first" in refused.text
    assert "Yes, leave" not in refused.text
    posted = client.post(f"/g/{group.handle}/leave", headers=EN, follow_redirects=True)
    assert "make another member an admin first" in posted.text
    assert "conflicts with the current state" not in posted.text
    mine = membership_id(group, people.admin)
    demoted = client.post(
        f"/g/{group.handle}/members/{mine}/role",
        data={"role": "member"},
        headers=EN,
        follow_redirects=True,
    )
    assert "then you can become a plain member" in demoted.text
    # With a second admin, both are offered again.
    client.post(
        f"/g/{group.handle}/members/{membership_id(group, people.member)}/role",
        data={"role": "admin"},
    )
    page = client.get(f"/g/{group.handle}/members", headers=EN).text
    assert page.count("Make member") == 2
    assert f"/g/{group.handle}/leave?next=" in page


def test_members_are_cards_in_alphabetical_order_accents_aside(client, auth, make_user, make_group):
    admin = make_user(name="Zoé Admin", locale="en")
    others = [make_user(name=n) for n in ("Sophie Martin", "Élise Girard", "bernard Petit")]
    group = make_group(admin, members=others)
    auth.login(admin)
    page = client.get(f"/g/{group.handle}/members", headers=EN).text
    assert '<ul class="member-cards">' in page and "<table" not in page
    names = re.findall(r'<p class="member-name"><strong>([^<]+)</strong>', page)
    assert names == ["Zoé Admin", "bernard Petit", "Élise Girard", "Sophie Martin"]


def test_revoking_a_token_asks_first(app, client, auth, people):
    from app.auth.models import ApiToken, User
    from app.auth.services import create_api_token
    from app.timeutil import utcnow

    with app.app_context():
        token, _secret = create_api_token(
            db.session.get(User, people.member.id), "Mon script", now=utcnow()
        )
        db.session.commit()
        token_id = token.id
    auth.login(people.member)
    profile = client.get("/profile", headers=EN).text
    assert f'href="/profile/tokens/{token_id}/revoke?next=/profile"' in profile
    question = client.get(f"/profile/tokens/{token_id}/revoke", headers=EN)
    assert "Revoke the token “Mon script”?" in question.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1
    client.post(f"/profile/tokens/{token_id}/revoke")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
