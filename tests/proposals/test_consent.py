"""The consent rule (pure): adopted ⇔ no block ∧ agree > disagree ∧ quorum reached."""

from __future__ import annotations

import pytest

from app.proposals.consent import (
    MORE_AGREE,
    NO_BLOCK,
    QUORUM,
    Condition,
    consent_verdict,
    quorum_reached,
)


def counts(agree=0, abstain=0, disagree=0, block=0):
    return {"agree": agree, "abstain": abstain, "disagree": disagree, "block": block}


def test_the_seed_poll_is_not_adopted_because_of_the_blocks():
    verdict = consent_verdict(counts(5, 8, 3, 2), participants=18, eligible=18, quorum_percent=50)
    assert verdict.adopted is False
    assert verdict.conditions == [
        Condition(NO_BLOCK, False, {"block": 2}),
        Condition(MORE_AGREE, True, {"agree": 5, "disagree": 3}),
        Condition(QUORUM, True, {"participants": 18, "eligible": 18, "percent": 100, "quorum": 50}),
    ]
    assert [c.code for c in verdict.failed] == [NO_BLOCK]


def test_without_the_blocks_the_seed_poll_would_be_adopted():
    verdict = consent_verdict(counts(5, 8, 3, 0), participants=16, eligible=18, quorum_percent=50)
    assert verdict.adopted is True
    assert verdict.failed == []


def test_quorum_failure():
    verdict = consent_verdict(counts(agree=3), participants=3, eligible=10, quorum_percent=50)
    assert verdict.adopted is False
    assert [c.code for c in verdict.failed] == [QUORUM]
    assert verdict.conditions[2].params == {
        "participants": 3,
        "eligible": 10,
        "percent": 30,
        "quorum": 50,
    }


def test_abstentions_count_for_participation_only():
    # 1 agree and 5 abstentions of 10: participation 60 %, and agree > disagree.
    assert consent_verdict(counts(1, 5), 6, 10, 60).adopted is True
    # Abstentions alone adopt nothing: agree (0) is not more than disagree (0).
    verdict = consent_verdict(counts(abstain=10), 10, 10, 50)
    assert verdict.adopted is False
    assert [c.code for c in verdict.failed] == [MORE_AGREE]


def test_a_tie_between_agree_and_disagree_is_not_adopted():
    verdict = consent_verdict(counts(agree=4, disagree=4), 8, 8, 50)
    assert not verdict.adopted
    assert verdict.conditions[1] == Condition(MORE_AGREE, False, {"agree": 4, "disagree": 4})


def test_a_single_block_is_enough():
    assert not consent_verdict(counts(agree=17, block=1), 18, 18, 0).adopted


@pytest.mark.parametrize(
    ("participants", "eligible", "quorum", "reached"),
    [
        (9, 18, 50, True),  # exactly the quorum
        (8, 18, 50, False),
        (2, 3, 66, True),  # 66.7 % ≥ 66
        (2, 3, 67, False),  # shown as 66 %, below 67
        (0, 0, 50, True),  # no one eligible: nothing to reach
        (0, 5, 0, True),  # a quorum of 0
        (5, 5, 100, True),
        (4, 5, 100, False),
    ],
)
def test_quorum_is_exact(participants, eligible, quorum, reached):
    assert quorum_reached(participants, eligible, quorum) is reached


def test_conditions_round_trip_through_json():
    verdict = consent_verdict(counts(5, 8, 3, 2), 18, 18, 50)
    stored = [c.to_json() for c in verdict.conditions]
    assert stored[0] == {"code": "no_block", "held": False, "params": {"block": 2}}
    assert [Condition.from_json(c) for c in stored] == verdict.conditions


def test_missing_counts_are_zero():
    assert consent_verdict({"agree": 2}, 2, 2, 50).adopted
