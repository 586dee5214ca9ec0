"""Requests the API once mishandled, each reproduced through the test client.

Each test states the behaviour the API owes (a 4xx in the documented error
shape, never a 5xx). A finding not yet fixed is marked strict xfail; when a fix
lands the test passes, strict xfail turns that into a failure, and the marker
comes off (with the matching entry in findings.py, if it has one), leaving a
plain regression test.
"""
from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.openapi import OPERATIONS, ErrorBody
from tests.art_studio_support import PREFIX, classical_design
from tests.cam import intents

JSON = {"Content-Type": "application/json"}
CAM = "/api/rmos/cam"
MISSING = "e3e70682-c209-1cac-a29f-6fbed82c07cd"


def _concrete(path: str) -> str:
    return path.replace("{session_id}", MISSING)


BODY_ROUTES = [(op.method, _concrete(op.path)) for op in OPERATIONS if op.body is not None]


def _error(response) -> ErrorBody:
    return ErrorBody.model_validate(json.loads(response.body))


@pytest.mark.parametrize("method, path, body, status", [
    ("GET", f"{PREFIX}/sessions/{MISSING}", None, 404),
    ("POST", f"{PREFIX}/sessions", b"", 400),
    ("POST", f"{PREFIX}/sessions", b'{"design": {}}', 422),
    ("GET", f"{CAM}/jobs/{MISSING}", None, 404),
], ids=["404-session", "400-empty-body", "422-design", "404-job"])
def test_error_bodies_match_the_error_schema(client, method, path, body, status):
    response = client.http.request(method, path, headers=JSON, body=body or b"")
    assert response.status_code == status
    _error(response)


@pytest.mark.parametrize("method, path", BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
def test_deeply_nested_json_is_malformed_input(client, method, path):
    nested = b"[" * 5000 + b"]" * 5000
    response = client.http.request(method, path, headers=JSON, body=nested)
    assert response.status_code == 400
    assert _error(response).code == "malformed_json"


def _subnormal_peck() -> dict:
    intent = intents.peck_drill()
    intent["design"]["peck_mm"] = 5e-324
    return intent


@pytest.mark.parametrize("path", ["/intents/validate", "/intents", "/plan"])
def test_subnormal_peck_is_rejected_naming_the_field(client, path):
    response = client.http.post(CAM + path, headers=JSON, body=json.dumps(_subnormal_peck()))
    if path == "/intents/validate":
        assert response.status_code == 200
        result = json.loads(response.body)
        assert result["ok"] is False
        assert any("peck_mm" in issue["path"] for issue in result["issues"])
    else:
        assert response.status_code == 422
        assert any("peck_mm" in issue.path for issue in _error(response).details)


@pytest.mark.parametrize("path", ["/intents/validate", "/intents", "/plan"])
def test_lone_surrogate_in_intent_id_is_rejected(client, path):
    body = json.dumps(intents.saw(intent_id="\ud800")).encode("ascii")
    response = client.http.post(CAM + path, headers=JSON, body=body)
    if path == "/intents/validate":
        assert response.status_code == 200
        result = json.loads(response.body)
        assert result["ok"] is False
        assert any(issue["path"] == "intent_id" for issue in result["issues"])
    else:
        assert response.status_code in (400, 422)
        error = _error(response)
        assert "intent_id" in error.message or any(i.path == "intent_id" for i in error.details)


def test_session_history_stays_writable_past_the_item_limit(client):
    created = client.http.post(f"{PREFIX}/sessions", headers=JSON,
                               body=json.dumps({"design": classical_design()}))
    assert created.status_code == 201
    sid = json.loads(created.body)["session_id"]
    # The actor is the signed-in user's name and sub, no longer a body field.
    note = "n" * 1000
    statuses = []
    # Each round trip adds two ~1.1 kB history entries; 200 of them pass 400 KB.
    for _ in range(200):
        for state in ("in_review", "draft"):
            response = client.http.post(f"{PREFIX}/sessions/{sid}/transition", headers=JSON,
                                        body=json.dumps({"to_state": state, "note": note}))
            statuses.append(response.status_code)
            if response.status_code >= 500:
                break
        if statuses[-1] >= 500:
            break
    assert max(statuses) < 500, f"first 5xx after {statuses.index(max(statuses))} transitions"
    assert client.http.get(f"{PREFIX}/sessions/{sid}").status_code == 200
    assert uuid.UUID(sid)
