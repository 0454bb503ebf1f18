"""``@handle`` in a thread's context or a comment notifies that member of the group:
members yes, non-members no, oneself no, and on an edit only the newly named."""

from __future__ import annotations

from app.extensions import db
from app.timeutil import utcnow


def _start_thread(run_in_request, circle_with_outsider, author, body):
    from app.auth.models import User
    from app.groups.models import Group
    from app.threads.services import start_thread

    return run_in_request(
        lambda: (
            start_thread(
                db.session.get(Group, circle_with_outsider.group.id),
                author=db.session.get(User, author.id),
                title="Qui est disponible ?",
                body=body,
                now=utcnow(),
            ).id
        )
    )


def _comment(run_in_request, circle_with_outsider, author, body):
    from app.auth.models import User
    from app.threads.models import Thread
    from app.threads.services import add_comment

    return run_in_request(
        lambda: (
            add_comment(
                db.session.get(Thread, circle_with_outsider.thread.id),
                author=db.session.get(User, author.id),
                body=body,
                now=utcnow(),
            ).id
        )
    )


def test_comment_mentions_notify_members_only_not_oneself(
    circle_with_outsider, run_in_request, stored
):
    alice, bruno, chloe, _david = circle_with_outsider.people
    body = (
        f"Merci @{bruno.handle} et @{chloe.handle} ! "
        f"(@{circle_with_outsider.outsider.handle} n'est pas du cercle, @{alice.handle} c'est moi, "
        f"@personne n'existe pas)"
    )
    comment_id = _comment(run_in_request, circle_with_outsider, alice, body)
    rows = stored("mention")
    assert sorted(r[0] for r in rows) == sorted([bruno.id, chloe.id])
    assert all(
        r[2] == circle_with_outsider.thread.id and r[3] == comment_id and r[4] == alice.id
        for r in rows
    )


def test_mention_in_code_is_not_a_mention(circle_with_outsider, run_in_request, stored):
    bruno = circle_with_outsider.members[0]
    _comment(
        run_in_request,
        circle_with_outsider,
        circle_with_outsider.admin,
        f"`@{bruno.handle}` en code",
    )
    assert stored("mention") == []


def test_thread_context_mentions(circle_with_outsider, run_in_request, stored):
    bruno = circle_with_outsider.members[0]
    thread_id = _start_thread(
        run_in_request,
        circle_with_outsider,
        circle_with_outsider.admin,
        f"Bonjour @{bruno.handle.upper()}",
    )
    assert stored("mention") == [
        (bruno.id, "mention", thread_id, None, circle_with_outsider.admin.id)
    ]


def test_editing_a_comment_notifies_only_the_newly_mentioned(
    circle_with_outsider, run_in_request, stored
):
    from app.threads.models import Comment
    from app.threads.services import edit_comment

    alice, bruno, chloe, david = circle_with_outsider.people
    comment_id = _comment(run_in_request, circle_with_outsider, alice, f"Salut @{bruno.handle}")

    def edit(body):
        run_in_request(
            lambda: edit_comment(db.session.get(Comment, comment_id), body=body, now=utcnow())
        )

    edit(f"Salut @{bruno.handle} et @{chloe.handle}")
    edit(f"Salut @{bruno.handle} et @{chloe.handle} !")  # no new name: nothing new
    assert sorted(r[0] for r in stored("mention")) == sorted([bruno.id, chloe.id])
    edit(f"Salut @{david.handle}")
    assert sorted(r[0] for r in stored("mention")) == sorted([bruno.id, chloe.id, david.id])


def test_editing_a_thread_notifies_only_the_newly_mentioned(
    circle_with_outsider, run_in_request, stored
):
    from app.auth.models import User
    from app.threads.models import Thread
    from app.threads.services import edit_thread

    alice, bruno, chloe, _david = circle_with_outsider.people
    thread_id = _start_thread(run_in_request, circle_with_outsider, alice, f"Avec @{bruno.handle}")

    def edit(body, editor=alice):
        run_in_request(
            lambda: edit_thread(
                db.session.get(Thread, thread_id),
                editor=db.session.get(User, editor.id),
                body=body,
                now=utcnow(),
            )
        )

    edit(f"Avec @{bruno.handle} et @{chloe.handle}")
    edit(f"Avec @{bruno.handle}, @{chloe.handle}", editor=chloe)  # Chloé is named by herself
    rows = stored("mention")
    assert [(r[0], r[4]) for r in rows] == [(bruno.id, alice.id), (chloe.id, alice.id)]


def test_a_mention_posted_through_the_page_shows_in_the_header(circle_with_outsider, client, auth):
    bruno = circle_with_outsider.members[0]
    auth.login(circle_with_outsider.admin)
    client.post(
        f"/t/{circle_with_outsider.thread.id}/comments",
        data={"body": f"Tu peux venir, @{bruno.handle} ?"},
    )
    auth.login(bruno)
    header = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "(1 unread)" in header.split("</header>")[0]
    page = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Alice mentioned you in “Nos accords”." in page
