"""What the worker does with keys and objects it cannot or must not plan."""
from __future__ import annotations

import json
import uuid

from chalicelib import config
from chalicelib.contracts.jobs import intent_request_key, promotion_request_key
from chalicelib.rmos.cam.jobs import JobStore
from chalicelib.storage import blobs

from .handoff import deliver, issues_of, job, promote, promotion_request, rosette


def test_keys_outside_the_layout_are_ignored(cam_client):
    bucket = config.requests_bucket()
    for key in ("requests/other/x.json", "requests/cam-intents/not-a-uuid.json",
                f"requests/cam-intents/{str(uuid.uuid4()).upper()}.json", "designs/abc.json"):
        blobs.put(bucket, key, b"{}", "application/json")
        deliver(cam_client, key)
    # Nothing was claimed or created for any of them.
    scan = JobStore().table.client.scan(TableName=config.table_name())
    assert scan["Count"] == 0


def test_a_vanished_object_is_ignored(cam_client):
    job_id = str(uuid.uuid4())
    deliver(cam_client, intent_request_key(job_id))
    assert JobStore().get(job_id) is None


def test_garbage_bytes_fail_the_job_with_a_reason(cam_client):
    job_id = str(uuid.uuid4())
    key = intent_request_key(job_id)
    JobStore().create_pending(job_id, "cam_intent", key)
    blobs.put(config.requests_bucket(), key, b"\x00\xff not json", "application/json")
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "failed"
    assert "not valid JSON" in item["reason"]
    # A second delivery of the same poisoned object changes nothing and raises nothing.
    deliver(cam_client, key)
    assert job(job_id)["updated_at"] == item["updated_at"]


def test_garbage_promotion_without_a_record_still_ends_failed(cam_client):
    job_id = str(uuid.uuid4())
    key = promotion_request_key(job_id)
    blobs.put(config.requests_bucket(), key, b"<xml/>", "application/json")
    deliver(cam_client, key)
    item = job(job_id)
    assert item["kind"] == "cam_promotion" and item["status"] == "failed"
    assert "promote the session again" in item["reason"]


def test_promotion_with_the_wrong_schema_names_the_fields(cam_client):
    job_id = str(uuid.uuid4())
    key = promotion_request_key(job_id)
    JobStore().create_pending(job_id, "cam_promotion", key)
    blobs.put(config.requests_bucket(), key, json.dumps({"promotion_request_id": job_id, "status": 3}).encode(),
              "application/json")
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "failed"
    paths = {i["path"] for i in issues_of(item)}
    assert {"design_fingerprint", "intent_snapshot", "session_id"} <= paths
    assert "design_fingerprint" in item["reason"]


def test_design_snapshot_that_does_not_hash_to_its_fingerprint(cam_client):
    design = rosette()
    tampered = rosette(channel_depth_mm=2.5)  # valid, but not the design that was approved
    job_id, key = promote(design, design_bytes=tampered.model_dump_json().encode())
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "failed"
    assert "altered" in item["reason"]
    assert [i["code"] for i in issues_of(item)] == ["fingerprint_mismatch"]


def test_missing_design_snapshot(cam_client):
    design = rosette()
    request = promotion_request(design)
    bucket = config.requests_bucket()
    key = promotion_request_key(request.promotion_request_id)
    blobs.put_immutable(bucket, key, request.model_dump_json().encode())
    deliver(cam_client, key)
    item = job(request.promotion_request_id)
    assert item["status"] == "failed" and "design snapshot" in item["reason"] and "missing" in item["reason"]


def test_intent_snapshot_naming_another_design(cam_client):
    design = rosette()
    request = promotion_request(design)
    other = promotion_request(rosette(channel_depth_mm=2.0))
    forged = request.model_copy(update={"intent_snapshot": other.intent_snapshot})
    job_id, key = promote(design, request=forged)
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "failed"
    assert issues_of(item)[0]["path"] == "intent_snapshot.design_fingerprint"


def test_request_stored_under_another_id(cam_client):
    design = rosette()
    request = promotion_request(design)
    job_id = str(uuid.uuid4())
    key = promotion_request_key(job_id)
    blobs.put_immutable(config.requests_bucket(), key, request.model_dump_json().encode())
    deliver(cam_client, key)
    assert job(job_id)["status"] == "failed"
    assert issues_of(job(job_id))[0]["path"] == "promotion_request_id"


def test_channel_narrower_than_the_profile_bit(cam_client):
    narrow = rosette(outer_diameter_mm=94.0, inner_diameter_mm=90.0,
                     rings=[{"width_mm": 2.0, "pattern_type": "SOLID"}])
    job_id, key = promote(narrow, cam_profile_id="rosette-1-8-spruce-grbl")
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "failed"
    assert "3.175 mm bit of profile rosette-1-8-spruce-grbl does not fit the 2 mm channel" in item["reason"]
    assert "smaller-bit profile" in item["reason"]
    assert blobs.get_bytes(config.artifacts_bucket(), f"jobs/{job_id}/program.nc") is None


def test_unknown_profile_lists_the_choices(cam_client):
    job_id, key = promote(rosette(), cam_profile_id="no-such-profile")
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "failed"
    assert "no-such-profile" in item["reason"] and "rosette-1-16-spruce-grbl" in item["reason"]


def test_failed_feasibility_is_refused(cam_client):
    design = rosette()
    job_id, key = promote(design, request=promotion_request(design, passed=False))
    deliver(cam_client, key)
    assert "failed feasibility" in job(job_id)["reason"]
