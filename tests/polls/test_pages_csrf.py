"""The poll forms carry the CSRF token, and a POST without it is refused."""

from __future__ import annotations

import re
from datetime import timedelta

from fixtures.accounts import session_user_id

from app.extensions import db
from app.timeutil import utcnow


def test_poll_forms_need_the_csrf_token(csrf_app):
    from app.auth.services import create_user
    from app.groups.services import create_group
    from app.polls.services import create_poll
    from app.threads.services import start_thread

    with csrf_app.app_context():
        user = create_user(
            email="anais@example.org", name="Anaïs", password="correct horse battery"
        )
        group = create_group(creator=user, name="Cercle", handle="cercle", now=utcnow())
        thread = start_thread(group, author=user, title="Sujet", body="", now=utcnow())
        now = utcnow()
        poll = create_poll(
            thread,
            author=user,
            kind="proposal",
            title="Oui ?",
            closing_at=now + timedelta(days=1),
            now=now,
        )
        db.session.commit()
        user_id, poll_id, thread_id = user.id, poll.id, thread.id
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(client.application, user_id)
        session["_fresh"] = True
    refused = client.post(f"/p/{poll_id}/stance", data={"key": "agree"})
    assert refused.status_code == 400
    for path in (f"/p/{poll_id}", f"/t/{thread_id}"):
        html = client.get(path).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        assert f'action="/p/{poll_id}/stance"' in html
    response = client.post(f"/p/{poll_id}/stance", data={"key": "agree", "csrf_token": token})
    assert response.status_code == 302
    new_page = client.get(f"/t/{thread_id}/polls/new?kind=choice").get_data(as_text=True)
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', new_page)
