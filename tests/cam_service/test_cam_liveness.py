"""No job stays `pending` or `processing`: dead workers, lost events, exhausted retries, user retries.

Time is moved with an injected clock (`jobs.default_clock`), the worker runs
through generated S3 events, the reconciler through its schedule handler, and
retries through the HTTP routes.
"""
from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from chalicelib import aws, config
from chalicelib.contracts.jobs import ATTEMPT_PREFIX
from chalicelib.rmos.cam import jobs, reconcile, worker
from chalicelib.storage import blobs
from tests.art_studio_support import approved_session
from tests.cam.truth import run_rs274

from .handoff import artifact_text, deliver, job, promote, rosette

CAM = "/api/rmos/cam"
ART = "/api/art/design-first-workflow"
PERIOD = reconcile.PERIOD_MINUTES * 60


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Killed(BaseException):
    """What Lambda does to a worker past its timeout or memory: nothing after it runs."""


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(jobs, "default_clock", fake)
    return fake


def run_reconciler(client) -> dict:
    result = client.lambda_.invoke("reconciler", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    return result.payload


def attempt_keys() -> list[str]:
    resp = aws.s3().list_objects_v2(Bucket=config.requests_bucket(), Prefix=ATTEMPT_PREFIX)
    return sorted(o["Key"] for o in resp.get("Contents", []))


def deliver_new_attempts(client, seen: set[str]) -> list[str]:
    """S3 delivers each new attempt object to the worker, as the trigger on requests/ does."""
    new = [k for k in attempt_keys() if k not in seen]
    for key in new:
        seen.add(key)
        deliver(client, key)
    return new


def kill_worker(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    runs: list[int] = []

    def dies(job_id, intent):
        runs.append(1)
        raise Killed()

    monkeypatch.setattr(worker, "_run", dies)
    return runs


def throttled(*args, **kwargs):
    raise ClientError({"Error": {"Code": "SlowDown", "Message": "reduce your request rate"},
                       "ResponseMetadata": {"HTTPStatusCode": 503}}, "PutObject")


def test_the_lease_is_derived_from_the_worker_timeout_and_shorter_than_lambdas_first_retry():
    stages = json.loads((config_path()).read_text())["stages"]
    for stage in stages.values():
        timeout = stage["lambda_functions"]["cam_worker"]["lambda_timeout"]
        assert int(stage["environment_variables"]["CAM_WORKER_TIMEOUT_SECONDS"]) == timeout
    assert jobs.lease_seconds() == config.cam_worker_timeout_seconds() + jobs.LEASE_MARGIN_SECONDS
    # Lambda retries a failed event about a minute after the failure; a timed-out worker's lease must be gone.
    assert jobs.lease_seconds() < config.cam_worker_timeout_seconds() + 60


def test_the_schedule_runs_at_the_reconcilers_period():
    from app import app

    [handler] = [h for h in app.event_sources if getattr(h, "name", "") == "reconciler"]
    assert handler.schedule_expression.to_string() == f"rate({reconcile.PERIOD_MINUTES} minutes)"


def config_path():
    import pathlib

    return pathlib.Path(__file__).resolve().parents[2] / ".chalice" / "config.json"


def test_a_timed_out_worker_is_completed_by_lambdas_retry(cam_client, clock, monkeypatch, tmp_path):
    job_id, key = promote(rosette())
    real_run = worker._run
    kill_worker(monkeypatch)
    with pytest.raises(Killed):
        deliver(cam_client, key)
    assert job(job_id)["status"] == "processing"
    monkeypatch.setattr(worker, "_run", real_run)
    # The worker hit its timeout; Lambda retries the event about a minute later.
    clock.now += config.cam_worker_timeout_seconds() + 60
    deliver(cam_client, key)
    item = job(job_id)
    assert item["status"] == "completed" and item["claims"] == 2
    run_rs274(artifact_text(job_id, "program.nc"), tmp_path)


def test_a_worker_killed_early_is_rerun_by_the_reconciler_within_lease_and_one_period(cam_client, clock,
                                                                                       monkeypatch, tmp_path):
    job_id, key = promote(rosette())
    started = clock.now
    real_run = worker._run
    kill_worker(monkeypatch)
    with pytest.raises(Killed):
        deliver(cam_client, key)  # out of memory after a few seconds
    monkeypatch.setattr(worker, "_run", real_run)
    # Lambda's retries (after about 1 and 3 minutes) land inside the lease and are duplicates.
    for delay in (60, 180):
        clock.now = started + delay
        deliver(cam_client, key)
        assert job(job_id)["status"] == "processing"
    seen: set[str] = set()
    # Each scheduled run until the lease expires leaves the live lease alone.
    clock.now = started + jobs.lease_seconds() - 1
    run_reconciler(cam_client)
    assert job(job_id)["status"] == "processing" and attempt_keys() == []
    clock.now = started + jobs.lease_seconds() + PERIOD
    summary = run_reconciler(cam_client)
    assert summary["jobs"]["redriven"] == [job_id]
    assert job(job_id)["status"] == "pending" and job(job_id)["attempt"] == 1
    assert deliver_new_attempts(cam_client, seen) == [f"{ATTEMPT_PREFIX}{job_id}/1.json"]
    assert job(job_id)["status"] == "completed"
    run_rs274(artifact_text(job_id, "program.nc"), tmp_path)


def test_a_job_whose_worker_always_dies_is_failed_with_a_reason(cam_client, clock, monkeypatch):
    job_id, key = promote(rosette())
    runs = kill_worker(monkeypatch)
    seen: set[str] = set()
    with pytest.raises(Killed):
        deliver(cam_client, key)
    for _ in range(jobs.MAX_CLAIMS + 2):
        clock.now += jobs.lease_seconds() + PERIOD
        run_reconciler(cam_client)
        for attempt in [k for k in attempt_keys() if k not in seen]:
            seen.add(attempt)
            with pytest.raises(Killed):
                deliver(cam_client, attempt)
        if job(job_id)["status"] == "failed":
            break
    item = job(job_id)
    assert item["status"] == "failed"
    assert len(runs) == jobs.MAX_CLAIMS
    assert "ran out of time or memory" in item["reason"] and "retry the job" in item["reason"]
    reply = cam_client.http.get(f"{CAM}/jobs/{job_id}")
    assert reply.json_body["issues"][0]["code"] == "gave_up"


def test_exhausted_transient_retries_are_redriven_by_the_reconciler(cam_client, clock, monkeypatch, tmp_path):
    job_id, key = promote(rosette())
    real_put = blobs.put
    monkeypatch.setattr(blobs, "put", throttled)
    for _ in range(3):  # the event and Lambda's two retries
        with pytest.raises(ClientError):
            deliver(cam_client, key)
    assert job(job_id)["status"] == "pending"
    monkeypatch.setattr(blobs, "put", real_put)
    clock.now += reconcile.PENDING_GRACE_SECONDS - 1
    run_reconciler(cam_client)
    assert attempt_keys() == []  # Lambda may still be retrying
    clock.now += PERIOD
    run_reconciler(cam_client)
    assert deliver_new_attempts(cam_client, set()) == [f"{ATTEMPT_PREFIX}{job_id}/1.json"]
    assert job(job_id)["status"] == "completed"
    run_rs274(artifact_text(job_id, "program.nc"), tmp_path)


def test_transient_errors_on_every_attempt_end_in_failed(cam_client, clock, monkeypatch):
    job_id, key = promote(rosette())
    monkeypatch.setattr(blobs, "put", throttled)
    seen: set[str] = set()
    with pytest.raises(ClientError):
        deliver(cam_client, key)
    for _ in range(jobs.MAX_CLAIMS + 2):
        clock.now += reconcile.PENDING_GRACE_SECONDS + PERIOD
        run_reconciler(cam_client)
        for attempt in [k for k in attempt_keys() if k not in seen]:
            seen.add(attempt)
            with pytest.raises(ClientError):
                deliver(cam_client, attempt)
        if job(job_id)["status"] == "failed":
            break
    item = job(job_id)
    assert item["status"] == "failed" and "retry the job" in item["reason"]


def test_a_lost_event_is_redriven(cam_client, clock):
    job_id, _ = promote(rosette())  # the S3 notification never arrives
    clock.now += reconcile.PENDING_GRACE_SECONDS + PERIOD
    run_reconciler(cam_client)
    deliver_new_attempts(cam_client, set())
    assert job(job_id)["status"] == "completed"


def test_a_job_no_worker_ever_picks_up_is_failed_not_redriven_forever(cam_client, clock):
    job_id, _ = promote(rosette())  # neither the event nor any attempt ever reaches a worker
    for _ in range(jobs.MAX_REDRIVES + 1):
        clock.now += reconcile.PENDING_GRACE_SECONDS + PERIOD
        run_reconciler(cam_client)
    item = job(job_id)
    assert item["status"] == "failed" and "no CAM worker picked it up" in item["reason"]
    assert len(attempt_keys()) == jobs.MAX_REDRIVES


def test_an_intent_interrupted_before_its_request_is_finished_by_a_retried_post(cam_client, clock, monkeypatch):
    intent = {"mode": "router_3axis", "units": "mm",
              "design": {"operation": "pocket", "depth_mm": 0.6,
                         "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 6.0}}}
    real = blobs.put_immutable

    def crash(*args, **kwargs):
        raise RuntimeError("the API Lambda died")

    monkeypatch.setattr(blobs, "put_immutable", crash)
    assert cam_client.http.post(f"{CAM}/intents", body=json.dumps(intent),
                                headers={"Content-Type": "application/json"}).status_code == 500
    monkeypatch.setattr(blobs, "put_immutable", real)
    again = cam_client.http.post(f"{CAM}/intents", body=json.dumps(intent),
                                 headers={"Content-Type": "application/json"})
    assert again.status_code == 200
    job_id = again.json_body["job"]["job_id"]
    key = job(job_id)["request_key"]
    assert blobs.exists(config.requests_bucket(), key)
    deliver(cam_client, key)
    assert job(job_id)["status"] == "completed"


def test_an_orphan_record_without_its_request_is_failed_by_the_reconciler(cam_client, clock, monkeypatch):
    intent = {"mode": "router_3axis",
              "design": {"operation": "pocket", "depth_mm": 0.6,
                         "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 5.0}}}

    def crash(*args, **kwargs):
        raise RuntimeError("the API Lambda died")

    real = blobs.put_immutable
    monkeypatch.setattr(blobs, "put_immutable", crash)
    cam_client.http.post(f"{CAM}/intents", body=json.dumps(intent), headers={"Content-Type": "application/json"})
    monkeypatch.setattr(blobs, "put_immutable", real)
    [item] = jobs.JobStore().list_status("pending", 10)
    clock.now += reconcile.PENDING_GRACE_SECONDS + PERIOD
    run_reconciler(cam_client)
    failed = job(str(item["job_id"]))
    assert failed["status"] == "failed" and "submit the intent again" in failed["reason"]


def test_an_event_lambda_gave_up_on_is_read_from_the_failure_queue(cam_client, clock):
    job_id, key = promote(rosette())
    sqs = aws.sqs()
    url = sqs.get_queue_url(QueueName=config.cam_worker_failures_queue())["QueueUrl"]
    event = cam_client.events.generate_s3_event(bucket=config.requests_bucket(), key=key)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": event, "responseContext": {"statusCode": 200}}))
    summary = run_reconciler(cam_client)  # no grace period: Lambda has already given up
    assert summary["jobs"]["failure_queue"]["messages"] == 1
    deliver_new_attempts(cam_client, set())
    assert job(job_id)["status"] == "completed"
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None


def test_no_job_outlives_lease_plus_one_period(cam_client, clock, monkeypatch):
    """Any mix of dead workers, throttling and lost events: every job ends within the bound."""
    dead, _ = promote(rosette())
    lost, _ = promote(rosette())
    throttled_job, throttled_key = promote(rosette())
    real_run, real_put = worker._run, blobs.put
    kill_worker(monkeypatch)
    with pytest.raises(Killed):
        deliver(cam_client, job(dead)["request_key"])
    monkeypatch.setattr(worker, "_run", real_run)
    monkeypatch.setattr(blobs, "put", throttled)
    with pytest.raises(ClientError):
        deliver(cam_client, throttled_key)
    monkeypatch.setattr(blobs, "put", real_put)
    start = clock.now
    seen: set[str] = set()
    while clock.now <= start + jobs.lease_seconds() + PERIOD:
        clock.now += PERIOD
        run_reconciler(cam_client)
        deliver_new_attempts(cam_client, seen)
    assert {job(j)["status"] for j in (dead, lost, throttled_job)} == {"completed"}


def test_a_failed_promotion_is_retried_through_the_api(cam_client, clock, monkeypatch, tmp_path):
    sid = approved_session(cam_client)["session_id"]
    first = cam_client.http.post(f"{ART}/sessions/{sid}/promote_to_cam")
    assert first.status_code == 201
    request = first.json_body["request"]
    rid = request["promotion_request_id"]
    assert request["status"] == "pending" and "attempts" not in request

    def storage_outage(*args, **kwargs):
        raise RuntimeError("simulated planner defect")

    real_run = worker._run
    monkeypatch.setattr(worker, "_run", storage_outage)
    deliver(cam_client, job(rid)["request_key"])
    monkeypatch.setattr(worker, "_run", real_run)

    again = cam_client.http.post(f"{ART}/sessions/{sid}/promote_to_cam")
    fetched = cam_client.http.get(f"{ART}/cam-promotion/requests/{rid}")
    assert again.status_code == 200 and again.json_body["request"]["status"] == "failed"
    assert fetched.json_body["status"] == "failed"

    retried = cam_client.http.post(f"{CAM}/jobs/{rid}/retry")
    assert retried.status_code == 202
    assert retried.json_body["job"]["status"] == "pending" and retried.json_body["job"]["attempt"] == 1
    assert [a["attempt"] for a in retried.json_body["attempts"]] == [1]
    assert deliver_new_attempts(cam_client, set()) == [f"{ATTEMPT_PREFIX}{rid}/1.json"]
    done = cam_client.http.get(f"{ART}/cam-promotion/requests/{rid}").json_body
    assert done["status"] == "completed"
    assert [a["attempt"] for a in done["attempts"]] == [1] and done["attempts"][0]["reason"] == "retry requested"
    # The request itself never changed.
    stored = json.loads(blobs.get_bytes(config.requests_bucket(), job(rid)["request_key"]))
    assert stored["status"] == "pending" and "attempts" not in stored
    run_rs274(artifact_text(rid, "program.nc"), tmp_path)

    refused = cam_client.http.post(f"{CAM}/jobs/{rid}/retry")
    assert refused.status_code == 409 and refused.json_body["code"] == "job_not_retryable"
    assert refused.json_body["details"][0]["path"] == "job_id"


def test_retry_refuses_jobs_that_are_not_failed_and_unknown_ids(cam_client):
    job_id, _ = promote(rosette())
    busy = cam_client.http.post(f"{CAM}/jobs/{job_id}/retry")
    assert busy.status_code == 409 and "still queued or running" in busy.json_body["message"]
    assert cam_client.http.post(f"{CAM}/jobs/00000000-0000-4000-8000-000000000000/retry").status_code == 404
    assert cam_client.http.post(f"{CAM}/jobs/not-a-uuid/retry").status_code == 404
    assert attempt_keys() == []


def test_the_local_stack_runs_the_reconciler_on_a_timer(cam_env, clock):
    from luthier.local.stack import start_reconciler

    job_id, _ = promote(rosette())
    clock.now += reconcile.PENDING_GRACE_SECONDS + 1
    stop = start_reconciler(0.05)
    try:
        deadline = time.monotonic() + 90
        while not attempt_keys() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop()
    assert attempt_keys() == [f"{ATTEMPT_PREFIX}{job_id}/1.json"], job(job_id)


def test_worker_logs_are_json_with_ids_and_emf_metrics(cam_client, capsys, tmp_path):
    import io
    import logging

    from chalicelib import logs

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("luthier_cam")
    level = logger.level
    logger.setLevel(logging.INFO)  # what logs.setup() does in Lambda
    logger.addHandler(handler)
    try:
        job_id, key = promote(rosette())
        deliver(cam_client, key)
        logger.getChild("test").info("a note", extra={"design": {"rings": []}, "auth_token": "secret-value"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    completed = [r for r in records if r["message"] == f"job {job_id} completed"]
    assert completed and completed[0]["job_id"] == job_id and completed[0]["promotion_request_id"] == job_id
    assert "secret-value" not in stream.getvalue() and "rings" not in stream.getvalue()
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emf = [doc for doc in printed if "_aws" in doc]
    names = {m["Name"] for doc in emf for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"JobsCompleted", "JobDuration"} <= names
    duration = next(doc for doc in emf if "JobDuration" in doc)
    assert duration["JobDuration"] >= 0 and duration["kind"] == "cam_promotion"


def test_api_logs_carry_the_request_and_session_ids(cam_client):
    import io
    import logging

    from chalicelib import logs

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("luthier_cam")
    level = logger.level
    logger.setLevel(logging.INFO)  # what logs.setup() does in Lambda
    logger.addHandler(handler)
    try:
        sid = approved_session(cam_client)["session_id"]
        for _ in range(2):  # the repeat logs "promotion request reused"
            cam_client.http.post(f"{ART}/sessions/{sid}/promote_to_cam")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    reused = [json.loads(line) for line in stream.getvalue().splitlines() if "reused" in line]
    assert reused and reused[0]["session_id"] == sid and reused[0]["api_request_id"]
