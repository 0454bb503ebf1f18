"""PATCH /groups/{handle}/memberships/me with ``volume`` and ``support_volume``: saved,
read back (the answer, and the group's ``my_volume``/``my_support_volume``), bad values
named, private to the member."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.timeutil import utcnow

EN = {"Accept-Language": "en"}


def _url(group):
    return f"/api/v1/groups/{group.handle}/memberships/me"


def test_volumes_saved_and_read_back(api_as, people, make_group):
    group = make_group(people.admin, members=[people.member])
    api = api_as(people.member)
    assert api.get(f"/api/v1/groups/{group.handle}").json["my_volume"] == "all"
    answer = api.patch(_url(group), json={"volume": "mute", "support_volume": "digest"})
    assert answer.status_code == 200
    assert (answer.json["volume"], answer.json["support_volume"]) == ("mute", "digest")
    shown = api.get(f"/api/v1/groups/{group.handle}").json
    assert (shown["my_volume"], shown["my_support_volume"]) == ("mute", "digest")
    listed = api.get("/api/v1/groups").json["items"][0]
    assert (listed["my_volume"], listed["my_support_volume"]) == ("mute", "digest")
    assert api.patch(_url(group), json={"volume": "digest"}).json["support_volume"] == "digest"


def test_only_the_volumes_leave_the_support_settings_alone(api_as, people, make_group):
    group = make_group(people.admin, members=[people.member])
    api = api_as(people.member)
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    api.patch(_url(group), json={"availability": "away", "availability_until": tomorrow})
    answer = api.patch(_url(group), json={"support_volume": "digest"}).json
    assert (answer["availability"], answer["availability_until"]) == ("away", tomorrow)
    assert answer["gives_support"] is True and answer["receives_support"] is True
    # and a mixed change validates everything before changing anything
    mixed = api.patch(_url(group), json={"availability": "busy", "volume": "loud"}, headers=EN)
    assert mixed.status_code == 400 and set(mixed.json["error"]["fields"]) == {"volume"}
    assert api.get(f"/api/v1/groups/{group.handle}").json["my_volume"] == "all"


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"volume": "loud"}, {"volume"}),
        ({"volume": "immediate"}, {"volume"}),
        ({"support_volume": "mute"}, {"support_volume"}),
        ({"volume": None}, {"volume"}),
        ({"volume": 3, "support_volume": ["digest"]}, {"volume", "support_volume"}),
        ({"volume": "x" * 5000}, {"volume"}),
    ],
)
def test_bad_values_are_named(api_as, people, make_group, error_of, payload, fields):
    group = make_group(people.admin, members=[people.member])
    api = api_as(people.member)
    error = error_of(api.patch(_url(group), json=payload, headers=EN), 400)
    assert set(error["fields"]) == fields


def test_a_bad_value_in_french(api_as, people, make_group, make_user, error_of):
    camille = make_user(name="Camille", locale="fr")
    group = make_group(people.admin, members=[camille])
    error = error_of(api_as(camille).patch(_url(group), json={"volume": "fort"}), 400)
    assert error["fields"]["volume"].startswith("Doit être l'une de ces valeurs\u00a0:")


def test_private_to_the_member(api_as, people, make_group, error_of):
    group = make_group(people.admin, members=[people.member])
    api_as(people.member).patch(_url(group), json={"volume": "mute"})
    # other members read the list of members, never someone's email settings
    items = api_as(people.admin).get(f"/api/v1/groups/{group.handle}/memberships").json["items"]
    assert all("volume" not in m and "support_volume" not in m for m in items)
    # the admin's own view of the group shows the admin's volume, not the member's
    assert api_as(people.admin).get(f"/api/v1/groups/{group.handle}").json["my_volume"] == "all"
    # an outsider: a secret group is 404; a non-member of an open group is 403
    error_of(api_as(people.outsider).patch(_url(group), json={"volume": "mute"}), 404)
    open_group = make_group(people.admin, privacy="open")
    error_of(api_as(people.outsider).patch(_url(open_group), json={"volume": "mute"}), 403)
    assert (
        api_as(people.outsider).get(f"/api/v1/groups/{open_group.handle}").json["my_volume"] is None
    )


def test_documented(client):
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    update = schemas["MyMembershipUpdate"]["properties"]
    assert update["volume"]["enum"] == ["all", "digest", "mute"]
    assert update["support_volume"]["enum"] == ["immediate", "digest"]
    assert "digest" in update["volume"]["description"]
    assert {"volume", "support_volume"} <= set(schemas["MyMembership"]["properties"])
    assert {"my_volume", "my_support_volume"} <= set(schemas["Group"]["properties"])
    patch = spec["paths"]["/api/v1/groups/{handle}/memberships/me"]["patch"]
    assert "not yet" not in str(patch) and "volume" in patch["responses"]["400"]["description"]
