"""Who is told what: a poll or proposal opened, a reply, a proposal's verdict, a block
to the facilitator, an agreement adopted, amended or repealed. The actor, strangers
and removed members are never told; an anonymous proposal never says who chose what."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db

ADOPT = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Pas de réciprocité exigée.",
    "rules": {"urgent_response_minutes": 30},
}


@pytest.fixture
def circle(thread_circle, make_user):
    """``thread_circle`` (Alice, admin; Bruno, Chloé, David) and Éric, who is not a member."""
    return SimpleNamespace(**vars(thread_circle), outsider=make_user(name="Éric"))


@pytest.fixture
def rows(run):
    """``rows(kind=None)`` → ``[(user_id, kind, actor_id, email)]`` in id order."""
    from app.notifications.models import Notification

    def read(kind=None):
        def query():
            q = sa.select(
                Notification.user_id, Notification.kind, Notification.actor_id, Notification.email
            ).order_by(Notification.id)
            if kind:
                q = q.where(Notification.kind == kind)
            return [tuple(row) for row in db.session.execute(q)]

        return run(query)

    return read


def told(rows, kind) -> list[int]:
    return sorted(row[0] for row in rows(kind))


@pytest.fixture
def remove(run, circle, clock):
    """``remove(person)``: the admin removes them from the circle (before ``clock.now``)."""
    from app.auth.models import User
    from app.groups.models import Group
    from app.groups.services import current_membership, revoke_membership

    def go(person):
        def revoke():
            group = db.session.get(Group, circle.group.id)
            revoke_membership(
                group,
                current_membership(group, person.id),
                actor=db.session.get(User, circle.admin.id),
                now=clock.now - timedelta(seconds=30),
            )

        run(revoke)

    return go


@pytest.fixture
def write(run, circle, clock):
    """``write(author, body, parent=None)`` → the new comment's id, in the circle's thread."""
    from app.auth.models import User
    from app.threads.models import Thread
    from app.threads.services import add_comment

    def go(author, body, parent=None):
        return run(
            lambda: (
                add_comment(
                    db.session.get(Thread, circle.thread.id),
                    author=db.session.get(User, author.id),
                    body=body,
                    parent_id=parent,
                    now=clock.tick(),
                ).id
            )
        )

    return go


@pytest.fixture
def sentences(run_in_request):
    """``sentences(user, kind)`` → ``[(describe, reason)]`` of their notifications of that
    kind, in English."""
    from app.notifications import services
    from app.notifications.models import Notification

    def read(user, kind):
        def query():
            found = db.session.scalars(
                services.listing(user.id).where(Notification.kind == kind)
            ).unique()
            return [(services.describe(n), services.reason(n)) for n in found]

        return run_in_request(query)

    return read


# -- a poll or a proposal opened ------------------------------------------------------------


def test_a_poll_opened_tells_every_eligible_voter_but_its_author(
    circle, new_poll, rows, remove, sentences
):
    alice, bruno, chloe, david = circle.people
    remove(david)
    new_poll(kind="choice", author=bruno, title="Où se retrouver ?")
    assert told(rows, "poll_opened") == sorted([alice.id, chloe.id])
    assert {row[2] for row in rows("poll_opened")} == {bruno.id}
    [(text, why)] = sentences(chloe, "poll_opened")
    assert text == "Bruno started a poll: “Où se retrouver ?”."
    assert why == "You can vote on it."


def test_a_proposal_opened_says_proposal_and_keeps_to_its_named_voters(
    circle, new_poll, rows, sentences
):
    alice, bruno, chloe, david = circle.people
    new_poll(kind="proposal", title="Un groupe Jitsi", voters=[bruno.id, chloe.id, alice.id])
    assert told(rows, "poll_opened") == sorted([bruno.id, chloe.id])  # not David, not Alice
    [(text, _why)] = sentences(bruno, "poll_opened")
    assert text == "Alice made a proposal: “Un groupe Jitsi”."


# -- replies ----------------------------------------------------------------------------------


def test_a_reply_tells_the_author_of_the_comment_it_answers(circle, write, rows, sentences):
    alice, bruno, chloe, david = circle.people
    first = write(bruno, "Et si on essayait Jitsi ?")
    write(chloe, "Bonne idée.", parent=first)
    assert rows("reply") == [(bruno.id, "reply", chloe.id, "now")]
    [(text, why)] = sentences(bruno, "reply")
    assert text == f"Chloé replied to you in “{circle.thread.title}”."
    assert why == "Someone replied to you."
    write(bruno, "Merci !", parent=first)  # answering under one's own comment
    write(david, "Un commentaire à part.")  # not a reply
    assert told(rows, "reply") == [bruno.id]


def test_a_reply_that_mentions_its_parent_author_is_one_mention(circle, write, rows):
    alice, bruno, chloe, _david = circle.people
    first = write(bruno, "Et si on essayait Jitsi ?")
    write(chloe, f"@{bruno.handle} oui, et @{alice.handle} aussi ?", parent=first)
    assert rows("reply") == []
    assert told(rows, "mention") == sorted([alice.id, bruno.id])


def test_a_removed_author_is_not_told_of_a_reply(circle, write, rows, remove):
    _alice, bruno, chloe, _david = circle.people
    first = write(bruno, "Et si on essayait Jitsi ?")
    remove(bruno)
    write(chloe, "Bonne idée.", parent=first)
    assert rows("reply") == []


def test_editing_a_reply_tells_no_one_again(circle, write, rows, run, clock):
    from app.threads.models import Comment
    from app.threads.services import edit_comment

    _alice, bruno, chloe, _david = circle.people
    first = write(bruno, "Et si on essayait Jitsi ?")
    reply = write(chloe, "Bonne idée.", parent=first)
    run(
        lambda: edit_comment(
            db.session.get(Comment, reply), body="Très bonne idée.", now=clock.tick()
        )
    )
    assert told(rows, "reply") == [bruno.id]


# -- a proposal's verdict ---------------------------------------------------------------------


def test_a_proposals_voters_and_author_learn_the_verdict_instead_of_the_close(
    circle, propose, vote, close, rows, remove, sentences, clock
):
    alice, bruno, chloe, david = circle.people
    poll = propose(ADOPT, author=bruno)
    clock.tick()
    for person in circle.people:
        vote(poll, person, "agree")
    remove(david)
    clock.tick()
    close(poll, actor=alice)
    assert rows("poll_closed") == []
    # the one who closed it learns it too: the verdict is news, not their act
    assert told(rows, "proposal_outcome") == sorted([alice.id, bruno.id, chloe.id])
    [(text, why)] = sentences(bruno, "proposal_outcome")
    assert text == (
        "The proposal “Une proposition” was adopted: no block, more agree than disagree, "
        "and the quorum was reached."
    )
    assert why == "You proposed it."
    assert sentences(chloe, "proposal_outcome")[0][1] == "You could vote on it."


def test_other_polls_still_tell_their_close(circle, new_poll, run, rows, clock):
    from app.auth.models import User
    from app.polls.models import Poll
    from app.polls.services import close_poll

    alice, bruno, chloe, david = circle.people
    poll = new_poll(kind="choice")
    run(
        lambda: close_poll(
            db.session.get(Poll, poll.id),
            actor=db.session.get(User, alice.id),
            now=clock.tick(),
        )
    )
    assert told(rows, "poll_closed") == sorted([bruno.id, chloe.id, david.id])
    assert rows("proposal_outcome") == []


@pytest.mark.parametrize(
    ("votes", "clause"),
    [
        (["agree", "agree", "block", "agree"], "was not adopted: it was blocked."),
        (["agree", "disagree", "disagree", None], "was not adopted: not more agree than disagree."),
        (["agree", None, None, None], "was not adopted: participation is below the quorum."),
    ],
)
def test_a_verdict_says_why_without_counts(
    circle, propose, vote, close, sentences, clock, votes, clause
):
    poll = propose(ADOPT)
    clock.tick()
    for person, key in zip(circle.people, votes, strict=True):
        if key:
            vote(poll, person, key)
    clock.tick()
    close(poll)
    [(text, _why)] = sentences(circle.members[0], "proposal_outcome")
    assert text == f"The proposal “Une proposition” {clause}"
    assert not any(ch.isdigit() for ch in text)


def test_an_anonymous_proposal_tells_no_one_who_blocked(
    circle, new_poll, vote, close, rows, sentences, run_in_request, clock
):
    from app.notifications import services
    from app.notifications.models import Notification

    alice, bruno, chloe, david = circle.people
    poll = new_poll(kind="proposal", anonymous=True, closing_in=timedelta(days=1))
    vote(poll, chloe, "block")
    vote(poll, bruno, "agree")
    # no live result while it is open: not even "someone blocked" (its time would
    # match a change in the participation line); the outcome tells the block
    assert sentences(alice, "stance_block") == []
    assert rows("stance_block") == []
    clock.tick()
    close(poll)
    # once closed, the outcome tells the block, naming nobody
    assert rows("stance_block") == []
    [(verdict, _why)] = sentences(alice, "proposal_outcome")
    assert "block" in verdict
    for person in circle.people:
        for text, why in sentences(person, "proposal_outcome") + sentences(person, "stance_block"):
            for name in ("Bruno", "Chloé", "David"):
                assert name not in text and name not in why
            assert not any(ch.isdigit() for ch in text)

    def api_texts():
        return [
            services.describe(n)
            for n in db.session.scalars(
                sa.select(Notification).where(Notification.poll_id == poll.id)
            )
        ]

    assert all("Chloé" not in t for t in run_in_request(api_texts))


# -- a block, to the facilitator and the admins -------------------------------------------------


@pytest.fixture
def digest_volume(run, circle):
    """``digest_volume(person)``: their volume in the circle is ``digest``."""
    from app.groups.models import Membership

    def set_(person):
        run(
            lambda: db.session.execute(
                sa.update(Membership)
                .where(Membership.group_id == circle.group.id, Membership.user_id == person.id)
                .values(volume="digest")
            )
        )

    return set_


def test_a_block_reaches_the_facilitator_and_the_admins_at_once(
    circle, propose, vote, rows, digest_volume, sentences, run, clock
):
    from app.outbox import Delivery

    alice, bruno, chloe, david = circle.people
    digest_volume(bruno)
    digest_volume(alice)
    poll = propose(ADOPT, author=bruno)
    vote(poll, chloe, "agree")
    vote(poll, david, "block")
    # Bruno proposed it, Alice is the admin; not Chloé, not David who blocked
    assert sorted(rows("stance_block")) == sorted(
        [(alice.id, "stance_block", david.id, "now"), (bruno.id, "stance_block", david.id, "now")]
    )
    deliveries = run(
        lambda: sorted(
            db.session.scalars(sa.select(Delivery.user_id).where(Delivery.kind == "stance_block"))
        )
    )
    assert deliveries == sorted([alice.id, bruno.id])
    [(text, why)] = sentences(bruno, "stance_block")
    assert (
        text == "David blocked your proposal “Une proposition”: talk it through before it closes."
    )
    assert why == "You proposed it."
    [(text, why)] = sentences(alice, "stance_block")
    assert text == "David blocked the proposal “Une proposition”."
    assert why == "You are an admin of this circle."


def test_a_second_block_by_the_same_person_tells_no_one_again(circle, propose, vote, rows, clock):
    alice, bruno, chloe, david = circle.people
    poll = propose(ADOPT, author=bruno)
    vote(poll, david, "block")
    clock.tick()
    vote(poll, david, "agree")  # changing one's mind un-notifies nothing
    assert len(rows("stance_block")) == 2
    clock.tick()
    vote(poll, david, "block")
    assert len(rows("stance_block")) == 2
    vote(poll, chloe, "block")  # someone else's block is news
    assert [row[2] for row in rows("stance_block")] == [david.id, david.id, chloe.id, chloe.id]


def test_no_block_news_from_other_positions_or_other_polls(
    circle, propose, vote, new_poll, cast_choice, rows
):
    alice, bruno, chloe, david = circle.people
    poll = propose(ADOPT)
    vote(poll, bruno, "disagree")
    vote(poll, chloe, "abstain")
    choice = new_poll(kind="choice")
    cast_choice(choice, david, {"key": "o1"})
    assert rows("stance_block") == []


def test_the_facilitator_blocking_tells_the_admins_only(circle, propose, vote, rows):
    alice, bruno, _chloe, _david = circle.people
    poll = propose(ADOPT, author=bruno)
    vote(poll, bruno, "block")
    assert told(rows, "stance_block") == [alice.id]


def test_a_block_while_results_are_hidden_names_no_one(
    circle, new_poll, vote, sentences, clock, close
):
    alice, bruno, _chloe, _david = circle.people
    poll = new_poll(kind="proposal", results_visibility="after_close", closing_in=timedelta(days=1))
    vote(poll, bruno, "block")
    [(text, _why)] = sentences(alice, "stance_block")
    assert text.startswith("Someone blocked your proposal")
    clock.tick()
    close(poll)
    [(text, _why)] = sentences(alice, "stance_block")
    assert text.startswith("Bruno blocked your proposal")  # the close shows everyone's stance


# -- agreements -------------------------------------------------------------------------------


def test_every_member_learns_an_agreement_adopted_amended_and_repealed(
    circle, decide, rows, remove, sentences, run
):
    alice, bruno, chloe, david = circle.people
    poll, outcome = decide(ADOPT)
    everyone = sorted(p.id for p in circle.people)
    # the author too: the news is the agreement, and it is everyone's
    assert told(rows, "agreement_adopted") == everyone
    assert circle.outsider.id not in told(rows, "agreement_adopted")
    [(text, why)] = sentences(chloe, "agreement_adopted")
    assert text == (
        "The agreement “Nos accords d'écoute” was adopted (v1) by the proposal “Une proposition”."
    )
    assert why == "You are a member of this circle."

    remove(david)
    agreement_id = outcome["agreement_id"]
    amend = {"action": "amend", "agreement_id": agreement_id, "base_version": 1}
    two = [(alice, "agree"), (bruno, "agree")]  # 2 of 3 (David left): the quorum
    decide({**amend, "title": "Nos accords d'écoute, revus"}, votes=two)
    assert told(rows, "agreement_amended") == sorted([alice.id, bruno.id, chloe.id])
    [(text, _why)] = sentences(bruno, "agreement_amended")
    assert text == (
        "The agreement “Nos accords d'écoute, revus” was amended (v2) by the proposal "
        "“Une proposition”."
    )
    # the v1 notification still names v1's title
    assert "“Nos accords d'écoute” was adopted (v1)" in sentences(bruno, "agreement_adopted")[0][0]

    decide({"action": "repeal", "agreement_id": agreement_id, "base_version": 2}, votes=two)
    assert told(rows, "agreement_repealed") == sorted([alice.id, bruno.id, chloe.id])
    [(text, _why)] = sentences(chloe, "agreement_repealed")
    assert text == (
        "The agreement “Nos accords d'écoute, revus” was repealed by the proposal "
        "“Une proposition”."
    )


def test_an_agreement_notification_leads_to_the_agreement(
    circle, decide, client, auth, run_in_request
):
    from app.notifications.models import Notification

    _poll, outcome = decide(ADOPT)
    bruno = circle.members[0]
    nid = run_in_request(
        lambda: db.session.scalar(
            sa.select(Notification.id).where(
                Notification.user_id == bruno.id, Notification.kind == "agreement_adopted"
            )
        )
    )
    auth.login(bruno)
    location = client.post(f"/notifications/{nid}/open").headers["Location"]
    assert location.endswith(f"/g/{circle.group.handle}/agreements/{outcome['agreement_id']}")
