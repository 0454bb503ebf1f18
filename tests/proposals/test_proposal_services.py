"""Proposals with the database: attaching a change, deciding at close, applying once,
stale amendments, repeals, and the agreements and rules they leave behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.agreements.models import Agreement, AgreementVersion
from app.agreements.services import (
    active_rules,
    agreements_as_of,
    load_agreement,
    rule_value_text,
    version_diff,
)
from app.auth.models import User
from app.errors import ValidationFailed
from app.extensions import db
from app.groups.models import Group, Membership
from app.polls.models import Poll
from app.polls.services import PollNotReopenable, reopen_poll
from app.proposals.models import AgreementChange, ProposalOutcome
from app.proposals.services import (
    AgreementRepealed,
    StaleAgreementVersion,
    attach_agreement_change,
    open_proposals_touching,
    outcome_json,
)
from app.timeutil import utcnow

LISTENING = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Pas de réciprocité exigée.\n\nVérifier la disponibilité de l'autre d'abord.",
    "rules": {"reciprocity": "not_required", "relance_after_days": 21, "rhythm_per_week": 2},
    "change_summary": "Premiers accords",
}


def amend(agreement_id, base_version=1, **fields):
    return {"action": "amend", "agreement_id": agreement_id, "base_version": base_version, **fields}


def repeal(agreement_id, base_version=1):
    return {"action": "repeal", "agreement_id": agreement_id, "base_version": base_version}


def versions_of(run, agreement_id):
    return run(
        lambda: [
            (v.version, v.poll_id, v.title)
            for v in db.session.scalars(
                sa.select(AgreementVersion)
                .where(AgreementVersion.agreement_id == agreement_id)
                .order_by(AgreementVersion.version)
            )
        ]
    )


# -- adopting ---------------------------------------------------------------------------


def test_an_adopted_proposal_creates_the_agreement_once(run, decide, thread_circle):
    poll, outcome = decide(LISTENING)
    assert outcome["adopted"] is True
    assert outcome["applied"] is True
    assert outcome["version"] == 1
    assert outcome["explanation"].startswith("Adopted.")
    assert "No one blocked." in outcome["explanation"]
    assert "More agree (4) than disagree (0)." in outcome["explanation"]
    assert "Participation 4 of 4 (100%) reached the quorum of 50%." in outcome["explanation"]

    def check():
        agreement = db.session.get(Agreement, outcome["agreement_id"])
        closed_at = db.session.get(Poll, poll.id).closed_at
        assert agreement.group_id == thread_circle.group.id
        assert (agreement.status, agreement.current_version) == ("active", 1)
        assert agreement.created_at == closed_at
        (version,) = agreement.versions
        assert version.title == "Nos accords d'écoute"
        assert version.rules == LISTENING["rules"]
        assert "<p>Pas de réciprocité exigée.</p>" in version.body_html
        assert version.change_summary == "Premiers accords"
        assert version.poll_id == poll.id
        assert version.adopted_at == closed_at
        assert version.proposer_id == thread_circle.admin.id
        assert version.result == {
            "counts": {"agree": 4, "abstain": 0, "disagree": 0, "block": 0},
            "participants": 4,
            "eligible": 4,
            "participation_percent": 100,
            "quorum_percent": 50,
        }
        change = db.session.scalar(
            sa.select(AgreementChange).where(AgreementChange.poll_id == poll.id)
        )
        assert change.agreement_id == agreement.id
        assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(ProposalOutcome.id))) == 1

    run(check)


def test_the_outcome_is_null_while_the_poll_is_open_and_for_other_kinds(
    run, propose, thread_circle, clock
):
    poll = propose(LISTENING)

    def check():
        from app.polls.services import create_poll
        from app.threads.models import Thread

        assert outcome_json(db.session.get(Poll, poll.id), "en") is None
        choice = create_poll(
            db.session.get(Thread, thread_circle.thread.id),
            author=db.session.get(User, thread_circle.admin.id),
            kind="choice",
            title="Quel jour ?",
            options=["Lundi", "Mardi"],
            closing_at=clock.now + timedelta(hours=1),
            now=clock.now,
        )
        assert outcome_json(choice, "en") is None

    run(check)


def test_a_proposal_without_a_change_gets_a_verdict_and_applies_nothing(decide, run):
    _poll, outcome = decide(None)
    assert outcome == {
        "adopted": True,
        "applied": False,
        "explanation": outcome["explanation"],
        "agreement_id": None,
        "version": None,
    }
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(Agreement.id)))) == 0


def test_the_seed_poll_is_not_adopted_because_of_the_blocks(
    run, make_user, make_group, make_thread, propose, vote, close, clock
):
    people = [make_user(name=f"Membre {i}") for i in range(18)]
    group = make_group(people[0], members=people[1:], handle="cercle-graine")
    thread = make_thread(group, people[0])
    poll = propose(LISTENING, author=people[0], thread=thread)
    clock.tick()
    keys = ["agree"] * 5 + ["abstain"] * 8 + ["disagree"] * 3 + ["block"] * 2
    for person, key in zip(people, keys, strict=True):
        vote(poll, person, key)
    clock.tick()
    outcome = close(poll, actor=people[0])
    assert outcome["adopted"] is False
    assert outcome["applied"] is False
    assert outcome["agreement_id"] is None and outcome["version"] is None
    explanation = outcome["explanation"]
    assert explanation.startswith("Not adopted. 2 people blocked.")
    assert "More agree (5) than disagree (3)." in explanation
    assert "Participation 18 of 18 (100%) reached the quorum of 50%." in explanation
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(Agreement.id)))) == 0

    def stored():
        outcome = db.session.scalar(
            sa.select(ProposalOutcome).where(ProposalOutcome.poll_id == poll.id)
        )
        return outcome.conditions, outcome.not_applied_reason

    conditions, reason = run(stored)
    assert conditions[0] == {"code": "no_block", "held": False, "params": {"block": 2}}
    assert reason is None


def test_the_explanation_is_written_in_the_readers_language(run, decide, make_user):
    poll, _ = decide(LISTENING, votes=None)

    def both():
        closed = db.session.get(Poll, poll.id)
        return outcome_json(closed, "en"), outcome_json(closed, "fr")

    english, french = run(both)
    assert english["explanation"].startswith("Adopted.")
    # Same verdict, rendered at read time (the French catalog may not have it yet).
    assert {k: v for k, v in french.items() if k != "explanation"} == {
        k: v for k, v in english.items() if k != "explanation"
    }
    assert french["explanation"]


def test_quorum_failure_with_a_quorum_the_group_agreed_on(decide, thread_circle, run):
    quorum = {
        "action": "adopt",
        "title": "Quorum",
        "body": "Trois quarts.",
        "rules": {"decision_quorum_percent": 75},
    }
    decide(quorum)
    admin, bruno, *_ = thread_circle.people
    # 2 of 4 take part: 50 %, enough for the default quorum, not for the agreed 75 %.
    _poll, outcome = decide(LISTENING, votes=[(admin, "agree"), (bruno, "agree")])
    assert outcome["adopted"] is False
    assert outcome["applied"] is False
    assert "Participation 2 of 4 (50%) is below the quorum of 75%." in outcome["explanation"]
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(Agreement.id)))) == 1


def test_a_timed_close_uses_the_quorum_of_its_closing_instant(
    run, propose, vote, close, thread_circle, clock
):
    """P closes by itself at T+1h; a 75 % quorum adopted at T+2h does not apply to it
    (closing the quorum proposal finalises P first, as of T+1h: closing order)."""
    from app.polls.services import close_if_due

    admin, bruno, *_ = thread_circle.people
    p = propose(LISTENING, closing_in=timedelta(hours=1))
    clock.tick()
    vote(p, admin, "agree")
    vote(p, bruno, "agree")
    quorum = propose(
        {
            "action": "adopt",
            "title": "Quorum",
            "body": "…",
            "rules": {"decision_quorum_percent": 75},
        }
    )
    for person in thread_circle.people:
        vote(quorum, person, "agree")
    clock.tick(hours=2)
    assert close(quorum)["applied"] is True
    clock.tick(hours=1)
    now = clock.now

    def finalise():
        poll = db.session.get(Poll, p.id)
        close_if_due(poll, now)  # already closed, before the quorum proposal
        return poll.closed_at, outcome_json(poll, "en")

    closed_at, outcome = run(finalise)
    assert closed_at == p.closing_at
    assert outcome["adopted"] is True
    assert "reached the quorum of 50%" in outcome["explanation"]
    assert (
        run(lambda: active_rules(thread_circle.group.id, now)["decision_quorum_percent"].value)
        == 75
    )
    version = run(
        lambda: (
            db.session.scalar(
                sa.select(AgreementVersion).where(AgreementVersion.poll_id == p.id)
            ).adopted_at
        )
    )
    assert version == p.closing_at


# -- amending ----------------------------------------------------------------------------


def test_an_adopted_amendment_appends_version_2(decide, run, thread_circle, clock):
    first, outcome = decide(LISTENING)
    agreement_id = outcome["agreement_id"]
    poll, outcome = decide(
        amend(
            agreement_id,
            body="Pas de réciprocité exigée.\n\nRelance après deux semaines.",
            rules={"reciprocity": "not_required", "relance_after_days": 14},
            change_summary="Relance plus tôt",
        )
    )
    assert outcome["applied"] is True
    assert (outcome["agreement_id"], outcome["version"]) == (agreement_id, 2)
    assert versions_of(run, agreement_id) == [
        (1, first.id, "Nos accords d'écoute"),
        (2, poll.id, "Nos accords d'écoute"),  # the title defaults to the current one
    ]

    def check():
        agreement = load_agreement(agreement_id)
        assert agreement.current_version == 2
        assert agreement.versions[1].rules == {
            "reciprocity": "not_required",
            "relance_after_days": 14,
        }
        assert agreement.versions[1].change_summary == "Relance plus tôt"
        rules = active_rules(thread_circle.group.id, clock.now)
        assert (rules["relance_after_days"].value, rules["relance_after_days"].source.version) == (
            14,
            2,
        )
        # The amendment's rules replaced the whole set: v2 no longer sets the rhythm.
        assert rules["rhythm_per_week"].is_default
        diff = version_diff(agreement, 1, 2)
        assert "+Relance après deux semaines." in diff["text"]
        assert diff["rules"] == {
            "relance_after_days": {"from": 21, "to": 14},
            "rhythm_per_week": {"from": 2},
        }

    run(check)


def test_an_amendment_without_rules_keeps_the_current_ones(decide, run):
    _, outcome = decide(LISTENING)
    _, outcome = decide(amend(outcome["agreement_id"], title="Nos accords"))
    rules = run(
        lambda: db.session.scalar(
            sa.select(AgreementVersion.rules).where(AgreementVersion.version == 2)
        )
    )
    assert rules == LISTENING["rules"]


def test_a_stale_amendment_is_not_applied_and_says_why(
    propose, vote, close, thread_circle, clock, run, decide
):
    _, adopted = decide(LISTENING)
    agreement_id = adopted["agreement_id"]
    a = propose(amend(agreement_id, title="Version A"))
    b = propose(amend(agreement_id, title="Version B"))
    clock.tick()
    for person in thread_circle.people:
        vote(a, person, "agree")
        vote(b, person, "agree")
    clock.tick()
    assert close(a)["version"] == 2
    clock.tick()
    outcome = close(b)
    assert outcome["adopted"] is True
    assert outcome["applied"] is False
    assert outcome["version"] is None and outcome["agreement_id"] is None
    assert (
        "Not applied: the agreement changed from v1 to v2 since this proposal."
        in outcome["explanation"]
    )
    assert [v[2] for v in versions_of(run, agreement_id)] == ["Nos accords d'écoute", "Version A"]
    reason = run(
        lambda: db.session.scalar(
            sa.select(ProposalOutcome.not_applied_reason).where(ProposalOutcome.poll_id == b.id)
        )
    )
    assert reason == {"code": "stale", "from": 1, "to": 2}


def test_a_stale_base_version_is_refused_when_proposing(decide, propose):
    _, outcome = decide(LISTENING)
    decide(amend(outcome["agreement_id"], title="Deuxième"))
    with pytest.raises(StaleAgreementVersion) as caught:
        propose(amend(outcome["agreement_id"], base_version=1, title="Troisième"))
    assert caught.value.status == 409
    assert caught.value.code == "stale_agreement_version"
    assert "agreement_change.base_version" in caught.value.fields
    assert "version 2" in str(caught.value.message)
    propose(amend(outcome["agreement_id"], base_version=2, title="Troisième"))


def test_an_agreement_of_another_group_cannot_be_amended(
    decide, propose, make_user, make_group, make_thread
):
    _, outcome = decide(LISTENING)
    stranger = make_user(name="Zoé")
    other = make_group(stranger, handle="autre-cercle")
    thread = make_thread(other, stranger)
    with pytest.raises(ValidationFailed) as caught:
        propose(amend(outcome["agreement_id"], title="À nous"), author=stranger, thread=thread)
    assert list(caught.value.fields) == ["agreement_change.agreement_id"]


# -- repealing ------------------------------------------------------------------------------


def test_a_repeal_marks_the_agreement_repealed_at_the_closing_time(
    decide, run, thread_circle, clock
):
    _, adopted = decide(LISTENING)
    agreement_id = adopted["agreement_id"]
    before = clock.now
    poll, outcome = decide(repeal(agreement_id))
    assert outcome["applied"] is True
    assert (outcome["agreement_id"], outcome["version"]) == (agreement_id, None)

    def check():
        agreement = db.session.get(Agreement, agreement_id)
        closed_at = db.session.get(Poll, poll.id).closed_at
        assert agreement.status == "repealed"
        assert agreement.repealed_at == closed_at
        assert agreement.repealed_by_poll_id == poll.id
        assert agreement.current_version == 1  # no version added
        now_rules = active_rules(thread_circle.group.id, clock.now)
        assert now_rules["relance_after_days"].is_default
        assert active_rules(thread_circle.group.id, before)["relance_after_days"].value == 21
        then = agreements_as_of(thread_circle.group.id, before)
        assert [s.id for s in then.active] == [agreement_id] and then.repealed == []
        now = agreements_as_of(thread_circle.group.id, clock.now)
        assert now.active == [] and [s.id for s in now.repealed] == [agreement_id]
        assert now.repealed[0].repealed_at == closed_at

    run(check)
    assert versions_of(run, agreement_id) == [
        (1, versions_of(run, agreement_id)[0][1], LISTENING["title"])
    ]


def test_a_repealed_agreement_cannot_be_amended_or_repealed_again(
    decide, propose, vote, close, clock, thread_circle
):
    _, adopted = decide(LISTENING)
    agreement_id = adopted["agreement_id"]
    pending = propose(amend(agreement_id, title="Trop tard"))
    decide(repeal(agreement_id))
    with pytest.raises(AgreementRepealed):
        propose(repeal(agreement_id))
    for person in thread_circle.people:
        vote(pending, person, "agree")
    clock.tick()
    outcome = close(pending)
    assert outcome["adopted"] and not outcome["applied"]
    assert "Not applied: the agreement was repealed since this proposal." in outcome["explanation"]


def test_a_repeal_whose_base_moved_is_not_applied(
    propose, vote, close, thread_circle, clock, decide, run
):
    _, adopted = decide(LISTENING)
    agreement_id = adopted["agreement_id"]
    gone = propose(repeal(agreement_id))
    decide(amend(agreement_id, title="Amendé"))
    for person in thread_circle.people:
        vote(gone, person, "agree")
    clock.tick()
    outcome = close(gone)
    assert not outcome["applied"]
    assert "changed from v1 to v2" in outcome["explanation"]
    assert run(lambda: db.session.get(Agreement, agreement_id).status) == "active"


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({**LISTENING, "rules": {"relance_after_days": 0}}, ["rules.relance_after_days"]),
        ({**LISTENING, "rules": {"bedtime": 22}}, ["rules.bedtime"]),
        (
            {**LISTENING, "rules": {"availability_check": "yes", "channels": "Jitsi"}},
            ["rules.availability_check", "rules.channels"],
        ),
        ({**LISTENING, "rules": ["reciprocity"]}, ["agreement_change.rules"]),
        ({"action": "adopt", "title": " ", "body": "x", "rules": {}}, ["agreement_change.title"]),
        ({"action": "adopt", "title": "x", "rules": {}}, ["agreement_change.body"]),
        ({"action": "adopt", "title": "x", "body": "y"}, ["agreement_change.rules"]),
        ({"action": "merge"}, ["agreement_change.action"]),
        ({**LISTENING, "review_on": "bientôt"}, ["agreement_change.review_on"]),
        ({**LISTENING, "review_on": "2000-01-01"}, ["agreement_change.review_on"]),
        ({**LISTENING, "change_summary": "x" * 501}, ["agreement_change.change_summary"]),
        ({**LISTENING, "title": "x" * 201}, ["agreement_change.title"]),
        ("adopt", ["agreement_change"]),
        (
            {"action": "amend", "agreement_id": "1", "base_version": None},
            ["agreement_change.agreement_id", "agreement_change.base_version"],
        ),
    ],
)
def test_invalid_changes_are_refused_naming_the_field(propose, run, change, fields):
    with pytest.raises(ValidationFailed) as caught:
        propose(change)
    assert sorted(caught.value.fields) == sorted(fields)
    # Nothing was left behind: the whole proposal was rolled back.
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(AgreementChange.id)))) == 0


def test_rule_errors_are_readable(propose):
    with pytest.raises(ValidationFailed) as caught:
        propose({**LISTENING, "rules": {"relance_after_days": 400}})
    assert str(caught.value.fields["rules.relance_after_days"]) == (
        "Must be a whole number from 1 to 365, or empty."
    )


def test_an_amendment_that_changes_nothing_is_refused(decide, propose):
    _, outcome = decide(LISTENING)
    with pytest.raises(ValidationFailed) as caught:
        propose(amend(outcome["agreement_id"]))
    assert list(caught.value.fields) == ["agreement_change"]


def test_review_date_and_summary_are_kept(decide, run, clock):
    review_on = (clock.now + timedelta(days=90)).date()
    _, outcome = decide({**LISTENING, "review_on": review_on.isoformat()})

    def check():
        state = agreements_as_of(
            db.session.get(Agreement, outcome["agreement_id"]).group_id, clock.now
        )
        assert state.active[0].review_on == review_on
        assert state.active[0].version.change_summary == "Premiers accords"

    run(check)


def test_only_a_proposal_carries_a_change(run, thread_circle, clock):
    from app.polls.services import create_poll
    from app.threads.models import Thread

    def attach():
        poll = create_poll(
            db.session.get(Thread, thread_circle.thread.id),
            author=db.session.get(User, thread_circle.admin.id),
            kind="choice",
            title="Quel jour ?",
            options=["Lundi", "Mardi"],
            closing_at=clock.now + timedelta(hours=1),
            now=clock.now,
        )
        attach_agreement_change(poll, LISTENING, now=clock.now)

    with pytest.raises(ValidationFailed) as caught:
        run(attach)
    assert list(caught.value.fields) == ["agreement_change"]


# -- reopening, warnings, reciprocity -------------------------------------------------------


def test_a_proposal_that_changed_an_agreement_cannot_be_reopened(decide, run, clock):
    poll, _ = decide(LISTENING)
    now = clock.now

    def reopen():
        reopen_poll(db.session.get(Poll, poll.id), closing_at=now + timedelta(days=1), now=now)

    with pytest.raises(PollNotReopenable):
        run(reopen)


def test_a_proposal_that_changed_nothing_can_be_reopened_and_decided_again(
    decide, run, vote, close, thread_circle, clock
):
    admin, bruno, chloe, david = thread_circle.people
    poll, outcome = decide(LISTENING, votes=[(admin, "agree"), (bruno, "block")])
    assert outcome["adopted"] is False
    now = clock.now
    run(
        lambda: reopen_poll(
            db.session.get(Poll, poll.id), closing_at=now + timedelta(days=1), now=now
        )
    )
    assert run(lambda: outcome_json(db.session.get(Poll, poll.id), "en")) is None
    clock.tick()
    vote(poll, bruno, "agree")
    clock.tick()
    outcome = close(poll)
    assert outcome["adopted"] is True and outcome["version"] == 1
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(ProposalOutcome.id)))) == 1


def test_open_proposals_touching_the_same_agreement(decide, propose, run, clock, close):
    _, outcome = decide(LISTENING)
    agreement_id = outcome["agreement_id"]
    a = propose(amend(agreement_id, title="A"))
    b = propose(repeal(agreement_id))
    propose({**LISTENING, "title": "Un autre accord"})
    now = clock.now
    touching = run(lambda: [p.id for p in open_proposals_touching(agreement_id, now=now)])
    assert touching == [a.id, b.id]
    others = run(
        lambda: [p.id for p in open_proposals_touching(agreement_id, now=now, exclude_poll_id=a.id)]
    )
    assert others == [b.id]
    close(b)
    assert run(lambda: [p.id for p in open_proposals_touching(agreement_id, now=clock.now)]) == [
        a.id
    ]


def test_reciprocity_follows_the_agreements(decide, run, thread_circle, clock):
    from app.groups.services import ReciprocityLocked, reciprocity_required, update_my_membership

    def membership():
        return db.session.scalar(
            sa.select(Membership).where(
                Membership.group_id == thread_circle.group.id,
                Membership.user_id == thread_circle.members[0].id,
            )
        )

    def required():
        return reciprocity_required(db.session.get(Group, thread_circle.group.id), now=clock.now)

    assert run(required) is True
    with pytest.raises(ReciprocityLocked):
        run(lambda: update_my_membership(membership(), gives_support=False, now=utcnow()))
    decide(LISTENING)  # reciprocity: not_required
    assert run(required) is False
    switched = run(
        lambda: (
            update_my_membership(
                membership(), gives_support=False, require_reciprocity=required(), now=utcnow()
            ).gives_support
        )
    )
    assert switched is False


# -- agreements and rules as of a time -------------------------------------------------------


def test_rules_with_provenance_and_overrides(decide, run, thread_circle, clock):
    first_poll, first = decide(LISTENING)
    second_poll, second = decide(
        {
            "action": "adopt",
            "title": "Rythme",
            "body": "Trois fois.",
            "rules": {"rhythm_per_week": 3},
        }
    )

    def check():
        rules = active_rules(thread_circle.group.id, clock.now)
        rhythm = rules["rhythm_per_week"]
        assert rhythm.value == 3
        assert rhythm.source.agreement_id == second["agreement_id"]
        assert rhythm.source.poll_id == second_poll.id
        assert rhythm.source.title == "Rythme"
        assert rhythm.source.adopted_at == db.session.get(Poll, second_poll.id).closed_at
        assert [(o.agreement_id, o.poll_id, o.value) for o in rhythm.overridden] == [
            (first["agreement_id"], first_poll.id, 2)
        ]
        relance = rules["relance_after_days"]
        assert (relance.value, relance.source.agreement_id, relance.overridden) == (
            21,
            first["agreement_id"],
            [],
        )
        assert rules["urgent_response_minutes"].is_default
        assert rule_value_text("relance_after_days", 21) == "21 days"
        assert rule_value_text("rhythm_per_week", 1) == "1 time a week"
        assert rule_value_text("reciprocity", "not_required") == "Not required"

    with_request(run, check)


def with_request(run, fn):
    """Run ``fn`` in a request context (English), for gettext."""
    from flask import current_app

    def call():
        with current_app.test_request_context(headers={"Accept-Language": "en"}):
            return fn()

    return run(call)


def test_agreements_as_of_a_date_between_versions(decide, run, thread_circle, clock):
    _, adopted = decide(LISTENING)
    between = clock.tick(hours=1)
    clock.tick(hours=1)
    decide(amend(adopted["agreement_id"], title="Nos accords (v2)"))

    def check():
        then = agreements_as_of(thread_circle.group.id, between)
        assert [(s.id, s.version.version, s.title) for s in then.active] == [
            (adopted["agreement_id"], 1, "Nos accords d'écoute")
        ]
        now = agreements_as_of(thread_circle.group.id, clock.now)
        assert [(s.version.version, s.title) for s in now.active] == [(2, "Nos accords (v2)")]
        assert now.rules["relance_after_days"].source.version == 2
        before_all = agreements_as_of(thread_circle.group.id, between - timedelta(days=1))
        assert before_all.active == [] and before_all.rules["reciprocity"].is_default

    run(check)


def _bulk_agreements(run, thread_circle, clock, count, versions):
    """``count`` agreements of ``versions`` versions each, written directly (each version
    needs its poll)."""
    from app.polls.services import create_poll
    from app.threads.models import Thread

    def write():
        thread = db.session.get(Thread, thread_circle.thread.id)
        author = db.session.get(User, thread_circle.admin.id)
        at = clock.now
        for n in range(count):
            agreement = Agreement(
                group_id=thread_circle.group.id, created_at=at, current_version=versions
            )
            db.session.add(agreement)
            db.session.flush()
            for number in range(1, versions + 1):
                poll = create_poll(
                    thread,
                    author=author,
                    kind="proposal",
                    title=f"P{n}.{number}",
                    closing_at=at + timedelta(days=1),
                    now=at,
                )
                db.session.add(
                    AgreementVersion(
                        agreement_id=agreement.id,
                        version=number,
                        title=f"A{n} v{number}",
                        body="…",
                        rules={"rhythm_per_week": number},
                        poll_id=poll.id,
                        adopted_at=at + timedelta(seconds=n * versions + number),
                    )
                )
        db.session.flush()

    run(write)


def test_agreements_and_rules_load_in_a_fixed_number_of_queries(
    run, thread_circle, clock, count_queries
):
    counts = []
    for agreements in (2, 12):
        _bulk_agreements(run, thread_circle, clock, agreements, 5)
        clock.tick(hours=1)
        with count_queries() as queries:
            state = run(lambda: agreements_as_of(thread_circle.group.id, clock.now))
            run(lambda: active_rules(thread_circle.group.id, clock.now))
        counts.append(queries.count)
        assert len(state.active) in (2, 14)
    assert counts[0] == counts[1] == 2
