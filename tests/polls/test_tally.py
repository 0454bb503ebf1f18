"""The pure tally: counts, percentages, points, ties, and checking a stance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.polls import tally
from app.polls.tally import (
    ChoiceSettings,
    Option,
    Participation,
    Vote,
    clean_choice,
    percent_half_up,
    truncated_percent,
    validate_choice,
    validate_reason,
)

PROPOSAL = [Option(k, k.capitalize()) for k in tally.PROPOSAL_KEYS]
ABC = [Option("o1", "A"), Option("o2", "B"), Option("o3", "C")]


def votes(*choices, names=None):
    names = names or [f"Voter {i:02d}" for i in range(len(choices))]
    return [
        Vote(choice=c, voter_id=i, voter_name=n)
        for i, (c, n) in enumerate(zip(choices, names, strict=True))
    ]


def seed_votes():
    """The seed's poll: 5 agree, 8 abstain, 3 disagree, 2 block."""
    keys = ["agree"] * 5 + ["abstain"] * 8 + ["disagree"] * 3 + ["block"] * 2
    return votes(*({"key": k} for k in keys))


def test_the_seed_table_comes_out_exactly():
    results = tally.tally("proposal", PROPOSAL, seed_votes(), eligible=18, anonymous=True)
    rows = [(r.key, r.count, str(r.percent)) for r in results.rows]
    assert rows == [
        ("agree", 5, "27.8"),
        ("abstain", 8, "44.4"),
        ("disagree", 3, "16.7"),
        ("block", 2, "11.1"),
    ]
    p = results.participation
    assert (p.cast, p.eligible, p.percent, p.undecided) == (18, 18, 100, 0)
    assert p.undecided_percent == Decimal("0.0")
    assert all(r.voters == () for r in results.rows)  # anonymous: no names


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (5, 18, "27.8"),
        (8, 18, "44.4"),
        (3, 18, "16.7"),
        (2, 18, "11.1"),
        (1, 8, "12.5"),
        (1, 6, "16.7"),
        (2, 3, "66.7"),
        (1, 3, "33.3"),
        (1, 40, "2.5"),
        (1, 16, "6.3"),  # 6.25 → 6.3 half up (round(6.25, 1) gives 6.2)
        (3, 16, "18.8"),  # 18.75 → 18.8
        (0, 5, "0.0"),
        (3, 0, "0.0"),
    ],
)
def test_percent_rounds_half_up_to_one_decimal(part, whole, expected):
    assert str(percent_half_up(part, whole)) == expected


@pytest.mark.parametrize(
    ("cast", "eligible", "expected"),
    [(18, 18, 100), (2, 3, 66), (1, 3, 33), (17, 18, 94), (0, 5, 0), (0, 0, 0), (199, 200, 99)],
)
def test_participation_is_truncated(cast, eligible, expected):
    assert truncated_percent(cast, eligible) == expected
    assert Participation(cast, eligible).percent == expected


def test_undecided_members_and_names_in_order():
    names = ["Zoé", "anaïs", "Bruno"]
    results = tally.tally(
        "proposal",
        PROPOSAL,
        votes({"key": "agree"}, {"key": "agree"}, {"key": "block"}, names=names),
        eligible=6,
    )
    agree, abstain, _disagree, block = results.rows
    assert agree.count == 2 and agree.percent == Decimal("66.7")
    assert agree.voters == ("anaïs", "Zoé")  # sorted, case-insensitive
    assert block.voters == ("Bruno",)
    assert abstain.count == 0 and abstain.percent == Decimal("0.0")
    p = results.participation
    assert (p.cast, p.eligible, p.undecided, p.percent) == (3, 6, 3, 50)
    assert p.undecided_percent == Decimal("50.0")


def test_no_stances_at_all():
    results = tally.tally("proposal", PROPOSAL, [], eligible=4)
    assert [r.count for r in results.rows] == [0, 0, 0, 0]
    assert [r.percent for r in results.rows] == [Decimal("0.0")] * 4
    assert results.participation.undecided == 4
    assert results.participation.percent == 0


def test_multiple_choice_percent_is_of_stances_cast():
    cast = votes({"keys": ["o1", "o2"]}, {"keys": ["o1"]}, {"keys": ["o1", "o3"]}, {"keys": ["o2"]})
    rows = tally.tally("choice", ABC, cast, eligible=4).rows
    assert [(r.count, str(r.percent)) for r in rows] == [(3, "75.0"), (2, "50.0"), (1, "25.0")]


def test_score_totals_averages_and_sorted_view():
    cast = votes(
        {"scores": {"o1": 5, "o2": 1, "o3": 3}},
        {"scores": {"o1": 4, "o2": 2, "o3": 3}},
        {"scores": {"o1": 0, "o2": 2, "o3": 5}},
    )
    results = tally.tally("score", ABC, cast, eligible=3)
    a, b, c = results.rows
    assert (a.total, a.count, a.average) == (9, 3, Decimal("3.0"))
    assert (b.total, b.average) == (5, Decimal("1.7"))  # 5/3 = 1.666… → 1.7
    assert (c.total, c.average) == (11, Decimal("3.7"))  # 11/3 = 3.666… → 3.7
    assert [r.key for r in results.by_total()] == ["o3", "o1", "o2"]
    assert [r.rank for r in results.rows] == [2, 3, 1]
    assert results.best_keys == ("o3",)
    assert str(c.percent) == "44.0"  # 11 of 25 points


def test_score_average_rounds_half_up():
    cast = votes(
        {"scores": {"o1": 1, "o2": 0}},
        {"scores": {"o1": 2, "o2": 0}},
        {"scores": {"o1": 2, "o2": 0}},
        {"scores": {"o1": 2, "o2": 1}},
    )
    rows = tally.tally("score", ABC[:2], cast, eligible=4).rows
    assert rows[0].average == Decimal("1.8")  # 7/4 = 1.75 → 1.8
    assert rows[1].average == Decimal("0.3")  # 1/4 = 0.25 → 0.3


def test_ranked_points_rank_r_of_n_earns_n_minus_r_plus_1():
    cast = votes(
        {"ranking": ["o1", "o2", "o3"]},  # 3, 2, 1
        {"ranking": ["o2", "o1", "o3"]},  # 2, 3, 1
        {"ranking": ["o3", "o1", "o2"]},  # 2, 1, 3
    )
    results = tally.tally("ranked", ABC, cast, eligible=5)
    assert [r.total for r in results.rows] == [7, 6, 5]
    assert [r.rank for r in results.rows] == [1, 2, 3]
    assert results.best_keys == ("o1",)
    assert results.participation.undecided == 2


def test_ranked_ties_share_a_rank():
    cast = votes({"ranking": ["o1", "o2", "o3"]}, {"ranking": ["o2", "o1", "o3"]})
    results = tally.tally("ranked", ABC, cast, eligible=2)
    assert [r.total for r in results.rows] == [5, 5, 2]
    assert [r.rank for r in results.rows] == [1, 1, 3]
    assert results.best_keys == ("o1", "o2")
    assert [r.key for r in results.by_total()] == ["o1", "o2", "o3"]  # ties keep option order


def test_dot_totals_and_share():
    cast = votes(
        {"scores": {"o1": 5, "o2": 3}}, {"scores": {"o2": 8}}, {"scores": {"o1": 1, "o3": 7}}
    )
    results = tally.tally("dot", ABC, cast, eligible=3)
    assert [r.total for r in results.rows] == [6, 11, 7]
    assert [str(r.percent) for r in results.rows] == ["25.0", "45.8", "29.2"]
    assert [r.count for r in results.rows] == [2, 2, 1]
    assert results.best_keys == ("o2",)


def test_meeting_best_slots_and_ties():
    slots = [Option("o1", "mon"), Option("o2", "tue"), Option("o3", "wed")]
    cast = votes(
        {"scores": {"o1": 2, "o2": 1, "o3": 0}},
        {"scores": {"o1": 1, "o2": 2, "o3": 0}},
        {"scores": {"o1": 2, "o2": 2}},  # wed left out: "no"
    )
    results = tally.tally("meeting", slots, cast, eligible=3)
    mon, tue, wed = results.rows
    assert (mon.yes, mon.if_need_be, mon.no, mon.total) == (2, 1, 0, 5)
    assert (tue.yes, tue.if_need_be, tue.no, tue.total) == (2, 1, 0, 5)
    assert (wed.yes, wed.if_need_be, wed.no, wed.total) == (0, 0, 3, 0)
    assert results.best_keys == ("o1", "o2")
    assert mon.voters == ("Voter 00", "Voter 02")


def test_no_best_slot_while_no_one_can_come():
    slots = [Option("o1", "mon"), Option("o2", "tue")]
    results = tally.tally("meeting", slots, votes({"scores": {"o1": 0, "o2": 0}}), eligible=2)
    assert results.best_keys == ()


def test_frozen_results_round_trip_without_voters():
    results = tally.tally("proposal", PROPOSAL, seed_votes(), eligible=18)
    data = tally.results_to_json(results)
    assert all(row["voters"] == [] for row in data["rows"])
    back = tally.results_from_json(data)
    assert [(r.key, r.count, r.percent) for r in back.rows] == [
        (r.key, r.count, r.percent) for r in results.rows
    ]
    assert back.participation == results.participation
    scored = tally.tally("score", ABC, votes({"scores": {"o1": 1, "o2": 2, "o3": 3}}), eligible=1)
    assert tally.results_from_json(tally.results_to_json(scored)).rows[0].average == Decimal("1.0")


# -- checking a stance ---------------------------------------------------------------

KEYS = ["o1", "o2", "o3"]
PKEYS = list(tally.PROPOSAL_KEYS)


def test_proposal_and_single_choice():
    s = ChoiceSettings()
    assert validate_choice("proposal", s, PKEYS, {"key": "agree"}) == {}
    assert validate_choice("proposal", s, PKEYS, {"key": "maybe"}) == {
        "key": "Unknown option: maybe."
    }
    long_key = "x" * 200_000
    assert validate_choice("proposal", s, PKEYS, {"key": long_key}) == {
        "key": "Unknown option: " + "x" * 40 + "…."
    }  # not 200,000 characters echoed back
    assert validate_choice("proposal", s, PKEYS, {}) == {"key": "Choose an option."}
    assert validate_choice("proposal", s, PKEYS, None) == {"key": "Choose an option."}
    assert validate_choice("choice", s, KEYS, {"keys": ["o2"]}) == {}
    assert clean_choice("choice", s, KEYS, {"keys": ["o2"]}) == {"key": "o2"}
    assert "keys" in validate_choice("choice", s, KEYS, {"keys": ["o1", "o2"]})


def test_multiple_choice_bounds():
    s = ChoiceSettings(min_choices=2, max_choices=3)
    assert validate_choice("choice", s, KEYS, {"keys": ["o3", "o1"]}) == {}
    assert clean_choice("choice", s, KEYS, {"keys": ["o3", "o1"]}) == {"keys": ["o1", "o3"]}
    assert validate_choice("choice", s, KEYS, {"keys": ["o1"]}) == {
        "keys": "Choose at least 2 options."
    }
    assert validate_choice("choice", s, KEYS, {"keys": ["o1", "o1"]}) == {
        "keys": "Choose each option at most once."
    }
    assert validate_choice("choice", s, KEYS, {"keys": ["o1", "o9"]}) == {
        "keys": "Unknown option: o9."
    }
    s = ChoiceSettings(min_choices=1, max_choices=2)
    assert validate_choice("choice", s, KEYS, {"keys": KEYS}) == {
        "keys": "Choose at most 2 options."
    }
    assert clean_choice("choice", s, KEYS, {"key": "o2"}) == {"keys": ["o2"]}


def test_score_range_and_every_option():
    s = ChoiceSettings(min_score=0, max_score=5)
    assert validate_choice("score", s, KEYS, {"scores": {"o1": 0, "o2": 5, "o3": 3}}) == {}
    errors = validate_choice("score", s, KEYS, {"scores": {"o1": 6, "o2": -1}})
    assert errors == {
        "scores.o1": "Must be between 0 and 5.",
        "scores.o2": "Must be between 0 and 5.",
        "scores.o3": "Give this option a score.",
    }
    assert validate_choice("score", s, KEYS, {"scores": {"o1": 1.5, "o2": 1, "o3": 1}}) == {
        "scores.o1": "Must be a whole number."
    }
    assert validate_choice("score", s, KEYS, {"scores": {"o1": True, "o2": 1, "o3": 1}}) == {
        "scores.o1": "Must be a whole number."
    }
    assert validate_choice("score", s, KEYS, {"scores": {"zz": 1}}) == {
        "scores.zz": "Unknown option: zz."
    }
    assert validate_choice("score", s, KEYS, {"scores": [1, 2]}) == {
        "scores": "Give a score for each option."
    }


def test_dots_budget():
    s = ChoiceSettings(dots=8)
    assert validate_choice("dot", s, KEYS, {"scores": {"o1": 5, "o2": 3}}) == {}
    assert clean_choice("dot", s, KEYS, {"scores": {"o1": 5, "o2": 0, "o3": 3}}) == {
        "scores": {"o1": 5, "o3": 3}
    }
    assert validate_choice("dot", s, KEYS, {"scores": {"o1": 5, "o2": 4}}) == {
        "scores": "You have 8 dots in all: you placed 9."
    }
    assert validate_choice("dot", s, KEYS, {"scores": {"o1": 0}}) == {
        "scores": "Place at least one dot."
    }
    assert validate_choice("dot", s, KEYS, {"scores": {"o1": -1, "o2": 3}}) == {
        "scores.o1": "Must not be negative."
    }


def test_meeting_answers():
    s = ChoiceSettings()
    assert validate_choice("meeting", s, KEYS, {"scores": {"o1": 2, "o2": 1}}) == {}
    assert clean_choice("meeting", s, KEYS, {"scores": {"o1": 2, "o2": 1}}) == {
        "scores": {"o1": 2, "o2": 1, "o3": 0}
    }
    assert "scores.o1" in validate_choice("meeting", s, KEYS, {"scores": {"o1": 3}})


def test_ranking_must_be_a_full_permutation():
    s = ChoiceSettings()
    assert validate_choice("ranked", s, KEYS, {"ranking": ["o2", "o3", "o1"]}) == {}
    assert validate_choice("ranked", s, KEYS, {"ranking": ["o2", "o3"]}) == {
        "ranking": "Rank every option, best first."
    }
    assert validate_choice("ranked", s, KEYS, {"ranking": ["o2", "o2", "o1"]}) == {
        "ranking": "Rank each option once."
    }
    assert validate_choice("ranked", s, KEYS, {"ranking": ["o2", "o3", "o4"]}) == {
        "ranking": "Unknown option: o4."
    }
    assert validate_choice("ranked", s, KEYS, {"key": "o1"}) == {
        "ranking": "Rank every option, best first."
    }


def test_reason_rules():
    agree, block = {"key": "agree"}, {"key": "block"}
    assert validate_reason("optional", "", agree) == {}
    assert validate_reason("required", "Yes!!", agree) == {
        "reason": "Give a reason of more than 5 characters."
    }
    assert validate_reason("required", "  Yes!!  ", agree) != {}  # spaces do not count
    assert validate_reason("required", "Yes!!!", agree) == {}
    assert validate_reason("required_for_block", "", agree) == {}
    assert validate_reason("required_for_block", "no", block) == {
        "reason": "A block needs a reason of more than 5 characters."
    }
    assert validate_reason("required_for_block", "It harms someone.", block) == {}
    assert validate_reason("disabled", "because", agree) == {
        "reason": "This poll takes no reasons."
    }
    assert validate_reason("disabled", "", agree) == {}
    assert validate_reason("optional", "x" * 500, agree) == {}
    assert validate_reason("optional", "x" * 501, agree) == {"reason": "At most 500 characters."}


def test_messages_keep_their_template_for_translation():
    message = validate_choice("proposal", ChoiceSettings(), PKEYS, {"key": "maybe"})["key"]
    assert message.template == "Unknown option: %(key)s."
    assert message.params == {"key": "maybe"}
