"""Profile-aware promotion end to end through the routes and the CAM worker: the session lists its
promotions from the server, and each job has a set-up sheet that agrees with its program's header."""
from __future__ import annotations

import json
import math
import re
import uuid

from chalicelib import config
from chalicelib.art_studio.setup_sheet import CLAMP_CLEARANCE_MM, duration, program_header
from chalicelib.storage import blobs
from tests.art_studio_support import PREFIX, classical_design, create, move, post
from tests.cam.truth import run_rs274
from tests.cam_service.handoff import deliver

NARROW = classical_design(outer_diameter_mm=92.4, rings=[{"width_mm": 1.2, "pattern_type": "SOLID"}],
                          cut_soundhole=False, soundhole_diameter_mm=None)


def _get(client, path):
    return client.http.get(f"{PREFIX}{path}")


def _promote(client, sid, profile=None):
    query = f"?cam_profile_id={profile}" if profile else ""
    return post(client, f"/sessions/{sid}/promote_to_cam{query}")


def _run(client, request_id):
    deliver(client, f"requests/cam-promotion/{request_id}.json")


def _program(request_id) -> str:
    raw = blobs.get_bytes(config.artifacts_bucket(), f"jobs/{request_id}/program.nc")
    assert raw is not None
    return raw.decode()


def test_a_narrow_channel_is_refused_for_1_16_and_cut_with_the_1mm_profile(client, tmp_path):
    sid = create(client, NARROW)["session_id"]
    refused = post(client, f"/sessions/{sid}/feasibility").json_body
    assert refused["passed"] is False and refused["cam_profile_id"] == "rosette-1-16-spruce-grbl"
    assert move(client, sid, "in_review").status_code == 200
    assert move(client, sid, "approved").status_code == 409

    # Switch profile without touching the design.
    ok = post(client, f"/sessions/{sid}/feasibility", {"cam_profile_id": "rosette-1mm-spruce-grbl"}).json_body
    assert ok["passed"] is True and ok["risk_level"] == "YELLOW"
    assert move(client, sid, "approved").status_code == 200
    resp = _promote(client, sid)
    assert resp.status_code == 201
    request = resp.json_body["request"]
    assert request["cam_profile_id"] == "rosette-1mm-spruce-grbl"
    _run(client, request["promotion_request_id"])

    session = _get(client, f"/sessions/{sid}").json_body
    [link] = session["promotions"]
    assert link["promotion_request_id"] == request["promotion_request_id"]
    assert (link["cam_profile_id"], link["status"]) == ("rosette-1mm-spruce-grbl", "completed")
    assert link["job_url"] == f"/api/rmos/cam/jobs/{request['promotion_request_id']}"
    assert link["program_file_name"] == "rosette-92.4x90-d1.6-1mm-grbl.nc"
    program = _program(request["promotion_request_id"])
    run_rs274(program, tmp_path)
    assert "(job: channel dia 90-92.4 mm, depth 1.6 mm, bit 1 mm, post grbl)" in program


def test_each_profile_gets_its_own_request_and_the_session_lists_both(client):
    sid = create(client)["session_id"]
    post(client, f"/sessions/{sid}/feasibility")
    move(client, sid, "in_review")
    move(client, sid, "approved")
    first = _promote(client, sid).json_body["request"]
    post(client, f"/sessions/{sid}/feasibility", {"cam_profile_id": "rosette-1-8-spruce-grbl"})
    second = _promote(client, sid, "rosette-1-8-spruce-grbl").json_body["request"]
    _run(client, first["promotion_request_id"])
    links = _get(client, f"/sessions/{sid}").json_body["promotions"]
    assert [(p["promotion_request_id"], p["cam_profile_id"], p["status"]) for p in links] == [
        (first["promotion_request_id"], "rosette-1-16-spruce-grbl", "completed"),
        (second["promotion_request_id"], "rosette-1-8-spruce-grbl", "pending"),
    ]


def test_two_sessions_with_the_same_design_each_list_the_shared_request(client):
    """The seed's key is the fingerprint pair, so both promotions get one request; both sessions show it."""
    sids = [create(client)["session_id"] for _ in range(2)]
    requests = []
    for sid in sids:
        post(client, f"/sessions/{sid}/feasibility")
        move(client, sid, "in_review")
        move(client, sid, "approved")
        requests.append(_promote(client, sid).json_body["request"]["promotion_request_id"])
    assert requests[0] == requests[1]
    _run(client, requests[0])
    for sid in sids:
        links = _get(client, f"/sessions/{sid}").json_body["promotions"]
        assert [(p["promotion_request_id"], p["status"]) for p in links] == [(requests[0], "completed")]


def test_the_setup_sheet_states_the_origin_and_quotes_the_programs_header(client, tmp_path):
    sid = create(client)["session_id"]
    post(client, f"/sessions/{sid}/feasibility")
    move(client, sid, "in_review")
    move(client, sid, "approved")
    rid = _promote(client, sid).json_body["request"]["promotion_request_id"]

    pending = _get(client, f"/cam-promotion/requests/{rid}/setup")
    assert pending.status_code == 200
    assert pending.headers["Content-Type"].startswith("text/html")
    assert "not written yet" in pending.body.decode()

    _run(client, rid)
    page = _get(client, f"/cam-promotion/requests/{rid}/setup").body.decode()
    program = _program(rid)
    run_rs274(program, tmp_path)
    header = program_header(program)
    assert "origin: X0 Y0 = rosette centre, Z0 = top surface of the top" in header
    assert "job: channel dia 90-110 mm, depth 1.6 mm + soundhole, bit 1/16 in = 1.5875 mm, post grbl" in header
    quoted = re.search(r'<pre id="gcode-header">(.*?)</pre>', page, re.S)
    assert quoted is not None and quoted.group(1).split("\n") == header

    def row(name):
        found = re.search(rf'<td data-row="{name}">(.*?)</td>', page)
        assert found is not None, name
        return found.group(1)

    assert row("File to load") == "rosette-110x90-d1.6-1_16in-grbl.nc"
    assert "rosette centre" in row("Origin X0 Y0")
    assert "top surface of the top" in row("Origin Z0")
    assert row("Passes") == f"{math.ceil(1.6 / 0.8)} (step down 0.8 mm)"
    assert f"{110 + 2 * CLAMP_CLEARANCE_MM:g} mm circle" in row("Clamping")
    report = blobs.get_json(config.artifacts_bucket(), f"jobs/{rid}/report.json")
    assert row("Estimated time") == duration(report["totals"]["estimated_time_s"])
    # The top view is drawn in millimetres, with the origin marked.
    assert re.search(r'<svg[^>]+id="top-view"[^>]+width="[\d.]+mm"', page)
    assert 'id="origin-mark"' in page and ">X0 Y0<" in page
    assert 'download="rosette-110x90-d1.6-1_16in-grbl.nc"' in page


def test_setup_sheet_of_an_unknown_request_is_404(client):
    resp = _get(client, f"/cam-promotion/requests/{uuid.uuid4()}/setup")
    assert resp.status_code == 404
    assert resp.json_body["details"][0]["path"] == "request_id"
    assert _get(client, "/cam-promotion/requests/nope/setup").status_code in (404, 422)


def test_drawings_are_offered_in_any_state(client):
    sid = create(client)["session_id"]
    resp = _get(client, f"/sessions/{sid}/drawings")
    assert resp.status_code == 200
    assert set(resp.json_body["downloads"]) == {"svg", "dxf"}
    assert _get(client, f"/sessions/{sid}").json_body["state"] == "draft"
    assert _get(client, f"/sessions/{uuid.uuid4()}/drawings").status_code == 404


def test_sessions_carry_a_name_and_list_by_last_change(client):
    a = client.http.post(f"{PREFIX}/sessions", headers={"Content-Type": "application/json"},
                         body=json.dumps({"design": classical_design(), "name": "OM herringbone"}))
    assert a.status_code == 201 and a.json_body["name"] == "OM herringbone"
    b = create(client)
    listed = [s["session_id"] for s in _get(client, "/sessions").json_body["items"]]
    assert listed[:2] == [b["session_id"], a.json_body["session_id"]]
    post(client, f"/sessions/{a.json_body['session_id']}/feasibility")
    listed = [s["session_id"] for s in _get(client, "/sessions").json_body["items"]]
    assert listed[:2] == [a.json_body["session_id"], b["session_id"]]
