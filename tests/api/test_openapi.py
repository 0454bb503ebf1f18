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
