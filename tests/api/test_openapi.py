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


# -- what the document promises for every operation (issue 11, item 10) -------------------

METHODS = {"get", "put", "post", "patch", "delete"}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_error_schema_is_the_design_shape(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["Error"]["required"] == ["error"]
    detail = schemas[schemas["Error"]["properties"]["error"]["$ref"].rsplit("/", 1)[1]]
    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert set(detail["required"]) == {"code", "message", "fields"}


def test_every_error_response_has_the_error_schema(spec):
    seen = 0
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                seen += 1
                content = response.get("content", {}).get("application/json", {})
                assert content.get("schema") == ERROR_REF, (path, method, status)
                assert response["description"].strip(), (path, method, status)
    assert seen > 150


def test_no_catch_all_response_hides_an_undocumented_status(spec):
    for path, method, operation in operations(spec):
        assert "default" not in operation["responses"], (path, method)


def test_only_the_account_operations_are_public(spec):
    public = {(p, m) for p, m, op in operations(spec) if not op.get("security")}
    assert public == {("/api/v1/users", "post"), ("/api/v1/tokens", "post")}


def test_every_operation_with_a_token_documents_401(spec):
    for path, method, operation in operations(spec):
        if operation.get("security"):
            assert operation["security"] == [{"bearerAuth": []}], (path, method)
            assert "401" in operation["responses"], (path, method)


def test_input_and_path_errors_are_documented_where_they_can_happen(spec, app):
    limited = bool(app.config.get("MAX_CONTENT_LENGTH"))
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        params = operation.get("parameters", [])
        if "requestBody" in operation or any(p["in"] == "query" for p in params):
            assert "400" in responses, (path, method)
        if "{" in path:
            assert "404" in responses, (path, method)
        has_413 = "413" in responses
        assert has_413 == (limited and "requestBody" in operation), (path, method)


def test_no_body_limit_no_413(make_app):
    spec = make_app(MAX_CONTENT_LENGTH=None).test_client().get("/api/v1/openapi.json").get_json()
    assert not any("413" in op["responses"] for _p, _m, op in operations(spec))


def test_a_body_limit_is_documented_on_operations_with_a_body(make_app):
    spec = make_app(MAX_CONTENT_LENGTH=1024).test_client().get("/api/v1/openapi.json").get_json()
    for path, method, operation in operations(spec):
        assert ("413" in operation["responses"]) == ("requestBody" in operation), (path, method)


# -- required bodies ------------------------------------------------------------------------


@pytest.fixture
def member(make_user, make_group, api):
    user = make_user(name="Anaïs")
    group = make_group(user, handle="tilleuls")
    return api(user), group


def test_a_required_body_that_is_empty_is_a_400_naming_the_body(member, error_of, spec):
    client, group = member
    assert spec["paths"]["/api/v1/groups/{handle}"]["patch"]["requestBody"]["required"]
    for headers in ({}, {"Content-Type": "application/json"}):
        response = client.patch(f"/api/v1/groups/{group.handle}", headers=headers)
        error = error_of(response, 400, "invalid_json")
        assert set(error["fields"]) == {"body"}


def test_a_body_that_is_not_json_is_a_400(member, error_of):
    client, group = member
    response = client.patch(
        f"/api/v1/groups/{group.handle}", data="name=x", headers={"Content-Type": "text/plain"}
    )
    error_of(response, 400, "invalid_json")
    response = client.patch(
        f"/api/v1/groups/{group.handle}", data="{", headers={"Content-Type": "application/json"}
    )
    error_of(response, 400, "invalid_json")


def test_a_body_that_is_json_but_not_an_object_is_a_400_naming_the_body(member, error_of):
    client, group = member
    for body in ("null", "[]", '"x"'):
        response = client.patch(
            f"/api/v1/groups/{group.handle}",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        assert "body" in error_of(response, 400)["fields"], body


def test_an_optional_body_may_be_left_out(member, spec):
    client, group = member
    operation = spec["paths"]["/api/v1/groups/{handle}/support-times"]["post"]
    assert operation["requestBody"]["required"] is False
    response = client.post(f"/api/v1/groups/{group.handle}/support-times")
    assert response.status_code != 400, response.get_json()


def test_an_unsupported_method_on_a_public_address_is_405_without_a_token(client, error_of):
    response = client.open("/api/v1/users", method="TRACE")
    error_of(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    # a protected address still asks for a token first
    error_of(client.open("/api/v1/groups", method="TRACE"), 401)
