"""Each operation is cut with, and its program names, the catalogue bit it was planned for.

Through `plan_intent` and `POST /api/rmos/cam/plan`; every program goes through rs274.
"""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.contracts.profiles import catalogue
from chalicelib.rmos.cam.pipeline import IntentRejected, plan_intent, validate_intent
from tests.cam.truth import run_rs274

BASE = "/api/rmos/cam"
JSON = {"Content-Type": "application/json"}
SQUARE = {"type": "polyline", "points": [[0, 0], [60, 0], [60, 40], [0, 40]]}
DEFAULT_PROFILE = "rosette-1-16-spruce-grbl"


def pocket(diameter=None, **extra):
    op = {"operation": "pocket", "geometry": SQUARE, "depth_mm": 2.0}
    if diameter is not None:
        op["tool_diameter_mm"] = diameter
    return {"mode": "router_3axis", "design": op, **extra}


def expected_feed(tool_id, material_id="spruce", profile_id=DEFAULT_PROFILE):
    """rpm x flutes x chip load from the catalogue data itself, capped by the machine."""
    cat = catalogue()
    tool, material, profile = cat.tool(tool_id), cat.material(material_id), cat.profile(profile_id)
    machine = cat.machine(profile["machine"])
    chip = tool.get("chip_load_mm", {}).get(material_id,
                                            material["chip_load_per_mm_diameter"] * tool["diameter_mm"])
    rpm = min(profile["spindle_rpm"], machine["max_rpm"])
    return rpm, chip, min(rpm * tool["flutes"] * chip, machine["max_feed_mm_min"])


def header(program):
    return [line for line in program.splitlines() if line.startswith("(")]


def test_a_6mm_override_names_the_6mm_bit_and_runs_its_feeds(tmp_path):
    result = plan_intent(pocket(6.0))
    rpm, chip, feed = expected_feed("em-6-2f")
    tool = result.report["tool"]
    assert (tool["id"], tool["diameter_mm"], tool["flutes"]) == ("em-6-2f", 6.0, 2)
    assert tool["spindle_rpm"] == rpm and tool["chip_load_mm"] == pytest.approx(chip)
    assert tool["feed_mm_min"] == pytest.approx(feed)
    assert result.report["operations"][0]["tool"]["id"] == "em-6-2f"
    lines = header(result.program)
    assert "(tool: 6 mm 2-flute up-cut end mill 6 mm)" in lines
    assert not any("1/16" in line for line in lines)
    canon = run_rs274(result.program, tmp_path)
    cut_feeds = {round(s.feed, 1) for s in canon.cuts if s.start[2] == s.end[2] and s.end[2] < 0}
    assert cut_feeds == {round(feed, 1)}


def test_feeds_are_capped_by_the_machine_and_the_report_says_so(tmp_path):
    result = plan_intent(pocket(10.0))
    rpm, chip, feed = expected_feed("em-10-2f")
    assert rpm * 2 * chip > feed  # the 10 mm bit's chip load asks for more than the machine gives
    assert result.report["tool"]["feed_mm_min"] == pytest.approx(feed)
    assert result.report["tool"]["id"] == "em-10-2f"
    assert any("capped" in w for w in result.report["warnings"])
    run_rs274(result.program, tmp_path)


def test_inch_quarter_inch_picks_the_quarter_inch_bit():
    result = plan_intent({**pocket(0.25), "units": "inch",
                          "design": {**pocket(0.25)["design"], "depth_mm": 0.08,
                                     "geometry": {"type": "polyline",
                                                  "points": [[0, 0], [2.5, 0], [2.5, 1.5], [0, 1.5]]}}})
    assert result.report["tool"]["id"] == "em-1-4-2f"
    assert "(tool: 1/4 in 2-flute up-cut spiral end mill 6.35 mm)" in header(result.program)


def test_an_unknown_diameter_is_refused_naming_the_field_and_the_bits():
    with pytest.raises(IntentRejected) as err:
        plan_intent(pocket(7.0))
    [issue] = err.value.issues
    assert issue.path == "design.tool_diameter_mm"
    for d in catalogue().diameters():
        assert f"{d:g} mm" in issue.message


def test_without_an_override_the_profile_bit_is_named(tmp_path):
    result = plan_intent(pocket())
    assert "(tool: 1/16 in 2-flute down-cut end mill 1.5875 mm)" in header(result.program)
    rpm, _, _ = expected_feed("em-1-16-2f")
    tuned = catalogue().profile(DEFAULT_PROFILE)
    assert result.report["tool"]["feed_mm_min"] == pytest.approx(rpm * 2 * tuned["chip_load_mm"])
    assert result.report["tool"]["chip_load_mm"] == tuned["chip_load_mm"]


@pytest.mark.parametrize("post, stop", [("grbl", "M0"), ("linuxcnc", "T2 M6")])
def test_two_bits_header_says_which_operation_uses_which_and_stops_to_change(post, stop, tmp_path):
    intent = {"mode": "router_3axis", "options": {"post": post}, "design": {"operations": [
        {"operation": "pocket", "geometry": SQUARE, "depth_mm": 2.0, "tool_diameter_mm": 6.0},
        {"operation": "profile", "side": "outside", "geometry": SQUARE, "depth_mm": 1.0}]}}
    result = plan_intent(intent)
    lines = header(result.program)
    six = next(line for line in lines if line.startswith("(operation 1 pocket: T1 6 mm 2-flute"))
    assert f"feed {expected_feed('em-6-2f')[2]:g} mm/min" in six
    assert any(line.startswith("(operation 2 profile: T2 1/16 in 2-flute down-cut end mill") for line in lines)
    body = result.program.splitlines()
    change = next(i for i, line in enumerate(body) if "tool change" in line)
    assert "1/16 in" in body[change] and "T2" in body[change]
    assert body[change + 1] == stop and body[change - 1] == "M5"
    assert [o["tool"]["id"] for o in result.report["operations"]] == ["em-6-2f", "em-1-16-2f"]
    run_rs274(result.program, tmp_path)


def post(client, path, body):
    return client.http.post(BASE + path, headers=JSON, body=json.dumps(body))


def test_plan_route_names_the_override_bit_and_refuses_unknown_diameters(cam_client):
    resp = post(cam_client, "/plan", pocket(6.0))
    assert resp.status_code == 200, resp.json_body
    assert resp.json_body["report"]["tool"]["id"] == "em-6-2f"
    assert re.search(r"^\(tool: 6 mm 2-flute", resp.json_body["program"], re.M)

    resp = post(cam_client, "/plan", {"mode": "router_3axis", "design": {"operations": [
        {"operation": "pocket", "geometry": SQUARE, "depth_mm": 2.0, "tool_diameter_mm": 5.5}]}})
    assert resp.status_code == 422
    [issue] = resp.json_body["details"]
    assert issue["path"] == "design.operations.0.tool_diameter_mm"
    assert "5.5 mm" in issue["message"] and "6.35 mm" in issue["message"]


def test_validate_route_refuses_an_unknown_diameter(cam_client):
    resp = post(cam_client, "/intents/validate", pocket(9.0))
    assert resp.status_code == 200
    assert resp.json_body["ok"] is False
    assert [i["path"] for i in resp.json_body["issues"]] == ["design.tool_diameter_mm"]


def test_catalogue_end_mills_have_one_bit_per_diameter_with_flutes():
    cat = catalogue()
    for d in cat.diameters():
        [tool] = cat.tools_of_diameter(d)
        assert tool["flutes"] >= 1
        for material in tool.get("chip_load_mm", {}):
            assert cat.has("materials", material)


@pytest.mark.parametrize("intent", [
    pocket(6.0),
    {"mode": "router_3axis", "units": "inch", "design": {"operations": [
        {"operation": "pocket", "geometry": {"type": "polyline", "points": [[0, 0], [2, 0], [2, 1.5], [0, 1.5]]},
         "depth_mm": 0.06, "tool_diameter_mm": 0.25},
        {"operation": "profile", "side": "outside", "depth_mm": 0.04,
         "geometry": {"type": "polyline", "points": [[0, 0], [2, 0], [2, 1.5], [0, 1.5]]}}]}},
])
def test_the_normalized_intent_plans_to_the_same_program_with_override_bits(intent):
    outcome = validate_intent(intent)
    assert outcome.ok, outcome.issues
    assert plan_intent(outcome.normalized).program == plan_intent(intent).program
