"""The agreements list and the rules build their JSON with plain functions
(``app/agreements/serialize.py``); the marshmallow schemas stay the documented shape.
These tests compare the two, byte for byte, on a history with amendments, overridden
rules, review dates and a repeal, so that they cannot drift apart."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.agreements.api import rules_json, state_json
from app.agreements.schemas import AgreementListSchema, RulesSchema
from app.agreements.services import active_rules, agreements_as_of
from app.extensions import db
from app.groups.models import Group
from app.timeutil import isoformat_z, utcnow


@pytest.fixture
def agreed(app, history, circle_and_other_group, api_as):
    """Three agreements: one amended twice (the second time with a review date), one
    setting rules the first also sets (overridden), one repealed; an admin's review
    date on the first."""
    first = history.adopt(
        title="Écoute", rules={"relance_after_days": 14, "channels": ["Téléphone"]}
    )
    history.amend(first.agreement_id, 1, body="Version 2", rules={"relance_after_days": 21})
    history.amend(
        first.agreement_id,
        2,
        body="Version 3",
        rules={"relance_after_days": 28, "rhythm_per_week": 2},
        review_on=date.today() + timedelta(days=90),
        change_summary="Un rythme",
    )
    middle = history.tick()
    history.adopt(title="Canaux", rules={"channels": ["Jitsi", "Signal"], "rhythm_per_week": 3})
    gone = history.adopt(title="Ancien", rules={"reciprocity": "not_required"})
    history.repeal(gone.agreement_id, 1)
    admin = api_as(circle_and_other_group.admin)
    review = (date.today() + timedelta(days=30)).isoformat()
    assert (
        admin.patch(
            f"/api/v1/agreements/{first.agreement_id}", json={"review_on": review}
        ).status_code
        == 200
    )
    return middle


def _expected(app, schema, build) -> tuple[dict, bytes]:
    with app.test_request_context():
        dumped = schema.dump(build())
        return dumped, app.json.response(dumped).get_data()


@pytest.mark.parametrize("when", ["now", "then"])
@pytest.mark.parametrize("status", ["active", "all"])
def test_the_agreements_list_is_what_the_schema_dumps(
    app, api_as, circle_and_other_group, agreed, when, status
):
    circle = circle_and_other_group
    then = isoformat_z(agreed)
    query = f"?status={status}" + (f"&as_of={then}" if when == "then" else "")
    response = api_as(circle.members[0]).get(
        f"/api/v1/groups/{circle.group.handle}/agreements{query}"
    )
    assert response.status_code == 200
    data = response.get_json()

    def build():
        state = agreements_as_of(db.session.get(Group, circle.group.id), _moment(then, when))
        items = [state_json(s) for s in state.active]
        if status == "all":
            items += [state_json(s) for s in state.repealed]
        return {"items": items}

    expected, expected_bytes = _expected(app, AgreementListSchema(), build)
    assert data == expected and response.get_data() == expected_bytes
    fields = set(AgreementListSchema().fields["items"].inner.schema.fields)
    assert all(set(item) == fields for item in data["items"])
    if when == "now":
        assert any(item["review_on"] for item in data["items"])
        assert (status == "all") == any(item["repealed_at"] for item in data["items"])


def _moment(then: str, when: str) -> datetime:
    """The list's ``as_of``: ``then``, or now (a few microseconds after the request's
    own: nothing in the history happens in between)."""
    return datetime.fromisoformat(then.replace("Z", "+00:00")) if when == "then" else utcnow()


@pytest.mark.parametrize("when", ["now", "then"])
def test_the_rules_are_what_the_schema_dumps(app, api_as, circle_and_other_group, agreed, when):
    circle = circle_and_other_group
    query = f"?as_of={isoformat_z(agreed)}" if when == "then" else ""
    response = api_as(circle.members[1]).get(f"/api/v1/groups/{circle.group.handle}/rules{query}")
    assert response.status_code == 200
    data = response.get_json()
    # the answer's own instant, to the second: nothing in the history happens near it
    as_of = datetime.fromisoformat(data["as_of"].replace("Z", "+00:00"))

    def build():
        group = db.session.get(Group, circle.group.id)
        return {"as_of": as_of, "rules": rules_json(active_rules(group, as_of))}

    expected, expected_bytes = _expected(app, RulesSchema(), build)
    assert data == expected and response.get_data() == expected_bytes
    rules = data["rules"].values()
    assert any(r["default"] for r in rules)
    assert any(r["overridden"] for r in rules) == (when == "now")
    assert all(set(r) == {"value", "default", "source", "overridden"} for r in rules)
