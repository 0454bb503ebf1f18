"""The pure support logic: switches, availability, quiet hours, routing, due steps,
transitions, check-ins and rhythm (DESIGN.md, "Support, lived by the rules")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.agreements.rules import RuleSource, VersionFacts, derive_active_rules
from app.support.routing import (
    AVAILABLE,
    AWAY,
    BUSY,
    CLOSED,
    DID_NOT_HAPPEN,
    DIGEST,
    DIGEST_ONLY,
    ESCALATE,
    ESCALATED,
    HAPPENED,
    IMMEDIATE,
    IMPORTANT,
    LAPSE,
    LAPSED,
    MATCH,
    MATCHED,
    MATCHED_AT_ONCE,
    NOT_NEEDED,
    OPEN,
    OVERDUE,
    OVERDUE_REMINDER,
    RELEASE,
    SINCE_CHECK_IN,
    SINCE_RECEIVING,
    SINCE_REQUEST,
    SINCE_RULE,
    URGENT_IMPORTANT,
    URGENT_MINOR,
    CheckInFacts,
    DueStep,
    Explanation,
    PeriodFacts,
    QuietHours,
    RequestFacts,
    RuleValue,
    Supporter,
    TransitionRefused,
    WeekCount,
    away_ends_at,
    check_in_due_since,
    check_ins_due,
    claimed_by,
    deliver_at,
    due_step,
    effective_availability,
    effective_switches,
    escalation_notices,
    followup_due,
    is_overdue,
    next_status,
    overdue_notices,
    quiet_hours_end,
    refused_switches,
    reminder_due,
    reminder_recipients,
    rhythm,
    route_request,
    snapshot,
    snapshot_from_json,
    snapshot_to_json,
    transition_refusal,
)

PARIS = "Europe/Paris"
SECOND = timedelta(seconds=1)
#: a Tuesday morning in May, outside anyone's quiet hours below
T0 = datetime(2026, 5, 12, 9, 30, tzinfo=UTC)
REQUESTER = 1


def source(version=2, adopted_at=datetime(2026, 4, 1, 10, 0, tzinfo=UTC), value=None):
    return RuleSource(
        agreement_id=7,
        version=version,
        title="Nos accords d'écoute",
        poll_id=40 + version,
        adopted_at=adopted_at,
        value=value,
    )


def agreed(**values):
    """A snapshot where each given key was agreed (v2 of agreement 7)."""
    return {key: RuleValue(value, source(value=value)) for key, value in values.items()}


def ask(urgent, important, supporters=None, created_at=T0):
    return RequestFacts(
        requester_id=REQUESTER,
        urgent=urgent,
        important=important,
        created_at=created_at,
        supporters=supporters,
    )


def paris(*args, fold=0):
    """A Paris wall time as aware UTC."""
    return datetime(*args, tzinfo=ZoneInfo(PARIS), fold=fold).astimezone(UTC)


NIGHT = QuietHours(time(22, 0), time(7, 0), PARIS, wake=True)
NIGHT_NO_WAKE = QuietHours(time(22, 0), time(7, 0), PARIS, wake=False)

#: the circle: the requester (who also gives), two available, one busy, one away, one
#: who does not give
CIRCLE = (
    Supporter(REQUESTER),
    Supporter(2),
    Supporter(3),
    Supporter(4, availability=BUSY),
    Supporter(5, availability=AWAY),
    Supporter(6, gives=False),
)


def told(route_or_notices):
    notices = getattr(route_or_notices, "notices", route_or_notices)
    return [n.user_id for n in notices]


# -- switches and availability ---------------------------------------------------------


def test_reciprocity_required_locks_both_switches_on_whatever_is_stored():
    switches = effective_switches(False, False, "required")
    assert (switches.gives, switches.receives, switches.locked) == (True, True, True)


def test_reciprocity_not_required_gives_back_the_stored_choice():
    switches = effective_switches(False, True, "not_required")
    assert (switches.gives, switches.receives, switches.locked) == (False, True, False)


def test_turning_a_switch_off_is_refused_only_while_reciprocity_is_required():
    changes = {"gives_support": False, "receives_support": True}
    assert refused_switches("required", changes) == ("gives_support",)
    assert refused_switches("required", {"receives_support": True}) == ()
    assert refused_switches("not_required", changes) == ()


def test_an_unknown_reciprocity_is_a_bug():
    with pytest.raises(ValueError):
        effective_switches(True, True, "sometimes")


def test_away_until_a_date_lasts_through_that_whole_day_in_the_members_zone():
    until = date(2026, 12, 5)
    last_minute = paris(2026, 12, 5, 23, 59)
    midnight = paris(2026, 12, 6, 0, 0)
    assert away_ends_at(until, PARIS) == midnight == datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    assert effective_availability(AWAY, until, last_minute, PARIS) == AWAY
    assert effective_availability(AWAY, until, midnight - SECOND, PARIS) == AWAY
    assert effective_availability(AWAY, until, midnight, PARIS) == AVAILABLE


def test_away_ends_by_the_members_own_clock():
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # already 6 Dec in Auckland
    assert effective_availability(AWAY, date(2026, 12, 5), now, "Pacific/Auckland") == AVAILABLE
    assert effective_availability(AWAY, date(2026, 12, 5), now, PARIS) == AWAY


def test_away_without_a_date_and_busy_stay_as_they_are():
    later = datetime(2030, 1, 1, tzinfo=UTC)
    assert effective_availability(AWAY, None, later, PARIS) == AWAY
    assert effective_availability(BUSY, date(2026, 1, 1), later, PARIS) == BUSY
    assert effective_availability(AVAILABLE, None, later, PARIS) == AVAILABLE


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError):
        effective_availability(AWAY, date(2026, 1, 1), datetime(2026, 1, 2), PARIS)


# -- quiet hours ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 1, 14, 21, 59), None),  # before
        ((2026, 1, 14, 22, 0), (2026, 1, 15, 7, 0)),  # the start is quiet
        ((2026, 1, 14, 23, 30), (2026, 1, 15, 7, 0)),  # before midnight: tomorrow's end
        ((2026, 1, 15, 3, 0), (2026, 1, 15, 7, 0)),  # after midnight: today's end
        ((2026, 1, 15, 6, 59), (2026, 1, 15, 7, 0)),
        ((2026, 1, 15, 7, 0), None),  # the end is not quiet any more
    ],
)
def test_quiet_hours_across_midnight(local, expected):
    now = paris(*local)
    end = quiet_hours_end(NIGHT, now)
    assert end == (paris(*expected) if expected else None)
    assert deliver_at(NIGHT, now, urgent_and_important=False) == (end or now)


def test_quiet_hours_within_a_day():
    nap = QuietHours(time(13, 0), time(14, 30), PARIS)
    assert quiet_hours_end(nap, paris(2026, 5, 12, 12, 59)) is None
    assert quiet_hours_end(nap, paris(2026, 5, 12, 13, 0)) == paris(2026, 5, 12, 14, 30)
    assert quiet_hours_end(nap, paris(2026, 5, 12, 14, 30)) is None


def test_no_quiet_hours_or_an_empty_window_delivers_now():
    now = paris(2026, 1, 14, 23, 0)
    same = QuietHours(time(22, 0), time(22, 0), PARIS)
    assert deliver_at(None, now, urgent_and_important=False) == now
    assert deliver_at(same, now, urgent_and_important=False) == now


def test_only_urgent_and_important_wakes_and_only_those_who_allow_it():
    now = paris(2026, 1, 14, 23, 0)
    morning = paris(2026, 1, 15, 7, 0)
    assert deliver_at(NIGHT, now, urgent_and_important=True) == now
    assert deliver_at(NIGHT_NO_WAKE, now, urgent_and_important=True) == morning
    assert deliver_at(NIGHT, now, urgent_and_important=False) == morning


def test_quiet_hours_end_by_the_local_clock_when_it_goes_back():
    # 25 Oct 2026: Paris goes from 03:00 CEST back to 02:00 CET; 07:00 CET is 06:00 UTC.
    now = paris(2026, 10, 24, 23, 0)
    assert quiet_hours_end(NIGHT, now) == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)


def test_quiet_hours_end_by_the_local_clock_when_it_goes_forward():
    # 29 Mar 2026: Paris jumps from 02:00 CET to 03:00 CEST; 07:00 CEST is 05:00 UTC.
    now = paris(2026, 3, 28, 23, 0)
    assert quiet_hours_end(NIGHT, now) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_an_end_skipped_by_the_clocks_ends_the_quiet_hours_when_they_jump():
    late_night = QuietHours(time(23, 0), time(2, 30), PARIS)
    now = paris(2026, 3, 28, 23, 30)
    # 02:30 does not exist that night: the clocks jump from 02:00 CET (01:00 UTC) to 03:00.
    assert quiet_hours_end(late_night, now) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_an_end_that_happens_twice_ends_the_quiet_hours_the_first_time():
    late_night = QuietHours(time(23, 0), time(2, 30), PARIS)
    first = paris(2026, 10, 25, 2, 30, fold=0)  # 02:30 CEST, 00:30 UTC
    second = paris(2026, 10, 25, 2, 30, fold=1)  # 02:30 CET, 01:30 UTC
    assert quiet_hours_end(late_night, paris(2026, 10, 24, 23, 30)) == first
    # In the repeated hour, the clock reads 02:15 again: quiet until the second 02:30.
    assert quiet_hours_end(late_night, paris(2026, 10, 25, 2, 15, fold=1)) == second


# -- routing: the table's rows -------------------------------------------------------


def test_urgent_and_important_goes_to_every_available_supporter_at_once_then_escalates():
    rules = agreed(urgent_response_minutes=30)
    route = route_request(ask(True, True), rules, CIRCLE)
    assert route.rule == "urgent_response_minutes"
    assert route.source == rules["urgent_response_minutes"].source
    assert route.escalate_at == T0 + timedelta(minutes=30)
    assert (route.lapse_at, route.overdue_at) == (None, None)
    assert route.explanation == Explanation(URGENT_IMPORTANT, {"minutes": 30, "named": False})
    assert told(route) == [2, 3]
    assert {n.channel for n in route.notices} == {IMMEDIATE}
    assert {n.deliver_at for n in route.notices} == {T0}
    assert {n.rule for n in route.notices} == {"urgent_response_minutes"}
    assert route.later == (4, 5)  # busy and away: only on escalation


def test_urgent_and_important_breaks_quiet_hours_only_where_allowed():
    night = paris(2026, 1, 14, 23, 0)
    circle = [
        Supporter(2, quiet=NIGHT),
        Supporter(3, quiet=NIGHT_NO_WAKE),
        Supporter(4, support_volume=DIGEST),  # stays immediate: urgent and important
    ]
    route = route_request(ask(True, True, created_at=night), {}, circle)
    by_user = {n.user_id: n for n in route.notices}
    assert by_user[2].deliver_at == night
    assert by_user[2].why.params["woken"] is True
    assert by_user[3].deliver_at == paris(2026, 1, 15, 7, 0)
    assert by_user[3].why.params["woken"] is False
    assert by_user[4].channel == IMMEDIATE


def test_urgent_not_important_goes_to_available_supporters_at_once_and_then_lapses():
    night = paris(2026, 1, 14, 23, 0)
    circle = [*CIRCLE, Supporter(7, quiet=NIGHT), Supporter(8, support_volume=DIGEST)]
    route = route_request(ask(True, False, created_at=night), {}, circle)
    assert route.rule == "urgent_minor_lapse_hours"
    assert route.source is None  # the default, not agreed yet
    assert route.lapse_at == night + timedelta(hours=12)
    assert (route.escalate_at, route.overdue_at) == (None, None)
    assert route.explanation == Explanation(URGENT_MINOR, {"hours": 12, "named": False})
    assert told(route) == [2, 3, 7, 8]
    by_user = {n.user_id: n for n in route.notices}
    assert by_user[2].channel == IMMEDIATE and by_user[2].deliver_at == night
    # A celebration never wakes anyone, even who allows urgent and important ones to.
    assert by_user[7].deliver_at == paris(2026, 1, 15, 7, 0)
    assert by_user[8].channel == DIGEST
    assert route.later == ()  # it lapses; busy and away ones are never asked


def test_important_not_urgent_is_in_app_now_and_in_the_digest_then_overdue():
    night = paris(2026, 1, 14, 23, 0)
    rules = agreed(important_response_days=5)
    circle = [*CIRCLE, Supporter(7, quiet=NIGHT)]
    route = route_request(ask(False, True, created_at=night), rules, circle)
    assert route.rule == "important_response_days"
    assert route.source == rules["important_response_days"].source
    assert route.overdue_at == night + timedelta(days=5)
    assert (route.escalate_at, route.lapse_at) == (None, None)
    assert route.explanation == Explanation(IMPORTANT, {"days": 5, "named": False})
    assert told(route) == [2, 3, 7]
    assert {n.channel for n in route.notices} == {DIGEST}
    assert {n.deliver_at for n in route.notices} == {night}  # in-app: quiet hours do not apply
    assert route.later == (4,)  # busy ones get the overdue reminder; away ones do not


def test_neither_urgent_nor_important_goes_to_the_digest_with_no_later_step():
    route = route_request(ask(False, False), agreed(urgent_response_minutes=30), CIRCLE)
    assert route.rule is None and route.source is None
    assert (route.escalate_at, route.lapse_at, route.overdue_at) == (None, None, None)
    assert route.explanation == Explanation(DIGEST_ONLY, {"named": False})
    assert told(route) == [2, 3]
    assert {(n.channel, n.rule) for n in route.notices} == {(DIGEST, None)}
    assert route.later == ()


def test_without_supporters_a_route_still_has_its_rule_times_and_words():
    route = route_request(ask(True, True), {})
    assert route.escalate_at == T0 + timedelta(minutes=60)
    assert route.notices == () and route.later == ()


# -- routing: who ----------------------------------------------------------------------


def test_nobody_is_asked_to_support_themself_even_when_named():
    route = route_request(ask(True, True, supporters=(REQUESTER, 2)), {}, CIRCLE)
    assert told(route) == [2]


def test_members_who_do_not_give_are_never_asked():
    route = route_request(ask(True, True, supporters=(6, 2)), {}, CIRCLE)
    assert told(route) == [2]
    assert 6 not in route.later


def test_named_supporters_restrict_the_audience_and_availability_still_counts():
    route = route_request(ask(True, True, supporters=(3, 4, 3)), {}, CIRCLE)
    assert told(route) == [3]
    assert route.later == (4,)  # named but busy: asked on escalation
    assert route.explanation.params["named"] is True
    assert route.notices[0].why.params["named"] is True


def test_without_availability_check_one_named_supporter_is_matched_at_once():
    rules = agreed(availability_check=False, urgent_response_minutes=30)
    route = route_request(ask(True, True, supporters=(4,)), rules, CIRCLE)
    assert route.matched_with == 4  # even though busy: the group agreed not to check
    assert told(route) == [4]
    assert route.notices[0].why.code == MATCHED_AT_ONCE
    assert route.notices[0].rule == "availability_check"
    # Should they say "not now", asking resumes on the same route.
    assert route.rule == "urgent_response_minutes"
    assert route.escalate_at == T0 + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("availability_check", "named"),
    [
        (False, (2, 3)),  # two named: they are asked
        (False, None),  # the whole circle
        (False, (REQUESTER,)),  # only oneself: nobody to match
        (True, (2,)),  # with the check, one named supporter is asked first
    ],
)
def test_otherwise_nobody_is_matched_at_once(availability_check, named):
    rules = agreed(availability_check=availability_check)
    route = route_request(ask(True, True, supporters=named), rules, CIRCLE)
    assert route.matched_with is None
    assert MATCHED_AT_ONCE not in {n.why.code for n in route.notices}


# -- routing: later steps --------------------------------------------------------------


def test_escalation_reaches_every_supporter_busy_and_away_ones_too():
    night = paris(2026, 1, 14, 23, 0)
    circle = [
        *CIRCLE,
        Supporter(7, availability=AWAY, support_volume=DIGEST),
        Supporter(8, availability=BUSY, quiet=NIGHT_NO_WAKE),
        Supporter(9),
    ]
    notices = escalation_notices(
        ask(True, True), agreed(urgent_response_minutes=30), circle, night, declined={9}
    )
    assert told(notices) == [2, 3, 4, 5, 7, 8]
    by_user = {n.user_id: n for n in notices}
    assert by_user[5].channel == IMMEDIATE
    assert by_user[7].channel == DIGEST  # away, and chose the digest
    assert by_user[8].deliver_at == paris(2026, 1, 15, 7, 0)
    assert by_user[2].why == Explanation(ESCALATED, {"minutes": 30, "named": False, "woken": False})


def test_only_urgent_and_important_requests_escalate():
    with pytest.raises(ValueError):
        escalation_notices(ask(True, False), {}, CIRCLE, T0)


def test_the_overdue_reminder_reaches_busy_supporters_but_not_away_ones():
    notices = overdue_notices(ask(False, True), {}, [*CIRCLE, Supporter(9)], T0, declined={9})
    assert told(notices) == [2, 3, 4]
    assert {n.channel for n in notices} == {DIGEST}
    assert notices[0].why.code == OVERDUE_REMINDER and notices[0].why.params["days"] == 3


# -- the snapshot --------------------------------------------------------------------


def test_a_request_keeps_the_rules_of_its_time():
    before = datetime(2026, 4, 1, tzinfo=UTC)
    after = T0 + timedelta(days=1)
    versions = [
        VersionFacts(7, 1, "Accords", {"urgent_response_minutes": 30}, before, poll_id=41),
        VersionFacts(7, 2, "Accords", {"urgent_response_minutes": 120}, after, poll_id=42),
    ]
    kept = snapshot(derive_active_rules(versions, T0))
    stored = snapshot_to_json(kept)
    # Read back after v2 was adopted: the request still follows v1.
    route = route_request(ask(True, True), snapshot_from_json(stored), CIRCLE)
    assert route.escalate_at == T0 + timedelta(minutes=30)
    assert (route.source.version, route.source.poll_id, route.source.adopted_at) == (
        1,
        41,
        before,
    )
    now_rules = snapshot(derive_active_rules(versions, after))
    assert route_request(ask(True, True), now_rules).escalate_at == T0 + timedelta(minutes=120)


def test_a_snapshot_survives_storage_whole():
    rules = {
        **agreed(urgent_response_minutes=45, channels=["phone"]),
        "reciprocity": RuleValue("required"),  # a default: no source
    }
    assert snapshot_from_json(snapshot_to_json(rules)) == rules


# -- due steps ---------------------------------------------------------------------------


def steps(**overrides):
    facts = {
        "urgent": True,
        "important": True,
        "escalate_at": None,
        "lapse_at": None,
        "overdue_at": None,
        "escalated_at": None,
        "overdue_noted_at": None,
    }
    return {**facts, **overrides}


DUE = T0 + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("facts", "step"),
    [
        (steps(escalate_at=DUE), ESCALATE),
        (steps(important=False, lapse_at=DUE), LAPSE),
        (steps(urgent=False, overdue_at=DUE), OVERDUE),
    ],
)
def test_a_step_is_due_at_its_time_not_a_second_before(facts, step):
    assert due_step(OPEN, **facts, now=DUE - SECOND) is None
    assert due_step(OPEN, **facts, now=DUE) == DueStep(step, DUE)
    # Noticed late, it is still taken as of its time.
    assert due_step(OPEN, **facts, now=DUE + timedelta(hours=5)) == DueStep(step, DUE)


def test_escalation_and_overdue_happen_once():
    late = DUE + timedelta(hours=1)
    assert due_step(OPEN, **steps(escalate_at=DUE, escalated_at=DUE), now=late) is None
    overdue = steps(urgent=False, overdue_at=DUE, overdue_noted_at=DUE)
    assert due_step(OPEN, **overdue, now=late) is None


@pytest.mark.parametrize("status", [MATCHED, CLOSED, LAPSED])
def test_nothing_is_due_unless_the_request_is_open(status):
    everything = steps(escalate_at=DUE, lapse_at=DUE, overdue_at=DUE)
    assert due_step(status, **everything, now=DUE + timedelta(days=9)) is None


def test_each_row_has_only_its_own_step():
    all_past = {"escalate_at": DUE, "lapse_at": DUE, "overdue_at": DUE}
    later = DUE + timedelta(days=9)
    assert due_step(OPEN, **steps(**all_past), now=later).step == ESCALATE
    assert due_step(OPEN, **steps(important=False, **all_past), now=later).step == LAPSE
    assert due_step(OPEN, **steps(urgent=False, **all_past), now=later).step == OVERDUE
    neither = steps(urgent=False, important=False, **all_past)
    assert due_step(OPEN, **neither, now=later) is None


def test_a_step_that_fell_due_while_matched_is_taken_as_of_the_release():
    released = DUE + timedelta(minutes=10)
    step = due_step(OPEN, **steps(escalate_at=DUE), now=released, reopened_at=released)
    assert step == DueStep(ESCALATE, released)
    # Released before its time: taken at its time.
    early = DUE - timedelta(minutes=10)
    assert due_step(OPEN, **steps(escalate_at=DUE), now=DUE, reopened_at=early).at == DUE


def test_a_route_times_drive_the_due_steps():
    route = route_request(ask(True, False), agreed(urgent_minor_lapse_hours=2), CIRCLE)
    facts = steps(important=False, lapse_at=route.lapse_at)
    assert due_step(OPEN, **facts, now=T0 + timedelta(hours=2) - SECOND) is None
    assert due_step(OPEN, **facts, now=T0 + timedelta(hours=2)).step == LAPSE


def test_an_open_important_request_shows_overdue_from_its_time():
    def overdue(status, now, urgent=False):
        return is_overdue(status, urgent=urgent, important=True, overdue_at=DUE, now=now)

    assert overdue(OPEN, DUE) is True
    assert overdue(OPEN, DUE - SECOND) is False
    assert overdue(MATCHED, DUE) is False
    assert overdue(OPEN, DUE, urgent=True) is False


def test_both_sides_are_asked_a_day_after_the_match_once_per_match():
    day = T0 + timedelta(days=1)
    assert followup_due(MATCHED, T0, None, day - SECOND) is None
    assert followup_due(MATCHED, T0, None, day) == day
    assert followup_due(MATCHED, T0, day, day + timedelta(hours=1)) is None
    # Asked about an earlier match, released, matched again: asked again.
    assert followup_due(MATCHED, T0, T0 - timedelta(hours=3), day) == day
    assert followup_due(CLOSED, T0, None, day) is None
    assert followup_due(OPEN, None, None, day) is None


# -- transitions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "to"),
    [
        (OPEN, MATCH, MATCHED),
        (OPEN, LAPSE, LAPSED),
        (OPEN, NOT_NEEDED, CLOSED),
        (MATCHED, RELEASE, OPEN),
        (MATCHED, HAPPENED, CLOSED),
        (MATCHED, DID_NOT_HAPPEN, CLOSED),
    ],
)
def test_allowed_transitions(status, action, to):
    assert transition_refusal(status, action) is None
    assert next_status(status, action) == to


@pytest.mark.parametrize(
    ("status", "action", "code"),
    [
        (MATCHED, MATCH, "request_matched"),  # "available" on a matched request
        (MATCHED, NOT_NEEDED, "request_matched"),
        (MATCHED, LAPSE, "request_matched"),
        (OPEN, RELEASE, "request_not_matched"),
        (OPEN, HAPPENED, "request_not_matched"),
        (OPEN, DID_NOT_HAPPEN, "request_not_matched"),
        (CLOSED, MATCH, "request_closed"),
        (CLOSED, RELEASE, "request_closed"),
        (LAPSED, MATCH, "request_lapsed"),
        (LAPSED, NOT_NEEDED, "request_lapsed"),
    ],
)
def test_refused_transitions_say_why(status, action, code):
    assert transition_refusal(status, action) == code
    with pytest.raises(TransitionRefused) as refused:
        next_status(status, action)
    assert refused.value.code == code


def test_an_unknown_action_is_a_bug():
    with pytest.raises(ValueError):
        transition_refusal(OPEN, "escalate")


# -- check-ins -----------------------------------------------------------------------------

RULE_SET = datetime(2026, 3, 1, tzinfo=UTC)
RECEIVING = datetime(2026, 2, 1, tzinfo=UTC)


def test_no_check_in_is_due_when_the_rule_is_unset():
    member = CheckInFacts(2, receives_since=RECEIVING)
    assert check_in_due_since(None, rule_set_at=None, receives_since=RECEIVING) is None
    assert check_ins_due(None, None, [member], datetime(2030, 1, 1, tzinfo=UTC)) == []


@pytest.mark.parametrize(
    ("request_at", "check_in_at", "receives_since", "since"),
    [
        (
            datetime(2026, 4, 10, tzinfo=UTC),
            datetime(2026, 4, 1, tzinfo=UTC),
            RECEIVING,
            SINCE_REQUEST,
        ),
        (
            datetime(2026, 4, 1, tzinfo=UTC),
            datetime(2026, 4, 10, tzinfo=UTC),
            RECEIVING,
            SINCE_CHECK_IN,
        ),
        (None, None, datetime(2026, 4, 10, tzinfo=UTC), SINCE_RECEIVING),
        # The rule adopted after the last request: the clock starts at the adoption.
        (datetime(2026, 2, 20, tzinfo=UTC), None, RECEIVING, SINCE_RULE),
    ],
)
def test_the_clock_starts_at_the_latest_of_four_moments(
    request_at, check_in_at, receives_since, since
):
    start = max(m for m in (request_at, check_in_at, receives_since, RULE_SET) if m)
    due_since = check_in_due_since(
        14,
        rule_set_at=RULE_SET,
        receives_since=receives_since,
        last_request_at=request_at,
        last_check_in_at=check_in_at,
    )
    assert due_since == start + timedelta(days=14)
    member = CheckInFacts(2, receives_since, request_at, check_in_at)
    assert check_ins_due(14, RULE_SET, [member], due_since - SECOND) == []
    (due,) = check_ins_due(14, RULE_SET, [member], due_since)
    assert (due.member_id, due.due_since, due.since) == (2, due_since, since)
    assert (due.claimed_by, due.remind) == (None, True)


def test_all_is_well_resets_the_clock_like_a_check_in():
    now = datetime(2026, 4, 20, tzinfo=UTC)
    quiet_member = CheckInFacts(2, RECEIVING, last_request_at=datetime(2026, 3, 1, tzinfo=UTC))
    well_member = CheckInFacts(
        3,
        RECEIVING,
        last_request_at=datetime(2026, 3, 1, tzinfo=UTC),
        last_check_in_at=datetime(2026, 4, 15, tzinfo=UTC),
    )
    assert [d.member_id for d in check_ins_due(14, RULE_SET, [well_member, quiet_member], now)] == [
        2
    ]


def test_longest_due_first():
    now = datetime(2026, 6, 1, tzinfo=UTC)
    members = [
        CheckInFacts(3, RECEIVING, last_request_at=datetime(2026, 4, 1, tzinfo=UTC)),
        CheckInFacts(2, RECEIVING, last_request_at=datetime(2026, 4, 20, tzinfo=UTC)),
        CheckInFacts(4, RECEIVING, last_request_at=datetime(2026, 3, 15, tzinfo=UTC)),
    ]
    assert [d.member_id for d in check_ins_due(7, RULE_SET, members, now)] == [4, 3, 2]


def test_a_claim_and_a_reminder_count_for_their_own_period_only():
    due_since = datetime(2026, 3, 15, tzinfo=UTC)
    now = datetime(2026, 3, 20, tzinfo=UTC)
    this_period = PeriodFacts(due_since, claimed_by=3, reminded_at=due_since + SECOND)
    member = CheckInFacts(2, RECEIVING, period=this_period)
    (due,) = check_ins_due(14, RULE_SET, [member], now)
    assert (due.due_since, due.claimed_by, due.remind) == (due_since, 3, False)

    # A check-in since reset the clock: the old period's claim and reminder no longer count.
    last_check_in = datetime(2026, 3, 16, tzinfo=UTC)
    member = CheckInFacts(2, RECEIVING, last_check_in_at=last_check_in, period=this_period)
    (due,) = check_ins_due(14, RULE_SET, [member], datetime(2026, 4, 1, tzinfo=UTC))
    assert due.due_since == last_check_in + timedelta(days=14)
    assert (due.claimed_by, due.remind) == (None, True)
    assert claimed_by(due.due_since, this_period) is None
    assert claimed_by(due_since, this_period) == 3


def test_supporters_are_reminded_once_per_period():
    due_since = datetime(2026, 3, 15, tzinfo=UTC)
    assert reminder_due(due_since, due_since - SECOND, None) is False
    assert reminder_due(due_since, due_since, None) is True
    assert reminder_due(due_since, due_since + timedelta(days=1), due_since) is False
    assert reminder_due(due_since, due_since, due_since - timedelta(days=14)) is True


def test_once_someone_said_ill_do_it_only_they_are_reminded():
    assert reminder_recipients(2, [1, 2, 3, 4, 3], None) == (1, 3, 4)
    assert reminder_recipients(2, [1, 2, 3, 4], 3) == (3,)


# -- rhythm ------------------------------------------------------------------------------


def test_rhythm_weeks_across_a_year_boundary():
    now = paris(2027, 1, 6, 12, 0)  # a Wednesday in 2027-W01
    times = [
        paris(2027, 1, 1, 0, 30),  # a Friday: still ISO 2026-W53
        paris(2026, 12, 28, 9, 0),  # Monday of 2026-W53
        paris(2027, 1, 4, 0, 0),  # Monday of 2027-W01
        paris(2027, 1, 6, 11, 0),
        paris(2027, 1, 6, 13, 0),  # after now: not yet
        paris(2026, 11, 1, 12, 0),  # before the eight weeks
    ]
    result = rhythm(2, times, PARIS, now)
    assert [w.week for w in result.weeks] == [
        "2026-W47",
        "2026-W48",
        "2026-W49",
        "2026-W50",
        "2026-W51",
        "2026-W52",
        "2026-W53",
        "2027-W01",
    ]
    assert [w.count for w in result.weeks] == [0, 0, 0, 0, 0, 0, 2, 2]
    assert result.target == 2
    assert (result.this_week.week, result.this_week.count) == ("2027-W01", 2)
    assert result.this_week.start == date(2027, 1, 4)


def test_rhythm_weeks_are_the_members_own():
    # Sunday 23:30 UTC is already Monday 00:30 in Paris: next week there.
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    in_paris = rhythm(3, [sunday_night], PARIS, now)
    in_utc = rhythm(3, [sunday_night], "UTC", now)
    assert (in_paris.this_week.week, in_paris.this_week.count) == ("2026-W49", 1)
    assert (in_utc.this_week.week, in_utc.this_week.count) == ("2026-W49", 0)
    assert in_utc.weeks[-2] == WeekCount("2026-W48", date(2026, 11, 23), 1)


def test_this_week_starts_at_the_members_monday_midnight():
    now = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Monday 00:30 in Paris
    assert rhythm(None, [], PARIS, now).this_week.week == "2026-W49"
    assert rhythm(None, [], "UTC", now).this_week.week == "2026-W48"
    assert len(rhythm(None, [], "UTC", now).weeks) == 8
