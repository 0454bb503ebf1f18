"""The group forms carry the CSRF token, and refuse a POST without it."""

from __future__ import annotations

import re

from fixtures.accounts import session_user_id

from app.extensions import db

EN = {"Accept-Language": "en"}


def test_group_forms_need_the_csrf_token(csrf_app):
    from app.auth.services import create_user

    with csrf_app.app_context():
        user = create_user(
            email="anais@example.org", name="Anaïs", password="correct horse battery"
        )
        db.session.commit()
        user_id = user.id
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(client.application, user_id)
        session["_fresh"] = True

    form = {"name": "Cercle", "handle": "cercle-csrf", "privacy": "secret"}
    assert client.post("/groups/new", data=form, headers=EN).status_code == 400
    html = client.get("/groups/new").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/groups/new", data={**form, "csrf_token": token})
    assert response.headers["Location"] == "/g/cercle-csrf"

    members = client.get("/g/cercle-csrf/members").text
    # Every form of the members page (leave, invite) carries the token.
    assert members.count('<form method="post"') == members.count('name="csrf_token"')
    assert client.post("/g/cercle-csrf/invitations", data={"days": "3"}).status_code == 400
    assert client.post("/g/cercle-csrf/leave").status_code == 400
