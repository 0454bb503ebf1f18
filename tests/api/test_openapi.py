"""The OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate


@pytest.fixture
def spec(client):
    """The OpenAPI document the app serves."""
    response = client.get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_is_a_valid_openapi_document(spec):
    validate(spec)
    assert spec["info"]["title"] == "Cercle API"


def test_documents_bearer_auth(spec):
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"


def test_has_the_account_paths_of_the_design(spec):
    paths = spec["paths"]
    assert "post" in paths["/api/v1/users"]
    assert "post" in paths["/api/v1/tokens"]
    assert "delete" in paths["/api/v1/tokens/current"]


def test_token_operations_say_who_needs_a_token(spec):
    paths = spec["paths"]
    assert not paths["/api/v1/users"]["post"].get("security")
    assert not paths["/api/v1/tokens"]["post"].get("security")
    assert paths["/api/v1/tokens/current"]["delete"]["security"] == [{"bearerAuth": []}]


def test_errors_are_documented_with_the_error_shape(spec):
    operations = {
        ("/api/v1/users", "post"): {"400", "409"},
        ("/api/v1/tokens", "post"): {"400", "401", "429"},
        ("/api/v1/tokens/current", "delete"): {"401"},
    }
    schemas = spec["components"]["schemas"]
    assert set(schemas["Error"]["properties"]) == {"error"}
    for (path, method), statuses in operations.items():
        responses = spec["paths"][path][method]["responses"]
        assert statuses <= set(responses), (path, method, sorted(responses))


def test_request_bodies_are_described(spec):
    body = spec["paths"]["/api/v1/users"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[1]
    schema = spec["components"]["schemas"][ref]
    assert {"email", "name", "password"} <= set(schema["required"])


#: DESIGN's support and notifications paths, with the errors each documents
SUPPORT_OPERATIONS = {
    ("/api/v1/groups/{handle}/support-requests", "post"): {"400", "401", "403", "404"},
    ("/api/v1/groups/{handle}/support-requests", "get"): {"400", "401", "403", "404"},
    ("/api/v1/support-requests/{request_id}", "get"): {"401", "404"},
    ("/api/v1/support-requests/{request_id}/responses", "post"): {
        "400",
        "401",
        "403",
        "404",
        "409",
    },
    ("/api/v1/support-requests/{request_id}/release", "post"): {"401", "404", "409"},
    ("/api/v1/support-requests/{request_id}/close", "post"): {"400", "401", "403", "404", "409"},
    ("/api/v1/groups/{handle}/check-ins", "get"): {"400", "401", "403", "404"},
    ("/api/v1/groups/{handle}/check-ins", "post"): {"400", "401", "403", "404"},
    ("/api/v1/groups/{handle}/check-ins/claim", "post"): {"400", "401", "403", "404", "409"},
    ("/api/v1/groups/{handle}/rhythm", "get"): {"401", "403", "404"},
    ("/api/v1/groups/{handle}/support-times", "post"): {"400", "401", "403", "404"},
    ("/api/v1/groups/{handle}/memberships/me", "patch"): {"400", "403", "404", "409"},
    ("/api/v1/notifications", "get"): {"400", "401"},
    ("/api/v1/notifications/read", "post"): {"400", "401"},
}


def test_has_the_support_and_notification_paths_of_the_design(spec):
    for (path, method), statuses in SUPPORT_OPERATIONS.items():
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"bearerAuth": []}], (path, method)
        assert operation["summary"] and operation.get("description"), (path, method)
        assert statuses <= set(operation["responses"]), (path, method)


def test_the_request_object_and_the_membership_settings_are_documented(spec):
    schemas = spec["components"]["schemas"]
    request = schemas["SupportRequest"]["properties"]
    assert {"route", "responses", "overdue", "supporters", "matched_with"} <= set(request)
    route = schemas["SupportRoute"]["properties"]
    assert {"rule", "explanation", "escalate_at", "lapse_at", "overdue_at"} <= set(route)
    assert {"notified", "source"} <= set(route)
    membership = schemas["MyMembershipUpdate"]["properties"]
    assert "notification settings" in membership["support_volume"]["description"]
