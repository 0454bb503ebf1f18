"""``poll_cards`` (many polls, fixed queries) agrees with ``results_for`` and
``can_vote`` (one poll at a time), and the dashboard's list of polls awaiting a vote."""

from __future__ import annotations

from datetime import timedelta

from fixtures.poll_pages import main_of, text_of

from app.auth.models import User
from app.extensions import db
from app.groups.models import Group
from app.polls.cards import poll_cards, polls_awaiting_vote
from app.polls.models import Poll
from app.polls.permissions import can_vote
from app.polls.services import results_for
from app.timeutil import utcnow


def _same(run, poll_ids, person, now=None):
    def check():
        viewer = db.session.get(User, person.id)
        polls = [db.session.get(Poll, i) for i in poll_ids]
        moment = now or utcnow()
        for card in poll_cards(polls, viewer, moment):
            one = results_for(card.poll, viewer, moment)
            assert card.visible.participation == one.participation
            assert card.visible.results == one.results
            assert (card.visible.stances is None) == (one.stances is None)
            if one.stances is not None:
                assert [(s.choice, s.reason) for s in card.visible.stances] == [
                    (s.choice, s.reason) for s in one.stances
                ]
            assert card.visible.my_stance == one.my_stance
            assert card.may_vote == can_vote(viewer, card.poll, moment)

    run(check)


def test_cards_agree_with_results_for(run, thread_circle, new_poll, past_poll, cast_choice):
    from app.groups.services import revoke_membership

    bruno, chloe, david = thread_circle.members
    polls = [
        new_poll(),
        new_poll(results_visibility="after_vote"),
        new_poll(results_visibility="after_close", anonymous=True),
        new_poll(kind="score", voters=[bruno.id, chloe.id]),
        new_poll(kind="meeting", options=["2030-05-12T18:30:00Z", "2030-05-13T18:30:00Z"]),
    ]
    closed = past_poll(
        stances=[(bruno, {"key": "agree"}, "Oui"), (david, {"key": "block"}, "Non !!")]
    )
    anonymous = past_poll(anonymous=True, stances=[(chloe, {"key": "abstain"}, "")], finalise=True)
    for poll in polls[:3]:
        cast_choice(poll, bruno, {"key": "agree"})
        cast_choice(poll, david, {"key": "disagree"}, "Pas convaincu")
    cast_choice(polls[3], bruno, {"scores": {"o1": 5, "o2": 1, "o3": 0}})
    cast_choice(polls[4], chloe, {"scores": {"o1": 2, "o2": 1}})

    def remove_david():
        group = db.session.get(Group, thread_circle.group.id)
        from app.groups.services import current_membership

        revoke_membership(
            group,
            current_membership(group, david.id),
            actor=db.session.get(User, thread_circle.admin.id),
            now=utcnow(),
        )

    run(remove_david)
    ids = [p.id for p in polls] + [closed.id, anonymous.id]
    for person in thread_circle.people:
        _same(run, ids, person)


def test_dashboard_lists_polls_awaiting_my_vote(
    run, thread_circle, new_poll, past_poll, cast_choice, auth, page, count_queries, client
):
    bruno, chloe = thread_circle.members[:2]
    later = new_poll(title="Plus tard", closing_in=timedelta(days=5))
    sooner = new_poll(title="Bientôt", closing_in=timedelta(hours=5))
    voted = new_poll(title="Déjà voté")
    cast_choice(voted, bruno, {"key": "agree"})
    new_poll(title="Pas pour moi", voters=[chloe.id])
    past_poll(title="Fermé")
    auth.login(bruno)

    def titles():
        return [p.title for p in polls_awaiting_vote(db.session.get(User, bruno.id), utcnow())]

    assert run(titles) == ["Bientôt", "Plus tard"]
    status, html = page("/")
    assert status == 200
    section = main_of(html).split('id="awaiting-heading"', 1)[1]
    text = text_of(section)
    assert text.index("Bientôt") < text.index("Plus tard")
    assert "Déjà voté" not in text and "Pas pour moi" not in text and "Fermé" not in text
    assert (
        f"/t/{thread_circle.thread.id}#poll-{sooner.id}" in section or f"/p/{sooner.id}" in section
    )
    with count_queries() as few:
        client.get("/")
    for i in range(5):
        new_poll(title=f"Encore {i}")
    with count_queries() as many:
        client.get("/")
    assert few.count == many.count
    assert later.id
