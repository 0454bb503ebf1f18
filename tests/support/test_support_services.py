"""Support requests through the services: asking, answering, releasing, closing, the
steps time brings (once, as of their due time), check-ins and rhythm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.groups.models import Group, Membership
from app.support import services
from app.support.models import SupportRequest, SupportStep, SupportTime

LISTENING = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Deux temps d'écoute par semaine.",
    "rules": {
        "reciprocity": "not_required",
        "relance_after_days": 21,
        "urgent_response_minutes": 30,
        "rhythm_per_week": 2,
        "channels": ["téléphone", "Jitsi"],
    },
}


@pytest.fixture
def agreed(decide, thread_circle, clock):
    """The circle adopted «Nos accords d'écoute» (30 minutes, 21 days, two a week)."""
    decide(LISTENING)
    return thread_circle


def _group(circle) -> Group:
    return db.session.get(Group, circle.group.id)


def _user(person) -> User:
    return db.session.get(User, person.id)


def ask(run, circle, person, now, **fields):
    fields.setdefault("kind", "emotional")
    fields.setdefault("urgent", True)
    fields.setdefault("important", True)
    return run(lambda: services.create_request(_group(circle), _user(person), now=now, **fields).id)


def _request(request_id) -> SupportRequest:
    return db.session.get(SupportRequest, request_id)


def _steps(run, request_id):
    return run(
        lambda: [
            (s.kind, s.user_id)
            for s in db.session.scalars(
                sa.select(SupportStep)
                .where(SupportStep.request_id == request_id)
                .order_by(SupportStep.id)
            )
        ]
    )


def test_urgent_and_important_tells_the_available_supporters_at_once(run, agreed, clock):
    malik, odile, bruno, chloe = agreed.admin, *agreed.members
    now = clock.now

    def busy():
        m = db.session.scalar(
            sa.select(Membership).where(
                Membership.group_id == agreed.group.id, Membership.user_id == chloe.id
            )
        )
        m.availability = "busy"

    run(busy)
    request_id = ask(run, agreed, malik, now, body="Besoin d'écoute ce soir", channel="Jitsi")
    steps = _steps(run, request_id)
    assert steps[0] == ("asked", malik.id)
    told = {user for kind, user in steps if kind == "notified"}
    assert told == {odile.id, bruno.id}  # Chloé is busy, Malik does not support himself
    escalate_at, rules = run(lambda: (_request(request_id).escalate_at, _request(request_id).rules))
    assert escalate_at == now + timedelta(minutes=30)
    assert rules["urgent_response_minutes"]["source"]["title"] == "Nos accords d'écoute"


def test_fields_are_named_and_a_non_receiving_member_cannot_ask(run, thread_circle, clock):
    with pytest.raises(ValidationFailed) as refused:
        ask(run, thread_circle, thread_circle.admin, clock.now, kind="nap", body="x" * 2001)
    assert set(refused.value.fields) == {"kind", "body"}

    def stop_receiving():
        m = db.session.scalar(
            sa.select(Membership).where(
                Membership.group_id == thread_circle.group.id,
                Membership.user_id == thread_circle.admin.id,
            )
        )
        m.receives_support = False

    run(stop_receiving)
    # Reciprocity is required by default: the switch is locked on, so she still receives.
    assert ask(run, thread_circle, thread_circle.admin, clock.now)


def test_an_agreed_channel_only(run, agreed, clock):
    with pytest.raises(ValidationFailed) as refused:
        ask(run, agreed, agreed.admin, clock.now, channel="WhatsApp")
    assert "channel" in refused.value.fields


def test_first_available_matches_the_others_get_409(run, agreed, clock):
    malik, odile, bruno, _chloe = agreed.admin, *agreed.members
    request_id = ask(run, agreed, malik, clock.now)
    later = clock.now + timedelta(minutes=5)
    run(
        lambda: services.respond(
            _request(request_id), _user(odile), available=True, message="Je suis là", now=later
        )
    )
    with pytest.raises(services.RequestConflict) as conflict:
        run(lambda: services.respond(_request(request_id), _user(bruno), available=True, now=later))
    assert conflict.value.code == "request_matched"
    matched = run(lambda: (_request(request_id).status, _request(request_id).matched_with_id))
    assert matched == ("matched", odile.id)
    with pytest.raises(Forbidden):
        run(lambda: services.respond(_request(request_id), _user(malik), available=True, now=later))


def test_release_reopens_and_closing_counts_a_support_time(run, agreed, clock):
    malik, odile, bruno, _chloe = agreed.admin, *agreed.members
    request_id = ask(run, agreed, malik, clock.now)
    t = clock.now + timedelta(minutes=2)
    run(lambda: services.respond(_request(request_id), _user(odile), available=True, now=t))
    run(lambda: services.release(_request(request_id), _user(odile), now=t + timedelta(minutes=1)))
    assert run(lambda: _request(request_id).status) == "open"
    t2 = t + timedelta(minutes=3)
    run(lambda: services.respond(_request(request_id), _user(bruno), available=True, now=t2))
    run(
        lambda: services.close_request(
            _request(request_id), _user(malik), outcome="happened", now=t2 + timedelta(hours=1)
        )
    )
    times = run(lambda: [t.at for t in db.session.scalars(sa.select(SupportTime))])
    assert times == [t2]  # counted when it was matched


def test_escalation_happens_once_as_of_its_due_time(run, agreed, clock):
    malik, odile, bruno, chloe = agreed.admin, *agreed.members
    request_id = ask(run, agreed, malik, clock.now)
    due = clock.now + timedelta(minutes=30)
    assert (
        run(lambda: services.apply_due_steps(_request(request_id), due - timedelta(seconds=1)))
        == []
    )
    much_later = due + timedelta(hours=2)
    assert run(lambda: services.apply_due_steps(_request(request_id), much_later)) == ["escalate"]
    assert run(lambda: services.apply_due_steps(_request(request_id), much_later)) == []
    assert run(lambda: _request(request_id).escalated_at) == due
    steps = _steps(run, request_id)
    escalated_at = steps.index(("escalated", None))
    assert {u for k, u in steps[escalated_at:] if k == "notified"} == {odile.id, bruno.id, chloe.id}


def test_an_urgent_minor_request_lapses_and_cannot_be_matched_after(run, agreed, clock):
    malik, odile = agreed.admin, agreed.members[0]
    request_id = ask(run, agreed, malik, clock.now, important=False)
    lapse = clock.now + timedelta(hours=12)
    with pytest.raises(services.RequestConflict) as conflict:
        run(lambda: services.respond(_request(request_id), _user(odile), available=True, now=lapse))
    assert conflict.value.code == "request_lapsed"
    # The next read takes the step, as of its due time, whenever it comes.
    much_later = lapse + timedelta(days=2)
    assert run(lambda: services.apply_due_steps(_request(request_id), much_later)) == ["lapse"]
    lapsed = run(lambda: (_request(request_id).status, _request(request_id).lapsed_at))
    assert lapsed == ("lapsed", lapse)


def test_check_ins_due_claim_and_reset(run, agreed, clock):
    odile, bruno = agreed.members[0], agreed.members[1]
    later = clock.now + timedelta(days=22)
    state = run(lambda: services.check_ins(_group(agreed), later))
    due_ids = {d.member_id for d in state.due}
    assert due_ids == {p.id for p in agreed.people}
    run(
        lambda: services.claim_check_in(_group(agreed), _user(odile), member_id=bruno.id, now=later)
    )
    with pytest.raises(services.RequestConflict):
        run(
            lambda: services.claim_check_in(
                _group(agreed), _user(agreed.admin), member_id=bruno.id, now=later
            )
        )
    run(
        lambda: services.record_check_in(
            _group(agreed), _user(odile), member_id=bruno.id, note="On a parlé", now=later
        )
    )
    state = run(lambda: services.check_ins(_group(agreed), later))
    assert bruno.id not in {d.member_id for d in state.due}


def test_rhythm_counts_logged_times_against_the_target(run, agreed, clock):
    bruno = agreed.members[1]
    now = datetime(2026, 11, 26, 18, tzinfo=UTC)
    if now < clock.now:
        now = clock.now + timedelta(days=1)
    run(
        lambda: services.log_support_time(
            _group(agreed), _user(bruno), at=now - timedelta(hours=1), now=now
        )
    )
    rhythm = run(lambda: services.my_rhythm(_group(agreed), _user(bruno), now))
    assert rhythm.target == 2
    assert rhythm.this_week.count == 1
    assert len(rhythm.weeks) == 8


def test_without_availability_check_one_named_supporter_is_matched_at_once(
    run, decide, thread_circle, clock
):
    decide({**LISTENING, "rules": {**LISTENING["rules"], "availability_check": False}})
    malik, odile = thread_circle.admin, thread_circle.members[0]
    request_id = ask(run, thread_circle, malik, clock.now, supporters=[odile.id])
    state = run(lambda: (_request(request_id).status, _request(request_id).matched_with_id))
    assert state == ("matched", odile.id)
    later = clock.now + timedelta(minutes=1)
    # "I am available" confirms; "not now" reopens it.
    run(lambda: services.respond(_request(request_id), _user(odile), available=True, now=later))
    assert run(lambda: _request(request_id).status) == "matched"
    run(lambda: services.respond(_request(request_id), _user(odile), available=False, now=later))
    assert run(lambda: _request(request_id).status) == "open"


def test_the_list_shows_what_the_request_page_shows_to_a_named_supporter(run, agreed, clock):
    """A named supporter who stops giving support (reciprocity not required) is no longer
    addressed: the list must agree with ``can_see_request`` (it used to list the request
    while its page was a 404)."""
    malik, odile = agreed.admin, agreed.members[0]
    request_id = ask(run, agreed, malik, clock.now, supporters=[odile.id])

    def seen_by_odile():
        group, me = _group(agreed), _user(odile)
        query = services.visible_requests_query(group, me, ("open",), clock.now)
        listed = [r.id for r in db.session.scalars(query).unique()]
        return listed, services.can_see_request(me, _request(request_id), clock.now)

    assert run(seen_by_odile) == ([request_id], True)

    def stop_giving():
        m = db.session.scalar(
            sa.select(Membership).where(
                Membership.group_id == agreed.group.id, Membership.user_id == odile.id
            )
        )
        m.gives_support = False

    run(stop_giving)
    assert run(seen_by_odile) == ([], False)


def test_several_requests_are_viewed_as_each_alone(run, agreed, clock):
    """``request_views`` (the API's list) gives what ``request_view`` gives for each, "not
    now" answers hidden alike, in three queries whatever their number."""
    malik, odile, bruno, _chloe = agreed.admin, *agreed.members
    ids = [
        ask(run, agreed, malik, clock.now),
        ask(run, agreed, malik, clock.now, urgent=False, supporters=[odile.id]),
        ask(run, agreed, odile, clock.now, important=False),
    ]
    later = clock.now + timedelta(minutes=1)
    run(lambda: services.respond(_request(ids[0]), _user(odile), available=False, now=later))
    run(lambda: services.respond(_request(ids[0]), _user(bruno), available=True, now=later))

    def views(viewer):
        me = _user(viewer)
        requests = [_request(i) for i in ids]
        together = services.request_views(requests, me, later)
        alone = [services.request_view(r, me, later) for r in requests]

        def shape(v):
            return (
                v.request.id,
                [(s.kind, s.user_id) for s in v.steps],
                [(r.supporter_id, r.available) for r in v.responses],
                v.supporters,
                v.route.rule,
                v.overdue,
            )

        assert [shape(v) for v in together] == [shape(v) for v in alone]
        return [shape(v) for v in together]

    for_malik, for_bruno = run(lambda: views(malik)), run(lambda: views(bruno))
    assert for_malik[0][2] == [(odile.id, False), (bruno.id, True)]
    assert for_bruno[0][2] == [(bruno.id, True)]  # Odile's "not now" is Malik's to see
    assert for_malik[1][3] == (odile.id,) and for_malik[0][3] is None


def test_saying_i_will_do_it_checks_who_before_what(run, agreed, clock, make_user):
    """403 for who may not say it, 400 for whom it is not about, before 409 (not due):
    a non-supporter used to learn whether a member was due."""
    odile, bruno = agreed.members[0], agreed.members[1]
    stranger = make_user(name="Eve")
    now = clock.now  # nobody is due yet

    def claim(by, member_id):
        return lambda: services.claim_check_in(
            _group(agreed), _user(by), member_id=member_id, now=now
        )

    with pytest.raises(Forbidden):
        run(claim(stranger, bruno.id))
    with pytest.raises(Forbidden):
        run(claim(bruno, bruno.id))
    with pytest.raises(ValidationFailed) as refused:
        run(claim(odile, stranger.id))
    assert set(refused.value.fields) == {"member_id"}
    with pytest.raises(services.RequestConflict) as conflict:
        run(claim(odile, bruno.id))
    assert conflict.value.code == "check_in_not_due"
