"""The notifications API: my notifications, newest first, with their sentence in my
language, an absolute address built from the configuration (never the Host header),
the agreed rule that decided them; marking them read."""

from __future__ import annotations

import pytest
from fixtures.support_api import EN

NOTIFICATIONS = "/api/v1/notifications"
READ = "/api/v1/notifications/read"


@pytest.fixture
def asked(support_circle, ask_support):
    """Alice asked the circle for listening, urgently: Bruno, Chloé and David are told."""
    return ask_support(support_circle.admin, support_circle.group)


def test_a_support_request_is_told_with_the_rule_that_routed_it(api, support_circle, asked):
    bruno = support_circle.members[0]
    response = api(bruno).get(NOTIFICATIONS, headers=EN)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["next"] is None
    # newest first: the request, then the proposal that adopted the agreement: its
    # verdict, the agreement adopted (same instant: the order they were written in,
    # reversed), and its opening
    assert [i["kind"] for i in body["items"]] == [
        "support_asked",
        "proposal_outcome",
        "agreement_adopted",
        "poll_opened",
    ]
    item, outcome, adopted, opened = body["items"]
    assert outcome["rule"] is None and adopted["rule"] is None
    assert set(item) == {"id", "kind", "text", "url", "created_at", "read_at", "rule", "reason"}
    assert item["reason"] == (
        "As “Nos accords d'écoute” v1 says "
        "(urgent and important: every available supporter at once)."
    )
    assert outcome["reason"] == "You could vote on it."
    assert adopted["reason"] == "You are a member of this circle."
    assert opened["reason"] == "You can vote on it."
    assert adopted["url"].endswith(
        f"/g/{support_circle.group.handle}/agreements/{support_circle.agreement_id}"
    )
    assert item["kind"] == "support_asked"
    assert item["text"].startswith("Alice asks for support")
    assert "Nos accords d'écoute" in item["text"]
    assert item["url"].startswith("http://localhost/")
    assert item["read_at"] is None and item["created_at"].endswith("Z")
    assert item["rule"] == {
        "key": "urgent_response_minutes",
        "agreement_id": support_circle.agreement_id,
        "version": 1,
        "poll_id": support_circle.poll_id,
        "title": "Nos accords d'écoute",
    }
    kinds = [i["kind"] for i in api(support_circle.admin).get(NOTIFICATIONS).get_json()["items"]]
    assert "support_asked" not in kinds  # never told of one's own request


def test_the_address_comes_from_the_configuration_not_the_host_header(
    app, api, support_circle, asked
):
    bruno = support_circle.members[0]
    app.config["PREFERRED_URL_SCHEME"] = "https"
    # 127.0.0.1 is trusted as well as localhost (the SERVER_NAME); evil.example is refused
    # (tests/security/test_hosts.py)
    other_host = {"Host": "127.0.0.1:8000"}
    response = api(bruno).get(NOTIFICATIONS, headers=other_host)
    assert response.status_code == 200, response.get_data(as_text=True)
    for item in response.get_json()["items"]:
        assert item["url"].startswith("https://localhost/"), item["url"]
    app.config["PUBLIC_URL"] = "https://cercle.example.org"
    response = api(bruno).get(NOTIFICATIONS, headers=other_host)
    for item in response.get_json()["items"]:
        assert item["url"].startswith("https://cercle.example.org/"), item["url"]


def test_marking_read(api, support_circle, asked, error_of):
    bruno, chloe = support_circle.members[:2]

    def mine(person):
        items = api(person).get(NOTIFICATIONS).get_json()["items"]
        return [i for i in items if i["kind"] == "support_asked"]

    (for_bruno,) = mine(bruno)
    (for_chloe,) = mine(chloe)
    # someone else's id is ignored: nothing is said about it either way
    assert api(bruno).post(READ, json={"ids": [for_chloe["id"]]}).status_code == 204
    assert mine(chloe)[0]["read_at"] is None
    assert api(bruno).post(READ, json={"ids": [for_bruno["id"]]}).status_code == 204
    assert mine(bruno)[0]["read_at"] is not None
    assert api(bruno).post(READ, json={"ids": [for_bruno["id"]]}).status_code == 204  # again
    assert api(chloe).post(READ, json={"all": True}).status_code == 204
    assert mine(chloe)[0]["read_at"] is not None
    everything = api(chloe).get(NOTIFICATIONS).get_json()["items"]
    assert all(i["read_at"] is not None for i in everything)

    for payload, fields in (
        ({}, {"ids", "all"}),
        ({"ids": [1], "all": True}, {"ids", "all"}),
        ({"all": False}, {"all"}),
        ({"ids": []}, {"ids"}),
        ({"ids": list(range(1, 102))}, {"ids"}),
        ({"ids": ["un"]}, {"ids.0"}),
        ({"ids": [2**31]}, {"ids.0"}),
        ({"ids": [1], "colour": "blue"}, {"colour"}),
    ):
        error = error_of(api(bruno).post(READ, json=payload, headers=EN), 400)
        assert set(error["fields"]) == fields, payload
    error_of(api(None).post(READ, json={"all": True}), 401)
    error_of(api(None).get(NOTIFICATIONS), 401)


def test_the_list_pages_with_a_cursor(api, support_circle, ask_support, error_of):
    alice, bruno = support_circle.people[:2]
    for _ in range(5):
        ask_support(alice, support_circle.group, urgent=False)
    seen, cursor = [], None
    while True:
        page = (
            api(bruno)
            .get(NOTIFICATIONS + "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
            .get_json()
        )
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    # and the proposal's opening, verdict and agreement
    assert len(seen) == 8 and seen == sorted(seen, reverse=True)
    for query, field in (("?limit=0", "limit"), ("?limit=101", "limit"), ("?cursor=x", "cursor")):
        assert set(error_of(api(bruno).get(NOTIFICATIONS + query), 400)["fields"]) == {field}
