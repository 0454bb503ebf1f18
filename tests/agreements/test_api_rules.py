"""``GET /groups/{handle}/rules``: the active rules derived from the agreements, with their
provenance, defaults, overridden versions and ``as_of``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fixtures.agreement_api import EN

from app.agreements.rules import RULE_KEYS, default_value
from app.timeutil import isoformat_z, utcnow


def rules_of(client, query=""):
    response = client.get(f"/api/v1/groups/entraide/rules{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def source_of(step, title, version):
    return {
        "agreement_id": step.agreement_id,
        "version": version,
        "title": title,
        "poll_id": step.poll_id,
        "adopted_at": isoformat_z(step.closed_at),
    }


def test_without_agreements_every_rule_is_its_default(api, circle_and_other_group):
    before = utcnow()
    body = rules_of(api(circle_and_other_group.members[2]))
    assert set(body) == {"as_of", "rules"}
    as_of = datetime.strptime(body["as_of"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= as_of <= utcnow() + timedelta(seconds=1)
    assert set(body["rules"]) == set(RULE_KEYS)
    for key, rule in body["rules"].items():
        assert rule == {
            "value": default_value(key),
            "default": True,
            "source": None,
            "overridden": [],
        }
    assert body["rules"]["reciprocity"]["value"] == "required"
    assert body["rules"]["decision_quorum_percent"]["value"] == 50
    assert body["rules"]["channels"]["value"] == []


def test_each_rule_comes_from_the_latest_adopted_version_and_lists_what_it_overrides(
    api, circle_and_other_group, history
):
    listening = history.adopt(
        rules={"reciprocity": "not_required", "relance_after_days": 21, "rhythm_per_week": 2}
    )
    urgency = history.adopt(
        title="Urgent ou important",
        rules={"relance_after_days": 14, "urgent_response_minutes": 30},
    )
    rules = rules_of(api(circle_and_other_group.admin))["rules"]

    assert rules["reciprocity"] == {
        "value": "not_required",
        "default": False,
        "source": source_of(listening, "Nos accords d'écoute", 1),
        "overridden": [],
    }
    # both set relance_after_days: the later adoption wins, the other is overridden
    assert rules["relance_after_days"]["value"] == 14
    assert rules["relance_after_days"]["source"] == source_of(urgency, "Urgent ou important", 1)
    assert rules["relance_after_days"]["overridden"] == [
        {**source_of(listening, "Nos accords d'écoute", 1), "value": 21}
    ]
    assert rules["urgent_response_minutes"]["value"] == 30
    assert rules["availability_check"] == {
        "value": True,
        "default": True,
        "source": None,
        "overridden": [],
    }

    # amending the older agreement makes it the latest adopted: it wins again
    amended = history.amend(
        listening.agreement_id,
        1,
        rules={"reciprocity": "not_required", "relance_after_days": 28},
    )
    rules = rules_of(api(circle_and_other_group.admin))["rules"]
    assert rules["relance_after_days"]["value"] == 28
    assert rules["relance_after_days"]["source"] == source_of(amended, "Nos accords d'écoute", 2)
    assert [o["agreement_id"] for o in rules["relance_after_days"]["overridden"]] == [
        urgency.agreement_id
    ]
    # v2 no longer sets the rhythm: back to the default
    assert rules["rhythm_per_week"] == {
        "value": None,
        "default": True,
        "source": None,
        "overridden": [],
    }


def test_a_repealed_agreement_no_longer_counts(api, circle_and_other_group, history):
    listening = history.adopt(rules={"reciprocity": "not_required"})
    repeal = history.repeal(listening.agreement_id, 1)
    client = api(circle_and_other_group.admin)
    assert rules_of(client)["rules"]["reciprocity"]["default"] is True
    before = isoformat_z(repeal.closed_at - timedelta(seconds=1))
    assert rules_of(client, f"?as_of={before}")["rules"]["reciprocity"]["value"] == "not_required"


def test_as_of_a_moment_with_a_zone(api, circle_and_other_group, history):
    first = history.adopt(rules={"rhythm_per_week": 2})
    history.amend(first.agreement_id, 1, rules={"rhythm_per_week": 3})
    client = api(circle_and_other_group.admin)
    assert rules_of(client)["rules"]["rhythm_per_week"]["value"] == 3

    paris = (first.closed_at + timedelta(seconds=30)).astimezone(ZoneInfo("Europe/Paris"))
    query = "?as_of=" + paris.isoformat().replace("+", "%2B")
    body = rules_of(client, query)
    assert body["as_of"] == isoformat_z(first.closed_at + timedelta(seconds=30))
    assert body["rules"]["rhythm_per_week"]["value"] == 2
    assert body["rules"]["rhythm_per_week"]["source"]["version"] == 1

    before = isoformat_z(first.closed_at - timedelta(seconds=1))
    assert rules_of(client, f"?as_of={before}")["rules"]["rhythm_per_week"]["default"] is True


def test_as_of_a_date_is_the_end_of_that_day_in_utc(api, circle_and_other_group, history):
    adopted = history.adopt(rules={"rhythm_per_week": 2})
    day = adopted.closed_at.date()
    body = rules_of(api(circle_and_other_group.admin), f"?as_of={day.isoformat()}")
    assert body["as_of"] == f"{day.isoformat()}T23:59:59Z"
    assert body["rules"]["rhythm_per_week"]["value"] == 2
    earlier = (day - timedelta(days=1)).isoformat()
    body = rules_of(api(circle_and_other_group.admin), f"?as_of={earlier}")
    assert body["rules"]["rhythm_per_week"]["default"] is True


@pytest.mark.parametrize(
    "value", ["2026-05-12T09:30:00", "2026-05-12 09:30", "12/05/2026", "2026-13-40", "now"]
)
def test_a_bad_as_of_is_400_naming_it(api, circle_and_other_group, error_of, value):
    response = api(circle_and_other_group.admin).get(
        f"/api/v1/groups/entraide/rules?as_of={value}", headers=EN
    )
    error = error_of(response, 400)
    assert set(error["fields"]) == {"as_of"}


def test_a_time_without_a_zone_says_so_in_english_and_french(api, circle_and_other_group, error_of):
    path = "/api/v1/groups/entraide/rules?as_of=2026-05-12T09:30:00"
    error = error_of(api(circle_and_other_group.admin).get(path, headers=EN), 400)
    assert "time zone" in error["fields"]["as_of"]
    error = error_of(
        api(circle_and_other_group.admin).get(path, headers={"Accept-Language": "fr"}), 400
    )
    assert set(error["fields"]) == {"as_of"}


def test_a_due_proposal_is_in_force_from_its_closing_time_without_any_job(
    api, app, circle_and_other_group, history, run
):
    """The read finalises the group's due proposals first: what was adopted shows."""
    import sqlalchemy as sa

    from app.auth.models import User
    from app.extensions import db
    from app.polls.models import Poll
    from app.polls.services import cast_stance, create_poll
    from app.proposals.services import attach_agreement_change
    from app.threads.models import Thread

    now = utcnow() - timedelta(minutes=2)

    def make():
        poll = create_poll(
            db.session.get(Thread, circle_and_other_group.thread.id),
            author=db.session.get(User, circle_and_other_group.admin.id),
            kind="proposal",
            title="Relance",
            closing_at=now + timedelta(hours=1),
            now=now,
        )
        attach_agreement_change(
            poll,
            {"action": "adopt", "title": "Relance", "body": "…", "rules": {"rhythm_per_week": 4}},
            now=now,
        )
        for person in circle_and_other_group.people:
            cast_stance(poll, db.session.get(User, person.id), choice={"key": "agree"}, now=now)
        return poll.id

    history.now  # noqa: B018 - memberships back-dated by the fixture
    poll_id = run(make)
    closing = utcnow() - timedelta(seconds=5)
    run(
        lambda: db.session.execute(
            sa.update(Poll).where(Poll.id == poll_id).values(closing_at=closing)
        )
    )
    rule = rules_of(api(circle_and_other_group.admin))["rules"]["rhythm_per_week"]
    assert rule["value"] == 4
    assert rule["source"]["poll_id"] == poll_id
    assert rule["source"]["adopted_at"] == isoformat_z(closing)
