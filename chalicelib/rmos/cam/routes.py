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
from chalicelib.contracts.fingerprint import canonical_json, fingerprint
from chalicelib.contracts.jobs import intent_request_key
from chalicelib.http import DEFAULT_MAX_BODY_BYTES, ApiError, api_route, conflict, json_body, json_response, not_found, uuid_param
from chalicelib.rmos.cam.jobs import IntentConflict, JobStore, result_of, utc_now
from chalicelib.storage import blobs
from chalicelib.storage.table import Item

bp = Blueprint(__name__)

ARTIFACT_NAMES = ("program.nc", "report.json", "preview.svg")
PLAN_MAX_BODY_BYTES = 256 * 1024
# Estimated moves (segments x rings x depth passes) a synchronous preview may plan.
PLAN_MAX_MOVES = 200_000
MAX_INTENT_ID_CHARS = 200
INCH_MM = 25.4


def _issue_details(issues: list[Any]) -> list[dict[str, str]]:
    details = []
    for issue in issues:
        data = issue.as_dict() if hasattr(issue, "as_dict") else dict(issue)
        path = data.get("path") or "body"
        details.append({"field": path, "path": path, "message": data.get("message", ""),
                        "code": data.get("code", "invalid")})
    return details


def _invalid(issues: list[Any], code: str = "validation_error") -> ApiError:
    details = _issue_details(issues)
    fields = ", ".join(sorted({d["field"] for d in details})) or "body"
    return ApiError(422, code, f"invalid fields: {fields}", details)


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
        except (ValueError, UnicodeDecodeError):
            raise exc from None
    details = [{"field": path, "path": path, "code": "finite_number",
                "message": "must be a finite number (NaN and Infinity are not allowed)"}
               for path in _non_finite_paths(loose)]
    raise ApiError(422, "validation_error", "invalid fields: " + ", ".join(d["field"] for d in details), details)


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
    """The pipeline's ValidationOutcome for a body that must be a valid CamIntentV1."""
    from chalicelib.rmos.cam import pipeline

    if not isinstance(body, dict):
        raise ApiError(422, "validation_error", "request body must be a JSON object",
                       [{"field": "body", "path": "body", "message": "expected an object", "code": "type_error"}])
    outcome = pipeline.validate_intent(body)
    if not outcome.ok or outcome.intent is None:
        raise _invalid(outcome.issues)
    intent_id = outcome.intent.intent_id
    if intent_id is not None and not 0 < len(intent_id) <= MAX_INTENT_ID_CHARS:
        raise ApiError(422, "validation_error", "invalid fields: intent_id",
                       [{"field": "intent_id", "path": "intent_id", "code": "string_length",
                         "message": f"intent_id must be 1 to {MAX_INTENT_ID_CHARS} characters"}])
    return outcome


def job_view(item: Item) -> dict[str, Any]:
    """The job as the API shows it; reports and links only once it completed."""
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
            if artifacts.get(name):
                downloads[name] = blobs.presigned_get(bucket, artifacts[name], filename=f"cam-{job_id[:8]}-{name}")
    return {
        "job_id": job_id, "kind": item.get("kind"), "status": item.get("status"),
        "reason": item.get("reason"), "issues": result.get("issues") or [],
        "intent_id": item.get("intent_id"),
        "created_at": item.get("created_at"), "updated_at": item.get("updated_at"),
        "report": report, "downloads": downloads,
    }


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


@api_route(bp, "/intents", methods=["POST"])
def submit_intent() -> Any:
    outcome = _validated(_intent_body())
    intent = outcome.intent
    store = JobStore()
    body = _stored_intent(intent)
    job_id = str(uuid.uuid4())
    if intent.intent_id is not None:
        payload = fingerprint(intent.model_dump(mode="json", exclude={"created_at_utc"}))
        try:
            binding = store.bind_intent(intent.intent_id, payload, job_id)
        except IntentConflict as exc:
            raise conflict("intent_conflict", f"intent_id {intent.intent_id!r} was already submitted with a "
                           "different payload; use a new intent_id for a new job",
                           {"field": "intent_id", "job_id": exc.job_id}) from None
        if not binding.created:
            return json_response({"job": job_view(_resume(store, binding.job_id, body))}, 200)
    key = intent_request_key(job_id)
    item = store.create_pending(job_id, "cam_intent", key, intent_id=intent.intent_id)
    blobs.put_immutable(config.requests_bucket(), key, body)
    return json_response({"job": job_view(item)}, 202)


@api_route(bp, "/intents/validate", methods=["POST"])
def validate_intent() -> Any:
    try:
        body = _intent_body()
    except ApiError as exc:
        if exc.status != 422:
            raise
        return {"ok": False, "normalized": None,
                "issues": [{"code": d["code"], "message": d["message"], "path": d["path"]} for d in exc.details]}
    from chalicelib.rmos.cam import pipeline

    if not isinstance(body, dict):
        return {"ok": False, "normalized": None,
                "issues": [{"code": "type_error", "message": "expected a JSON object", "path": "body"}]}
    outcome = pipeline.validate_intent(body)
    return {"ok": bool(outcome.ok), "issues": [i.as_dict() for i in outcome.issues],
            "normalized": outcome.normalized}


@api_route(bp, "/plan", methods=["POST"])
def plan_preview() -> Any:
    body = _intent_body(PLAN_MAX_BODY_BYTES)
    from chalicelib.rmos.cam import pipeline, profiles
    from chalicelib.rmos.cam.toolpath import PlanningError

    outcome = _validated(body)
    intent = outcome.intent
    try:
        cut = profiles.resolve(intent).cut
    except profiles.ProfileError as exc:
        raise ApiError(422, "unknown_profile", str(exc),
                       [{"field": "tool_id", "path": "tool_id", "message": str(exc), "code": "unknown_profile"}]) from None
    scale = INCH_MM if intent.units == "inch" else 1.0
    moves = estimate_moves(intent.design, cut.stepover_mm, cut.stepdown_mm, scale)
    if moves > PLAN_MAX_MOVES:
        raise ApiError(413, "too_large_for_preview",
                       f"this job is too large for a synchronous preview (about {moves} moves, limit "
                       f"{PLAN_MAX_MOVES}); submit it with POST /api/rmos/cam/intents and download the "
                       "result from GET /api/rmos/cam/jobs/{job_id}",
                       {"estimated_moves": moves, "limit": PLAN_MAX_MOVES})
    try:
        plan = pipeline.plan_intent(intent)
    except PlanningError as exc:
        raise _invalid(exc.issues, "intent_rejected") from None
    return {"program": plan.program, "report": plan.report, "preview_svg": plan.preview_svg,
            "post": plan.post, "units": plan.units}


@api_route(bp, "/jobs/{job_id}", methods=["GET"])
def get_job(job_id: str) -> Any:
    job_id = uuid_param(job_id, "job", "job_id")
    item = JobStore().get(job_id)
    if item is None:
        raise not_found("job", job_id, "job_id")
    return job_view(item)


@api_route(bp, "/profiles", methods=["GET"])
def list_profiles() -> Any:
    from chalicelib.rmos.cam import profiles

    return profiles.public_profiles()


# -- preview work estimate ------------------------------------------------------

def _num(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _geometry_size(geom: dict[str, Any], scale: float) -> tuple[int, float]:
    """(path segments per ring, how far rings step inwards) of a geometry, in mm."""
    kind = geom.get("type")
    if kind == "circle":
        return 1, _num(geom.get("radius_mm")) * scale
    if kind == "annulus":
        return 1, (_num(geom.get("outer_radius_mm")) - _num(geom.get("inner_radius_mm"))) * scale
    points = [p for p in geom.get("points") or [] if isinstance(p, (list, tuple)) and len(p) >= 2]
    islands = [i for i in geom.get("islands") or [] if isinstance(i, (list, tuple))]
    segments = len(points) + sum(len(i) for i in islands)
    if not points:
        return segments, 0.0
    xs = [_num(p[0]) for p in points]
    ys = [_num(p[1]) for p in points]
    return segments, min(max(xs) - min(xs), max(ys) - min(ys)) / 2 * scale


def estimate_moves(design: Any, stepover_mm: float, stepdown_mm: float, scale: float = 1.0) -> int:
    """A cheap upper-bound-ish count of the moves planning would emit.

    Vertex count times offset rings times depth passes is what blows up on big
    polylines; catching it here keeps the synchronous route inside API
    Gateway's time limit without planning anything.
    """
    if not isinstance(design, dict):
        return 0
    stepover = max(stepover_mm, 0.01)
    stepdown = max(stepdown_mm, 0.01)
    if "cuts" in design:  # saw
        depth = max((_num(c.get("depth_mm")) for c in design["cuts"] if isinstance(c, dict)), default=0.0)
        return len(design["cuts"]) * max(1, math.ceil(depth * scale / stepdown)) * 4
    ops = design.get("operations")
    ops = ops if isinstance(ops, list) else [design]
    total = 0
    for op in ops:
        if not isinstance(op, dict):
            continue
        passes = max(1, math.ceil(_num(op.get("depth_mm")) * scale / stepdown))
        if op.get("operation") == "drill":
            holes = op.get("holes") or []
            peck = _num(op.get("peck_mm")) * scale or _num(op.get("depth_mm")) * scale or 1.0
            total += len(holes) * max(1, math.ceil(_num(op.get("depth_mm")) * scale / peck)) * 3
            continue
        segments, extent = _geometry_size(op.get("geometry") or {}, scale)
        rings = 2 if op.get("operation") == "profile" else max(1, math.ceil(extent / stepover))
        total += max(segments, 1) * rings * passes
    return total
