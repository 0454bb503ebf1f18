"""The notifications page, opening one (marks it read), marking all read, the header's
count; login required, only my own notifications."""

from __future__ import annotations

import re

from fixtures.accounts import session_user_id

from app.timeutil import utcnow

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def _main(html: str) -> str:
    return html.split("<main", 1)[1]


def test_the_page_needs_sign_in(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert client.post("/notifications/read").status_code == 302


def test_lists_my_notifications_newest_first_unread_marked(
    circle_with_outsider, client, auth, send
):
    bruno, chloe = circle_with_outsider.members[:2]
    send([bruno], "mention", actor=circle_with_outsider.admin)
    send([bruno], "poll_remind", actor=chloe, message="Pensez à voter, merci !")
    send([chloe], "mention", actor=circle_with_outsider.admin)  # not Bruno's
    auth.login(bruno)
    html = client.get("/notifications", headers=EN).get_data(as_text=True)
    main = _main(html)
    assert main.count('class="notification is-unread"') == 2
    assert main.index("Chloé reminds you to vote") < main.index("Alice mentioned you")
    assert "Pensez à voter, merci !" in main
    assert "Mark all as read" in main
    assert 'aria-current="page"' in html


def test_the_page_in_french(circle_with_outsider, client, auth, send):
    bruno = circle_with_outsider.members[0]
    send([bruno], "mention", actor=circle_with_outsider.admin)
    auth.login(bruno)
    response = client.get("/notifications", headers=FR)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fr"' in html and "Nos accords" in html


def test_viewing_does_not_mark_read(circle_with_outsider, client, auth, send, run_in_request):
    from app.notifications.services import unread_count

    bruno = circle_with_outsider.members[0]
    send([bruno], "mention", actor=circle_with_outsider.admin)
    auth.login(bruno)
    client.get("/notifications")
    assert run_in_request(lambda: unread_count(bruno.id)) == 1


def test_opening_marks_read_and_goes_to_the_thread(
    circle_with_outsider, client, auth, send, run_in_request
):
    from app.notifications.services import unread_count

    bruno = circle_with_outsider.members[0]
    [nid] = send([bruno], "mention", actor=circle_with_outsider.admin)
    auth.login(bruno)
    response = client.post(f"/notifications/{nid}/open")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{circle_with_outsider.thread.id}")
    assert run_in_request(lambda: unread_count(bruno.id)) == 0
    html = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert "is-unread" not in html and "Mark all as read" not in html


def test_a_comment_mention_leads_to_the_comment(circle_with_outsider, client, auth, run_in_request):
    from app.auth.models import User
    from app.extensions import db
    from app.notifications.models import Notification
    from app.threads.models import Thread
    from app.threads.services import add_comment

    bruno = circle_with_outsider.members[0]
    comment_id = run_in_request(
        lambda: (
            add_comment(
                db.session.get(Thread, circle_with_outsider.thread.id),
                author=db.session.get(User, circle_with_outsider.admin.id),
                body=f"Qu'en penses-tu, @{bruno.handle} ?",
                now=utcnow(),
            ).id
        )
    )
    nid = run_in_request(lambda: db.session.scalars(db.select(Notification.id)).one())
    auth.login(bruno)
    response = client.post(f"/notifications/{nid}/open")
    assert response.headers["Location"].endswith(
        f"/t/{circle_with_outsider.thread.id}#comment-{comment_id}"
    )


def test_a_poll_notification_leads_to_the_poll(
    app, circle_with_outsider, client, auth, send, run_in_request
):
    from datetime import timedelta

    from app.auth.models import User
    from app.extensions import db
    from app.polls.services import create_poll
    from app.threads.models import Thread
    from app.timeutil import utcnow

    now = utcnow()
    poll_id = run_in_request(
        lambda: (
            create_poll(
                db.session.get(Thread, circle_with_outsider.thread.id),
                author=db.session.get(User, circle_with_outsider.admin.id),
                kind="proposal",
                title="Un groupe Zoom ?",
                closing_at=now + timedelta(days=1),
                now=now,
            ).id
        )
    )
    bruno = circle_with_outsider.members[0]
    [nid] = send([bruno], "poll_opened", actor=circle_with_outsider.admin, poll=poll_id)
    auth.login(bruno)
    location = client.post(f"/notifications/{nid}/open").headers["Location"]
    if "polls.show" in app.view_functions:
        assert location.endswith(f"/p/{poll_id}")
    else:
        assert location.endswith(f"/t/{circle_with_outsider.thread.id}")
    html = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert "Alice made a proposal: “Un groupe Zoom ?”." in html  # a proposal is a poll
    assert "You can vote on it." in html


def test_someone_elses_notification_is_404(
    circle_with_outsider, client, auth, send, run_in_request
):
    from app.notifications.services import unread_count

    bruno, chloe = circle_with_outsider.members[:2]
    [nid] = send([chloe], "mention", actor=circle_with_outsider.admin)
    auth.login(bruno)
    assert client.post(f"/notifications/{nid}/open").status_code == 404
    assert client.post("/notifications/999999/open").status_code == 404
    assert run_in_request(lambda: unread_count(chloe.id)) == 1


def test_mark_all_as_read(circle_with_outsider, client, auth, send, run_in_request):
    from app.notifications.services import unread_count

    bruno, chloe = circle_with_outsider.members[:2]
    send([bruno], "mention", actor=circle_with_outsider.admin)
    send([bruno], "mention", actor=chloe)
    send([chloe], "mention", actor=circle_with_outsider.admin)
    auth.login(bruno)
    response = client.post("/notifications/read", headers=EN, follow_redirects=True)
    assert "All your notifications are marked as read." in response.get_data(as_text=True)
    assert run_in_request(lambda: unread_count(bruno.id)) == 0
    assert run_in_request(lambda: unread_count(chloe.id)) == 1  # only mine


def test_writes_need_the_csrf_token(csrf_app, circle_with_outsider, send):
    bruno = circle_with_outsider.members[0]
    [nid] = send([bruno], "mention", actor=circle_with_outsider.admin)
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(client.application, bruno.id)
    html = client.get("/notifications", headers=EN).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    assert client.post("/notifications/read").status_code == 400
    assert client.post(f"/notifications/{nid}/open").status_code == 400
    opened = client.post(f"/notifications/{nid}/open", data={"csrf_token": token})
    assert opened.status_code == 302
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302


def test_header_shows_the_unread_count(circle_with_outsider, client, auth, send):
    bruno = circle_with_outsider.members[0]
    auth.login(bruno)
    html = client.get("/", headers=EN).get_data(as_text=True)
    header = html.split("</header>")[0]
    assert 'href="/notifications"' in header or "/notifications" in header
    assert "unread-count" not in header
    send([bruno], "mention", actor=circle_with_outsider.admin)
    send([bruno], "mention", actor=circle_with_outsider.members[1])
    send([bruno], "mention", actor=circle_with_outsider.members[2])
    header = client.get("/", headers=EN).get_data(as_text=True).split("</header>")[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", header))
    assert "Notifications (3)" in text  # what one sees
    assert "(3 unread)" in header  # what a screen reader says too
    fr = client.get("/", headers=FR).get_data(as_text=True).split("</header>")[0]
    assert "(3)" in fr


def test_header_count_costs_one_query_and_none_when_signed_out(
    circle_with_outsider, client, auth, send, count_queries
):
    bruno = circle_with_outsider.members[0]

    def notification_queries(path):
        with count_queries() as q:
            assert client.get(path).status_code == 200
        return [s for s in q.statements if "notifications" in s]

    assert notification_queries("/signin") == []
    auth.login(bruno)
    assert len(notification_queries("/")) == 1
    for _ in range(5):
        send([bruno], "mention", actor=circle_with_outsider.admin)
    assert len(notification_queries("/")) == 1


def test_someone_removed_no_longer_reads_the_groups_titles(
    circle_with_outsider, client, auth, send, run_in_request
):
    from app.auth.models import User
    from app.extensions import db
    from app.groups.models import Group
    from app.groups.services import current_membership, revoke_membership

    bruno = circle_with_outsider.members[0]
    send([bruno], "mention", actor=circle_with_outsider.admin)
    auth.login(bruno)
    assert "Alice mentioned you" in _main(client.get("/notifications", headers=EN).get_data(True))

    def remove():
        group = db.session.get(Group, circle_with_outsider.group.id)
        admin = db.session.get(User, circle_with_outsider.admin.id)
        revoke_membership(group, current_membership(group, bruno.id), actor=admin, now=utcnow())

    run_in_request(remove)
    main = _main(client.get("/notifications", headers=EN).get_data(as_text=True))
    assert "Alice mentioned you" not in main
    assert circle_with_outsider.thread.title not in main


def test_header_count_read_with_the_person_is_the_count(
    circle_with_outsider, client, auth, send, run_in_request
):
    """The header's count comes with the person in the sign-in statement: the same
    count as ``unread_count``, confirmed address or not, member or not, and one read
    since is counted out."""
    from app.auth.models import User
    from app.extensions import db
    from app.notifications.services import mark_read, unread_count

    def header_count() -> str:
        header = client.get("/", headers=EN).get_data(as_text=True).split("</header>")[0]
        found = re.search(r'class="unread-count"[^>]*>\((\d+\+?)\)', header)
        return found.group(1) if found else "0"

    def counted(person) -> str:
        return str(run_in_request(lambda: unread_count(db.session.get(User, person.id))))

    def confirmed(person, when):
        run_in_request(lambda: setattr(db.session.get(User, person.id), "email_verified_at", when))

    bruno, eric = circle_with_outsider.members[0], circle_with_outsider.outsider
    first = send([bruno, eric], "mention", actor=circle_with_outsider.admin)
    send([bruno, eric], "invitation", actor=circle_with_outsider.admin)
    for person, expected in ((bruno, {"2"}), (eric, {"0", "1"})):
        auth.login(person)
        for when in (None, utcnow()):
            confirmed(person, when)
            got, want = header_count(), counted(person)
            assert got == want and got in expected, (person.name, when, got, want)
    auth.login(bruno)
    run_in_request(lambda: mark_read(db.session.get(User, bruno.id), first[:1], now=utcnow()))
    assert header_count() == counted(bruno) == "1"
