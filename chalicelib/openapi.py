"""The OpenAPI 3.1 document of both APIs, built from the pydantic contracts.

`OPERATIONS` is the one list of routes the document describes; a test holds it
to the routes Chalice registers, so a route cannot ship undocumented and the
document cannot describe a route that is gone. Schemas come from the models
themselves (`models_json_schema`), so a contract change reaches the document
without anyone editing it. Request bodies use each model's validation schema
and responses its serialisation schema, because that is what crosses the wire
in each direction.
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.art_studio.routes import (MAX_BODY_BYTES as ART_MAX_BODY_BYTES, CreateSessionBody, ExportBody,
                                          DrawingsView, FeasibilityBody, SessionView, TransitionBody,
                                          UpdateDesignBody)
from chalicelib.contracts import api_views as views
from chalicelib.contracts.cam_intent import CamIntentV1
from chalicelib.contracts.drawing_import import (IMPORT_MAX_BODY_BYTES, DxfImportBody, ImportedGeometryView,
                                                 SvgImportBody)
from chalicelib.contracts.errors import ErrorBody
from chalicelib.contracts.promotion import PromotionIntentV1
from chalicelib.contracts.rosette import FeasibilitySummaryV1
from chalicelib.http import DEFAULT_MAX_BODY_BYTES
from chalicelib.rmos.cam.routes import PLAN_MAX_BODY_BYTES

TITLE = "Luthier CAM Bridge API"
VERSION = "1.0.0"
ART = "/api/art/design-first-workflow"
CAM = "/api/rmos/cam"
OPENAPI_PATH = "/api/openapi.json"
HEALTH_PATH = "/api/health"
REF = "#/components/schemas/{model}"


ERROR = ErrorBody
STATUS_TEXT = {
    200: "OK", 201: "Created", 202: "Accepted: the job is queued", 204: "Deleted",
    400: "Malformed JSON or an empty body where one is required",
    401: "No bearer token, or one that is invalid or expired",
    403: "The token's roles do not allow this",
    404: "No such resource",
    409: "Conflicts with the resource's current state or version",
    413: "The body, or the work it asks for, is over the limit",
    415: "The body is not application/json",
    422: "Well-formed but invalid; `details` names every offending field",
    503: "The user pool's signing keys cannot be fetched right now; retry",
}
# Chalice refuses a request whose Content-Type the route does not accept before
# any handler runs, so every route, even a GET, can answer 415.
COMMON = {415: ERROR}
# A secured route may also answer 404 for another owner's resource, which the
# routes with an id already list.
SECURED = {401: ERROR, 403: ERROR, 503: ERROR}


def _uuid_param(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": f"The {what}'s id (a UUID).",
            "schema": {"type": "string", "format": "uuid"}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


SESSION_ID = _uuid_param("session_id", "session")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    responses: dict[int, type[BaseModel] | None]
    body: type[BaseModel] | None = None
    body_required: bool = True
    max_body_bytes: int | None = None
    parameters: tuple[dict[str, Any], ...] = ()
    secured: bool = True
    tag: str = ""


def _art(method: str, path: str, operation_id: str, summary: str, responses: dict[int, Any],
         **kwargs: Any) -> Operation:
    if kwargs.get("body") is not None:
        kwargs.setdefault("max_body_bytes", ART_MAX_BODY_BYTES)
    return Operation(method, ART + path, operation_id, summary, responses, tag="art-studio", **kwargs)


def _cam(method: str, path: str, operation_id: str, summary: str, responses: dict[int, Any],
         **kwargs: Any) -> Operation:
    if kwargs.get("body") is not None:
        kwargs.setdefault("max_body_bytes", DEFAULT_MAX_BODY_BYTES)
    return Operation(method, CAM + path, operation_id, summary, responses, tag="cam", **kwargs)


BODY_ERRORS = {400: ERROR, 413: ERROR, 422: ERROR}

OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", HEALTH_PATH, "health", "Liveness probe", {200: views.HealthView}, secured=False, tag="meta"),
    Operation("GET", OPENAPI_PATH, "openapi", "This document", {200: None}, secured=False, tag="meta"),

    _art("POST", "/sessions", "create_session", "Start a draft session from a design",
         {201: SessionView, **BODY_ERRORS}, body=CreateSessionBody),
    _art("GET", "/sessions", "list_sessions", "Recent sessions, newest first",
         {200: views.SessionListView, 422: ERROR},
         parameters=(_query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size (default 20)."),
                     _query("cursor", {"type": "string"}, "`next_cursor` of the previous page."))),
    _art("GET", "/sessions/{session_id}", "get_session", "One session",
         {200: SessionView, 404: ERROR}, parameters=(SESSION_ID,)),
    _art("DELETE", "/sessions/{session_id}", "delete_session", "Delete a session",
         {204: None, 404: ERROR, 409: ERROR, 422: ERROR},
         parameters=(SESSION_ID, _query("version", {"type": "integer", "minimum": 1},
                                        "Delete only if the session is still at this version."))),
    _art("PUT", "/sessions/{session_id}/design", "update_design", "Replace the design of a draft",
         {200: SessionView, 404: ERROR, 409: ERROR, **BODY_ERRORS}, body=UpdateDesignBody, parameters=(SESSION_ID,)),
    _art("POST", "/sessions/{session_id}/feasibility", "evaluate_feasibility",
         "Evaluate the design's feasibility and store the result",
         {200: FeasibilitySummaryV1, 404: ERROR, 409: ERROR, **BODY_ERRORS},
         body=FeasibilityBody, body_required=False, parameters=(SESSION_ID,)),
    _art("POST", "/sessions/{session_id}/transition", "transition", "Move the session to another state",
         {200: SessionView, 404: ERROR, 409: ERROR, **BODY_ERRORS}, body=TransitionBody, parameters=(SESSION_ID,)),
    _art("POST", "/sessions/{session_id}/export", "export", "Export an approved design as SVG and DXF",
         {200: views.ExportView, 404: ERROR, 409: ERROR, **BODY_ERRORS},
         body=ExportBody, body_required=False, parameters=(SESSION_ID,)),
    _art("GET", "/sessions/{session_id}/promotion-intent", "promotion_intent",
         "The PromotionIntentV1 of an approved or exported session",
         {200: PromotionIntentV1, 404: ERROR, 409: ERROR}, parameters=(SESSION_ID,)),
    _art("POST", "/sessions/{session_id}/promote_to_cam", "promote_to_cam",
         "Hand the approved design to CAM (idempotent per design and feasibility)",
         {201: views.PromotionResultView, 200: views.PromotionResultView, 404: ERROR,
          409: views.PromotionBlockedView, 422: ERROR},
         parameters=(SESSION_ID, _query("cam_profile_id", {"type": "string"},
                                        "A CAM profile id from GET /api/rmos/cam/profiles."))),
    _art("GET", "/cam-promotion/requests/{request_id}", "get_promotion_request",
         "A promotion request with its job's current status",
         {200: views.PromotionRequestView, 404: ERROR},
         parameters=(_uuid_param("request_id", "promotion request"),)),
    _art("GET", "/cam-promotion/requests/{request_id}/setup", "get_setup_sheet",
         "The printable set-up sheet (HTML) of a promoted design: origin, bit, stock, clamping, depth, time",
         {200: None, 404: ERROR}, parameters=(_uuid_param("request_id", "promotion request"),)),
    _art("GET", "/sessions/{session_id}/drawings", "get_drawings",
         "SVG and DXF drawings of the current design, in any state",
         {200: DrawingsView, 404: ERROR}, parameters=(SESSION_ID,)),

    _cam("POST", "/intents", "submit_intent", "Queue a CAM job (idempotent on intent_id)",
         {202: views.SubmittedJobView, 200: views.SubmittedJobView, 409: ERROR, **BODY_ERRORS}, body=CamIntentV1),
    _cam("POST", "/intents/validate", "validate_intent", "Check an intent without queueing it",
         {200: views.IntentValidationView, 400: ERROR, 413: ERROR}, body=CamIntentV1),
    _cam("POST", "/plan", "plan_preview", "Plan a small job synchronously",
         {200: views.PlanPreviewView, **BODY_ERRORS}, body=CamIntentV1, max_body_bytes=PLAN_MAX_BODY_BYTES),
    _cam("GET", "/jobs/{job_id}", "get_job", "A job's status, report and download links",
         {200: views.JobView, 404: ERROR}, parameters=(_uuid_param("job_id", "job"),)),
    _cam("POST", "/jobs/{job_id}/retry", "retry_job", "Run a failed job again as a new attempt",
         {202: views.RetriedJobView, 404: ERROR, 409: ERROR}, parameters=(_uuid_param("job_id", "job"),)),
    _cam("GET", "/profiles", "list_profiles", "The CAM profile catalogue", {200: views.CamProfilesView}),
    _cam("POST", "/import/dxf", "import_dxf", "A DXF layer's closed outlines as an intent's polyline geometry",
         {200: ImportedGeometryView, **BODY_ERRORS}, body=DxfImportBody, max_body_bytes=IMPORT_MAX_BODY_BYTES),
    _cam("POST", "/import/svg", "import_svg", "An SVG's closed paths as an intent's polyline geometry",
         {200: ImportedGeometryView, **BODY_ERRORS}, body=SvgImportBody, max_body_bytes=IMPORT_MAX_BODY_BYTES),
)


Mode = Literal["validation", "serialization"]


def _models() -> list[tuple[type[BaseModel], Mode]]:
    wanted: list[tuple[type[BaseModel], Mode]] = [(ErrorBody, "serialization")]
    for op in OPERATIONS:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        wanted.extend((model, "serialization") for model in op.responses.values() if model is not None)
    return list(dict.fromkeys(wanted))


def _response(status: int, model: type[BaseModel] | None, refs: dict[Any, Any], op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"description": STATUS_TEXT.get(status, "")}
    if status == 200 and op.operation_id == "openapi":
        out["content"] = {"application/json": {"schema": {"type": "object"}}}
    elif status == 200 and op.operation_id == "get_setup_sheet":
        out["content"] = {"text/html": {"schema": {"type": "string"}}}
    elif model is not None:
        out["content"] = {"application/json": {"schema": refs[(model, "serialization")]}}
    return out


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    responses = {**op.responses, **COMMON, **(SECURED if op.secured else {})}
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": {str(s): _response(s, m, refs, op) for s, m in sorted(responses.items())},
        "security": [{"bearerAuth": []}] if op.secured else [],
    }
    if op.parameters:
        doc["parameters"] = [copy.deepcopy(p) for p in op.parameters]
    if op.body is not None:
        doc["requestBody"] = {
            "required": op.body_required,
            "description": f"At most {op.max_body_bytes} bytes." if op.max_body_bytes else "",
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    return doc


@functools.cache
def _document() -> dict[str, Any]:
    refs, defs = models_json_schema(_models(), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "Art Studio's design-first workflow and the CAM service. Every error is an "
                                "`ErrorBody`."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                               "description": "A Cognito ID token."}},
        },
    }


def document() -> dict[str, Any]:
    """A fresh copy each call, so a caller that edits it cannot change what is served."""
    return copy.deepcopy(_document())
