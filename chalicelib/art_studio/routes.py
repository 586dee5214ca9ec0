"""Art Studio HTTP routes (/api/art/design-first-workflow): parse, call a service, respond."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.art_studio import promotion, sessions, setup_sheet
from chalicelib.art_studio.store import Session
from chalicelib.contracts.rosette import RosetteDesignV1
from chalicelib.http import (api_route, authorize, int_param, json_body, json_response, parse_model, principal,
                             uuid_param)

bp = Blueprint(__name__)

# A design with the maximum 64 rings is a few kB; anything near this is not a design.
MAX_BODY_BYTES = 64_000

Version = Annotated[int, Field(strict=True, ge=1)]
Text = Annotated[str, Field(max_length=1000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


Name = Annotated[str, Field(min_length=1, max_length=120)]


class CreateSessionBody(_Body):
    design: RosetteDesignV1
    name: Name | None = None


class UpdateDesignBody(_Body):
    design: RosetteDesignV1
    version: Version | None = None
    name: Name | None = None


class TransitionBody(_Body):
    to_state: Literal["draft", "in_review", "approved", "rejected", "exported"]
    note: Text | None = None
    version: Version | None = None


ProfileId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class FeasibilityBody(_Body):
    version: Version | None = None
    cam_profile_id: ProfileId | None = None


class ExportBody(_Body):
    note: Text | None = None
    version: Version | None = None


class SessionView(Session):
    """A session with its promotion requests and their live job status."""

    promotions: list[promotion.PromotionLink] = []


class DrawingsView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    downloads: dict[Literal["svg", "dxf"], str]


def _view(session: Session, fresh: bool = False) -> SessionView:
    """Every route that answers with a session answers with the same view."""
    promotions = [] if fresh else promotion.session_promotions(session.session_id)
    return SessionView(**session.model_dump(), promotions=promotions)


def _body(model: type[BaseModel], required: bool = True) -> Any:
    return parse_model(model, json_body(bp.current_request, required=required, max_bytes=MAX_BODY_BYTES))


def _session_id(raw: str) -> str:
    return uuid_param(raw, "session", "session_id")


def _query() -> dict[str, str]:
    return dict(bp.current_request.query_params or {})


@api_route(bp, "/sessions", methods=["POST"], action="session.create")
def create_session() -> Response:
    body = _body(CreateSessionBody)
    return json_response(_view(sessions.create_session(body.design, name=body.name, caller=principal()),
                               fresh=True), 201)


@api_route(bp, "/sessions", methods=["GET"], action="session.list")
def list_sessions() -> dict[str, Any]:
    params = _query()
    limit = int_param(params, "limit", 20, 1, 100)
    items, next_cursor = sessions.list_sessions(limit, params.get("cursor") or None, caller=principal())
    return {"items": [s.model_dump(mode="json") for s in items], "next_cursor": next_cursor}


@api_route(bp, "/sessions/{session_id}", methods=["GET"], action="session.read")
def get_session(session_id: str) -> Response:
    return json_response(_view(sessions.get_session(_session_id(session_id), caller=principal())))


@api_route(bp, "/sessions/{session_id}", methods=["DELETE"], action="session.delete")
def delete_session(session_id: str) -> Response:
    sid = _session_id(session_id)
    params = _query()
    version = int_param(params, "version", 1, 1, 2**53) if params.get("version") else None
    sessions.delete_session(sid, version, caller=principal())
    return Response(body="", status_code=204)


@api_route(bp, "/sessions/{session_id}/design", methods=["PUT"], action="session.edit")
def update_design(session_id: str) -> Response:
    sid = _session_id(session_id)
    body = _body(UpdateDesignBody)
    return json_response(_view(sessions.update_design(sid, body.design, body.version, name=body.name,
                                                      caller=principal())))


@api_route(bp, "/sessions/{session_id}/feasibility", methods=["POST"], action="session.check")
def evaluate_feasibility(session_id: str) -> Response:
    sid = _session_id(session_id)
    body = _body(FeasibilityBody, required=False)
    return json_response(sessions.evaluate_feasibility(sid, body.version, cam_profile_id=body.cam_profile_id,
                                                       caller=principal()))


# The action depends on the move (policy.transition_action); the service asks once it knows the state.
@api_route(bp, "/sessions/{session_id}/transition", methods=["POST"], action="session.transition")
def transition(session_id: str) -> Response:
    sid = _session_id(session_id)
    body = _body(TransitionBody)
    return json_response(_view(sessions.transition(sid, body.to_state, principal(), body.note, body.version)))


@api_route(bp, "/sessions/{session_id}/export", methods=["POST"], action="session.export")
def export(session_id: str) -> dict[str, Any]:
    sid = _session_id(session_id)
    body = _body(ExportBody, required=False)
    session, downloads = sessions.export(sid, principal(), body.note, body.version)
    return {"session": session.model_dump(mode="json"), "downloads": downloads}


@api_route(bp, "/sessions/{session_id}/promotion-intent", methods=["GET"], action="promotion.read")
def promotion_intent(session_id: str) -> Response:
    sid = _session_id(session_id)
    sessions.load(sid, principal(), "promotion.read")
    return json_response(promotion.promotion_intent(sid))


@api_route(bp, "/sessions/{session_id}/promote_to_cam", methods=["POST"], action="session.promote")
def promote_to_cam(session_id: str) -> Response:
    sid = _session_id(session_id)
    profile = _query().get("cam_profile_id")
    # An unknown profile is refused before anything is read, as for any caller.
    promotion.check_profile(profile if profile != "" else None)
    session = sessions.load(sid, principal(), "session.promote")
    try:
        # The stored request always says `pending`; the caller gets the job's live status.
        created, doc = promotion.promote_view(session, profile if profile != "" else None)
    except promotion.PromotionBlocked as exc:
        return json_response({"ok": False, "blocked_reason": exc.reason, "request": None}, 409)
    return json_response({"ok": True, "request": doc}, 201 if created else 200)


@api_route(bp, "/cam-promotion/requests/{request_id}", methods=["GET"], action="promotion.read")
def get_promotion_request(request_id: str) -> dict[str, Any]:
    doc = promotion.get_request(uuid_param(request_id, "promotion request", "request_id"))
    authorize("promotion.read", doc.pop("owner_sub", None), doc.pop("shared_with", frozenset()))
    return doc


@api_route(bp, "/cam-promotion/requests/{request_id}/setup", methods=["GET"], action="promotion.read")
def get_setup_sheet(request_id: str) -> Response:
    rid = uuid_param(request_id, "promotion request", "request_id")
    doc = promotion.get_request(rid)
    authorize("promotion.read", doc.get("owner_sub"), doc.get("shared_with", frozenset()))
    sheet = setup_sheet.load(rid)
    return Response(body=setup_sheet.render_html(sheet), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})


@api_route(bp, "/sessions/{session_id}/drawings", methods=["GET"], action="session.read")
def get_drawings(session_id: str) -> dict[str, Any]:
    return {"downloads": sessions.drawings(_session_id(session_id), caller=principal())}
