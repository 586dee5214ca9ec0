"""Work limits through the public surface: /plan and /intents refuse by the one
estimate, the worker plans under a deadline, big pockets plan without recursion."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from chalicelib import aws, config
from chalicelib.contracts.jobs import intent_request_key
from chalicelib.rmos.cam import prepare, work
from chalicelib.rmos.cam.jobs import JobStore
from chalicelib.rmos.cam.routes import PLAN_BUDGET_SECONDS, PLAN_MAX_MOVES
from chalicelib.storage import blobs
from tests.cam.truth import run_rs274

from .handoff import artifact_text, deliver, issues_of, job

BASE = "/api/rmos/cam"
JSON = {"Content-Type": "application/json"}


def circle(radius: float, depth: float, **context) -> dict:
    return {"mode": "router_3axis", "tool_id": "em-1-8-2f", "context": context,
            "design": {"operation": "pocket", "depth_mm": depth,
                       "geometry": {"type": "circle", "center": [0, 0], "radius_mm": radius}}}


def post(client, path, body):
    return client.http.post(BASE + path, headers=JSON, body=json.dumps(body))


def _stored(intent: dict) -> tuple[str, str]:
    job_id = str(uuid.uuid4())
    key = intent_request_key(job_id)
    JobStore().create_pending(job_id, "cam_intent", key)
    blobs.put_immutable(config.requests_bucket(), key, json.dumps(intent).encode())
    return job_id, key


def test_plan_refuses_a_large_circle_at_a_fine_stepover_at_once(cam_client):
    # 250 mm radius at a 1 % stepover: about 8,000 rings at each of 13 levels.
    started = time.monotonic()
    resp = post(cam_client, "/plan", circle(250, 10, stepover_pct=1))
    elapsed = time.monotonic() - started
    assert resp.status_code == 413, resp.json_body
    body = resp.json_body
    assert body["code"] == "too_large_for_preview" and "POST /api/rmos/cam/intents" in body["message"]
    [issue] = body["details"]
    assert issue["path"] == "design" and f"the limit is {PLAN_MAX_MOVES}" in issue["message"]
    assert elapsed < 2.0


def test_plan_refuses_by_estimated_time_too(cam_client):
    # Few moves, but 400 polygon rings of 2,000 vertices each: the offsets are the work.
    import math

    pts = [[300 * math.cos(2 * math.pi * i / 2000), 300 * math.sin(2 * math.pi * i / 2000)] for i in range(2000)]
    intent = {"mode": "router_3axis", "tool_id": "em-1-8-2f", "context": {"stepover_pct": 60},
              "design": {"operation": "pocket", "depth_mm": 0.5, "geometry": {"type": "polyline", "points": pts}}}
    found = prepare.estimate(prepare.prepare(intent))
    assert found.moves <= PLAN_MAX_MOVES < found.moves * 100 and found.seconds > PLAN_BUDGET_SECONDS
    resp = post(cam_client, "/plan", intent)
    assert resp.status_code == 413
    [issue] = resp.json_body["details"]
    assert issue["message"].endswith(f"the limit is {PLAN_BUDGET_SECONDS:g} s")


def test_a_fine_circle_within_the_budget_is_planned_in_time(cam_client, tmp_path):
    # The radius-8 circle that once ran past a minute, at the finest stepover allowed.
    started = time.monotonic()
    resp = post(cam_client, "/plan", circle(8, 3, stepover_pct=1))
    assert resp.status_code == 200
    assert time.monotonic() - started < PLAN_BUDGET_SECONDS + 5
    run_rs274(resp.json_body["program"], tmp_path)


@pytest.mark.parametrize("path", ["/plan", "/intents"])
def test_a_stepover_below_the_minimum_is_a_422_naming_it(cam_client, path):
    resp = post(cam_client, path, circle(8, 3, stepover_pct=0.01))
    assert resp.status_code == 422
    assert [d["path"] for d in resp.json_body["details"]] == ["context.stepover_pct"]
    checked = post(cam_client, "/intents/validate", circle(8, 3, stepover_pct=0.01)).json_body
    assert checked["ok"] is False and [i["path"] for i in checked["issues"]] == ["context.stepover_pct"]


def test_intents_refuses_a_job_past_the_worker_limit(cam_client):
    resp = post(cam_client, "/intents", circle(250, 100, stepover_pct=1, stepdown_mm=0.05))
    assert resp.status_code == 413
    body = resp.json_body
    assert body["code"] == "too_large" and body["message"].startswith("too large: ")
    assert "stepover" in body["message"] and body["details"][0]["path"] == "design"
    assert aws.s3().list_objects_v2(Bucket=config.requests_bucket()).get("KeyCount", 0) == 0


def test_worker_fails_a_job_past_the_estimate_limit_as_too_large(cam_client, monkeypatch):
    job_id, key = _stored(circle(30, 3))
    monkeypatch.setattr(work, "JOB_PLANNING_SECONDS", 1e-6)
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "failed" and item["reason"].startswith("too large: ")
    assert [i["code"] for i in issues_of(item)] == ["too_large"]


def test_worker_stops_planning_at_its_deadline(cam_client, monkeypatch):
    job_id, key = _stored(circle(30, 3))
    # The estimate lets the job through; the deadline, checked inside the planner's loops, stops it.
    monkeypatch.setattr(prepare, "estimate", lambda prepared: work.WorkEstimate(1, 0.0))
    monkeypatch.setattr(work, "JOB_PLANNING_SECONDS", 1e-6)
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "failed"
    assert item["reason"].startswith("too large: planning did not finish within the job planning deadline")


def test_a_pocket_of_985_rings_plans_without_recursion(cam_client, tmp_path):
    # The catalogue's 1 mm bit at 0.2 mm stepover needs 985 rings to clear a 394.5 mm square.
    side = 394.5
    intent = {"mode": "router_3axis", "tool_id": "em-1-8-2f", "context": {"stepover_pct": 20},
              "design": {"operation": "pocket", "depth_mm": 0.5, "tool_diameter_mm": 1.0,
                         "geometry": {"type": "polyline",
                                      "points": [[0, 0], [side, 0], [side, side], [0, side], [0, 0]]}}}
    job_id, key = _stored(intent)
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "completed", item.get("reason")
    run_rs274(artifact_text(job_id, "program.nc"), tmp_path)
