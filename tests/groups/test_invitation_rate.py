"""Invitations emailed by one person are limited, pages and API together: each email
reaches a stranger's mailbox, so a new account cannot make the site a spam relay."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db

EN = {"Accept-Language": "en"}


@pytest.fixture
def app_config() -> dict:
    return {"INVITATION_RATE_LIMIT": "2 per hour"}


def _invitations(app) -> int:
    from app.groups.models import Invitation

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Invitation.id)))


def test_past_the_limit_no_invitation_is_emailed_by_page_or_api(
    app, client, auth, api_as, people, make_group, error_of
):
    group = make_group(people.admin)
    api = api_as(people.admin)
    url = f"/api/v1/groups/{group.handle}/memberships"
    assert api.post(url, json={"email": "one@example.org"}).status_code == 201
    auth.login(people.admin)
    page = client.post(
        f"/g/{group.handle}/invitations",
        data={"email": "two@example.org", "days": "14", "role": "member"},
    )
    assert page.status_code == 302

    refused = api.post(url, json={"email": "three@example.org"}, headers=EN)
    error = error_of(refused, 429)
    assert "many invitations" in error["message"]
    assert int(refused.headers["Retry-After"]) > 0
    refused_page = client.post(
        f"/g/{group.handle}/invitations",
        data={"email": "four@example.org", "days": "14", "role": "member"},
        headers=EN,
    )
    assert refused_page.status_code == 429
    assert "many invitations" in refused_page.text
    assert _invitations(app) == 2

    # a shareable link emails no one: not counted
    link = client.post(
        f"/g/{group.handle}/invitations", data={"email": "", "days": "14", "role": "member"}
    )
    assert link.status_code == 302 and _invitations(app) == 3


def test_each_person_has_their_own_count(api_as, people, make_group):
    first = make_group(people.admin)
    second = make_group(people.member)
    for n in range(2):
        response = api_as(people.admin).post(
            f"/api/v1/groups/{first.handle}/memberships", json={"email": f"a{n}@example.org"}
        )
        assert response.status_code == 201
    response = api_as(people.member).post(
        f"/api/v1/groups/{second.handle}/memberships", json={"email": "b@example.org"}
    )
    assert response.status_code == 201
