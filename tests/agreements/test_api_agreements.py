"""The agreements API: the group's list (``?status=all``, ``?as_of=``), one agreement with
its versions, the diff between two versions, an admin's review date; who may see what."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from fixtures.agreement_api import EN

from app.timeutil import isoformat_z, utcnow

LISTENING_RULES = {"reciprocity": "not_required", "relance_after_days": 21, "rhythm_per_week": 2}
SUMMARY_FIELDS = {
    "id",
    "title",
    "status",
    "version",
    "body",
    "body_html",
    "rules",
    "adopted_at",
    "poll_id",
    "review_on",
    "repealed_at",
}
VERSION_FIELDS = {
    "version",
    "title",
    "body",
    "body_html",
    "rules",
    "adopted_at",
    "poll_id",
    "change_summary",
    "review_on",
    "result",
}


@pytest.fixture
def story(history):
    """The seed's story: "Nos accords d'écoute" adopted then amended (v2), a second
    agreement on urgency, and a third one adopted then repealed."""
    listening = history.adopt(
        body="Pas de **réciprocité** exigée.\nVérifier la disponibilité d'abord.",
        rules=LISTENING_RULES,
        change_summary="Premier accord",
    )
    urgency = history.adopt(
        title="Urgent ou important",
        body="Une demande urgente prévient tout le monde.",
        rules={"urgent_response_minutes": 30, "relance_after_days": 14},
    )
    review_on = (utcnow() + timedelta(days=90)).date()
    amended = history.amend(
        listening.agreement_id,
        1,
        body="Pas de **réciprocité** exigée.\nDeux temps d'écoute par semaine.",
        rules={"reciprocity": "not_required", "relance_after_days": 28},
        change_summary="Relance après 4 semaines",
        review_on=review_on.isoformat(),
    )
    trial = history.adopt(
        title="Essai Jitsi", body="On essaie Jitsi.", rules={"channels": ["Jitsi"]}
    )
    repealed = history.repeal(trial.agreement_id, 1)
    assert all(x.applied for x in (listening, urgency, amended, trial, repealed))
    return SimpleNamespace(
        listening=listening,
        urgency=urgency,
        amended=amended,
        trial=trial,
        repealed=repealed,
        review_on=review_on,
    )


# -- the list --------------------------------------------------------------------------


def test_a_group_without_agreements_lists_none(api, circle_and_other_group):
    response = api(circle_and_other_group.members[0]).get("/api/v1/groups/entraide/agreements")
    assert response.status_code == 200
    assert response.get_json() == {"items": []}


def test_the_list_shows_each_active_agreement_at_its_current_version(
    api, circle_and_other_group, story
):
    response = api(circle_and_other_group.members[0]).get("/api/v1/groups/entraide/agreements")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["title"] for i in items] == ["Nos accords d'écoute", "Urgent ou important"]
    listening, urgency = items
    assert set(listening) == SUMMARY_FIELDS
    assert listening == {
        "id": story.listening.agreement_id,
        "title": "Nos accords d'écoute",
        "status": "active",
        "version": 2,
        "body": "Pas de **réciprocité** exigée.\nDeux temps d'écoute par semaine.",
        "body_html": listening["body_html"],
        "rules": {"reciprocity": "not_required", "relance_after_days": 28},
        "adopted_at": isoformat_z(story.amended.closed_at),
        "poll_id": story.amended.poll_id,
        "review_on": story.review_on.isoformat(),
        "repealed_at": None,
    }
    assert "<strong>réciprocité</strong>" in listening["body_html"]
    assert urgency["version"] == 1
    assert urgency["review_on"] is None
    assert urgency["poll_id"] == story.urgency.poll_id


def test_status_all_adds_the_repealed_ones_with_their_repeal_time(
    api, circle_and_other_group, story
):
    response = api(circle_and_other_group.admin).get(
        "/api/v1/groups/entraide/agreements?status=all"
    )
    items = response.get_json()["items"]
    assert [(i["title"], i["status"]) for i in items] == [
        ("Nos accords d'écoute", "active"),
        ("Urgent ou important", "active"),
        ("Essai Jitsi", "repealed"),
    ]
    repealed = items[-1]
    assert repealed["repealed_at"] == isoformat_z(story.repealed.closed_at)
    assert repealed["review_on"] is None
    assert repealed["rules"] == {"channels": ["Jitsi"]}


def test_as_of_shows_the_agreements_as_they_stood(api, circle_and_other_group, story):
    client = api(circle_and_other_group.admin)
    before_amendment = isoformat_z(story.amended.closed_at - timedelta(seconds=1))
    response = client.get(f"/api/v1/groups/entraide/agreements?as_of={before_amendment}")
    items = response.get_json()["items"]
    assert [(i["title"], i["version"]) for i in items] == [
        ("Nos accords d'écoute", 1),
        ("Urgent ou important", 1),
    ]
    assert items[0]["rules"] == LISTENING_RULES

    # the trial agreement was in force between its adoption and its repeal
    while_trial = isoformat_z(story.repealed.closed_at - timedelta(seconds=1))
    items = client.get(
        f"/api/v1/groups/entraide/agreements?status=all&as_of={while_trial}"
    ).get_json()["items"]
    assert [(i["title"], i["status"]) for i in items][-1] == ("Essai Jitsi", "active")

    before_everything = (story.listening.closed_at - timedelta(days=1)).date().isoformat()
    response = client.get(f"/api/v1/groups/entraide/agreements?as_of={before_everything}")
    assert response.get_json() == {"items": []}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=repealed", "status"),
        ("as_of=2026-05-12T09:30:00", "as_of"),
        ("as_of=yesterday", "as_of"),
        ("as_of=", "as_of"),
    ],
)
def test_bad_list_queries_are_400_naming_the_field(
    api, circle_and_other_group, error_of, query, field
):
    response = api(circle_and_other_group.admin).get(
        f"/api/v1/groups/entraide/agreements?{query}", headers=EN
    )
    error = error_of(response, 400)
    assert set(error["fields"]) == {field}


def test_a_time_without_a_zone_is_refused_in_words(api, circle_and_other_group, error_of):
    response = api(circle_and_other_group.admin).get(
        "/api/v1/groups/entraide/agreements?as_of=2026-05-12T09:30:00", headers=EN
    )
    assert "time zone" in error_of(response, 400)["fields"]["as_of"]
    response = api(circle_and_other_group.admin).get(
        "/api/v1/groups/entraide/agreements?as_of=2026-05-12T09:30:00",
        headers={"Accept-Language": "fr"},
    )
    assert set(error_of(response, 400)["fields"]) == {"as_of"}


# -- who may see ---------------------------------------------------------------------------


def test_without_a_token_it_is_401_before_anything(api, circle_and_other_group, story, error_of):
    anonymous = api(None)
    for path in (
        "/api/v1/groups/entraide/agreements",
        "/api/v1/groups/nobody-here/agreements",
        f"/api/v1/agreements/{story.listening.agreement_id}",
        "/api/v1/agreements/999999",
        f"/api/v1/agreements/{story.listening.agreement_id}/diff?from=1&to=2",
        "/api/v1/groups/entraide/rules",
    ):
        error_of(anonymous.get(path), 401, "unauthorized")
    error_of(
        anonymous.patch(
            f"/api/v1/agreements/{story.listening.agreement_id}", json={"review_on": None}
        ),
        401,
    )


def test_a_secret_groups_agreements_are_404_for_others(
    api, circle_and_other_group, story, error_of
):
    eve = api(circle_and_other_group.outsider)
    agreement_id = story.listening.agreement_id
    for path in (
        "/api/v1/groups/entraide/agreements",
        "/api/v1/groups/entraide/agreements?status=all",
        f"/api/v1/agreements/{agreement_id}",
        f"/api/v1/agreements/{agreement_id}/diff?from=1&to=2",
        "/api/v1/groups/entraide/rules",
    ):
        error_of(eve.get(path), 404, "not_found")
    error_of(
        eve.patch(f"/api/v1/agreements/{agreement_id}", json={"review_on": None}), 404, "not_found"
    )
    error_of(eve.get("/api/v1/groups/nobody-here/agreements"), 404, "not_found")
    error_of(eve.get("/api/v1/agreements/999999"), 404, "not_found")


@pytest.fixture
def group_of_privacy(make_user, make_group, make_thread, make_history):
    """``group_of_privacy(privacy)`` → (group, its admin, an agreement id) with one
    agreement adopted."""

    def make(privacy):
        admin = make_user(name="Gaëlle")
        group = make_group(admin, privacy=privacy, handle=f"groupe-{privacy}")
        thread = make_thread(group, admin)
        adopted = make_history(group, thread, [admin]).adopt(rules={"rhythm_per_week": 3})
        return group, admin, adopted.agreement_id

    return make


def test_a_closed_groups_agreements_are_for_its_members(
    api, circle_and_other_group, group_of_privacy, error_of
):
    group, _admin, agreement_id = group_of_privacy("closed")
    eve = api(circle_and_other_group.outsider)
    error_of(eve.get(f"/api/v1/groups/{group.handle}/agreements"), 403, "forbidden")
    error_of(eve.get(f"/api/v1/groups/{group.handle}/rules"), 403, "forbidden")
    error_of(eve.get(f"/api/v1/agreements/{agreement_id}"), 404, "not_found")


def test_an_open_groups_agreements_are_readable_by_anyone_signed_in(
    api, circle_and_other_group, group_of_privacy
):
    group, _admin, agreement_id = group_of_privacy("open")
    eve = api(circle_and_other_group.outsider)
    items = eve.get(f"/api/v1/groups/{group.handle}/agreements").get_json()["items"]
    assert [i["id"] for i in items] == [agreement_id]
    assert eve.get(f"/api/v1/agreements/{agreement_id}").status_code == 200
    rules = eve.get(f"/api/v1/groups/{group.handle}/rules").get_json()["rules"]
    assert rules["rhythm_per_week"]["value"] == 3
    # reading is not managing
    response = eve.patch(f"/api/v1/agreements/{agreement_id}", json={"review_on": None})
    assert response.status_code == 403


# -- one agreement ---------------------------------------------------------------------------


def test_one_agreement_with_every_version(api, circle_and_other_group, story):
    response = api(circle_and_other_group.members[1]).get(
        f"/api/v1/agreements/{story.listening.agreement_id}"
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == SUMMARY_FIELDS | {"versions", "repealed_by_poll_id"}
    assert (body["status"], body["version"], body["repealed_at"]) == ("active", 2, None)
    assert body["review_on"] == story.review_on.isoformat()
    v1, v2 = body["versions"]
    assert set(v1) == VERSION_FIELDS
    assert v1["version"] == 1
    assert v1["rules"] == LISTENING_RULES
    assert v1["change_summary"] == "Premier accord"
    assert v1["poll_id"] == story.listening.poll_id
    assert v1["adopted_at"] == isoformat_z(story.listening.closed_at)
    assert v1["review_on"] is None
    assert v1["result"] == {
        "counts": {"agree": 4, "abstain": 0, "disagree": 0, "block": 0},
        "participants": 4,
        "eligible": 4,
        "participation_percent": 100,
        "quorum_percent": 50,
    }
    assert v2["version"] == 2
    assert v2["change_summary"] == "Relance après 4 semaines"
    assert v2["review_on"] == story.review_on.isoformat()
    assert v2["poll_id"] == story.amended.poll_id
    assert body["title"] == v2["title"] and body["body"] == v2["body"]


def test_a_repealed_agreement_says_when_and_by_which_poll(api, circle_and_other_group, story):
    body = (
        api(circle_and_other_group.admin)
        .get(f"/api/v1/agreements/{story.trial.agreement_id}")
        .get_json()
    )
    assert body["status"] == "repealed"
    assert body["repealed_at"] == isoformat_z(story.repealed.closed_at)
    assert body["repealed_by_poll_id"] == story.repealed.poll_id
    assert body["review_on"] is None
    assert [v["version"] for v in body["versions"]] == [1]


def test_another_groups_agreement_is_404(
    api, circle_and_other_group, make_history, story, error_of
):
    other = make_history(
        circle_and_other_group.other_group,
        circle_and_other_group.other_thread,
        [circle_and_other_group.outsider],
    ).adopt()
    error_of(api(circle_and_other_group.admin).get(f"/api/v1/agreements/{other.agreement_id}"), 404)
    assert (
        api(circle_and_other_group.outsider)
        .get(f"/api/v1/agreements/{other.agreement_id}")
        .status_code
        == 200
    )


# -- the diff ----------------------------------------------------------------------------


def test_the_diff_between_two_versions(api, circle_and_other_group, story):
    agreement_id = story.listening.agreement_id
    response = api(circle_and_other_group.admin).get(
        f"/api/v1/agreements/{agreement_id}/diff?from=1&to=2"
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"text", "rules"}
    lines = body["text"].splitlines()
    assert lines[:2] == ["--- v1", "+++ v2"]
    assert "-Vérifier la disponibilité d'abord." in lines
    assert "+Deux temps d'écoute par semaine." in lines
    assert " Pas de **réciprocité** exigée." in lines
    # rhythm_per_week is set by v1 only: its "to" side is left out
    assert body["rules"] == {
        "relance_after_days": {"from": 21, "to": 28},
        "rhythm_per_week": {"from": 2},
    }


def test_the_diff_backwards_and_with_itself(api, circle_and_other_group, story):
    agreement_id = story.listening.agreement_id
    client = api(circle_and_other_group.admin)
    backwards = client.get(f"/api/v1/agreements/{agreement_id}/diff?from=2&to=1").get_json()
    assert backwards["text"].splitlines()[:2] == ["--- v2", "+++ v1"]
    assert backwards["rules"] == {
        "relance_after_days": {"from": 28, "to": 21},
        "rhythm_per_week": {"to": 2},
    }
    same = client.get(f"/api/v1/agreements/{agreement_id}/diff?from=2&to=2").get_json()
    assert same == {"text": "", "rules": {}}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("to=2", {"from"}),
        ("from=1", {"to"}),
        ("", {"from", "to"}),
        ("from=one&to=2", {"from"}),
        ("from=1&to=0", {"to"}),
        ("from=1&to=-3", {"to"}),
    ],
)
def test_a_missing_or_bad_version_number_is_400(
    api, circle_and_other_group, story, error_of, query, fields
):
    agreement_id = story.listening.agreement_id
    response = api(circle_and_other_group.admin).get(
        f"/api/v1/agreements/{agreement_id}/diff?{query}"
    )
    assert set(error_of(response, 400)["fields"]) == fields


@pytest.mark.parametrize(("query", "field"), [("from=1&to=3", "to"), ("from=7&to=2", "from")])
def test_an_unknown_version_is_404_naming_it(
    api, circle_and_other_group, story, error_of, query, field
):
    agreement_id = story.listening.agreement_id
    response = api(circle_and_other_group.admin).get(
        f"/api/v1/agreements/{agreement_id}/diff?{query}", headers=EN
    )
    error = error_of(response, 404, "version_not_found")
    assert set(error["fields"]) == {field}
    assert "latest is 2" in error["fields"][field]


# -- the review date -----------------------------------------------------------------------


def test_an_admin_sets_and_clears_the_review_date(api, circle_and_other_group, story):
    client = api(circle_and_other_group.admin)
    path = f"/api/v1/agreements/{story.urgency.agreement_id}"
    when = (utcnow() + timedelta(days=30)).date().isoformat()
    response = client.patch(path, json={"review_on": when})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["review_on"] == when
    assert response.get_json()["versions"][0]["review_on"] is None  # versions are not edited
    assert client.get(path).get_json()["review_on"] == when
    items = client.get("/api/v1/groups/entraide/agreements").get_json()["items"]
    assert {i["id"]: i["review_on"] for i in items}[story.urgency.agreement_id] == when

    assert client.patch(path, json={"review_on": None}).get_json()["review_on"] is None


def test_clearing_the_admins_date_brings_back_the_versions_own(api, circle_and_other_group, story):
    client = api(circle_and_other_group.admin)
    path = f"/api/v1/agreements/{story.listening.agreement_id}"
    sooner = (utcnow() + timedelta(days=10)).date().isoformat()
    assert client.patch(path, json={"review_on": sooner}).get_json()["review_on"] == sooner
    cleared = client.patch(path, json={"review_on": None}).get_json()
    assert cleared["review_on"] == story.review_on.isoformat()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"review_on": date(2020, 1, 1).isoformat()}, "review_on"),
        ({"review_on": "soon"}, "review_on"),
        ({}, "review_on"),
        ({"review_on": None, "title": "Autre"}, "title"),
    ],
)
def test_a_bad_review_date_is_400(api, circle_and_other_group, story, error_of, payload, field):
    path = f"/api/v1/agreements/{story.urgency.agreement_id}"
    error = error_of(api(circle_and_other_group.admin).patch(path, json=payload), 400)
    assert set(error["fields"]) == {field}


def test_only_admins_set_a_review_date(api, circle_and_other_group, story, error_of):
    path = f"/api/v1/agreements/{story.urgency.agreement_id}"
    error_of(
        api(circle_and_other_group.members[0]).patch(path, json={"review_on": None}),
        403,
        "forbidden",
    )


def test_a_repealed_agreement_takes_no_review_date(api, circle_and_other_group, story, error_of):
    path = f"/api/v1/agreements/{story.trial.agreement_id}"
    when = (utcnow() + timedelta(days=30)).date().isoformat()
    error_of(
        api(circle_and_other_group.admin).patch(path, json={"review_on": when}),
        409,
        "agreement_repealed",
    )


# -- OpenAPI -------------------------------------------------------------------------------


def test_the_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    expected = {
        ("/api/v1/groups/{handle}/agreements", "get"): {"200", "400", "401", "403", "404"},
        ("/api/v1/agreements/{agreement_id}", "get"): {"200", "401", "404"},
        ("/api/v1/agreements/{agreement_id}", "patch"): {"200", "400", "401", "403", "404", "409"},
        ("/api/v1/agreements/{agreement_id}/diff", "get"): {"200", "400", "401", "404"},
        ("/api/v1/groups/{handle}/rules", "get"): {"200", "400", "401", "403", "404"},
    }
    for (path, method), statuses in expected.items():
        operation = paths[path][method]
        assert statuses <= set(operation["responses"]), (path, method)
        assert operation["security"] == [{"bearerAuth": []}]
        assert operation.get("description") or operation.get("summary")
        for status in statuses - {"200"}:
            assert operation["responses"][status]["description"]
    diff_params = {
        p["name"] for p in paths["/api/v1/agreements/{agreement_id}/diff"]["get"]["parameters"]
    }
    assert {"from", "to"} <= diff_params
    schemas = spec["components"]["schemas"]
    assert {"value", "default", "source", "overridden"} <= set(schemas["ActiveRule"]["properties"])
    assert "versions" in schemas["Agreement"]["properties"]
