"""Why each notification came: a sentence under each item of /notifications and the
``reason`` of each item of ``GET /api/v1/notifications``, in English and French; the
agreed rule's words when a rule decided it. The page costs the same statements
however many notifications it shows."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}
NOTIFICATIONS = "/api/v1/notifications"
NBSP = "\u00a0"


def _items(page: str) -> list[str]:
    """Each item of the list as the reader sees it, tags dropped, spaces collapsed (not
    the no-break spaces of French typography)."""
    main = page.split("<main", 1)[1]
    found = re.findall(r'<li class="notification[^"]*">(.*?)</li>', main, flags=re.S)
    return [
        html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", item))).strip()
        for item in found
    ]


@pytest.fixture
def story(support_circle, ask_support, vote, propose, clock):
    """In «Nos accords d'écoute»'s circle: Alice asks for listening (urgent and
    important), Chloé proposes something and David blocks it."""
    ask_support(support_circle.admin, support_circle.group)
    alice, bruno, chloe, david = support_circle.people
    poll = propose(author=chloe)
    vote(poll, david, "block")
    return support_circle


def test_each_item_says_why_it_came_on_the_page(story, client, auth):
    alice, bruno, chloe, _david = story.people
    auth.login(bruno)
    items = _items(client.get("/notifications", headers=EN).get_data(as_text=True))
    asked = next(i for i in items if "asks for support" in i)
    # the sentence, then why: the rule in its words, once (not also in the sentence)
    assert asked.startswith("Alice asks for support: listening.")
    assert asked.count("Nos accords d'écoute") == 1
    assert (
        "As “Nos accords d'écoute” v1 says "
        "(urgent and important: every available supporter at once)."
    ) in asked
    opened = next(i for i in items if "made a proposal" in i)
    assert "You can vote on it." in opened
    auth.login(chloe)
    items = _items(client.get("/notifications", headers=EN).get_data(as_text=True))
    block = next(i for i in items if "blocked your proposal" in i)
    assert "You proposed it." in block
    auth.login(alice)
    items = _items(client.get("/notifications", headers=EN).get_data(as_text=True))
    block = next(i for i in items if "blocked the proposal" in i)
    assert "You are an admin of this circle." in block


def test_the_reasons_in_french_on_the_page_and_in_the_api(story, client, auth, api):
    alice, bruno, chloe, _david = story.people
    auth.login(bruno)
    items = _items(client.get("/notifications", headers=FR).get_data(as_text=True))
    assert any(
        f"Comme le prévoit «{NBSP}Nos accords d'écoute{NBSP}» v1 (urgent et important{NBSP}: "
        "toutes les personnes disponibles, tout de suite)." in i
        for i in items
    ), items
    assert any("Vous pouvez voter." in i for i in items), items
    reasons = {
        i["kind"]: i["reason"]
        for i in api(chloe).get(NOTIFICATIONS, headers=FR).get_json()["items"]
    }
    assert reasons["stance_block"] == "Vous l'avez proposée."
    assert reasons["agreement_adopted"] == "Vous êtes membre de ce cercle."
    reasons = {
        i["kind"]: i["reason"]
        for i in api(alice).get(NOTIFICATIONS, headers=FR).get_json()["items"]
    }
    assert reasons["stance_block"] == "Vous êtes admin de ce cercle."


def test_the_api_reason_in_english_and_its_text_keeps_the_rule(story, api):
    bruno = story.members[0]
    items = api(bruno).get(NOTIFICATIONS, headers=EN).get_json()["items"]
    asked = next(i for i in items if i["kind"] == "support_asked")
    assert asked["text"].endswith("(as “Nos accords d'écoute” v1 says)")
    assert asked["reason"].startswith("As “Nos accords d'écoute” v1 says (")
    assert asked["rule"]["key"] == "urgent_response_minutes"
    assert all(isinstance(i["reason"], str) and i["reason"] for i in items)


def test_the_reason_is_documented_in_the_openapi_schema(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["Notification"]["properties"]
    assert "rule" in schema
    assert schema["reason"]["type"] == "string"
    assert "why it came" in schema["reason"]["description"]


def test_a_default_rule_says_it_is_not_agreed_yet(thread_circle, ask_support, api):
    """Without an agreement the routing still follows a rule: its default."""
    ask_support(thread_circle.admin, thread_circle.group)
    item = next(
        i
        for i in api(thread_circle.members[0]).get(NOTIFICATIONS, headers=EN).get_json()["items"]
        if i["kind"] == "support_asked"
    )
    assert item["rule"]["agreement_id"] is None
    assert item["reason"] == (
        "By the default rule, not agreed yet "
        "(urgent and important: every available supporter at once)."
    )


@pytest.mark.parametrize(
    ("kind", "rule", "expected"),
    [
        (
            "check_in_due",
            {"key": "relance_after_days", "value": 21},
            "As “Nos accords d'écoute” v1 says (check-in after 21 days).",
        ),
        (
            "support_escalated",
            {"key": "urgent_response_minutes", "value": 30},
            "As “Nos accords d'écoute” v1 says "
            "(no answer within 30 minutes: the whole circle is told).",
        ),
        (
            "support_lapsed",
            {"key": "urgent_minor_lapse_hours", "value": 12},
            "As “Nos accords d'écoute” v1 says (urgent but not important: lapses after 12 hours).",
        ),
    ],
)
def test_each_rule_key_is_worded(circle_with_outsider, send, api, kind, rule, expected):
    bruno = circle_with_outsider.members[0]
    provenance = {"agreement_id": 1, "version": 1, "poll_id": None, "title": "Nos accords d'écoute"}
    send([bruno], kind, actor=circle_with_outsider.admin, rule={**rule, **provenance})
    [item] = api(bruno).get(NOTIFICATIONS, headers=EN).get_json()["items"]
    assert item["reason"] == expected


def test_the_review_reason_tells_the_proposer_from_the_admins(support_circle, run, run_in_request):
    from app.agreements.models import AgreementVersion
    from app.notifications import services
    from app.notifications.models import Notification

    alice, bruno, _chloe, _david = support_circle.people

    def make_bruno_the_proposer():
        db.session.execute(
            sa.update(AgreementVersion)
            .where(AgreementVersion.agreement_id == support_circle.agreement_id)
            .values(proposer_id=bruno.id)
        )
        services.notify(
            [alice.id, bruno.id],
            "agreement_review",
            group=support_circle.group.id,
            agreement=support_circle.agreement_id,
            now=utcnow(),
        )

    run(make_bruno_the_proposer)

    def reasons():
        found = db.session.scalars(
            sa.select(Notification).where(Notification.kind == "agreement_review")
        )
        return {n.user_id: services.reason(n) for n in found}

    assert run_in_request(reasons) == {
        alice.id: "You are an admin of this circle.",
        bruno.id: "You proposed its current version.",
    }


def test_the_page_costs_the_same_statements_however_many_items(
    story, client, auth, count_queries, write_more
):
    bruno = story.members[0]
    auth.login(bruno)

    def statements():
        with count_queries() as q:
            assert client.get("/notifications", headers=EN).status_code == 200
        return q.count

    before = statements()
    write_more()
    assert statements() == before


@pytest.fixture
def write_more(story, run, clock, decide, vote, propose, ask_support):
    """More of every kind for Bruno: a reply, a mention, a block he learns as the
    proposal's author, a verdict, an agreement amended, another request."""

    def go():
        from app.auth.models import User
        from app.threads.models import Thread
        from app.threads.services import add_comment

        alice, bruno, chloe, david = story.people

        def comments():
            thread = db.session.get(Thread, story.thread.id)
            first = add_comment(
                thread, author=db.session.get(User, bruno.id), body="Une idée.", now=clock.tick()
            )
            add_comment(
                thread,
                author=db.session.get(User, chloe.id),
                body=f"Oui @{bruno.handle}, et encore…",
                now=clock.tick(),
            )
            add_comment(
                thread,
                author=db.session.get(User, david.id),
                body="D'accord.",
                parent_id=first.id,
                now=clock.tick(),
            )

        run(comments)
        poll = propose(author=bruno)
        vote(poll, chloe, "block")
        decide(
            {
                "action": "amend",
                "agreement_id": story.agreement_id,
                "base_version": 1,
                "title": "Nos accords d'écoute, revus",
            }
        )
        ask_support(alice, story.group, urgent=False)

    return go
