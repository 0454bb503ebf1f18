"""``agreement_change`` on ``POST /threads/{id}/polls``: adopt, amend, repeal; the
change in the poll JSON; every refusal names its field, and a refused change creates
nothing (the poll and the change are one transaction)."""

from __future__ import annotations

import pytest
from fixtures.proposal_api import EN, FR, LISTENING

from app.agreements.models import Agreement
from app.polls.models import Poll
from app.proposals.models import AgreementChange

CHANGE_FIELDS = {
    "action",
    "agreement_id",
    "base_version",
    "current_version",
    "title",
    "body",
    "body_html",
    "rules",
    "review_on",
    "change_summary",
    "diff",
}


@pytest.fixture
def adopted_via_api(start_proposal, vote_api, close_poll_api, thread_circle):
    """``adopted_via_api(change=LISTENING)`` → the outcome of a proposal everyone agreed to,
    all through the API."""

    def adopt(change=LISTENING):
        poll = start_proposal(change).get_json()
        for person in thread_circle.people:
            vote_api(poll["id"], person, "agree")
        outcome = close_poll_api(poll["id"])["outcome"]
        assert outcome["applied"] is True, outcome
        return outcome

    return adopt


# -- adopt ------------------------------------------------------------------------------


def test_a_proposal_to_adopt_an_agreement(start_proposal, api, thread_circle):
    change = {**LISTENING, "review_on": "2099-01-31", "change_summary": "Notre premier accord"}
    poll = start_proposal(change).get_json()
    assert poll["kind"] == "proposal"
    shown = poll["agreement_change"]
    assert set(shown) == CHANGE_FIELDS
    assert shown == {
        "action": "adopt",
        "agreement_id": None,
        "base_version": None,
        "current_version": None,
        "title": "Nos accords d'écoute",
        "body": "Pas de réciprocité exigée.",
        "body_html": shown["body_html"],
        "rules": LISTENING["rules"],
        "review_on": "2099-01-31",
        "change_summary": "Notre premier accord",
        "diff": None,
    }
    assert "<p>Pas de réciprocité exigée.</p>" in shown["body_html"]
    assert poll["outcome"] is None
    again = api(thread_circle.members[0]).get(f"/api/v1/polls/{poll['id']}").get_json()
    assert again["agreement_change"] == shown


def test_an_adopted_proposal_creates_the_agreement(api, thread_circle, adopted_via_api):
    outcome = adopted_via_api({**LISTENING, "review_on": "2099-01-31"})
    assert outcome["version"] == 1
    body = api(thread_circle.admin).get(f"/api/v1/agreements/{outcome['agreement_id']}").get_json()
    assert (body["title"], body["version"], body["rules"]) == (
        "Nos accords d'écoute",
        1,
        LISTENING["rules"],
    )
    assert body["review_on"] == "2099-01-31"
    rules = (
        api(thread_circle.admin)
        .get(f"/api/v1/groups/{thread_circle.group.handle}/rules")
        .get_json()["rules"]
    )
    assert rules["relance_after_days"]["value"] == 21
    assert rules["relance_after_days"]["source"]["agreement_id"] == outcome["agreement_id"]


def test_polls_of_other_kinds_and_proposals_without_a_change_show_none(start_proposal):
    assert start_proposal().get_json()["agreement_change"] is None
    assert start_proposal(kind="choice").get_json()["agreement_change"] is None


# -- amend and repeal ------------------------------------------------------------------------


def test_an_amendment_starts_from_the_current_version_and_shows_its_diff(
    start_proposal, adopted_via_api
):
    agreement_id = adopted_via_api()["agreement_id"]
    change = {
        "action": "amend",
        "agreement_id": agreement_id,
        "base_version": 1,
        "rules": {"reciprocity": "not_required", "relance_after_days": 28},
        "change_summary": "Relance après 4 semaines",
    }
    shown = start_proposal(change).get_json()["agreement_change"]
    assert shown["action"] == "amend"
    assert (shown["agreement_id"], shown["base_version"], shown["current_version"]) == (
        agreement_id,
        1,
        1,
    )
    # title and body default to the current version's; rules replace the whole set
    assert shown["title"] == "Nos accords d'écoute"
    assert shown["body"] == "Pas de réciprocité exigée."
    assert shown["rules"] == {"reciprocity": "not_required", "relance_after_days": 28}
    assert shown["diff"]["text"] == ""  # the text is the same
    assert shown["diff"]["rules"] == {
        "relance_after_days": {"from": 21, "to": 28},
        "rhythm_per_week": {"from": 2},
    }


def test_an_amendment_of_the_text_only_keeps_the_rules(start_proposal, adopted_via_api):
    agreement_id = adopted_via_api()["agreement_id"]
    change = {
        "action": "amend",
        "agreement_id": agreement_id,
        "base_version": 1,
        "body": "Pas de réciprocité exigée.\nDeux temps d'écoute par semaine.",
    }
    shown = start_proposal(change).get_json()["agreement_change"]
    assert shown["rules"] == LISTENING["rules"]
    assert shown["diff"]["rules"] == {}
    assert shown["diff"]["text"].splitlines()[:2] == ["--- v1", "+++ proposed"]
    assert "+Deux temps d'écoute par semaine." in shown["diff"]["text"].splitlines()


def test_a_proposal_to_repeal(
    start_proposal, vote_api, close_poll_api, api, thread_circle, adopted_via_api
):
    agreement_id = adopted_via_api()["agreement_id"]
    poll = start_proposal(
        {"action": "repeal", "agreement_id": agreement_id, "base_version": 1}
    ).get_json()
    shown = poll["agreement_change"]
    assert shown["action"] == "repeal"
    assert (shown["agreement_id"], shown["base_version"]) == (agreement_id, 1)
    assert shown["title"] is None and shown["rules"] is None and shown["diff"] is None
    for person in thread_circle.people:
        vote_api(poll["id"], person, "agree")
    outcome = close_poll_api(poll["id"])["outcome"]
    assert (outcome["applied"], outcome["agreement_id"], outcome["version"]) == (
        True,
        agreement_id,
        None,
    )
    body = api(thread_circle.admin).get(f"/api/v1/agreements/{agreement_id}").get_json()
    assert body["status"] == "repealed"
    assert body["repealed_by_poll_id"] == poll["id"]


# -- refusals ---------------------------------------------------------------------------------


def test_an_invalid_rule_is_400_naming_the_rule_and_creates_nothing(
    start_proposal, error_of, count_rows
):
    change = {**LISTENING, "rules": {"relance_after_days": 400, "reciprocity": "not_required"}}
    response = start_proposal(change, expect=400, headers=EN)
    error = error_of(response, 400, "validation_error")
    assert set(error["fields"]) == {"rules.relance_after_days"}
    assert "1 to 365" in error["fields"]["rules.relance_after_days"]
    assert count_rows(Poll) == 0
    assert count_rows(AgreementChange) == 0

    response = start_proposal(change, expect=400, headers=FR)
    assert set(error_of(response, 400)["fields"]) == {"rules.relance_after_days"}


@pytest.mark.parametrize(
    ("rules", "fields"),
    [
        ({"relance_after_days": 0}, {"rules.relance_after_days"}),
        ({"relance_after_days": "21"}, {"rules.relance_after_days"}),
        ({"relance_after_days": True}, {"rules.relance_after_days"}),
        (
            {"rhythm_per_week": 22, "reciprocity": "sometimes"},
            {"rules.rhythm_per_week", "rules.reciprocity"},
        ),
        ({"availability_check": "yes"}, {"rules.availability_check"}),
        ({"channels": ["", "Jitsi"]}, {"rules.channels"}),
        ({"decision_quorum_percent": 101}, {"rules.decision_quorum_percent"}),
        ({"holidays": 3}, {"rules.holidays"}),
    ],
)
def test_every_bad_rule_is_named(start_proposal, error_of, rules, fields):
    response = start_proposal({**LISTENING, "rules": rules}, expect=400)
    assert set(error_of(response, 400)["fields"]) == fields


def test_null_is_a_value_for_the_nullable_rules(start_proposal):
    change = {**LISTENING, "rules": {"relance_after_days": None, "rhythm_per_week": None}}
    shown = start_proposal(change).get_json()["agreement_change"]
    assert shown["rules"] == {"relance_after_days": None, "rhythm_per_week": None}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"action": "adopt", "body": "…", "rules": {}}, "agreement_change.title"),
        ({"action": "adopt", "title": "   ", "body": "…", "rules": {}}, "agreement_change.title"),
        ({"action": "adopt", "title": "T", "rules": {}}, "agreement_change.body"),
        ({"action": "adopt", "title": "T", "body": "…"}, "agreement_change.rules"),
        ({"action": "adopt", "title": "T", "body": "…", "rules": [1]}, "agreement_change.rules"),
        (
            {"action": "adopt", "title": "T" * 201, "body": "…", "rules": {}},
            "agreement_change.title",
        ),
        ({"action": "adopt", "title": 3, "body": "…", "rules": {}}, "agreement_change.title"),
        ({**LISTENING, "review_on": "2020-01-01"}, "agreement_change.review_on"),
        ({**LISTENING, "review_on": "bientôt"}, "agreement_change.review_on"),
        ({**LISTENING, "change_summary": "x" * 501}, "agreement_change.change_summary"),
        ({**LISTENING, "agreement_id": 1}, "agreement_change.agreement_id"),
        ({**LISTENING, "colour": "blue"}, "agreement_change.colour"),
        ({"title": "T", "body": "…", "rules": {}}, "agreement_change.action"),
        ({"action": "rewrite", "title": "T"}, "agreement_change.action"),
        ({"action": "repeal", "agreement_id": 1}, "agreement_change.base_version"),
        ({"action": "amend", "base_version": 1, "body": "…"}, "agreement_change.agreement_id"),
        (
            {"action": "amend", "agreement_id": "un", "base_version": 1},
            "agreement_change.agreement_id",
        ),
        (
            {"action": "repeal", "agreement_id": 1, "base_version": 1, "title": "T"},
            "agreement_change.title",
        ),
    ],
)
def test_a_bad_field_of_the_change_is_named(start_proposal, error_of, count_rows, change, field):
    response = start_proposal(change, expect=400)
    assert field in error_of(response, 400)["fields"]
    assert count_rows(Poll) == 0


def test_a_change_that_is_not_an_object_is_400(start_proposal, error_of):
    response = start_proposal("adopt everything", expect=400)
    assert set(error_of(response, 400)["fields"]) == {"agreement_change"}


def test_another_kind_of_poll_cannot_carry_a_change(start_proposal, error_of, count_rows):
    response = start_proposal(LISTENING, kind="choice", expect=400, headers=EN)
    error = error_of(response, 400)
    assert set(error["fields"]) == {"agreement_change"}
    assert "proposal" in error["fields"]["agreement_change"]
    assert count_rows(Poll) == 0


def test_an_amendment_of_an_agreement_that_moved_on_is_409(
    start_proposal, adopted_via_api, error_of
):
    agreement_id = adopted_via_api()["agreement_id"]
    amend = {"action": "amend", "agreement_id": agreement_id, "body": "Autre chose."}
    # v1 is current: base_version 2 does not exist yet
    response = start_proposal({**amend, "base_version": 2}, expect=409, headers=EN)
    error = error_of(response, 409, "stale_agreement_version")
    assert "version 1" in error["message"]
    assert set(error["fields"]) == {"agreement_change.base_version"}


def test_an_amendment_from_a_past_version_is_409(
    start_proposal, vote_api, close_poll_api, thread_circle, adopted_via_api, error_of, count_rows
):
    agreement_id = adopted_via_api()["agreement_id"]
    first = start_proposal(
        {"action": "amend", "agreement_id": agreement_id, "base_version": 1, "body": "v2"}
    ).get_json()
    for person in thread_circle.people:
        vote_api(first["id"], person, "agree")
    assert close_poll_api(first["id"])["outcome"]["version"] == 2
    polls_before = count_rows(Poll)
    for action in ("amend", "repeal"):
        change = {"action": action, "agreement_id": agreement_id, "base_version": 1}
        if action == "amend":
            change["body"] = "v3"
        response = start_proposal(change, expect=409)
        error_of(response, 409, "stale_agreement_version")
    assert count_rows(Poll) == polls_before


def test_an_amendment_that_changes_nothing_is_400(start_proposal, adopted_via_api, error_of):
    agreement_id = adopted_via_api()["agreement_id"]
    change = {"action": "amend", "agreement_id": agreement_id, "base_version": 1}
    response = start_proposal(change, expect=400)
    assert "agreement_change" in error_of(response, 400)["fields"]


def test_a_repealed_agreement_cannot_be_amended(
    start_proposal, vote_api, close_poll_api, thread_circle, adopted_via_api, error_of
):
    agreement_id = adopted_via_api()["agreement_id"]
    repeal = start_proposal(
        {"action": "repeal", "agreement_id": agreement_id, "base_version": 1}
    ).get_json()
    for person in thread_circle.people:
        vote_api(repeal["id"], person, "agree")
    close_poll_api(repeal["id"])
    response = start_proposal(
        {"action": "amend", "agreement_id": agreement_id, "base_version": 1, "body": "…"},
        expect=409,
    )
    error_of(response, 409, "agreement_repealed")


def test_another_groups_agreement_is_400_as_if_it_did_not_exist(
    start_proposal, api, make_user, make_group, make_thread, thread_circle, error_of, count_rows
):
    """The thread is visible, so this is a bad field of the payload (400), and an agreement
    of another group answers exactly like one that does not exist: nothing leaks."""
    eve = make_user(name="Eve")
    group = make_group(eve, handle="ailleurs")
    thread = make_thread(group, eve)
    poll = start_proposal(LISTENING, by=eve, thread=thread).get_json()
    api(eve).put(f"/api/v1/polls/{poll['id']}/stance", json={"key": "agree"})
    outcome = api(eve).post(f"/api/v1/polls/{poll['id']}/close").get_json()["outcome"]
    theirs = outcome["agreement_id"]
    assert theirs is not None

    answers = []
    for agreement_id in (theirs, 999_999):
        response = start_proposal(
            {"action": "repeal", "agreement_id": agreement_id, "base_version": 1}, expect=400
        )
        error = error_of(response, 400)
        assert set(error["fields"]) == {"agreement_change.agreement_id"}
        answers.append(error)
    assert answers[0] == answers[1]
    assert count_rows(Agreement) == 1
