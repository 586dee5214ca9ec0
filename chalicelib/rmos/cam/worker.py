"""The CAM worker: one S3 ObjectCreated record under requests/ in, artifacts out.

`handle_object(bucket, key)` is called by `app.cam_worker` for every record.
Its contract with Lambda's retries:

* A key outside our layout, or an object that is gone, is logged and ignored.
* An attempt object (`requests/attempts/{job_id}/{n}.json`, written by the
  reconciler or a user's retry) runs the job's original request again.
* Duplicate deliveries are settled by the job claim: only the worker holding
  the lease plans and writes artifacts; the others return quietly.
* Anything a person must fix (bad JSON, wrong schema, fingerprints that do not
  agree, an infeasible intent) ends the job `failed` with a reason, and the
  invocation returns normally, so a poisoned object is never retried forever.
* A transient AWS error (throttling, 5xx, a dropped connection) releases the
  lease back to `pending` and is re-raised, so Lambda's retry claims the job
  at once and runs it again. A job claimed more than `jobs.MAX_CLAIMS` times
  (its worker keeps dying or erring) is failed instead of run again. Artifacts are plain overwrites of deterministic
  output, and `completed` is written only after all three exist and the
  program holds real cutting moves.
"""
from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from chalicelib import config, logs
from chalicelib.contracts.errors import Issue
from chalicelib.contracts.jobs import JobKind, artifact_key, parse_attempt_key, parse_request_key
from chalicelib.rmos.cam.jobs import MAX_CLAIMS, JobBusy, JobFinished, JobStore, Lease, LeaseLost
from chalicelib.rmos.cam.promotion_job import PromotionRejected, intent_for_request
from chalicelib.rmos.cam.toolpath import PlanningError
from chalicelib.rmos.cam.work import WorkTooLarge
from chalicelib.storage import blobs

log = logging.getLogger("luthier_cam.worker")

PROGRAM = "program.nc"
REPORT = "report.json"
PREVIEW = "preview.svg"
ARTIFACT_TYPES = {PROGRAM: "text/plain; charset=us-ascii", REPORT: "application/json",
                  PREVIEW: "image/svg+xml"}
MAX_REASON_CHARS = 1500

_THROTTLING = {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
               "RequestThrottledException", "TooManyRequestsException", "ProvisionedThroughputExceededException",
               "RequestLimitExceeded", "SlowDown", "TransactionInProgressException", "LimitExceededException",
               "InternalError", "InternalServerError", "ServiceUnavailable", "RequestTimeout",
               "RequestTimeoutException", "PriorRequestNotComplete"}
_CUTTING_WORD = re.compile(r"(?<![A-Z0-9.])G0*[123](?![0-9.])", re.IGNORECASE)


class JobInputError(Exception):
    """The stored handoff cannot be read as a job; `reason` says what to do."""

    def __init__(self, reason: str, issues: list[Issue]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.issues = issues


def is_transient(exc: BaseException) -> bool:
    """Would the same call plausibly succeed if Lambda ran it again shortly?"""
    from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, HTTPClientError

    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return True
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return error.get("Code") in _THROTTLING or int(status) >= 500 or int(status) == 429
    return False


def gave_up_reason(claims: int) -> str:
    return (f"the CAM worker was started {claims} times and never finished (it ran out of time or memory, "
            "or AWS kept failing); the job is probably too large: simplify the design or split the intent, "
            "then retry the job")


def _request_of(store: JobStore, bucket: str, key: str) -> tuple[JobKind, str, str] | None:
    """(kind, job_id, request key) of a request or attempt object; None if it is neither."""
    parsed = parse_request_key(key)
    if parsed is not None:
        return parsed[0], parsed[1], key
    attempt = parse_attempt_key(key)
    if attempt is None:
        return None
    item = store.get(attempt[0])
    if item is None or item.get("kind") not in ("cam_promotion", "cam_intent"):
        log.warning("ignoring attempt s3://%s/%s: no job record", bucket, key)
        return None
    kind: JobKind = "cam_promotion" if item["kind"] == "cam_promotion" else "cam_intent"
    return kind, attempt[0], str(item["request_key"])


def handle_object(bucket: str, key: str, store: JobStore | None = None) -> str | None:
    """Process one handoff; returns the job's final status, or None when nothing was done."""
    store = store or JobStore()
    found = _request_of(store, bucket, key)
    if found is None:
        log.info("ignoring s3://%s/%s: not a CAM request key", bucket, key)
        return None
    kind, job_id, request_key = found
    with logs.bound(job_id=job_id, promotion_request_id=job_id if kind == "cam_promotion" else None):
        return _handle(store, bucket, key, kind, job_id, request_key)


def _handle(store: JobStore, bucket: str, key: str, kind: JobKind, job_id: str, request_key: str) -> str | None:
    raw = blobs.get_bytes(bucket, request_key)
    if raw is None:
        log.warning("ignoring s3://%s/%s: the object no longer exists", bucket, request_key)
        return None
    # The handoff can land before (or without) its record; creating it is a no-op if it exists.
    store.create_pending(job_id, kind, request_key)
    try:
        lease = store.claim(job_id)
    except (JobBusy, JobFinished) as exc:
        log.info("job %s: duplicate delivery ignored (%s)", job_id, exc)
        return None
    claims = lease.item.get("claims")
    if isinstance(claims, int) and claims > MAX_CLAIMS:
        return _fail(store, lease, gave_up_reason(claims - 1), [Issue("gave_up", "too many attempts", "")])

    started = time.monotonic()
    try:
        intent = _intent(bucket, kind, job_id, raw)
        result = _run(job_id, intent)
        store.complete(lease, result)
        log.info("job %s completed", job_id, extra={"trigger": key})
        logs.metric("JobsCompleted", 1, kind=kind)
        logs.metric("JobDuration", round((time.monotonic() - started) * 1000), "Milliseconds", kind=kind)
        return "completed"
    except LeaseLost as exc:
        log.warning("job %s: lease lost before the job ended (%s)", job_id, exc)
        return None
    except PromotionRejected as exc:
        return _fail(store, lease, exc.reason, exc.issues)
    except JobInputError as exc:
        return _fail(store, lease, exc.reason, exc.issues)
    except PlanningError as exc:
        return _fail(store, lease, f"the intent cannot be planned: {exc}", exc.issues)
    except WorkTooLarge as exc:
        return _fail(store, lease, exc.message, exc.issues)
    except Exception as exc:
        if is_transient(exc):
            _release(store, lease, exc)
            raise
        # A defect, not bad input: a retry would fail the same way, so end the job visibly.
        log.exception("job %s: unexpected error", job_id)
        return _fail(store, lease, f"internal error while planning ({type(exc).__name__}); "
                                   f"report job {job_id} to the CAM operators",
                     [Issue("internal_error", type(exc).__name__, "")])


def _intent(bucket: str, kind: str, job_id: str, raw: bytes) -> dict[str, Any]:
    if kind == "cam_promotion":
        return intent_for_request(raw, lambda k: blobs.get_bytes(bucket, k), job_id)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise JobInputError("the stored intent is not valid JSON; submit the intent again",
                            [Issue("malformed_json", "not valid JSON", "body")]) from None
    if not isinstance(data, dict):
        raise JobInputError("the stored intent is not a JSON object; submit a CamIntentV1 object",
                            [Issue("invalid_value", "expected an object", "body")])
    return data


def _run(job_id: str, intent: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.rmos.cam import pipeline  # shapely loads only where planning happens
    from chalicelib.rmos.cam.prepare import prepare

    plan = pipeline.plan_intent(prepare(intent))
    program = plan.program or ""
    if not program.strip() or not _CUTTING_WORD.search(program):
        raise JobInputError("the planner produced no cutting moves; check the design's geometry and depths",
                            [Issue("empty_program", "no G1/G2/G3 moves", "design")])
    bodies = {
        REPORT: json.dumps(plan.report, sort_keys=True, indent=1).encode(),
        PREVIEW: plan.preview_svg.encode(),
        PROGRAM: program.encode("ascii", errors="strict"),
    }
    bucket = config.artifacts_bucket()
    keys = {}
    for name in (REPORT, PREVIEW, PROGRAM):  # the program last: its presence means the set is whole
        keys[name] = artifact_key(job_id, name)
        blobs.put(bucket, keys[name], bodies[name], ARTIFACT_TYPES[name])
    report = plan.report or {}
    return {"artifacts": keys, "post": plan.post, "units": plan.units,
            "totals": report.get("totals"), "warnings": len(report.get("warnings") or [])}


def _fail(store: JobStore, lease: Lease, reason: str, issues: list[Issue]) -> str | None:
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[:MAX_REASON_CHARS - 3] + "..."
    try:
        store.fail(lease.job_id, reason, {"issues": [i.model_dump() for i in issues]}, lease=lease)
    except LeaseLost as exc:
        log.warning("job %s: lease lost before recording failure (%s)", lease.job_id, exc)
        return None
    log.info("job %s failed: %s", lease.job_id, reason)
    logs.metric("JobsFailed", 1, kind=str(lease.item.get("kind") or "unknown"))
    return "failed"


def _release(store: JobStore, lease: Lease, exc: BaseException) -> None:
    try:
        store.release(lease, f"retrying after a transient AWS error ({type(exc).__name__})")
    except Exception:
        # The lease then simply expires (jobs.LEASE_SECONDS) and a later delivery re-claims it.
        log.exception("job %s: could not release the lease", lease.job_id)
