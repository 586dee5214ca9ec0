"""The OpenAPI document: generated from the contracts, served, and in step with the routes."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from app import app
from chalicelib import openapi
from chalicelib.art_studio.store import Session
from chalicelib.contracts.cam_intent import CamIntentV1
from tests.art_studio_support import JSON, PREFIX, classical_design


def _registered() -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods}


def test_the_route_table_is_exactly_the_routes_chalice_registered():
    declared = [(op.method, op.path) for op in openapi.OPERATIONS]
    assert len(declared) == len(set(declared)), "a route is declared twice"
    assert set(declared) == _registered()


def test_every_registered_route_is_in_the_document_with_its_method():
    paths = openapi.document()["paths"]
    for method, path in _registered():
        assert method.lower() in paths.get(path, {}), f"{method} {path} is not documented"


def test_document_is_openapi_3_1_and_its_schemas_are_valid_json_schema():
    doc = openapi.document()
    assert doc["openapi"].startswith("3.1.")
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    text = json.dumps(doc)
    # Every reference resolves to a component.
    for name in {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}:
        assert name in doc["components"]["schemas"], name


def test_schemas_come_from_the_contracts():
    schemas = openapi.document()["components"]["schemas"]
    assert set(CamIntentV1.model_json_schema()["properties"]) == set(schemas["CamIntentV1"]["properties"])
    assert set(Session.model_fields) == set(schemas["Session"]["properties"])
    assert schemas["ErrorBody"]["required"] == ["code", "message", "details"]
    assert schemas["ErrorBody"]["properties"]["details"]["items"] == {"$ref": "#/components/schemas/Issue"}
    assert sorted(schemas["Issue"]["required"]) == ["code", "message", "path"]


def _op(method: str, path: str) -> dict:
    return openapi.document()["paths"][path][method]


@pytest.mark.parametrize("op", openapi.OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_every_error_status_is_an_error_body_and_security_is_marked(op):
    doc = _op(op.method.lower(), op.path)
    statuses = set(doc["responses"])
    assert "415" in statuses
    if op.secured:
        assert doc["security"] == [{"bearerAuth": []}]
        assert {"401", "403"} <= statuses
    else:
        assert doc["security"] == []
        assert not {"401", "403"} & statuses
    if op.body is not None:
        assert {"400", "413"} <= statuses
    if "{" in op.path:
        assert "404" in statuses
    for status, response in doc["responses"].items():
        if int(status) >= 400 and not (op.operation_id == "promote_to_cam" and status == "409"):
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_health_and_document_are_open_and_everything_else_needs_a_token():
    open_ops = {op.operation_id for op in openapi.OPERATIONS if not op.secured}
    assert open_ops == {"health", "openapi"}
    assert openapi.document()["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_document_is_served_without_credentials(client):
    response = client.http.get(openapi.OPENAPI_PATH)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == openapi.document()


def test_health_answers_ok(client):
    response = client.http.get(openapi.HEALTH_PATH)
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok"}


def test_a_caller_cannot_change_the_served_document():
    doc = openapi.document()
    doc["paths"].clear()
    assert openapi.document()["paths"]


def _standalone(doc: dict, name: str) -> dict:
    """One component as a self-contained JSON Schema (components become $defs)."""
    text = json.dumps(doc["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/")
    return {"$ref": f"#/$defs/{name}", "$defs": json.loads(text)}


def test_a_real_session_matches_its_documented_response_schema(client):
    """The documented 201 schema accepts what the route sends, and nothing with a key it does not list."""
    validator = Draft202012Validator(_standalone(openapi.document(), "SessionView"))
    created = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=json.dumps({"design": classical_design()}))
    assert created.status_code == 201
    session = json.loads(created.body)
    validator.validate(session)
    assert list(validator.iter_errors({**session, "surprise": 1}))
