"""Saw cuts read back from rs274: kerf side, blade reach, depth passes, cut list."""
from __future__ import annotations

import math

import pytest
from shapely.geometry import Point, box

from chalicelib.rmos.cam.pipeline import IntentRejected, plan_intent, validate_intent
from chalicelib.rmos.cam.saw import blade_reach, pass_depths
from tests.cam import intents
from tests.cam.truth import assert_max_depth, assert_no_rapid_through_material, run_rs274

pytestmark = pytest.mark.rs274

BLADE_R = 50.0  # the default saw profile's 100 mm blade


def plan(raw, tmp_path, post="linuxcnc"):
    result = plan_intent(raw, post=post)
    return result, run_rs274(result.program, tmp_path)


def cutting_passes(canon):
    """(start, end) of each horizontal feed move below the top surface."""
    return [(s.start, s.end) for s in canon.cuts
            if s.start[2] < 0 and math.isclose(s.start[2], s.end[2], abs_tol=1e-6)
            and math.dist(s.start[:2], s.end[:2]) > 1e-6]


def test_reach_is_the_blade_chord_at_the_top_surface():
    # Geometric check: a circle of radius R whose lowest point is d below Z 0
    # meets the line Z = 0 exactly `reach` either side of its centre line.
    for d in (0.5, 5.0, 20.0, 49.0):
        reach = blade_reach(BLADE_R, d)
        blade = Point(0, -d + BLADE_R).buffer(BLADE_R, quad_segs=512)
        top = blade.intersection(box(-100, -0.001, 100, 0.0))
        assert math.isclose(top.bounds[2], reach, abs_tol=0.01)
        assert math.isclose(top.bounds[0], -reach, abs_tol=0.01)


def test_rip_kerf_goes_to_the_waste_side_and_blade_clears_the_stock(tmp_path):
    raw = intents.saw()  # 20 mm stock, rip 300 long at offset 50, kerf 2
    result, canon = plan(raw, tmp_path)
    passes = cutting_passes(canon)
    assert passes
    thickness, length = 20.0, 300.0
    for start, end in passes:
        # The blade centre line sits kerf/2 on the waste (+Y) side of the line:
        # the kept part (Y 0..50) keeps its full 50 mm.
        assert start[1] == pytest.approx(51.0, abs=1e-3) and end[1] == pytest.approx(51.0, abs=1e-3)
        kerf_near_edge = start[1] - 1.0
        assert kerf_near_edge == pytest.approx(50.0, abs=1e-3)
        d = -start[2]
        stock = box(0, -thickness, length, 0)  # the vertical plane of the cut (X, Z)
        at_start = Point(start[0], -d + BLADE_R).buffer(BLADE_R, quad_segs=256)
        at_end = Point(end[0], -d + BLADE_R).buffer(BLADE_R, quad_segs=256)
        # Plunge and exit happen in the air beside the stock...
        assert at_start.intersection(stock).area == pytest.approx(0, abs=1e-6)
        assert at_end.intersection(stock).area == pytest.approx(0, abs=1e-6)
        # ...but no further than the reach plus a small clearance.
        assert -start[0] <= blade_reach(BLADE_R, d) + 2.0 + 1e-3
        assert end[0] - length <= blade_reach(BLADE_R, d) + 2.0 + 1e-3
        # And the whole length is cut at this depth.
        assert start[0] < 0 and end[0] > length
    assert_max_depth(canon, 20.0)
    assert_no_rapid_through_material(canon, tool_radius=1.0)


def test_crosscut_runs_along_y_at_x_offset(tmp_path):
    raw = intents.saw()
    raw["design"]["cuts"] = [{"type": "crosscut", "length_mm": 150, "depth_mm": 20, "offset_mm": 120}]
    raw["design"]["stock_length_mm"] = 300
    result, canon = plan(raw, tmp_path, post="grbl")
    for start, end in cutting_passes(canon):
        assert start[0] == pytest.approx(121.0, abs=1e-3) and end[0] == pytest.approx(121.0, abs=1e-3)
        assert start[1] < 0 and end[1] > 150


def test_depth_passes_step_down_evenly(tmp_path):
    raw = intents.saw(context={"stepdown_mm": 6.0})
    result, canon = plan(raw, tmp_path)
    depths = sorted({round(-s[2], 4) for s, _ in cutting_passes(canon)})
    assert depths == pytest.approx([5.0, 10.0, 15.0, 20.0])
    assert pass_depths(20.0, 6.0) == pytest.approx([5.0, 10.0, 15.0, 20.0])
    row = result.report["cut_list"]["cuts"][0]
    assert row["passes"] == 4
    # Each deeper pass starts further out: the blade's reach grows with depth.
    starts = [s[0] for s, _ in sorted(cutting_passes(canon), key=lambda p: -p[0][2])]
    assert starts == sorted(starts, reverse=True)


def test_cut_list_figures(tmp_path):
    raw = intents.saw()
    raw["design"]["cuts"] = [
        {"type": "rip", "length_mm": 300, "depth_mm": 20, "offset_mm": 50},
        {"type": "rip", "length_mm": 300, "depth_mm": 20.5, "offset_mm": 100},
        {"type": "crosscut", "length_mm": 150, "depth_mm": 12, "offset_mm": 200},
    ]
    result, canon = plan(raw, tmp_path)
    cut_list = result.report["cut_list"]
    rows = cut_list["cuts"]
    assert [r["kerf_loss_mm2"] for r in rows] == pytest.approx([600.0, 600.0, 300.0])
    # Volume: kerf x length x the part of the depth that is inside the stock.
    assert [r["kerf_loss_mm3"] for r in rows] == pytest.approx([12000.0, 12000.0, 3600.0])
    assert cut_list["total_kerf_loss_mm2"] == pytest.approx(1500.0)
    assert cut_list["total_kerf_loss_mm3"] == pytest.approx(27600.0)
    assert [r["waste_side"] for r in rows] == ["+Y", "+Y", "+X"]
    assert rows[0]["lead_in_mm"] == pytest.approx(blade_reach(BLADE_R, 20) + 2.0, abs=1e-3)
    assert any("groove" in w for w in result.report["operations"][2]["warnings"])
    assert len(result.report["operations"]) == 3
    assert_max_depth(canon, 20.5)


@pytest.mark.parametrize("cut, design_extra, path, code", [
    ({"type": "rip", "length_mm": 300, "depth_mm": 25, "offset_mm": 50}, {}, "design.cuts.0.depth_mm", "too_deep"),
    ({"type": "rip", "length_mm": 300, "depth_mm": 20, "offset_mm": 150}, {}, "design.cuts.0.offset_mm",
     "offset_outside_stock"),
    ({"type": "crosscut", "length_mm": 150, "depth_mm": 20, "offset_mm": 400}, {"stock_length_mm": 300},
     "design.cuts.0.offset_mm", "offset_outside_stock"),
    ({"type": "rip", "length_mm": 300, "depth_mm": 40, "offset_mm": 50}, {"stock_thickness_mm": 40},
     "design.cuts.0.depth_mm", "blade_too_small"),
])
def test_infeasible_saw_cuts(cut, design_extra, path, code):
    raw = intents.saw()
    raw["design"]["cuts"] = [cut]
    raw["design"].update(design_extra)
    outcome = validate_intent(raw)
    assert (code, path) in {(i.code, i.path) for i in outcome.issues}, outcome.issues
    with pytest.raises(IntentRejected):
        plan_intent(raw)


def test_bigger_blade_makes_the_deep_cut_feasible(tmp_path):
    raw = intents.saw(tool_id="blade-160-40t")
    raw["design"]["stock_thickness_mm"] = 40
    raw["design"]["cuts"] = [{"type": "rip", "length_mm": 300, "depth_mm": 40, "offset_mm": 50}]
    result, canon = plan(raw, tmp_path)
    assert_max_depth(canon, 40)
    assert result.report["tool"]["diameter_mm"] == 160


def test_end_mill_is_refused_for_saw_mode():
    outcome = validate_intent(intents.saw(tool_id="em-6-2f"))
    assert "tool_id" in {i.path for i in outcome.issues}
