"""Poll services with the database: creating, stances and their history, closing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from fixtures.memberships import admit

from app.auth.models import User
from app.errors import ValidationFailed
from app.extensions import db
from app.groups.models import Group, Membership
from app.groups.services import revoke_membership
from app.polls.models import Poll, Stance
from app.polls.services import (
    NotEligible,
    PollClosed,
    PollNotReopenable,
    PollOpen,
    close_due_polls,
    close_if_due,
    close_poll,
    create_poll,
    reopen_poll,
    results_for,
    set_statement,
    withdraw_stance,
)
from app.threads.models import Thread
from app.timeutil import utcnow


def _poll(poll_id) -> Poll:
    return db.session.get(Poll, poll_id)


def _user(person) -> User:
    return db.session.get(User, person.id)


def _stances(run, poll_id):
    return run(
        lambda: [
            (s.voter_id, s.choice, s.is_current, s.withdrawn_at is not None)
            for s in db.session.scalars(
                sa.select(Stance).where(Stance.poll_id == poll_id).order_by(Stance.id)
            )
        ]
    )


def _results(run, poll_id, viewer=None, now=None):
    """What ``viewer`` sees, as plain values (``my_stance`` and ``stances`` read in the session)."""

    def read():
        seen = results_for(_poll(poll_id), _user(viewer) if viewer else None, now or utcnow())
        return SimpleNamespace(
            results=seen.results,
            participants=seen.participants,
            eligible=seen.eligible,
            undecided=seen.undecided,
            participation_percent=seen.participation_percent,
            closed=seen.closed,
            my_stance=seen.my_stance and SimpleNamespace(choice=seen.my_stance.choice),
            stances=None
            if seen.stances is None
            else [
                SimpleNamespace(voter=s.voter and s.voter.name, choice=s.choice, reason=s.reason)
                for s in seen.stances
            ],
        )

    return run(read)


# -- creating --------------------------------------------------------------------


def test_a_proposal_gets_the_four_options_and_reasons_for_blocks(run, new_poll):
    poll = new_poll("proposal")

    def read():
        p = _poll(poll.id)
        return [(o.key, o.name, o.position) for o in p.options], p.reasons, p.results_visibility

    options, reasons, visibility = run(read)
    assert options == [
        ("agree", "Agree", 1),
        ("abstain", "Abstain", 2),
        ("disagree", "Disagree", 3),
        ("block", "Block", 4),
    ]
    assert reasons == "required_for_block"
    assert visibility == "always"


def test_other_kinds_get_stable_keys_and_optional_reasons(run, new_poll):
    poll = new_poll("choice", options=[" Zoom ", "Jitsi", "Matrix"], max_choices=2)

    def read():
        p = _poll(poll.id)
        return [(o.key, o.name) for o in p.options], p.reasons, p.max_choices

    assert run(read) == ([("o1", "Zoom"), ("o2", "Jitsi"), ("o3", "Matrix")], "optional", 2)


def test_meeting_slots_are_times_with_a_zone_sorted(run, new_poll):
    poll = new_poll("meeting", options=["2030-05-14T18:00:00+02:00", "2030-05-13T09:30:00Z"])

    def read():
        return [(o.key, o.name, o.starts_at) for o in _poll(poll.id).options]

    assert run(read) == [
        ("o1", "2030-05-13T09:30:00Z", datetime(2030, 5, 13, 9, 30, tzinfo=UTC)),
        ("o2", "2030-05-14T16:00:00Z", datetime(2030, 5, 14, 16, 0, tzinfo=UTC)),
    ]


def _create(run, thread_circle, **kwargs):
    now = kwargs.pop("now", utcnow())
    kwargs.setdefault("kind", "proposal")
    kwargs.setdefault("title", "Une question")
    kwargs.setdefault("closing_at", now + timedelta(days=1))

    def create():
        thread = db.session.get(Thread, thread_circle.thread.id)
        return create_poll(thread, author=_user(thread_circle.admin), now=now, **kwargs).id

    return run(create)


BAD_POLLS = [
    ({"closing_at": utcnow() - timedelta(minutes=1)}, {"closing_at"}),
    ({"closing_at": None}, {"closing_at"}),
    ({"closing_at": datetime(2099, 1, 1)}, {"closing_at"}),  # naive
    ({"title": "  "}, {"title"}),
    ({"kind": "choice"}, {"options"}),
    ({"kind": "choice", "options": ["Seule"]}, {"options"}),
    ({"kind": "choice", "options": ["A", "a"]}, {"options.1"}),
    ({"kind": "choice", "options": ["A", ""]}, {"options.1"}),
    ({"kind": "proposal", "options": ["A", "B"]}, {"options"}),
    ({"kind": "meeting", "options": ["2030-05-13T09:30:00", "demain"]}, {"options.0", "options.1"}),
    (
        {"kind": "choice", "options": ["A", "B"], "min_choices": 2, "max_choices": 1},
        {"min_choices"},
    ),
    ({"kind": "choice", "options": ["A", "B"], "max_choices": 3}, {"max_choices"}),
    ({"kind": "score", "options": ["A", "B"], "min_score": 5, "max_score": 5}, {"max_score"}),
    ({"kind": "dot", "options": ["A", "B"], "dots": 0}, {"dots"}),
    ({"results_visibility": "never"}, {"results_visibility"}),
    ({"reasons": "sometimes"}, {"reasons"}),
    ({"kind": "choice", "options": ["A", "B"], "reasons": "required_for_block"}, {"reasons"}),
    ({"shuffle_options": True}, {"shuffle_options"}),
    ({"voters": [987654]}, {"voters"}),
    ({"voters": []}, {"voters"}),
    ({"kind": "vote"}, {"kind"}),
]


def test_create_poll_names_each_bad_field(run, thread_circle):
    for kwargs, fields in BAD_POLLS:
        with pytest.raises(ValidationFailed) as caught:
            _create(run, thread_circle, **kwargs)
        assert set(caught.value.fields) == fields, kwargs
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(Poll.id)))) == 0


def test_a_closed_thread_takes_no_poll(run, thread_circle):
    from app.threads.services import ThreadClosed, set_closed

    run(lambda: set_closed(db.session.get(Thread, thread_circle.thread.id), True, now=utcnow()))
    with pytest.raises(ThreadClosed):
        _create(run, thread_circle)


# -- stances ------------------------------------------------------------------------


def test_the_latest_stance_counts_and_history_stays(run, thread_circle, new_poll, cast_choice):
    poll = new_poll()
    bruno, chloe = thread_circle.members[:2]
    cast_choice(poll, bruno, {"key": "agree"})
    cast_choice(poll, bruno, {"key": "disagree"}, "Finalement non.")
    cast_choice(poll, chloe, {"key": "abstain"})
    stances = _stances(run, poll.id)
    assert [(v, c, cur) for v, c, cur, _w in stances] == [
        (bruno.id, {"key": "agree"}, False),
        (bruno.id, {"key": "disagree"}, True),
        (chloe.id, {"key": "abstain"}, True),
    ]
    seen = _results(run, poll.id, bruno)
    counts = {r.key: r.count for r in seen.results.rows}
    assert counts == {"agree": 0, "abstain": 1, "disagree": 1, "block": 0}
    assert (seen.participants, seen.eligible, seen.undecided) == (2, 4, 2)
    assert seen.participation_percent == 50
    assert seen.my_stance.choice == {"key": "disagree"}
    names = {r.key: r.voters for r in seen.results.rows}
    assert names["disagree"] == ("Bruno",)
    assert [s.voter for s in seen.stances] == ["Bruno", "Chloé"]


def test_withdraw_makes_one_undecided_again(run, thread_circle, new_poll, cast_choice):
    poll = new_poll("choice")
    bruno = thread_circle.members[0]
    cast_choice(poll, bruno, {"key": "o2"})
    run(lambda: withdraw_stance(_poll(poll.id), _user(bruno), now=utcnow()))
    assert _stances(run, poll.id) == [(bruno.id, {"key": "o2"}, False, True)]
    seen = _results(run, poll.id, bruno)
    assert seen.my_stance is None and seen.participants == 0 and seen.undecided == 4
    # withdrawing twice is harmless
    assert run(lambda: withdraw_stance(_poll(poll.id), _user(bruno), now=utcnow())) is None


def test_a_stance_is_checked(app, run, thread_circle, new_poll, cast_choice):
    poll = new_poll("proposal")
    with pytest.raises(ValidationFailed) as caught:
        cast_choice(poll, thread_circle.members[0], {"key": "block"}, "non")
    assert set(caught.value.fields) == {"reason"}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(caught.value.fields["reason"]) == (
            "A block needs a reason of more than 5 characters."
        )
    with pytest.raises(ValidationFailed) as caught:
        cast_choice(poll, thread_circle.members[0], {"key": "maybe"})
    assert set(caught.value.fields) == {"key"}
    scored = new_poll("score", max_score=3)
    with pytest.raises(ValidationFailed) as caught:
        cast_choice(scored, thread_circle.members[0], {"scores": {"o1": 4, "o2": 1, "o3": 0}})
    assert set(caught.value.fields) == {"scores.o1"}
    assert _stances(run, poll.id) == [] and _stances(run, scored.id) == []


def test_a_stance_at_or_after_closing_time_is_refused(
    run, app, thread_circle, new_poll, cast_choice
):
    poll = new_poll()
    with pytest.raises(PollClosed) as caught:
        cast_choice(poll, thread_circle.members[0], {"key": "agree"}, now=poll.closing_at)
    error = caught.value
    assert (error.status, error.code) == (409, "poll_closed")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(error.message).startswith("This poll closed on ")
        assert str(poll.closing_at.year) in str(error.message)
    cast_choice(
        poll, thread_circle.members[0], {"key": "agree"}, now=poll.closing_at - timedelta(seconds=1)
    )


def test_people_outside_the_voters_cannot_vote(
    run, thread_circle, new_poll, cast_choice, make_user
):
    bruno, chloe = thread_circle.members[:2]
    poll = new_poll("proposal", voters=[bruno.id, chloe.id])
    with pytest.raises(NotEligible):
        cast_choice(poll, thread_circle.admin, {"key": "agree"})
    stranger = make_user(name="Eve")
    with pytest.raises(NotEligible):
        cast_choice(poll, stranger, {"key": "agree"})
    cast_choice(poll, bruno, {"key": "agree"})
    assert _results(run, poll.id).eligible == 2


def test_members_who_join_count_and_removed_ones_stop_counting(
    run, thread_circle, new_poll, cast_choice, make_user
):
    poll = new_poll()
    bruno = thread_circle.members[0]
    cast_choice(poll, bruno, {"key": "agree"})
    cast_choice(poll, thread_circle.members[1], {"key": "agree"})
    newcomer = make_user(name="Nadia")

    def join():
        admit(db.session.get(Group, thread_circle.group.id), _user(newcomer), now=utcnow())

    run(join)
    cast_choice(poll, newcomer, {"key": "block"}, "Ce n'est pas le moment.")

    def remove_bruno():
        membership = db.session.scalar(
            sa.select(Membership).where(
                Membership.user_id == bruno.id, Membership.revoked_at.is_(None)
            )
        )
        revoke_membership(
            membership.group, membership, actor=_user(thread_circle.admin), now=utcnow()
        )

    run(remove_bruno)
    seen = _results(run, poll.id)
    counts = {r.key: r.count for r in seen.results.rows}
    assert counts == {"agree": 1, "abstain": 0, "disagree": 0, "block": 1}
    assert (seen.participants, seen.eligible) == (2, 4)
    with pytest.raises(NotEligible):
        cast_choice(poll, bruno, {"key": "agree"})


# -- visibility -------------------------------------------------------------------------


def test_results_after_vote_are_hidden_until_one_votes(run, thread_circle, new_poll, cast_choice):
    poll = new_poll("proposal", results_visibility="after_vote")
    bruno, chloe = thread_circle.members[:2]
    cast_choice(poll, bruno, {"key": "agree"})
    hidden = _results(run, poll.id, chloe)
    assert hidden.results is None and hidden.stances is None
    assert (hidden.participants, hidden.eligible, hidden.undecided) == (1, 4, 3)
    shown = _results(run, poll.id, bruno)
    assert shown.results is not None and len(shown.stances) == 1
    after = _results(run, poll.id, chloe, now=poll.closing_at)
    assert after.results is not None and after.closed


def test_results_after_close_are_hidden_from_everyone_until_closed(
    run, thread_circle, new_poll, cast_choice
):
    poll = new_poll("proposal", results_visibility="after_close")
    cast_choice(poll, thread_circle.members[0], {"key": "agree"})
    for viewer in (thread_circle.admin, thread_circle.members[0], None):
        seen = _results(run, poll.id, viewer)
        assert seen.results is None and seen.stances is None and seen.participants == 1
    run(lambda: close_poll(_poll(poll.id), actor=_user(thread_circle.admin), now=utcnow()))
    assert _results(run, poll.id, thread_circle.members[1]).results is not None


# -- closing --------------------------------------------------------------------------------


def test_early_close_by_the_author(run, thread_circle, new_poll, cast_choice, closed_hook):
    poll = new_poll()
    cast_choice(poll, thread_circle.members[0], {"key": "agree"})
    now = utcnow()

    def close():
        closed = close_poll(_poll(poll.id), actor=_user(thread_circle.admin), now=now)
        return (
            closed.closed_at,
            closed.closed_by_id,
            closed.eligible_at_close,
            closed.participants_at_close,
        )

    assert run(close) == (now, thread_circle.admin.id, 4, 1)
    assert closed_hook == [(poll.id, now)]
    with pytest.raises(PollClosed):
        run(lambda: close_poll(_poll(poll.id), actor=_user(thread_circle.admin), now=utcnow()))
    with pytest.raises(PollClosed):
        cast_choice(poll, thread_circle.members[1], {"key": "agree"})
    assert len(closed_hook) == 1


def test_closing_after_the_closing_time_is_409(run, thread_circle, new_poll):
    poll = new_poll()
    with pytest.raises(PollClosed):
        run(
            lambda: close_poll(
                _poll(poll.id), actor=_user(thread_circle.admin), now=poll.closing_at
            )
        )


def test_timed_close_takes_effect_as_of_closing_at(
    run, thread_circle, new_poll, cast_choice, make_user, closed_hook
):
    poll = new_poll()
    cast_choice(poll, thread_circle.members[0], {"key": "agree"})
    late = make_user(name="Léa")
    run(
        lambda: admit(
            db.session.get(Group, thread_circle.group.id),
            _user(late),
            now=poll.closing_at + timedelta(minutes=1),
        )
    )
    # Before anyone finalises it, the poll reads as closed, as of closing_at.
    before = _results(run, poll.id, now=poll.closing_at + timedelta(minutes=5))
    assert before.closed and before.eligible == 4
    assert (
        run(lambda: close_if_due(_poll(poll.id), poll.closing_at - timedelta(seconds=1))) is False
    )
    later = poll.closing_at + timedelta(minutes=10)
    assert run(lambda: [p.id for p in close_due_polls(later)]) == [poll.id]

    def read():
        p = _poll(poll.id)
        return p.closed_at, p.closed_by_id, p.eligible_at_close, p.participants_at_close

    assert run(read) == (poll.closing_at, None, 4, 1)
    assert closed_hook == [(poll.id, poll.closing_at)]
    # idempotent
    assert run(lambda: close_due_polls(later)) == []
    assert run(lambda: close_if_due(_poll(poll.id), later)) is False
    assert len(closed_hook) == 1
    after = _results(run, poll.id, now=later)
    assert (after.participants, after.eligible, after.participation_percent) == (1, 4, 25)


def test_due_polls_are_finalised_in_closing_order(run, new_poll, closed_hook):
    second = new_poll(closing_in=timedelta(hours=2))
    first = new_poll(closing_in=timedelta(hours=1))
    run(lambda: close_due_polls(utcnow() + timedelta(hours=3)))
    assert [poll_id for poll_id, _ in closed_hook] == [first.id, second.id]


def test_anonymous_poll_erases_voters_and_freezes_counts_at_close(
    run, thread_circle, new_poll, cast_choice
):
    poll = new_poll("proposal", anonymous=True)
    bruno, chloe, david = thread_circle.members
    cast_choice(poll, bruno, {"key": "agree"})
    cast_choice(poll, bruno, {"key": "abstain"})  # replaces: no history
    cast_choice(poll, chloe, {"key": "agree"})
    cast_choice(poll, david, {"key": "block"}, "Pas sans vidéo libre.")
    run(lambda: withdraw_stance(_poll(poll.id), _user(chloe), now=utcnow()))
    assert len(_stances(run, poll.id)) == 2
    open_view = _results(run, poll.id, bruno)
    assert open_view.my_stance.choice == {"key": "abstain"}  # one's own, while open
    assert open_view.stances is None and open_view.results is None  # nothing else
    assert (open_view.participants, open_view.eligible) == (2, 4)

    run(lambda: close_poll(_poll(poll.id), actor=_user(thread_circle.admin), now=utcnow()))
    assert [v for v, *_ in _stances(run, poll.id)] == [None, None]
    # nor can the time of each stance tell who cast it: all carry the closing time
    closed_at = run(lambda: _poll(poll.id).closed_at)
    times = run(
        lambda: db.session.scalars(
            sa.select(Stance.created_at).where(Stance.poll_id == poll.id)
        ).all()
    )
    assert set(times) == {closed_at}
    frozen = run(lambda: _poll(poll.id).frozen_results)
    assert {row["key"]: row["count"] for row in frozen["rows"]} == {
        "agree": 0,
        "abstain": 1,
        "disagree": 0,
        "block": 1,
    }
    assert all(row["voters"] == [] for row in frozen["rows"])
    seen = _results(run, poll.id, bruno)
    assert seen.my_stance is None
    assert [r.percent for r in seen.results.rows] == [
        Decimal("0.0"),
        Decimal("50.0"),
        Decimal("0.0"),
        Decimal("50.0"),
    ]
    assert (seen.participants, seen.eligible) == (2, 4)
    assert sorted(s.reason for s in seen.stances) == ["", "Pas sans vidéo libre."]
    with pytest.raises(PollNotReopenable):
        run(
            lambda: reopen_poll(
                _poll(poll.id), closing_at=utcnow() + timedelta(days=1), now=utcnow()
            )
        )


def test_reopen_with_a_new_closing_time(run, thread_circle, new_poll, cast_choice):
    poll = new_poll()
    with pytest.raises(PollOpen):
        run(
            lambda: reopen_poll(
                _poll(poll.id), closing_at=utcnow() + timedelta(days=1), now=utcnow()
            )
        )
    run(lambda: close_poll(_poll(poll.id), actor=_user(thread_circle.admin), now=utcnow()))
    with pytest.raises(ValidationFailed) as caught:
        run(lambda: reopen_poll(_poll(poll.id), closing_at=utcnow(), now=utcnow()))
    assert set(caught.value.fields) == {"closing_at"}
    new_closing = utcnow() + timedelta(days=2)
    run(lambda: reopen_poll(_poll(poll.id), closing_at=new_closing, now=utcnow()))
    cast_choice(poll, thread_circle.members[0], {"key": "agree"})
    assert run(lambda: (_poll(poll.id).closed_at, _poll(poll.id).closing_at)) == (None, new_closing)


def test_reopen_refused_when_a_feature_vetoes_it(run, thread_circle, new_poll):
    """``hooks.poll_reopen_veto``: one reason from any feature refuses, and says why."""
    from app import hooks

    poll = new_poll()
    run(lambda: close_poll(_poll(poll.id), actor=_user(thread_circle.admin), now=utcnow()))

    def veto(p, **_):
        return "Not today." if p.id == poll.id else None

    hooks.poll_reopen_veto.connect(veto)
    try:
        with pytest.raises(PollNotReopenable, match="Not today."):
            run(
                lambda: reopen_poll(
                    _poll(poll.id), closing_at=utcnow() + timedelta(days=1), now=utcnow()
                )
            )
    finally:
        hooks.poll_reopen_veto.disconnect(veto)


def test_statement_after_closing(run, thread_circle, new_poll):
    poll = new_poll()
    review = date.today() + timedelta(days=90)
    with pytest.raises(PollOpen):
        run(
            lambda: set_statement(
                _poll(poll.id), author=_user(thread_circle.admin), text="x", now=utcnow()
            )
        )
    later = poll.closing_at + timedelta(minutes=1)

    def write():
        p = set_statement(
            _poll(poll.id),
            author=_user(thread_circle.admin),
            text="Pas de Zoom : on se retrouve **en vrai**.",
            review_on=review,
            now=later,
        )
        return p.closed_at, p.statement_html, p.statement_review_on, p.statement_by_id

    closed_at, html, review_on, by = run(write)
    assert closed_at == poll.closing_at  # writing it finalised the due poll first
    assert "<strong>en vrai</strong>" in html
    assert (review_on, by) == (review, thread_circle.admin.id)
