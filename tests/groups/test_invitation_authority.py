"""An invitation speaks for an admin: it dies when its author stops being one, and a
person an admin removed cannot walk back in with a link made before the removal."""

from datetime import timedelta

from app.extensions import db
from app.groups.models import Invitation, Membership


def _set_role(client, group, membership_id, role):
    client.post(f"/g/{group.handle}/members/{membership_id}/role", data={"role": role})


def test_a_removed_admin_cannot_come_back_with_her_own_admin_link(
    app, client, auth, people, make_user, make_group, make_invitation, membership_id
):
    eve = make_user(name="Eve", email="eve@example.org", locale="en")
    group = make_group(people.admin, members=[eve])
    auth.login(people.admin)
    client.post(
        f"/g/{group.handle}/members/{membership_id(group, eve)}/role", data={"role": "admin"}
    )
    auth.login(eve)
    link = make_invitation(group, eve, role="admin", days=90)
    auth.login(people.admin)
    removed = client.post(f"/g/{group.handle}/members/{membership_id(group, eve)}/remove")
    assert removed.status_code == 302

    auth.login(eve)
    response = client.post(f"/invitations/{link.token}", headers={"Accept-Language": "en"})
    assert response.status_code == 410
    assert membership_id(group, eve) is None
    assert client.get(f"/g/{group.handle}").status_code == 404


def test_a_demoted_admins_pending_links_stop_working(
    app, client, auth, people, make_user, make_group, make_invitation, membership_id
):
    eve = make_user(name="Eve", email="eve@example.org", locale="en")
    group = make_group(people.admin, members=[eve])
    auth.login(people.admin)
    client.post(
        f"/g/{group.handle}/members/{membership_id(group, eve)}/role", data={"role": "admin"}
    )
    link = make_invitation(group, eve)
    client.post(
        f"/g/{group.handle}/members/{membership_id(group, eve)}/role", data={"role": "member"}
    )

    auth.login(people.outsider)
    response = client.post(f"/invitations/{link.token}", headers={"Accept-Language": "en"})
    assert response.status_code == 410
    assert membership_id(group, people.outsider) is None


def test_a_removed_member_cannot_use_a_link_made_before_the_removal(
    app, client, auth, people, make_group, make_invitation, membership_id
):
    group = make_group(people.admin, members=[people.member])
    link = make_invitation(group, people.admin)  # shared in the group's chat, say
    with app.app_context():  # made a minute before the removal
        invitation = db.session.get(Invitation, link.id)
        invitation.created_at -= timedelta(minutes=1)
        db.session.commit()
    auth.login(people.admin)
    client.post(f"/g/{group.handle}/members/{membership_id(group, people.member)}/remove")

    auth.login(people.member)
    assert client.post(f"/invitations/{link.token}").status_code == 410
    assert membership_id(group, people.member) is None
    # A new link made after the removal is the admin's new decision: it works.
    fresh = make_invitation(group, people.admin)
    assert client.post(f"/invitations/{fresh.token}").status_code == 302
    with app.app_context():
        assert db.session.get(Membership, membership_id(group, people.member)) is not None
