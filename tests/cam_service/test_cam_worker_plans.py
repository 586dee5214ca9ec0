"""The worker end to end: handoff in, G-code that LinuxCNC accepts out, exactly once."""
from __future__ import annotations

import json
import threading
import uuid

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib import config
from chalicelib.contracts.jobs import intent_request_key
from chalicelib.rmos.cam import pipeline, worker
from chalicelib.rmos.cam.jobs import JobStore, result_of
from chalicelib.storage import blobs
from tests.cam.truth import assert_cuts_within, assert_max_depth, disc, run_rs274

from .handoff import artifact_text, artifact_versions, deliver, issues_of, job, promote, rosette

BIT_1_16 = 1.5875


def _throttled(operation: str = "PutObject") -> ClientError:
    return ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
                        "ResponseMetadata": {"HTTPStatusCode": 503}}, operation)


def _stored_intent(intent: dict) -> tuple[str, str]:
    job_id = str(uuid.uuid4())
    key = intent_request_key(job_id)
    JobStore().create_pending(job_id, "cam_intent", key)
    blobs.put_immutable(config.requests_bucket(), key, json.dumps(intent).encode())
    return job_id, key


def test_promotion_becomes_a_channel_program(cam_client, tmp_path):
    design = rosette(center_mm=[10.0, -5.0])
    job_id, key = promote(design)
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "completed", item["reason"]
    assert artifact_versions(job_id) == {"program.nc": 1, "report.json": 1, "preview.svg": 1}
    program = artifact_text(job_id, "program.nc")
    report = json.loads(artifact_text(job_id, "report.json"))
    assert report["totals"]["cut_length_mm"] > 0 and report["post"] == "grbl"
    assert "<svg" in artifact_text(job_id, "preview.svg")
    assert result_of(item)["artifacts"]["program.nc"] == f"jobs/{job_id}/program.nc"
    canon = run_rs274(program, tmp_path)
    assert_max_depth(canon, design.channel_depth_mm)
    channel = disc((10.0, -5.0), 50.0).difference(disc((10.0, -5.0), 45.0))
    assert_cuts_within(canon, channel, BIT_1_16 / 2)


def test_promotion_with_soundhole_cuts_through_the_top(cam_client, tmp_path):
    design = rosette(cut_soundhole=True, soundhole_diameter_mm=80.0)
    job_id, key = promote(design, cam_profile_id="rosette-1-16-spruce-linuxcnc")
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "completed", item["reason"]
    canon = run_rs274(artifact_text(job_id, "program.nc"), tmp_path)
    # Through the 3 mm top plus the breakthrough, and no deeper.
    assert canon.min_z() == pytest.approx(-3.2, abs=1e-3)
    assert json.loads(artifact_text(job_id, "report.json"))["post"] == "linuxcnc"


def test_status_moves_pending_processing_completed(cam_client, monkeypatch, tmp_path):
    job_id, key = promote(rosette())
    seen = [job(job_id)["status"]]
    real = pipeline.plan_intent

    def observing(*args, **kwargs):
        seen.append(job(job_id)["status"])
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "plan_intent", observing)
    deliver(cam_client, key)
    seen.append(job(job_id)["status"])
    assert seen == ["pending", "processing", "completed"]
    run_rs274(artifact_text(job_id, "program.nc"), tmp_path)


def test_status_moves_pending_processing_failed(cam_client, monkeypatch):
    job_id, key = _stored_intent({"mode": "router_3axis",
                                  "design": {"operation": "pocket", "depth_mm": 2.0,
                                             "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 0.2}}})
    seen = [job(job_id)["status"]]
    real = pipeline.plan_intent

    def observing(*args, **kwargs):
        seen.append(job(job_id)["status"])
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "plan_intent", observing)
    deliver(cam_client, key)
    item = job(job_id)
    seen.append(item["status"])
    assert seen == ["pending", "processing", "failed"]
    assert item["reason"].startswith("the intent cannot be planned:")
    assert issues_of(item) and all(i["code"] and i["message"] for i in issues_of(item))


def test_same_event_twice_gives_one_set_of_artifacts(cam_client, tmp_path):
    job_id, key = promote(rosette())
    deliver(cam_client, key)
    first = job(job_id)
    deliver(cam_client, key)
    assert job(job_id) == first
    assert artifact_versions(job_id) == {"program.nc": 1, "report.json": 1, "preview.svg": 1}
    run_rs274(artifact_text(job_id, "program.nc"), tmp_path)


def test_concurrent_deliveries_plan_once(cam_env, monkeypatch, tmp_path):
    job_id, key = promote(rosette())
    both_loaded = threading.Barrier(2, timeout=30)
    real_get = blobs.get_bytes

    def get_then_wait(bucket, object_key):
        body = real_get(bucket, object_key)
        if object_key == key:  # both workers hold the request before either claims
            both_loaded.wait()
        return body

    monkeypatch.setattr(blobs, "get_bytes", get_then_wait)
    outcomes, errors = [], []

    def run():
        try:
            outcomes.append(worker.handle_object(config.requests_bucket(), key))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(outcomes) == 2 and outcomes.count("completed") == 1 and outcomes.count(None) == 1
    assert job(job_id)["status"] == "completed"
    assert artifact_versions(job_id) == {"program.nc": 1, "report.json": 1, "preview.svg": 1}
    run_rs274(artifact_text(job_id, "program.nc"), tmp_path)


def test_throttled_artifact_write_is_retried_to_completion(cam_client, monkeypatch, tmp_path):
    job_id, key = promote(rosette())
    real_put = blobs.put
    calls = []

    def put_once_throttled(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 1:
            raise _throttled()
        return real_put(*args, **kwargs)

    monkeypatch.setattr(blobs, "put", put_once_throttled)
    with pytest.raises(ClientError):
        deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "pending" and "transient" in item["reason"]
    assert blobs.get_bytes(config.artifacts_bucket(), f"jobs/{job_id}/program.nc") is None
    deliver(cam_client, key)  # Lambda's retry of the same event
    item = job(job_id)
    assert item["status"] == "completed" and item["reason"] is None
    run_rs274(artifact_text(job_id, "program.nc"), tmp_path)


def test_unreachable_storage_on_read_claims_nothing(cam_client, monkeypatch):
    job_id, key = promote(rosette())

    def unreachable(*args, **kwargs):
        raise EndpointConnectionError(endpoint_url="https://s3.amazonaws.com")

    monkeypatch.setattr(blobs, "get_bytes", unreachable)
    with pytest.raises(EndpointConnectionError):
        deliver(cam_client, key)
    assert job(job_id)["status"] == "pending"


def test_transient_error_after_planning_releases_the_claim(cam_client, monkeypatch, tmp_path):
    job_id, key = promote(rosette())
    store_complete = JobStore.complete
    failures = []

    def complete_throttled_once(self, lease, result):
        if not failures:
            failures.append(1)
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, "UpdateItem")
        return store_complete(self, lease, result)

    monkeypatch.setattr(JobStore, "complete", complete_throttled_once)
    with pytest.raises(ClientError):
        deliver(cam_client, key)
    assert job(job_id)["status"] == "pending"
    deliver(cam_client, key)
    assert job(job_id)["status"] == "completed"
    # The retry rewrote the same deterministic artifacts; none is missing.
    assert artifact_versions(job_id) == {"program.nc": 2, "report.json": 2, "preview.svg": 2}
    run_rs274(artifact_text(job_id, "program.nc"), tmp_path)


def test_stored_intent_with_wrong_schema_fails_naming_fields(cam_client):
    job_id, key = _stored_intent({"mode": "laser", "design": {}, "colour": "red"})
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "failed"
    paths = {i["path"] for i in issues_of(item)}
    assert "mode" in paths and "colour" in paths
    assert "mode" in item["reason"]


def test_a_defect_in_planning_fails_the_job_instead_of_retrying(cam_client, monkeypatch):
    job_id, key = promote(rosette())

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(pipeline, "plan_intent", broken)
    deliver(cam_client, key)  # returns normally: a retry would fail the same way
    item = job(job_id)
    assert item["status"] == "failed" and "internal error" in item["reason"] and job_id in item["reason"]


def test_an_empty_program_is_never_completed(cam_client, monkeypatch):
    job_id, key = promote(rosette())
    real = pipeline.plan_intent

    def hollow(*args, **kwargs):
        plan = real(*args, **kwargs)
        header_only = "\n".join(line for line in plan.program.splitlines() if not line.startswith(("G1", "G2", "G3")))
        return pipeline.PlanResult(program=header_only, report=plan.report, preview_svg=plan.preview_svg,
                                   post=plan.post, units=plan.units, intent=plan.intent)

    monkeypatch.setattr(pipeline, "plan_intent", hollow)
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "failed" and "no cutting moves" in item["reason"]
    assert artifact_versions(job_id) == {}


def test_an_expired_lease_is_recovered_by_a_later_delivery(cam_client, tmp_path):
    job_id, key = promote(rosette())
    crashed = JobStore(clock=lambda: 0.0).claim(job_id)  # a worker that died long ago
    assert job(job_id)["lease_token"] == crashed.token
    deliver(cam_client, key)
    assert job(job_id)["status"] == "completed"
    run_rs274(artifact_text(job_id, "program.nc"), tmp_path)


def test_a_live_lease_makes_a_delivery_a_no_op(cam_client):
    job_id, key = promote(rosette())
    JobStore().claim(job_id)
    deliver(cam_client, key)
    assert job(job_id)["status"] == "processing"
    assert artifact_versions(job_id) == {}
