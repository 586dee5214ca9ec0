"""CAM routes (prefix /api/rmos/cam): submit, validate and preview intents; read jobs.

Handlers stay thin: parse, call the job store or the pipeline, shape the reply.
The planning pipeline (and with it shapely/numpy) is imported inside the
handlers that plan or validate, so a cold start serving GET /jobs stays light.

POST /intents stores in this order: intent index -> job record -> request
object. The request object is written last because its arrival starts the
worker; a crash before it leaves a `pending` record that a repeat of the same
intent repairs.
"""
from __future__ import annotations

import json
import math
import uuid
from typing import Any

from chalice import Blueprint

from chalicelib import config
from chalicelib.contracts.errors import Issue
from chalicelib.contracts.fingerprint import canonical_json, fingerprint
from chalicelib.contracts.jobs import intent_request_key, job_readers
from chalicelib import auth
from chalicelib.http import (NO_OWNER, DEFAULT_MAX_BODY_BYTES, ApiError, api_route, authorize, invalid, json_body,
                             json_response, principal, uuid_param)
from chalicelib.rmos.cam import attempts
from chalicelib.rmos.cam.jobs import JobNotFound, JobStore, result_of, utc_now
from chalicelib.storage import blobs
from chalicelib.storage.table import Item

bp = Blueprint(__name__)

ARTIFACT_NAMES = ("program.nc", "report.json", "preview.svg")
PLAN_MAX_BODY_BYTES = 256 * 1024
# What a synchronous preview may take on, by the planner's own estimate, so
# it answers well inside API Gateway's 29 s; planning itself also stops at
# PLAN_BUDGET_SECONDS. docs/cam-service.md documents both.
PLAN_MAX_MOVES = 200_000
PLAN_BUDGET_SECONDS = 10.0
SUBMIT_INSTEAD = ("submit it with POST /api/rmos/cam/intents and download the result from "
                  "GET /api/rmos/cam/jobs/{job_id}")
MAX_INTENT_ID_CHARS = 200


def _invalid(issues: list[Issue], code: str = "validation_error") -> ApiError:
    # An issue about the whole intent has no field; the API names it "body".
    return invalid([i if i.path else i.model_copy(update={"path": "body"}) for i in issues], code)


def _intent_body(max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Any:
    """The JSON body; NaN/Infinity become a 422 naming their fields, not a 400.

    A caller who sends `"depth_mm": NaN` wrote a well-formed document with a
    bad value in a known place, and deserves to be told which place.
    """
    request = bp.current_request
    try:
        return json_body(request, max_bytes=max_bytes)
    except ApiError as exc:
        if exc.code != "malformed_json":
            raise
        try:
            loose = json.loads(request.raw_body)
            found = _non_finite_paths(loose)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise exc from None
    raise invalid([Issue("finite_number", "must be a finite number (NaN and Infinity are not allowed)", path)
                   for path in found])


def _non_finite_paths(value: Any, path: str = "") -> list[str]:
    if isinstance(value, float) and not math.isfinite(value):
        return [path or "body"]
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    found = []
    for key, child in items:
        found.extend(_non_finite_paths(child, f"{path}.{key}" if path else str(key)))
    return found


def _validated(body: Any) -> Any:
    """The PreparedIntent of a body that must be a valid CamIntentV1, ready to plan."""
    from chalicelib.rmos.cam.prepare import prepare

    if not isinstance(body, dict):
        raise invalid([Issue("invalid_value", "expected an object", "body")])
    prepared = prepare(body)
    if not prepared.ok or prepared.intent is None:
        raise _invalid(prepared.issues)
    assert prepared.intent is not None
    intent_id = prepared.intent.intent_id
    if intent_id is not None and not 0 < len(intent_id) <= MAX_INTENT_ID_CHARS:
        raise invalid([Issue("invalid_value", f"intent_id must be 1 to {MAX_INTENT_ID_CHARS} characters",
                             "intent_id")])
    return prepared


def job_view(item: Item, links: bool = True) -> dict[str, Any]:
    """The job as the API shows it; reports and links only once it completed (links only if `links`)."""
    job_id = str(item["job_id"])
    result = result_of(item)
    report = None
    downloads: dict[str, str] = {}
    if item.get("status") == "completed":
        artifacts = result.get("artifacts") or {}
        bucket = config.artifacts_bucket()
        if artifacts.get("report.json"):
            report = blobs.get_json(bucket, artifacts["report.json"])
        for name in ARTIFACT_NAMES:
            if links and artifacts.get(name):
                downloads[name] = blobs.presigned_get(bucket, artifacts[name], filename=f"cam-{job_id[:8]}-{name}")
    return {
        "job_id": job_id, "kind": item.get("kind"), "status": item.get("status"),
        "reason": item.get("reason"), "issues": result.get("issues") or [],
        "intent_id": item.get("intent_id"), "attempt": item.get("attempt") or 0,
        "created_at": item.get("created_at"), "updated_at": item.get("updated_at"),
        "report": report, "downloads": downloads, "owner_sub": item.get("owner_sub"),
    }


def _may_download(item: Item) -> bool:
    owner = item.get("owner_sub")
    return auth.decide(principal(), "job.download", str(owner) if owner else NO_OWNER,
                       shared_with=job_readers(item)).allowed


def _stored_intent(intent: Any) -> bytes:
    doc = intent.model_dump(mode="json")
    if doc.get("created_at_utc") is None:
        doc["created_at_utc"] = utc_now()
    return canonical_json(doc)


def _resume(store: JobStore, job_id: str, body: bytes) -> Item:
    """A repeat of a submitted intent: finish whatever a crashed first call left undone."""
    key = intent_request_key(job_id)
    item = store.get(job_id) or store.create_pending(job_id, "cam_intent", key)
    if item.get("status") == "pending" and not blobs.exists(config.requests_bucket(), key):
        blobs.put_immutable(config.requests_bucket(), key, body)
    return item


@api_route(bp, "/intents", methods=["POST"], action="intent.submit")
def submit_intent() -> Any:
    from chalicelib.rmos.cam import work
    from chalicelib.rmos.cam.prepare import require_within

    prepared = _validated(_intent_body())
    # Refused now rather than failed by the worker: the same estimate, the job's limit.
    require_within(prepared, work.JOB_PLANNING_SECONDS, "a job")
    intent = prepared.intent
    store = JobStore()
    body = _stored_intent(intent)
    job_id = str(uuid.uuid4())
    payload = fingerprint(intent.model_dump(mode="json", exclude={"created_at_utc"}))
    # intent ids are the integrator's own names: one integrator's cannot collide with another's.
    # Without an intent_id the payload is the key, so a POST retried after a lost reply
    # finds the first job instead of leaving it orphaned beside a second one.
    owner = principal().sub
    binding = (store.bind_intent(f"{owner}:{intent.intent_id}", payload, job_id) if intent.intent_id is not None
               else store.bind_payload(f"{owner}:{payload}", job_id))
    if not binding.created:
        return json_response({"job": job_view(_resume(store, binding.job_id, body))}, 200)
    key = intent_request_key(job_id)
    item = store.create_pending(job_id, "cam_intent", key, intent_id=intent.intent_id, owner_sub=principal().sub)
    blobs.put_immutable(config.requests_bucket(), key, body)
    return json_response({"job": job_view(item)}, 202)


@api_route(bp, "/intents/validate", methods=["POST"], action="intent.validate")
def validate_intent() -> Any:
    try:
        body = _intent_body()
    except ApiError as exc:
        if exc.status != 422:
            raise
        return {"ok": False, "normalized": None, "issues": [d.model_dump() for d in exc.details]}
    from chalicelib.rmos.cam import pipeline
    from chalicelib.rmos.cam.prepare import prepare

    if not isinstance(body, dict):
        return {"ok": False, "normalized": None,
                "issues": [Issue("invalid_value", "expected a JSON object", "body").model_dump()]}
    outcome = pipeline.validate_intent(prepare(body))
    return {"ok": bool(outcome.ok), "issues": [i.model_dump() for i in outcome.issues],
            "normalized": outcome.normalized}


@api_route(bp, "/plan", methods=["POST"], action="plan")
def plan_preview() -> Any:
    body = _intent_body(PLAN_MAX_BODY_BYTES)
    from chalicelib.rmos.cam import pipeline, work
    from chalicelib.rmos.cam.prepare import estimate, require_within
    from chalicelib.rmos.cam.toolpath import PlanningError

    prepared = _validated(body)
    require_within(prepared, work.JOB_PLANNING_SECONDS, "a job")
    found = estimate(prepared)
    if found.moves > PLAN_MAX_MOVES:
        raise _too_large_for_preview(found, f"about {found.moves} moves; the limit is {PLAN_MAX_MOVES}")
    if found.seconds > PLAN_BUDGET_SECONDS:
        raise _too_large_for_preview(found, f"about {found.seconds:.1f} s of planning; the limit is "
                                            f"{PLAN_BUDGET_SECONDS:g} s")
    try:
        plan = pipeline.plan_intent(prepared, deadline=work.Deadline(PLAN_BUDGET_SECONDS, "the preview budget"))
    except PlanningError as exc:
        raise _invalid(exc.issues, "intent_rejected") from None
    except work.DeadlinePassed:
        raise _too_large_for_preview(found, f"planning passed the {PLAN_BUDGET_SECONDS:g} s preview budget") \
            from None
    return {"program": plan.program, "report": plan.report, "preview_svg": plan.preview_svg,
            "post": plan.post, "units": plan.units}


def _too_large_for_preview(found: Any, detail: str) -> ApiError:
    return ApiError(413, "too_large_for_preview",
                    f"this job is too large for a synchronous preview ({found.describe()}); {SUBMIT_INSTEAD}",
                    [Issue("too_large_for_preview", detail, "design")])


def _job_for(raw_id: str, action: str) -> Item:
    """The job record, if the caller may take `action` on it (else 403 / 404 from the policy)."""
    job_id = uuid_param(raw_id, "job", "job_id")
    item = JobStore().get(job_id)
    if item is None:
        raise JobNotFound(job_id)
    owner = item.get("owner_sub")
    authorize(action, str(owner) if owner else None, job_readers(item))
    return item


@api_route(bp, "/jobs/{job_id}", methods=["GET"], action="job.read")
def get_job(job_id: str) -> Any:
    item = _job_for(job_id, "job.read")
    return job_view(item, links=_may_download(item))


@api_route(bp, "/jobs/{job_id}/retry", methods=["POST"], action="job.retry")
def retry_job(job_id: str) -> Any:
    current = _job_for(job_id, "job.retry")
    item = attempts.retry(str(current["job_id"]))
    return json_response({"job": job_view(item, links=_may_download(item)),
                          "attempts": attempts.listed(str(current["job_id"]))}, 202)


@api_route(bp, "/profiles", methods=["GET"], action="profiles.read")
def list_profiles() -> Any:
    from chalicelib.rmos.cam import profiles

    return profiles.public_profiles()
