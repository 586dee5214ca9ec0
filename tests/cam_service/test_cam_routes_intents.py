"""POST /intents, /intents/validate, /plan and GET /profiles against the real pipeline."""
from __future__ import annotations

import json
import math
import re
from urllib.parse import urlparse

from chalicelib import aws, config
from chalicelib.contracts.jobs import intent_request_key
from chalicelib.storage import blobs
from tests.cam.truth import assert_max_depth, run_rs274

from .handoff import artifact_text, deliver

JSON = {"Content-Type": "application/json"}
BASE = "/api/rmos/cam"


def circle_pocket(**overrides):
    intent = {"mode": "router_3axis", "units": "mm",
              "design": {"operation": "pocket", "depth_mm": 0.6,
                         "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 6.0}}}
    intent.update(overrides)
    return intent


def post(client, path, body):
    return client.http.post(BASE + path, headers=JSON, body=json.dumps(body))


def test_submit_then_worker_then_job_shows_report_and_downloads(cam_client, tmp_path):
    resp = post(cam_client, "/intents", circle_pocket())
    assert resp.status_code == 202
    job = resp.json_body["job"]
    assert job["status"] == "pending" and job["kind"] == "cam_intent" and job["downloads"] == {}
    stored = json.loads(blobs.get_bytes(config.requests_bucket(), intent_request_key(job["job_id"])))
    assert stored["design"]["geometry"]["radius_mm"] == 6.0 and stored["created_at_utc"]

    deliver(cam_client, intent_request_key(job["job_id"]))
    body = cam_client.http.get(f"{BASE}/jobs/{job['job_id']}").json_body
    assert body["status"] == "completed", body["reason"]
    assert body["report"]["units"] == "mm" and body["report"]["totals"]["moves"] > 0
    assert {urlparse(u).path.rsplit("/", 1)[-1] for u in body["downloads"].values()} == \
        {"program.nc", "report.json", "preview.svg"}
    canon = run_rs274(artifact_text(job["job_id"], "program.nc"), tmp_path)
    assert_max_depth(canon, 0.6)


def test_intent_id_makes_submission_idempotent(cam_client):
    first = post(cam_client, "/intents", circle_pocket(intent_id="order-42"))
    assert first.status_code == 202
    # Same payload; a different caller timestamp is not a different intent.
    again = post(cam_client, "/intents", circle_pocket(intent_id="order-42", created_at_utc="2030-01-01T00:00:00Z"))
    assert again.status_code == 200
    assert again.json_body["job"]["job_id"] == first.json_body["job"]["job_id"]
    changed = circle_pocket(intent_id="order-42")
    changed["design"]["depth_mm"] = 0.7
    conflict = post(cam_client, "/intents", changed)
    assert conflict.status_code == 409
    assert conflict.json_body["code"] == "intent_conflict"
    assert conflict.json_body["details"] == [{"code": "intent_conflict", "path": "intent_id",
                                              "message": f"already bound to job {first.json_body['job']['job_id']}"}]


def test_without_intent_id_the_payload_is_the_idempotency_key(cam_client):
    first, again = (post(cam_client, "/intents", circle_pocket()) for _ in range(2))
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json_body["job"]["job_id"] == again.json_body["job"]["job_id"]
    wider = circle_pocket()
    wider["design"]["geometry"]["radius_mm"] = 7.0
    other = post(cam_client, "/intents", wider)
    assert other.status_code == 202
    assert other.json_body["job"]["job_id"] != first.json_body["job"]["job_id"]


def test_a_repeat_repairs_a_submission_that_stopped_before_its_request_object(cam_client, monkeypatch):
    real = blobs.put_immutable
    monkeypatch.setattr(blobs, "put_immutable", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("crash")))
    assert post(cam_client, "/intents", circle_pocket(intent_id="order-7")).status_code == 500
    monkeypatch.setattr(blobs, "put_immutable", real)
    again = post(cam_client, "/intents", circle_pocket(intent_id="order-7"))
    assert again.status_code == 200
    job_id = again.json_body["job"]["job_id"]
    assert blobs.exists(config.requests_bucket(), intent_request_key(job_id))


def test_invalid_intents_are_422_naming_the_field_and_store_nothing(cam_client):
    # (body, the field that must be named, a word the message must contain)
    cases = [
        (circle_pocket(mode="plasma"), "mode", "router_3axis"),
        (circle_pocket(design={"operation": "engrave", "depth_mm": 1.0}), "design.operation", "engrave"),
        (circle_pocket(design={"operation": "pocket", "depth_mm": -1.0,
                               "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 5.0}}),
         "design.depth_mm", ""),
    ]
    for body, field, word in cases:
        resp = post(cam_client, "/intents", body)
        assert resp.status_code == 422, field
        details = resp.json_body["details"]
        named = [d for d in details if d["path"] == field]
        assert named, (field, details)
        assert word in named[0]["message"]
        assert all(set(d) == {"code", "message", "path"} and d["message"] and d["code"] for d in details)
    assert aws.s3().list_objects_v2(Bucket=config.requests_bucket()).get("KeyCount", 0) == 0


def test_validate_reports_without_storing(cam_client):
    ok = post(cam_client, "/intents/validate", circle_pocket())
    assert ok.status_code == 200 and ok.json_body["ok"] is True and ok.json_body["issues"] == []
    assert ok.json_body["normalized"]["options"]["post"] in ("grbl", "linuxcnc")
    bad = post(cam_client, "/intents/validate", circle_pocket(mode="plasma"))
    assert bad.status_code == 200 and bad.json_body["ok"] is False and bad.json_body["normalized"] is None
    assert [i["path"] for i in bad.json_body["issues"]] == ["mode"]
    assert aws.s3().list_objects_v2(Bucket=config.requests_bucket()).get("KeyCount", 0) == 0


def test_plan_preview_returns_a_runnable_program(cam_client, tmp_path):
    resp = post(cam_client, "/plan", circle_pocket(options={"post": "linuxcnc"}))
    assert resp.status_code == 200
    body = resp.json_body
    assert body["report"]["post"] == "linuxcnc" and "<svg" in body["preview_svg"]
    assert_max_depth(run_rs274(body["program"], tmp_path), 0.6)


def test_plan_preview_refuses_work_too_big_for_a_request(cam_client):
    points = [[100 * math.cos(2 * math.pi * i / 4000), 60 * math.sin(2 * math.pi * i / 4000)] for i in range(4000)]
    points.append(points[0])
    body = circle_pocket(design={"operation": "pocket", "depth_mm": 3.0,
                                 "geometry": {"type": "polyline", "points": points}})
    resp = post(cam_client, "/plan", body)
    assert resp.status_code == 413
    assert resp.json_body["code"] == "too_large_for_preview"
    assert "POST /api/rmos/cam/intents" in resp.json_body["message"]
    [issue] = resp.json_body["details"]
    assert issue["code"] == "too_large_for_preview" and issue["path"] == "design"
    moves, limit = map(int, re.fullmatch(r"about (\d+) moves; the limit is (\d+)", issue["message"]).groups())
    assert moves > limit == 200_000


def test_plan_preview_of_an_infeasible_intent_is_422(cam_client):
    tiny = circle_pocket(design={"operation": "pocket", "depth_mm": 1.0,
                                 "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 0.3}})
    resp = post(cam_client, "/plan", tiny)
    assert resp.status_code == 422
    assert resp.json_body["details"] and all(d["path"] and d["code"] for d in resp.json_body["details"])


def test_profiles_list(cam_client):
    body = cam_client.http.get(f"{BASE}/profiles").json_body
    ids = [p["id"] for p in body["profiles"]]
    assert body["default"] in ids and "rosette-1-8-spruce-grbl" in ids
    by_id = {p["id"]: p for p in body["profiles"]}
    assert by_id["rosette-1-8-spruce-grbl"]["tool"]["diameter_mm"] == 3.175


def truss_rod_slot(width: float) -> dict:
    points = [[0, -width / 2], [100, -width / 2], [100, width / 2], [0, width / 2], [0, -width / 2]]
    return circle_pocket(design={"operation": "pocket", "depth_mm": 9.5, "tool_diameter_mm": 6.35,
                                 "geometry": {"type": "polyline", "points": points}},
                         options={"post": "linuxcnc"})


def test_plan_preview_cuts_a_slot_exactly_the_bit_width(cam_client, tmp_path):
    resp = post(cam_client, "/plan", truss_rod_slot(6.35))
    assert resp.status_code == 200, resp.json_body
    canon = run_rs274(resp.json_body["program"], tmp_path)
    assert_max_depth(canon, 9.5)
    deep = [s for s in canon.cuts if s.end[2] < 0]
    assert deep and all(abs(s.end[1]) < 1e-4 and 3.174 < s.end[0] < 96.826 for s in deep)
    assert min(s.end[2] for s in deep) == -9.5


def test_plan_preview_refuses_a_slot_narrower_than_the_bit_with_its_width(cam_client):
    resp = post(cam_client, "/plan", truss_rod_slot(6.25))
    assert resp.status_code == 422
    [detail] = resp.json_body["details"]
    assert detail["path"] == "design.geometry"
    assert "6.250 mm wide" in detail["message"]
