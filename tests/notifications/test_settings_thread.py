"""A discussion's own email setting: set, changed and removed from its page, listed on
the settings page; only members of the thread's group have one."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow

FR = {"Accept-Language": "fr"}


def _override(app, person, thread):
    from app.notifications.models import ThreadPreference

    with app.app_context():
        return db.session.scalar(
            sa.select(ThreadPreference.volume).where(
                ThreadPreference.user_id == person.id, ThreadPreference.thread_id == thread.id
            )
        )


def test_set_change_and_remove_from_the_thread_page(app, client, auth, circle_with_outsider):
    bruno, thread = circle_with_outsider.members[0], circle_with_outsider.thread
    auth.login(bruno)
    page = client.get(f"/t/{thread.id}", headers=FR).get_data(as_text=True)
    assert "Vos courriels sur cette discussion" in page
    assert "Votre réglage pour le cercle\u00a0: Tout" in page
    assert '<option selected value="">Comme le reste du cercle</option>' in page

    response = client.post(f"/t/{thread.id}/emails", data={"volume": "mute"}, headers=FR)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{thread.id}#thread-emails")
    assert _override(app, bruno, thread) == "mute"
    page = client.get(f"/t/{thread.id}", headers=FR).get_data(as_text=True)
    assert "Courriels sur cette discussion\u00a0: Silence\u00a0: aucun courriel" in page
    assert '<option selected value="mute">' in page

    client.post(f"/t/{thread.id}/emails", data={"volume": "digest"})
    assert _override(app, bruno, thread) == "digest"
    settings = client.get("/notifications/settings", headers=FR).get_data(as_text=True)
    assert thread.title in settings and "le cercle\u00a0: Tout" in settings

    client.post(f"/t/{thread.id}/emails", data={"volume": ""})
    assert _override(app, bruno, thread) is None


def test_removed_from_the_settings_page(app, client, auth, circle_with_outsider):
    bruno, thread = circle_with_outsider.members[0], circle_with_outsider.thread
    auth.login(bruno)
    client.post(f"/t/{thread.id}/emails", data={"volume": "mute"})
    response = client.post(f"/notifications/settings/threads/{thread.id}/remove", headers=FR)
    assert response.status_code == 302
    assert _override(app, bruno, thread) is None
    html = client.get("/notifications/settings", headers=FR).get_data(as_text=True)
    assert "Les courriels de cette discussion suivent à nouveau le réglage de son cercle." in html
    assert "Aucune\u00a0: chaque discussion suit le réglage de son cercle." in html


def test_someone_elses_override_is_never_removed(app, client, auth, circle_with_outsider):
    bruno, chloe = circle_with_outsider.members[:2]
    thread = circle_with_outsider.thread
    auth.login(chloe)
    client.post(f"/t/{thread.id}/emails", data={"volume": "mute"})
    auth.login(bruno)
    assert client.post(f"/notifications/settings/threads/{thread.id}/remove").status_code == 302
    assert client.post("/notifications/settings/threads/999999/remove").status_code == 302
    assert _override(app, chloe, thread) == "mute"


def test_a_bad_value_changes_nothing(app, client, auth, circle_with_outsider):
    bruno, thread = circle_with_outsider.members[0], circle_with_outsider.thread
    auth.login(bruno)
    response = client.post(f"/t/{thread.id}/emails", data={"volume": "loud"}, headers=FR)
    assert response.status_code == 302
    assert _override(app, bruno, thread) is None
    page = client.get(f"/t/{thread.id}", headers=FR).get_data(as_text=True)
    assert "Choisissez l&#39;un des réglages proposés" in page


def test_only_members_of_the_threads_group(
    app, client, auth, make_user, make_group, make_thread, circle_with_outsider
):
    outsider, thread = circle_with_outsider.outsider, circle_with_outsider.thread
    auth.login(outsider)
    # a secret group's thread: it does not exist for them
    assert client.post(f"/t/{thread.id}/emails", data={"volume": "mute"}).status_code == 404
    # an open group's thread: readable, but emails are for members
    owner = make_user(name="Olivia")
    open_group = make_group(owner, privacy="open")
    open_thread = make_thread(open_group, owner, title="Ouvert à tous")
    page = client.get(f"/t/{open_thread.id}").get_data(as_text=True)
    assert 'id="thread-emails"' not in page
    assert client.post(f"/t/{open_thread.id}/emails", data={"volume": "mute"}).status_code == 403
    assert _override(app, outsider, open_thread) is None
    # a member who left keeps no say, and their old override is no longer listed
    bruno = circle_with_outsider.members[0]
    auth.login(bruno)
    client.post(f"/t/{thread.id}/emails", data={"volume": "mute"})
    with app.app_context():
        from app.auth.models import User
        from app.groups.models import Group
        from app.groups.services import current_membership, revoke_membership

        group = db.session.get(Group, circle_with_outsider.group.id)
        revoke_membership(
            group,
            current_membership(group, bruno.id),
            actor=db.session.get(User, bruno.id),
            now=utcnow(),
        )
        db.session.commit()
    assert client.post(f"/t/{thread.id}/emails", data={"volume": "all"}).status_code == 404
    html = client.get("/notifications/settings").get_data(as_text=True)
    assert thread.title not in html
