"""Poll cards (many polls, fixed queries, the read path ``results_for`` takes too):
what each person sees, and the dashboard's list of polls awaiting a vote."""

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


def _seen(run, poll_ids, person, now=None) -> list[dict]:
    """What ``person`` sees of each poll on its card, and whether ``can_vote`` (the SQL
    check the vote itself makes) agrees with the card's vote form."""

    def read():
        viewer = db.session.get(User, person.id)
        polls = [db.session.get(Poll, i) for i in poll_ids]
        moment = now or utcnow()
        seen = []
        for card in poll_cards(polls, viewer, moment):
            visible = card.visible
            assert card.may_vote == can_vote(viewer, card.poll, moment)
            assert results_for(card.poll, viewer, moment) == visible  # the same read path
            seen.append(
                {
                    "took part": (visible.participants, visible.eligible),
                    "results": None
                    if visible.results is None
                    else [row.count for row in visible.results.rows],
                    "stances": None
                    if visible.stances is None
                    else [
                        (None if s.voter is None else s.voter.name, s.choice, s.reason)
                        for s in visible.stances
                    ],
                    "mine": None if visible.my_stance is None else visible.my_stance.choice,
                    "undecided": card.undecided_names,
                    "may vote": card.may_vote,
                    "closed": card.closed,
                }
            )
        return seen

    return run(read)


def test_what_each_person_sees_on_the_cards(run, thread_circle, new_poll, past_poll, cast_choice):
    """The rules of reading, seen by each person: eligibility now and as of the close,
    ``results_visibility``, anonymity (no names, an order that tells nothing, frozen
    counts after the close), one's own stance, the vote form."""
    from app.groups.services import current_membership, revoke_membership

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
    anonymous = past_poll(
        anonymous=True,
        stances=[(chloe, {"key": "abstain"}, "Bof"), (bruno, {"key": "agree"}, "")],
        finalise=True,
    )
    for poll in polls[:3]:
        cast_choice(poll, bruno, {"key": "agree"})
        cast_choice(poll, david, {"key": "disagree"}, "Pas convaincu")
    cast_choice(polls[3], bruno, {"scores": {"o1": 5, "o2": 1, "o3": 0}})
    cast_choice(polls[4], chloe, {"scores": {"o1": 2, "o2": 1}})

    def remove_david():
        group = db.session.get(Group, thread_circle.group.id)
        revoke_membership(
            group,
            current_membership(group, david.id),
            actor=db.session.get(User, thread_circle.admin.id),
            now=utcnow(),
        )

    run(remove_david)
    ids = [p.id for p in polls] + [closed.id, anonymous.id]
    seen = {person.name: _seen(run, ids, person) for person in thread_circle.people}
    agree = {"key": "agree"}

    # An open proposal: David, removed, no longer counts nor votes, but keeps his stance.
    for name in ("Alice", "Bruno", "Chloé", "David"):
        card = seen[name][0]
        assert card["took part"] == (1, 3)
        assert card["results"] == [1, 0, 0, 0]
        assert card["stances"] == [("Bruno", agree, "")]
        assert card["undecided"] == ("Alice", "Chloé")
        assert card["may vote"] is (name != "David") and card["closed"] is False
    assert [seen[n][0]["mine"] for n in ("Alice", "Bruno", "Chloé", "David")] == [
        None, agree, None, {"key": "disagree"}
    ]  # fmt: skip

    # after_vote: hidden until one has a stance; the participation line always shows.
    for name, hidden in (("Alice", True), ("Bruno", False), ("Chloé", True), ("David", False)):
        card = seen[name][1]
        assert card["took part"] == (1, 3)
        assert (card["results"] is None) is hidden and (card["stances"] is None) is hidden
        assert card["undecided"] == (() if hidden else ("Alice", "Chloé"))

    # after_close and anonymous: hidden from everyone while open, one's own stance aside.
    for name in ("Alice", "Bruno", "Chloé", "David"):
        card = seen[name][2]
        assert card["took part"] == (1, 3)
        assert card["results"] is None and card["stances"] is None and card["undecided"] == ()
    assert seen["Bruno"][2]["mine"] == agree and seen["Alice"][2]["mine"] is None

    # Named voters: only Bruno and Chloé are eligible, and only they see the vote form.
    assert [seen[n][3]["may vote"] for n in ("Alice", "Bruno", "Chloé", "David")] == [
        False, True, True, False
    ]  # fmt: skip
    assert seen["Alice"][3]["took part"] == (1, 2)
    assert seen["Alice"][3]["undecided"] == ("Chloé",)

    assert seen["Alice"][4]["took part"] == (1, 3)
    assert seen["Alice"][4]["stances"] == [("Chloé", {"scores": {"o1": 2, "o2": 1}}, "")]

    # Closed by time: eligibility as of the close, when David was still a member.
    for name in ("Alice", "Bruno", "Chloé", "David"):
        card = seen[name][5]
        assert card["closed"] is True and card["may vote"] is False
        assert card["took part"] == (2, 4)
        assert card["results"] == [1, 0, 0, 1]
        assert card["stances"] == [("Bruno", agree, "Oui"), ("David", {"key": "block"}, "Non !!")]
        assert card["undecided"] == ("Alice", "Chloé")

    # Closed and anonymous: frozen counts, no names, no one's own stance any more.
    for name in ("Alice", "Bruno", "Chloé", "David"):
        card = seen[name][6]
        assert card["took part"] == (2, 4) and card["results"] == [1, 1, 0, 0]
        assert card["stances"] == [(None, {"key": "abstain"}, "Bof"), (None, agree, "")]
        assert card["mine"] is None and card["undecided"] == ()


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
