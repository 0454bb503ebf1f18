"""A person's page, /u/<handle>: only for people who share a group with them."""

from __future__ import annotations

from app.auth.models import User
from app.extensions import db
from app.timeutil import utcnow

EN = {"Accept-Language": "en"}


def test_visible_to_someone_who_shares_a_group(client, auth, user, make_user, make_group):
    other = make_user(name="Bastien Roux")
    group = make_group(user, members=[other], name="Les Tilleuls")
    auth.login(user)
    response = client.get(f"/u/{other.handle}", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bastien Roux" in html and f"@{other.handle}" in html
    assert "Les Tilleuls" in html and f'href="/g/{group.handle}"' in html


def test_handle_is_case_insensitive(client, auth, user, make_user, make_group):
    other = make_user(name="Bastien Roux")
    make_group(user, members=[other])
    auth.login(user)
    assert client.get(f"/u/{other.handle.upper()}").status_code == 200


def test_hidden_from_someone_who_shares_no_group(client, auth, user, make_user, make_group):
    stranger = make_user(name="Camille")
    make_group(stranger)  # a group of theirs, without me
    auth.login(user)
    response = client.get(f"/u/{stranger.handle}", headers=EN)
    assert response.status_code == 404
    # Same page as a handle that does not exist: nothing tells that the person exists.
    missing = client.get("/u/nobody-here", headers=EN)
    assert missing.status_code == 404
    assert response.get_data() == missing.get_data()


def test_hidden_after_leaving_the_group(app, client, auth, user, make_user, make_group):
    from app.groups.models import Group
    from app.groups.services import current_membership, revoke_membership

    other = make_user(name="Bastien Roux")
    group = make_group(user, members=[other])
    with app.app_context():
        g = db.session.get(Group, group.id)
        revoke_membership(
            g, current_membership(g, other.id), actor=db.session.get(User, user.id), now=utcnow()
        )
        db.session.commit()
    auth.login(user)
    assert client.get(f"/u/{other.handle}").status_code == 404


def test_my_own_page_is_visible(client, auth, user):
    auth.login(user)
    assert client.get(f"/u/{user.handle}").status_code == 200


def test_needs_sign_in(client, user):
    response = client.get(f"/u/{user.handle}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin")
