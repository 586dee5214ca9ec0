"""The seed's contract tests for Art Studio -> CAM promotion (names as specified)."""
from __future__ import annotations

import hashlib
import json
import logging
import uuid

from chalicelib import config
from chalicelib.contracts.jobs import job_key
from chalicelib.contracts.profiles import default_profile_id
from chalicelib.contracts.rosette import FeasibilitySummaryV1
from chalicelib.storage import blobs
from chalicelib.storage.table import Table
from tests.art_studio_support import (PREFIX, approved_session, create, move, post, s3_keys, table_items)

NOT_APPROVED = "Session is not in APPROVED or EXPORTED state"


def _nothing_promoted() -> None:
    assert s3_keys(config.requests_bucket()) == []
    assert table_items("PROMO#") == []
    assert table_items("JOB#") == []


def test_promote_blocked_when_not_approved(client):
    draft = create(client)
    sid = draft["session_id"]
    resp = post(client, f"/sessions/{sid}/promote_to_cam")
    assert resp.status_code == 409
    assert resp.json_body == {"ok": False, "blocked_reason": NOT_APPROVED, "request": None}

    # Still blocked in review (feasibility passed, but nobody approved it) and once rejected.
    assert post(client, f"/sessions/{sid}/feasibility").status_code == 200
    assert move(client, sid, "in_review").status_code == 200
    assert post(client, f"/sessions/{sid}/promote_to_cam").json_body["blocked_reason"] == NOT_APPROVED
    assert move(client, sid, "rejected").status_code == 200
    resp = post(client, f"/sessions/{sid}/promote_to_cam")
    assert (resp.status_code, resp.json_body["ok"], resp.json_body["request"]) == (409, False, None)
    _nothing_promoted()


def test_promote_succeeds_when_approved(client):
    session = approved_session(client)
    sid = session["session_id"]
    resp = post(client, f"/sessions/{sid}/promote_to_cam")
    assert resp.status_code == 201
    assert resp.json_body["ok"] is True
    req = resp.json_body["request"]

    feasibility = FeasibilitySummaryV1.model_validate(session["feasibility"])
    assert req["promotion_request_version"] == "1.0"
    assert req["source"] == "art_studio_design_first"
    assert req["status"] == "pending"
    assert req["session_id"] == sid
    assert str(uuid.UUID(req["promotion_request_id"])) == req["promotion_request_id"]
    assert req["design_fingerprint"] == session["design_fingerprint"]
    assert req["feasibility_fingerprint"] == feasibility.fingerprint()
    assert req["cam_profile_id"] == default_profile_id()
    intent = req["intent_snapshot"]
    assert intent["intent_version"] == "1.0"
    assert intent["export_ready"] is True
    assert intent["design_summary"] == session["design_summary"]
    assert intent["feasibility_summary"] == session["feasibility"]
    assert (intent["design_fingerprint"], intent["feasibility_fingerprint"]) == (
        req["design_fingerprint"], req["feasibility_fingerprint"])

    # The immutable request document is exactly what was returned.
    rid = req["promotion_request_id"]
    stored = blobs.get_json(config.requests_bucket(), f"requests/cam-promotion/{rid}.json")
    assert stored == req
    # The design snapshot hashes to its own name, so CAM can verify it.
    raw = blobs.get_bytes(config.requests_bucket(), f"designs/{req['design_fingerprint']}.json")
    assert hashlib.sha256(raw).hexdigest() == req["design_fingerprint"]
    assert json.loads(raw)["rings"][2]["pattern_type"] == "MOSAIC"
    # The CAM worker finds a pending job record under the request id.
    job = Table().get(*job_key(rid))
    assert job["status"] == "pending" and job["kind"] == "cam_promotion"
    assert job["request_key"] == f"requests/cam-promotion/{rid}.json"


def test_promote_idempotent(client, caplog):
    session = approved_session(client)
    sid = session["session_id"]
    first = post(client, f"/sessions/{sid}/promote_to_cam")
    assert first.status_code == 201
    with caplog.at_level(logging.INFO, logger="luthier_cam.art_studio.promotion"):
        again = post(client, f"/sessions/{sid}/promote_to_cam")
        # Exporting changes the state, not the design or feasibility: same pair, same request.
        assert post(client, f"/sessions/{sid}/export").status_code == 200
        after_export = post(client, f"/sessions/{sid}/promote_to_cam")
    assert again.status_code == 200 and after_export.status_code == 200
    assert again.json_body == first.json_body == after_export.json_body
    rid = first.json_body["request"]["promotion_request_id"]
    assert s3_keys(config.requests_bucket(), "requests/cam-promotion/") == [f"requests/cam-promotion/{rid}.json"]
    index = table_items("PROMO#")
    assert len(index) == 1 and index[0]["request_id"] == rid
    assert index[0]["pk"] == (f"PROMO#{first.json_body['request']['design_fingerprint']}:"
                              f"{first.json_body['request']['feasibility_fingerprint']}")
    reused = [r for r in caplog.records if "promotion request reused" in r.getMessage()]
    assert len(reused) == 2 and rid in reused[0].getMessage()

    # A changed design is a different pair, so a new request.
    assert move(client, sid, "draft", note="wider channel").status_code == 200
    design = dict(session["design"], channel_depth_mm=1.5)
    resp = client.http.put(f"{PREFIX}/sessions/{sid}/design", headers={"Content-Type": "application/json"},
                           body=json.dumps({"design": design}))
    assert resp.status_code == 200
    approved_again = approved_session_from(client, sid)
    second = post(client, f"/sessions/{sid}/promote_to_cam")
    assert second.status_code == 201
    assert second.json_body["request"]["promotion_request_id"] != rid
    assert second.json_body["request"]["design_fingerprint"] == approved_again["design_fingerprint"]
    assert len(s3_keys(config.requests_bucket(), "requests/cam-promotion/")) == 2


def approved_session_from(client, sid: str) -> dict:
    assert post(client, f"/sessions/{sid}/feasibility").status_code == 200
    assert move(client, sid, "in_review").status_code == 200
    resp = move(client, sid, "approved")
    assert resp.status_code == 200
    return resp.json_body


def test_get_promotion_request(client):
    session = approved_session(client)
    created = post(client, f"/sessions/{session['session_id']}/promote_to_cam").json_body["request"]
    rid = created["promotion_request_id"]

    resp = client.http.get(f"{PREFIX}/cam-promotion/requests/{rid}")
    assert resp.status_code == 200
    assert resp.json_body == created

    # The CAM side moves the job on; the request reads back with the current status,
    # while the stored document itself never changes.
    pk, sk = job_key(rid)
    Table().transition(pk, sk, ["pending"], "processing")
    resp = client.http.get(f"{PREFIX}/cam-promotion/requests/{rid.upper()}")
    assert resp.status_code == 200
    assert resp.json_body["status"] == "processing"
    assert {k: v for k, v in resp.json_body.items() if k != "status"} == {
        k: v for k, v in created.items() if k != "status"}
    stored = blobs.get_json(config.requests_bucket(), f"requests/cam-promotion/{rid}.json")
    assert stored["status"] == "pending"


def test_get_promotion_request_404(client, monkeypatch):
    resp = client.http.get(f"{PREFIX}/cam-promotion/requests/{uuid.uuid4()}")
    assert resp.status_code == 404
    assert resp.json_body["code"] == "not_found"
    assert [(d["code"], d["path"]) for d in resp.json_body["details"]] == [("not_found", "request_id")]

    # Ids that are not UUIDs name nothing and never reach S3.
    calls = []
    monkeypatch.setattr(blobs, "get_json", lambda *a, **k: calls.append(a))
    for bad in ("not-a-uuid", "..%2F..%2Fdesigns", "12345"):
        resp = client.http.get(f"{PREFIX}/cam-promotion/requests/{bad}")
        assert resp.status_code == 404, bad
        assert resp.json_body["code"] == "not_found"
    assert calls == []
