"""GET /jobs, request parsing errors, and the API's cold-start promise."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from urllib.parse import parse_qs, urlparse

from chalicelib import config
from chalicelib.contracts.jobs import artifact_key, intent_request_key
from chalicelib.rmos.cam.jobs import JobStore
from chalicelib.storage import blobs

from .conftest import ROOT

JSON = {"Content-Type": "application/json"}
BASE = "/api/rmos/cam"


def _finished_job(report: dict) -> str:
    """A job taken to `completed` through the store, with its three artifacts in place."""
    store = JobStore()
    job_id = str(uuid.uuid4())
    store.create_pending(job_id, "cam_intent", intent_request_key(job_id))
    lease = store.claim(job_id)
    keys = {}
    for name, body in (("report.json", json.dumps(report).encode()), ("preview.svg", b"<svg/>"),
                       ("program.nc", b"G21\nG1 X1\nM30\n")):
        keys[name] = artifact_key(job_id, name)
        blobs.put(config.artifacts_bucket(), keys[name], body, "text/plain")
    store.complete(lease, {"artifacts": keys})
    return job_id


def test_unknown_and_malformed_job_ids_are_404(cam_client):
    for ident in (str(uuid.uuid4()), "not-a-uuid", "12345", "g" * 8 + str(uuid.uuid4())[8:]):
        resp = cam_client.http.get(f"{BASE}/jobs/{ident}")
        assert resp.status_code == 404, ident
        assert resp.json_body["code"] == "not_found"
        assert resp.json_body["details"] == [{"code": "not_found", "path": "job_id",
                                              "message": resp.json_body["message"]}]
        assert "no job with id" in resp.json_body["message"]


def test_pending_job_has_no_report_or_downloads(cam_client):
    store = JobStore()
    job_id = str(uuid.uuid4())
    store.create_pending(job_id, "cam_intent", intent_request_key(job_id))
    body = cam_client.http.get(f"{BASE}/jobs/{job_id.upper()}").json_body
    assert body["job_id"] == job_id and body["status"] == "pending" and body["kind"] == "cam_intent"
    assert body["report"] is None and body["downloads"] == {}


def test_completed_job_shows_report_and_named_downloads(cam_client):
    job_id = _finished_job({"units": "mm", "totals": {"moves": 3}})
    resp = cam_client.http.get(f"{BASE}/jobs/{job_id}")
    assert resp.status_code == 200
    body = resp.json_body
    assert body["status"] == "completed" and body["reason"] is None
    assert body["report"] == {"units": "mm", "totals": {"moves": 3}}
    assert set(body["downloads"]) == {"program.nc", "report.json", "preview.svg"}
    url = urlparse(body["downloads"]["program.nc"])
    assert url.path.endswith(f"/jobs/{job_id}/program.nc")
    disposition = parse_qs(url.query)["response-content-disposition"][0]
    assert disposition == f'attachment; filename="cam-{job_id[:8]}-program.nc"'


def test_failed_job_shows_reason_and_issues(cam_client):
    store = JobStore()
    job_id = str(uuid.uuid4())
    store.create_pending(job_id, "cam_intent", intent_request_key(job_id))
    store.fail(job_id, "design.depth_mm: must be positive",
               {"issues": [{"code": "greater_than", "message": "must be positive", "path": "design.depth_mm"}]})
    body = cam_client.http.get(f"{BASE}/jobs/{job_id}").json_body
    assert body["status"] == "failed" and body["reason"] == "design.depth_mm: must be positive"
    assert body["issues"][0]["path"] == "design.depth_mm" and body["downloads"] == {}


def test_malformed_json_is_400(cam_client):
    for path in ("/intents", "/intents/validate", "/plan"):
        resp = cam_client.http.post(BASE + path, headers=JSON, body=b'{"mode": ')
        assert resp.status_code == 400, path
        assert resp.json_body["code"] == "malformed_json"


def test_non_finite_numbers_name_their_field(cam_client):
    body = b'{"mode": "router_3axis", "design": {"operation": "pocket", "depth_mm": NaN, "x": [1, -Infinity]}}'
    for path in ("/intents", "/plan"):
        resp = cam_client.http.post(BASE + path, headers=JSON, body=body)
        assert resp.status_code == 422, path
        assert [d["path"] for d in resp.json_body["details"]] == ["design.depth_mm", "design.x.1"]
        assert {d["code"] for d in resp.json_body["details"]} == {"finite_number"}
    resp = cam_client.http.post(f"{BASE}/intents/validate", headers=JSON, body=body)
    assert resp.status_code == 200 and resp.json_body["ok"] is False
    assert resp.json_body["issues"][0]["path"] == "design.depth_mm"


def test_wrong_media_type_is_415(cam_client):
    resp = cam_client.http.post(f"{BASE}/intents", headers={"Content-Type": "text/plain"}, body=b"{}")
    assert resp.status_code == 415
    assert resp.json_body["code"] == "unsupported_media_type"


def test_preview_body_cap_is_413(cam_client):
    body = json.dumps({"mode": "router_3axis", "design": {"pad": "x" * (300 * 1024)}}).encode()
    resp = cam_client.http.post(f"{BASE}/plan", headers=JSON, body=body)
    assert resp.status_code == 413
    assert resp.json_body["code"] == "payload_too_large"
    [issue] = resp.json_body["details"]
    assert issue["code"] == "payload_too_large" and issue["path"] == "body"
    assert issue["message"].endswith(f"the limit is {256 * 1024}")


def test_api_modules_load_without_geometry_libraries():
    code = ("import sys, app; "
            "print(sorted(m for m in ('shapely', 'numpy', 'chalicelib.rmos.cam.pipeline') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
