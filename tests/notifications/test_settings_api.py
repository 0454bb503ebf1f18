"""GET/PATCH /api/v1/notifications/settings (our addition): the person's own email
settings, bounded and named when bad."""

from __future__ import annotations

import pytest

URL = "/api/v1/notifications/settings"
EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def test_defaults_then_changes_read_back(api_as, make_user):
    api = api_as(make_user(name="Anaïs"))
    assert api.get(URL).json == {
        "digest_hour": 7,
        "digest_days": [1, 2, 3, 4, 5, 6, 7],
        "email_discreet": False,
        "email_off": False,
        "timezone": "Europe/Paris",
        "quiet_hours": None,
    }
    changed = api.patch(URL, json={"digest_hour": 21, "digest_days": [5, 1, 1, 3]})
    assert changed.status_code == 200
    assert (changed.json["digest_hour"], changed.json["digest_days"]) == (21, [1, 3, 5])
    assert api.patch(URL, json={"digest_days": []}).json["digest_days"] == []  # never
    both = api.patch(URL, json={"email_discreet": True, "email_off": True}).json
    assert (both["email_discreet"], both["email_off"], both["digest_hour"]) == (True, True, 21)
    assert api.patch(URL, json={"email_off": False}).json["email_off"] is False
    assert api.get(URL).json["digest_days"] == []


def test_quiet_hours_are_shown(app, api_as, make_user):
    from datetime import time

    from app.auth.models import User
    from app.extensions import db

    person = make_user(name="Anaïs")
    with app.app_context():
        user = db.session.get(User, person.id)
        user.quiet_from, user.quiet_until, user.quiet_wake = time(22), time(7), False
        db.session.commit()
    assert api_as(person).get(URL).json["quiet_hours"] == {
        "start": "22:00",
        "end": "07:00",
        "wake": False,
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"digest_hour": 24}, "digest_hour"),
        ({"digest_hour": -1}, "digest_hour"),
        ({"digest_hour": "7"}, "digest_hour"),
        ({"digest_hour": 7.5}, "digest_hour"),
        ({"digest_hour": True}, "digest_hour"),
        ({"digest_days": [0]}, "digest_days"),
        ({"digest_days": [8]}, "digest_days"),
        ({"digest_days": "135"}, "digest_days"),
        ({"digest_days": [1, 2, 3, 4, 5, 6, 7, 1]}, "digest_days"),
        ({"email_off": "perhaps"}, "email_off"),
        ({"email_discreet": None}, "email_discreet"),
        ({"volume": "mute"}, "volume"),
    ],
)
def test_bad_values_are_named(api_as, make_user, error_of, payload, field):
    api = api_as(make_user(name="Anaïs"))
    error = error_of(api.patch(URL, json=payload, headers=EN), 400)
    assert any(name.split(".")[0] == field for name in error["fields"]), error
    assert api.get(URL).json["digest_hour"] == 7


def test_messages_in_the_callers_language(api_as, make_user, error_of):
    api = api_as(make_user(name="Anaïs"))
    error = error_of(api.patch(URL, json={"digest_hour": 30}, headers=FR), 400)
    assert error["fields"] == {"digest_hour": "Doit être compris entre 0 et 23."}


def test_a_token_is_needed(api_as, error_of):
    error_of(api_as(None).get(URL), 401)
    error_of(api_as(None).patch(URL, json={"email_off": True}), 401)


def test_documented_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    operations = spec["paths"]["/api/v1/notifications/settings"]
    assert {"get", "patch"} <= set(operations)
    assert "addition to DESIGN.md" in operations["get"]["summary"]
    assert "memberships/me" in operations["get"]["description"]
    assert "400" in operations["patch"]["responses"]
    props = spec["components"]["schemas"]["NotificationSettingsUpdate"]["properties"]
    assert {"digest_hour", "digest_days", "email_discreet", "email_off"} == set(props)
