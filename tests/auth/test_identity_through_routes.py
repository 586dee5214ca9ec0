"""Four-eyes, verified actors in the history, and the browser-facing headers, through the routes."""
from __future__ import annotations

import json
import uuid

import pytest
from werkzeug.test import Client as WsgiClient

from chalicelib import config
from tests.art_studio_support import JSON, PREFIX, classical_design, s3_keys, table_items


def _as(client, user, method, path, body=None):
    with client.as_user(user):
        return client.http.request(method, f"{PREFIX}{path}", headers=JSON,
                                   body="" if body is None else json.dumps(body))


def _in_review_by(client, user: str) -> str:
    created = _as(client, user, "POST", "/sessions", {"design": classical_design()})
    assert created.status_code == 201, created.json_body
    sid = created.json_body["session_id"]
    assert _as(client, user, "POST", f"/sessions/{sid}/feasibility", {}).status_code == 200
    assert _as(client, user, "POST", f"/sessions/{sid}/transition", {"to_state": "in_review"}).status_code == 200
    return sid


def test_the_author_cannot_approve_their_design_and_another_reviewer_can(client):
    # `solo` is designer and reviewer at once: only four-eyes stands in the way.
    sid = _in_review_by(client, "solo")
    refused = _as(client, "solo", "POST", f"/sessions/{sid}/transition", {"to_state": "approved"})
    assert refused.status_code == 403
    assert refused.json_body["code"] == "four_eyes"
    assert "someone other than its owner" in refused.json_body["message"]
    assert _as(client, "solo", "GET", f"/sessions/{sid}").json_body["state"] == "in_review"

    approved = _as(client, "rita", "POST", f"/sessions/{sid}/transition", {"to_state": "approved"})
    assert approved.status_code == 200, approved.json_body
    session = approved.json_body
    assert (session["owner_sub"], session["owner_username"]) == (client.sub("solo"), "solo")
    assert [(h["to_state"], h["actor"], h["actor_sub"]) for h in session["history"]] == [
        ("in_review", "solo", client.sub("solo")), ("approved", "rita", client.sub("rita"))]
    assert client.sub("solo") != client.sub("rita")


def test_self_approval_setting_lets_a_one_person_shop_approve(client, monkeypatch):
    sid = _in_review_by(client, "solo")
    monkeypatch.setenv("ALLOW_SELF_APPROVAL", "true")
    approved = _as(client, "solo", "POST", f"/sessions/{sid}/transition", {"to_state": "approved"})
    assert approved.status_code == 200, approved.json_body
    assert [h["actor_sub"] for h in approved.json_body["history"]] == [client.sub("solo")] * 2


@pytest.mark.parametrize("path,body", [
    ("/transition", {"to_state": "in_review", "actor": "mallory"}),
    ("/export", {"actor": "mallory"}),
])
def test_a_client_supplied_actor_is_rejected(client, path, body):
    sid = _as(client, "dana", "POST", "/sessions", {"design": classical_design()}).json_body["session_id"]
    resp = _as(client, "dana", "POST", f"/sessions/{sid}{path}", body)
    assert resp.status_code == 422
    assert [(d["code"], d["path"]) for d in resp.json_body["details"]] == [("unknown_field", "actor")]
    assert _as(client, "dana", "GET", f"/sessions/{sid}").json_body["history"] == []


def test_promotion_contract_without_a_token_or_as_another_designer_promotes_nothing(client):
    sid = _in_review_by(client, "dana")
    assert _as(client, "rita", "POST", f"/sessions/{sid}/transition", {"to_state": "approved"}).status_code == 200
    # Approval stored the approved design for CAM; the refused promotions below add nothing.
    approved_only = s3_keys(config.requests_bucket())
    assert len(approved_only) == 1 and approved_only[0].startswith("designs/")
    assert _as(client, None, "POST", f"/sessions/{sid}/promote_to_cam").status_code == 401
    assert _as(client, "devi", "POST", f"/sessions/{sid}/promote_to_cam").status_code == 404
    assert s3_keys(config.requests_bucket()) == approved_only and table_items("PROMO#") == []
    assert table_items("JOB#") == []
    promoted = _as(client, "dana", "POST", f"/sessions/{sid}/promote_to_cam")
    assert promoted.status_code == 201
    request_id = promoted.json_body["request"]["promotion_request_id"]
    [job] = table_items("JOB#")
    assert job["owner_sub"] == client.sub("dana")
    with client.as_user("dana"):
        job_view = client.http.get(f"/api/rmos/cam/jobs/{request_id}")
    assert job_view.status_code == 200 and job_view.json_body["owner_sub"] == client.sub("dana")


def test_integrators_see_only_their_own_jobs_and_intent_ids(client):
    from tests.cam import intents

    intent = intents.saw(intent_id="shared-name")
    with client.as_user("ivan-bot"):
        first = client.http.post("/api/rmos/cam/intents", headers=JSON, body=json.dumps(intent))
    with client.as_user("iris-bot"):
        second = client.http.post("/api/rmos/cam/intents", headers=JSON, body=json.dumps(intent))
        other = client.http.get(f"/api/rmos/cam/jobs/{first.json_body['job']['job_id']}")
    assert (first.status_code, second.status_code) == (202, 202)
    # The same intent_id from two integrators names two jobs, each its submitter's.
    assert first.json_body["job"]["job_id"] != second.json_body["job"]["job_id"]
    assert first.json_body["job"]["owner_sub"] == client.sub("ivan-bot")
    assert second.json_body["job"]["owner_sub"] == client.sub("iris-bot")
    assert other.status_code == 404


# --- headers ---------------------------------------------------------------------------------

def _assert_hardened(headers) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


def test_every_kind_of_response_is_hardened(client):
    sid = _as(client, "dana", "POST", "/sessions", {"design": classical_design()}).json_body["session_id"]
    responses = [
        _as(client, "dana", "GET", f"/sessions/{sid}"),                         # 200
        _as(client, None, "GET", f"/sessions/{sid}"),                           # 401
        _as(client, "rita", "PUT", f"/sessions/{sid}/design", {"design": classical_design()}),  # 403
        _as(client, "devi", "GET", f"/sessions/{sid}"),                         # 404 (hidden)
        _as(client, "dana", "POST", f"/sessions/{sid}/transition", {"to_state": "exported"}),  # 409
        _as(client, "dana", "POST", "/sessions", {"design": "round"}),           # 422
        _as(client, "dana", "DELETE", f"/sessions/{sid}"),                      # 204
    ]
    assert [r.status_code for r in responses] == [200, 401, 403, 404, 409, 422, 204]
    for resp in responses:
        _assert_hardened(resp.headers)
    with client.as_user(None):
        for path in ("/api/health", "/api/openapi.json"):
            _assert_hardened(client.http.get(path).headers)


def test_cors_allows_the_site_with_authorization_and_content_type():
    from app import app
    from tests.api.wsgi import wsgi_app

    browser = WsgiClient(wsgi_app(app))
    reply = browser.options(f"{PREFIX}/sessions/{uuid.uuid4()}/transition", headers={
        "Origin": config.site_origin(), "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert reply.headers["Access-Control-Allow-Origin"] == config.site_origin() != "*"
    assert set(reply.headers["Access-Control-Allow-Headers"].split(",")) == {"Authorization", "Content-Type"}
