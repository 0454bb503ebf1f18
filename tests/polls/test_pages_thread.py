"""Polls in a thread's timeline: the card at its creation time among the comments,
the "closed" event at its closing time, and a due poll finalised by the read."""

from __future__ import annotations

from datetime import timedelta

from fixtures.poll_pages import main_of

from app.auth.models import User
from app.extensions import db
from app.polls.models import Poll
from app.threads.models import Thread
from app.timeutil import utcnow


def test_the_card_and_its_close_sit_among_the_comments_in_time_order(
    app, run, thread_circle, auth, page, past_poll
):
    from app.threads.services import add_comment

    now = utcnow()

    def comment(text, moment):
        def write():
            add_comment(
                db.session.get(Thread, thread_circle.thread.id),
                author=db.session.get(User, thread_circle.members[0].id),
                body=text,
                now=moment,
            )

        run(write)

    comment("Avant la proposition", now - timedelta(hours=4))
    poll = past_poll(
        title="La proposition du cercle", stances=[(thread_circle.admin, {"key": "agree"}, "")]
    )
    comment("Pendant le vote", now - timedelta(minutes=90))
    comment("Après la clôture", now - timedelta(minutes=30))
    auth.login(thread_circle.members[1])
    status, html = page(f"/t/{thread_circle.thread.id}")
    assert status == 200
    main = main_of(html)
    order = [
        main.index("Avant la proposition"),
        main.index(f'id="poll-{poll.id}"'),
        main.index("Pendant le vote"),
        main.index(f'id="poll-{poll.id}-closed"'),
        main.index("Après la clôture"),
    ]
    assert order == sorted(order)
    assert "The poll La proposition du cercle closed" in main
    # Reading the thread finalised the due poll, as of its closing time.
    with app.app_context():
        closed = db.session.get(Poll, poll.id)
        assert closed.closed_at == poll.closing_at and closed.participants_at_close == 1


def test_a_thread_card_votes_back_into_the_thread(client, auth, thread_circle, new_poll, page):
    poll = new_poll()
    auth.login(thread_circle.members[0])
    html = page(f"/t/{thread_circle.thread.id}")[1]
    card = html.split(f'id="poll-{poll.id}"', 1)[1]
    assert f'action="/p/{poll.id}/stance"' in card and 'name="from" value="thread"' in card
    assert "polls.css" in html
    response = client.post(f"/p/{poll.id}/stance", data={"key": "agree", "from": "thread"})
    assert response.headers["Location"].endswith(
        f"/t/{thread_circle.thread.id}#p{poll.id}-confirmation"
    )
    card = page(f"/t/{thread_circle.thread.id}")[1].split(f'id="poll-{poll.id}"', 1)[1]
    assert "Withdraw my stance" in card and "Change my stance" in card


def test_a_thread_without_polls_still_renders(client, auth, thread_circle, page):
    auth.login(thread_circle.members[0])
    status, html = page(f"/t/{thread_circle.thread.id}")
    assert status == 200 and 'class="poll-card' not in html
