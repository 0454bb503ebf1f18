"""Voting from the pages: take, change and withdraw a stance, each kind's inputs,
reasons and their errors, the history, and a closed poll's 409."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fixtures.poll_pages import EN, FR, main_of, text_of

from app.extensions import db
from app.polls.models import Stance


def _stances(app, poll_id):
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Stance).where(Stance.poll_id == poll_id).order_by(Stance.id)
        ).all()
        return [(s.voter_id, s.choice, s.reason, s.is_current) for s in rows]


def _current(app, poll_id, person):
    return [s for s in _stances(app, poll_id) if s[0] == person.id and s[3]]


def test_vote_change_and_withdraw_a_proposal(app, client, auth, thread_circle, new_poll, page):
    poll = new_poll()
    bruno = thread_circle.members[0]
    auth.login(bruno)
    status, html = page(f"/p/{poll.id}")
    assert status == 200
    # The four options, in that order, each with its meaning.
    order = [html.index(f'value="{key}"') for key in ("agree", "abstain", "disagree", "block")]
    assert order == sorted(order)
    text = text_of(html)
    assert "I consent: I can live with this proposal." in text
    assert "What is your objection, and what would resolve it?" in text
    assert 'maxlength="500"' in html and "At most 500 characters." in text

    response = client.post(f"/p/{poll.id}/stance", data={"key": "agree", "reason": "Ça me va."})
    assert response.status_code == 302
    # Back on the card, at the confirmation: not at the top of the page, out of sight.
    assert response.headers["Location"].endswith(f"/p/{poll.id}#p{poll.id}-confirmation")
    assert _current(app, poll.id, bruno) == [(bruno.id, {"key": "agree"}, "Ça me va.", True)]
    _status, html = page(f"/p/{poll.id}")
    confirmation = html.split(f'id="p{poll.id}-confirmation"', 1)[1].split("</p>", 1)[0]
    assert "Votre position est enregistrée." in confirmation and "autofocus" in confirmation
    assert 'class="flashes"' not in html  # said once, where the person lands
    assert "Your stance:" in text_of(html) and "Withdraw my stance" in html
    assert "Change your stance" in html

    client.post(f"/p/{poll.id}/stance", data={"key": "disagree", "reason": "Réflexion faite…"})
    assert _current(app, poll.id, bruno)[0][1] == {"key": "disagree"}
    assert len(_stances(app, poll.id)) == 2
    status, html = page(f"/p/{poll.id}/history")
    assert status == 200
    text = text_of(main_of(html))
    assert "Disagree" in text and "Agree" in text and "Réflexion faite…" in text

    response = client.post(f"/p/{poll.id}/stance/withdraw")
    assert response.status_code == 302
    assert _current(app, poll.id, bruno) == []
    _status, html = page(f"/p/{poll.id}")
    assert "Withdraw my stance" not in html and "Your stance:" not in text_of(html)


def test_a_vote_from_the_thread_returns_to_the_card(client, auth, thread_circle, new_poll):
    poll = new_poll()
    auth.login(thread_circle.members[1])
    response = client.post(
        f"/p/{poll.id}/stance", data={"key": "abstain", "reason": "", "from": "thread"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/t/{thread_circle.thread.id}#p{poll.id}-confirmation"
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Votre position est enregistrée." in html.split(f'id="p{poll.id}-confirmation"', 1)[1][:200]
    )


def test_a_block_needs_a_reason_and_errors_show_in_place(
    app, client, auth, thread_circle, new_poll
):
    poll = new_poll()
    auth.login(thread_circle.members[0])
    response = client.post(
        f"/p/{poll.id}/stance", data={"key": "block", "reason": "Non"}, headers=EN
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    # A summary at the top of the form, focused, each problem a link to its field, and
    # the page's title says there is an error (without JavaScript).
    assert "<title>Error: " in html
    summary = html.split(f'id="p{poll.id}-errors"', 1)[1].split("</div>", 1)[0]
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    assert f'href="#p{poll.id}-reason"' in summary and "Your reason: A block needs" in summary
    assert html.index(f'id="p{poll.id}-errors"') < html.index(f'id="p{poll.id}-key-agree"')
    assert f'id="p{poll.id}-reason-error"' in html
    assert "A block needs a reason of more than 5 characters." in html
    assert (
        'value="block" aria-describedby' in html
        and "checked" in html.split('value="block"', 1)[1][:80]
    )
    assert _stances(app, poll.id) == []
    too_long = "x" * 501
    response = client.post(
        f"/p/{poll.id}/stance", data={"key": "agree", "reason": too_long}, headers=EN
    )
    assert response.status_code == 400
    response = client.post(f"/p/{poll.id}/stance", data={"reason": "rien"}, headers=EN)
    assert response.status_code == 400 and "Choose an option." in response.get_data(as_text=True)
    response = client.post(f"/p/{poll.id}/stance", data={"key": "block"}, headers=FR)
    assert response.status_code == 400 and f'id="p{poll.id}-reason-error"' in response.get_data(
        as_text=True
    )


def test_each_kind_takes_its_inputs(app, client, auth, thread_circle, new_poll):
    bruno = thread_circle.members[0]
    auth.login(bruno)
    multiple = new_poll(kind="choice", max_choices=2)
    single = new_poll(kind="choice")
    score = new_poll(kind="score")
    ranked = new_poll(kind="ranked")
    dot = new_poll(kind="dot")
    meeting = new_poll(kind="meeting", options=["2040-05-12T18:30:00Z", "2040-05-13T18:30:00Z"])
    cases = [
        (single, {"key": "o2"}, {"key": "o2"}),
        (multiple, {"keys": ["o3", "o1"]}, {"keys": ["o1", "o3"]}),
        (
            score,
            {"score-o1": "5", "score-o2": "0", "score-o3": "3"},
            {"scores": {"o1": 5, "o2": 0, "o3": 3}},
        ),
        (ranked, {"rank-o1": "2", "rank-o2": "3", "rank-o3": "1"}, {"ranking": ["o3", "o1", "o2"]}),
        (dot, {"dots-o1": "6", "dots-o2": "", "dots-o3": "2"}, {"scores": {"o1": 6, "o3": 2}}),
        (meeting, {"slot-o1": "2", "slot-o2": "1"}, {"scores": {"o1": 2, "o2": 1}}),
    ]
    for poll, data, stored in cases:
        response = client.post(f"/p/{poll.id}/stance", data=data, headers=EN)
        assert response.status_code == 302, (poll, response.get_data(as_text=True)[-3000:])
        assert _current(app, poll.id, bruno)[0][1] == stored


def test_bad_inputs_are_named(app, client, auth, thread_circle, new_poll):
    auth.login(thread_circle.members[0])
    ranked = new_poll(kind="ranked")
    response = client.post(
        f"/p/{ranked.id}/stance", data={"rank-o1": "1", "rank-o2": "1", "rank-o3": "2"}, headers=EN
    )
    assert response.status_code == 400
    assert "Give each option a different rank" in response.get_data(as_text=True)
    dot = new_poll(kind="dot", dots=4)
    response = client.post(f"/p/{dot.id}/stance", data={"dots-o1": "3", "dots-o2": "3"}, headers=EN)
    assert response.status_code == 400
    assert "You have 4 dots in all: you placed 6." in response.get_data(as_text=True)
    score = new_poll(kind="score")
    response = client.post(
        f"/p/{score.id}/stance",
        data={"score-o1": "9", "score-o2": "1", "score-o3": "1"},
        headers=EN,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and f'id="p{score.id}-score-o1-error"' in html
    assert "Must be between 0 and 5." in html
    multiple = new_poll(kind="choice", min_choices=2, max_choices=3)
    response = client.post(f"/p/{multiple.id}/stance", data={"keys": ["o1"]}, headers=EN)
    assert response.status_code == 400 and "Choose at least 2 options." in response.get_data(
        as_text=True
    )
    assert all(not _stances(app, p.id) for p in (ranked, dot, score, multiple))


def test_a_closed_poll_refuses_a_vote_saying_when_it_closed(
    app, client, auth, thread_circle, past_poll, set_timezone
):
    poll = past_poll()
    set_timezone(thread_circle.members[0], "UTC")
    auth.login(thread_circle.members[0])
    response = client.post(f"/p/{poll.id}/stance", data={"key": "agree"}, headers=EN)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    text = text_of(html)
    closing = poll.closing_at.astimezone(UTC)
    assert "This poll closed on" in text
    # Said in plain words, with the way back to the poll; not the generic conflict page.
    assert "This conflicts with the current state" not in text
    assert "<h1>This poll is closed</h1>" in html and f'href="/p/{poll.id}"' in html
    assert closing.strftime("%B %-d, %Y") in text and closing.strftime("%-I:%M") in text
    assert _stances(app, poll.id) == []
    assert client.post(f"/p/{poll.id}/stance/withdraw", headers=EN).status_code == 409
    # Its page shows no vote form, and says it closed.
    html = client.get(f"/p/{poll.id}", headers=EN).get_data(as_text=True)
    assert f'action="/p/{poll.id}/stance"' not in html and "Closed" in html


def test_who_may_not_vote(app, client, auth, thread_circle, new_poll, make_user, page):
    bruno, chloe = thread_circle.members[:2]
    poll = new_poll(voters=[bruno.id])
    auth.login(chloe)
    status, html = page(f"/p/{poll.id}")
    assert status == 200 and f'action="/p/{poll.id}/stance"' not in html
    assert client.post(f"/p/{poll.id}/stance", data={"key": "agree"}).status_code == 403
    assert client.post(f"/p/{poll.id}/stance/withdraw").status_code == 403
    auth.login(make_user(name="Eve"))
    assert page(f"/p/{poll.id}")[0] == 404
    assert client.post(f"/p/{poll.id}/stance", data={"key": "agree"}).status_code == 404
    auth.logout()
    response = client.get(f"/p/{poll.id}")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert _stances(app, poll.id) == []


def test_shuffled_options_keep_one_order_per_voter(client, auth, thread_circle, new_poll, page):
    options = [f"Option {i}" for i in range(1, 9)]
    poll = new_poll(kind="choice", options=options, shuffle_options=True)
    orders = set()
    for person in thread_circle.people:
        auth.login(person)
        first = page(f"/p/{poll.id}")[1]
        again = page(f"/p/{poll.id}")[1]
        order = [first.index(f'value="o{i}"') for i in range(1, 9)]
        assert order == [again.index(f'value="o{i}"') for i in range(1, 9)]
        orders.add(tuple(sorted(range(8), key=order.__getitem__)))
    assert len(orders) > 1


def test_meeting_slots_in_the_readers_zone(
    client, auth, thread_circle, new_poll, page, set_timezone
):
    slot = datetime(2030, 1, 15, 18, 30, tzinfo=UTC)
    poll = new_poll(
        kind="meeting", options=[slot.isoformat(), (slot + timedelta(days=1)).isoformat()]
    )
    bruno, chloe = thread_circle.members[:2]
    set_timezone(bruno, "America/New_York")
    set_timezone(chloe, "Asia/Tokyo")
    auth.login(bruno)
    html = page(f"/p/{poll.id}")[1]
    assert "Tuesday 15 January 2030, 13:30" in html and "America/New_York" in html
    auth.login(chloe)
    html = page(f"/p/{poll.id}")[1]
    assert "Wednesday 16 January 2030, 03:30" in html and "Asia/Tokyo" in html
