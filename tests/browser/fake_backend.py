"""An in-memory stand-in for the Art Studio and CAM routes, shaped like the documented API.

It lets the page's own behaviour be driven in a real browser through the real
local stack (site, CORS, config.json) independently of the backend services:
designs are validated with the real RosetteDesignV1 contract; feasibility is a
single rule (the top left under the channel); a promoted job moves
pending -> processing -> completed over successive polls and serves a small
G-code program. The full product flow is tested against app.py in
test_full_flow.py.

Run: python -m tests.browser.fake_backend --web-port P --api-port P --aws-port P
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import uuid
from typing import Any

PROGRAM = """G21 G90 G17 G94
(rosette channel, two passes)
M3 S18000
G0 Z5.000
G0 X55.000 Y0.000
G1 Z-0.800 F300
G2 X55.000 Y0.000 I-55.000 J0.000 F900
G0 Z5.000
G0 X59.000 Y0.000
G1 Z-0.800 F300
G2 X59.000 Y0.000 I-59.000 J0.000 F900
G0 Z5.000
M5
M30
"""

ALLOWED = {"draft": {"in_review"}, "in_review": {"approved", "rejected", "draft"}, "approved": {"draft", "exported"},
           "rejected": {"draft"}, "exported": {"draft"}}
MIN_REMAINING_TOP_MM = 1.0


def build_app() -> Any:
    from chalice import Chalice

    from chalicelib.contracts.rosette import RosetteDesignV1
    from chalicelib.http import ApiError, api_route, conflict, error_middleware, json_body, json_response, not_found
    from chalicelib.http import parse_model

    app = Chalice(app_name="fake-backend")
    app.register_middleware(error_middleware, "http")
    sessions: dict[str, dict[str, Any]] = {}
    jobs: dict[str, dict[str, Any]] = {}
    art = "/api/art/design-first-workflow"
    cam = "/api/rmos/cam"

    def now() -> str:
        return dt.datetime.now(dt.timezone.utc).isoformat()

    def fp(data: Any) -> str:
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def get(session_id: str) -> dict[str, Any]:
        if session_id not in sessions:
            raise not_found("session", session_id, "session_id")
        return sessions[session_id]

    def design_of(body: Any) -> dict[str, Any]:
        return parse_model(RosetteDesignV1, body.get("design") if isinstance(body, dict) else None,
                           ("design",)).model_dump(mode="json")

    @api_route(app, f"{art}/sessions", methods=["POST", "GET"])
    def sessions_root() -> Any:
        request = app.current_request
        if request.method == "GET":
            items = sorted(sessions.values(), key=lambda s: s["updated_at"], reverse=True)
            return {"items": items, "next_cursor": None}
        design = design_of(json_body(request))
        stamp = now()
        session = {"session_id": str(uuid.uuid4()), "state": "draft", "version": 1, "design": design,
                   "design_fingerprint": fp(design), "design_summary": None, "feasibility": None, "history": [],
                   "created_at": stamp, "updated_at": stamp}
        sessions[session["session_id"]] = session
        return json_response(session, 201)

    @api_route(app, f"{art}/sessions/{{session_id}}", methods=["GET"])
    def session_get(session_id: str) -> Any:
        return get(session_id)

    @api_route(app, f"{art}/sessions/{{session_id}}/design", methods=["PUT"])
    def session_design(session_id: str) -> Any:
        session = get(session_id)
        body = json_body(app.current_request)
        if session["state"] != "draft":
            raise conflict("not_draft", f"the design can change only in draft; this session is {session['state']}")
        if body.get("version") not in (None, session["version"]):
            raise conflict("stale_version", "the session changed since you loaded it")
        design = design_of(body)
        session.update(design=design, design_fingerprint=fp(design), feasibility=None,
                       version=session["version"] + 1, updated_at=now())
        return session

    @api_route(app, f"{art}/sessions/{{session_id}}/feasibility", methods=["POST"])
    def session_feasibility(session_id: str) -> Any:
        session = get(session_id)
        design = session["design"]
        remaining = round(design["top_thickness_mm"] - design["channel_depth_mm"], 3)
        ok = remaining >= MIN_REMAINING_TOP_MM
        check = {"id": "remaining_top", "status": "pass" if ok else "fail", "risk": "GREEN" if ok else "RED",
                 "message": f"{remaining} mm of top remains under the channel; at least {MIN_REMAINING_TOP_MM} mm "
                            "is needed", "value": remaining, "limit": MIN_REMAINING_TOP_MM}
        result = {"passed": ok, "risk_level": check["risk"], "checks": [check], "ruleset": "fake-rules",
                  "design_fingerprint": session["design_fingerprint"], "evaluated_at": now()}
        session.update(feasibility=result, updated_at=now())
        return result

    @api_route(app, f"{art}/sessions/{{session_id}}/transition", methods=["POST"])
    def session_transition(session_id: str) -> Any:
        session = get(session_id)
        body = json_body(app.current_request)
        target = body.get("to_state")
        if target not in ALLOWED.get(session["state"], set()):
            raise conflict("invalid_transition", f"a session cannot move from {session['state']} to {target}")
        feasibility = session["feasibility"]
        if target == "approved" and not (feasibility and feasibility["passed"]):
            raise conflict("feasibility_required", "approval needs a passing feasibility result for this design")
        session["history"].append({"from_state": session["state"], "to_state": target, "actor": body.get("actor"),
                                   "note": body.get("note"), "at": now()})
        session.update(state=target, version=session["version"] + 1, updated_at=now())
        return session

    @api_route(app, f"{art}/sessions/{{session_id}}/promote_to_cam", methods=["POST"])
    def session_promote(session_id: str) -> Any:
        session = get(session_id)
        if session["state"] not in ("approved", "exported"):
            return json_response({"ok": False, "blocked_reason": "Session is not in APPROVED or EXPORTED state",
                                  "request": None}, 409)
        request_id = str(uuid.uuid5(uuid.NAMESPACE_URL, session["design_fingerprint"]))
        created = request_id not in jobs
        if created:
            jobs[request_id] = {"job_id": request_id, "kind": "cam_promotion", "status": "pending", "reason": None,
                                "created_at": now(), "updated_at": now(), "report": None, "downloads": {}, "polls": 0}
        request = {"promotion_request_id": request_id, "session_id": session_id, "status": "pending",
                   "cam_profile_id": (app.current_request.query_params or {}).get("cam_profile_id")}
        return json_response({"ok": True, "request": request}, 201 if created else 200)

    @api_route(app, f"{cam}/profiles", methods=["GET"])
    def profiles() -> Any:
        return {"default": "fake-grbl", "profiles": [
            {"id": "fake-linuxcnc", "name": "Fake LinuxCNC router", "description": "for page tests", "post": "linuxcnc",
             "machine": {}, "tool": {"diameter_mm": 3.175}, "material": {}},
            {"id": "fake-grbl", "name": "Fake GRBL router", "description": "for page tests", "post": "grbl",
             "machine": {}, "tool": {"diameter_mm": 1.5875}, "material": {}}]}

    @api_route(app, f"{cam}/jobs/{{job_id}}", methods=["GET"])
    def job(job_id: str) -> Any:
        if job_id not in jobs:
            raise not_found("job", job_id, "job_id")
        record = jobs[job_id]
        record["polls"] += 1
        if record["status"] == "pending":
            record["status"] = "processing"
        elif record["status"] == "processing" and record["polls"] >= 3:
            base = app.current_request.headers.get("host")
            record.update(status="completed", downloads={
                "program.nc": f"http://{base}/api/fake-artifacts/{job_id}/program.nc"},
                report={"units": "mm", "post": "grbl", "tool": {"diameter_mm": 1.5875}, "operations": [],
                        "totals": {"moves": 11, "cut_length_mm": 716.28, "rapid_length_mm": 125.0, "retracts": 2,
                                   "estimated_time_s": 95.0}, "checks": [], "warnings": [], "bounds": {}})
        return {k: v for k, v in record.items() if k != "polls"}

    @api_route(app, "/api/fake-artifacts/{job_id}/program.nc", methods=["GET"])
    def artifact(job_id: str) -> Any:
        if job_id not in jobs:
            raise ApiError(404, "not_found", "no such artifact")
        from chalice import Response

        return Response(body=PROGRAM, status_code=200, headers={"Content-Type": "text/plain"})

    return app


def main(argv: list[str] | None = None) -> int:
    from luthier.local.stack import parse_settings, serve

    settings = parse_settings(argv, os.environ)
    # The routes read SITE_ORIGIN for their CORS header when they are declared.
    os.environ["SITE_ORIGIN"] = settings.site_origin
    return serve(settings, app=build_app(), handler=lambda event, context: None)


if __name__ == "__main__":
    sys.exit(main())
