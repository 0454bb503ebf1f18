"""One's own new thread, and one's own poll in it, are no news to oneself: no «new»
mark on the group page, however they were started."""

from __future__ import annotations

from datetime import timedelta

from app.timeutil import utcnow


def test_own_thread_and_poll_are_not_marked_new(client, auth, api_as, thread_circle):
    admin, bruno = thread_circle.admin, thread_circle.members[0]
    api = api_as(admin)
    created = api.post(
        f"/api/v1/groups/{thread_circle.group.handle}/threads",
        json={"title": "Mon sujet", "body": "Le contexte."},
    )
    assert created.status_code == 201
    closing = (utcnow() + timedelta(days=2)).isoformat()
    poll = api.post(
        f"/api/v1/threads/{created.get_json()['id']}/polls",
        json={"kind": "proposal", "title": "On essaie ?", "closing_at": closing},
    )
    assert poll.status_code == 201, poll.get_json()

    auth.login(admin)
    html = client.get(f"/g/{thread_circle.group.handle}").get_data(as_text=True)
    row = html[
        html.rindex("Mon sujet") - 200 : html.rindex("Mon sujet") + 400
    ]  # the list, not «Ouvert au vote»
    assert "is-new" not in row and "badge-new" not in row
    auth.login(bruno)
    html = client.get(f"/g/{thread_circle.group.handle}").get_data(as_text=True)
    row = html[
        html.rindex("Mon sujet") - 200 : html.rindex("Mon sujet") + 400
    ]  # the list, not «Ouvert au vote»
    assert "badge-new" in row  # news to the others
