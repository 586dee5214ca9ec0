"""Drilling, and plan_router across operations: sections, tool overrides, issue paths."""
from __future__ import annotations

import pytest

from chalicelib.rmos.cam.router import RouterDesign, plan_router
from chalicelib.rmos.cam.toolpath import Line, PlanningError, Rapid
from chalicelib.rmos.cam.units import scale_lengths
from tests.cam.router.pathcheck import steps
from tests.cam.router.support import cut_params, plan

SQUARE = {"type": "polyline", "points": [[0, 0], [40, 0], [40, 30], [0, 30], [0, 0]]}


def test_holes_in_nearest_neighbour_order():
    holes = [[100, 0], [0, 0], [50, 1], [10, 0], [60, 0]]
    section = plan({"operation": "drill", "holes": holes, "depth_mm": 3.0}, cut_params())[0]
    visited = []
    for m in section.moves:
        if isinstance(m, Line) and (m.x, m.y) not in visited:
            visited.append((m.x, m.y))
    assert visited == [(0, 0), (10, 0), (50, 1), (60, 0), (100, 0)]


def test_peck_drilling_feeds_down_retracts_and_never_rapids_into_uncut_material():
    params = cut_params(plunge=150)
    section = plan({"operation": "drill", "holes": [[5, 5]], "depth_mm": 5.0, "peck_mm": 1.5}, params)[0]
    bottom = 0.0
    pecks = []
    for s in steps(section.moves):
        if isinstance(s.move, Rapid) and s.end[2] < s.start[2]:
            assert s.end[2] > bottom, "rapid into uncut material"
        if isinstance(s.move, Line):
            assert s.move.feed == params.plunge_mm_min
            assert s.start[:2] == s.end[:2]
            pecks.append(s.end[2])
            bottom = min(bottom, s.end[2])
    assert pecks == pytest.approx([-1.5, -3.0, -4.5, -5.0])
    # Between pecks the tool leaves the hole to shed chips.
    outs = [s for s in steps(section.moves) if isinstance(s.move, Rapid) and s.end[2] > s.start[2]]
    assert len(outs) >= 3 and all(s.end[2] >= 0 for s in outs)
    assert section.moves[-1].z == params.safe_z_mm


def test_drill_without_peck_is_one_feed_per_hole():
    section = plan({"operation": "drill", "holes": [[0, 0], [5, 0], [5, 0]], "depth_mm": 4.0}, cut_params())[0]
    feeds = [m for m in section.moves if isinstance(m, Line)]
    assert [(m.x, m.y, m.z) for m in feeds] == [(0, 0, -4.0), (5, 0, -4.0)]
    assert any("repeated" in w for w in section.warnings)


def test_one_section_per_operation_with_its_own_tool():
    design = RouterDesign.from_payload({"operations": [
        {"operation": "pocket", "geometry": SQUARE, "depth_mm": 2.0, "tool_diameter_mm": 3.0},
        {"operation": "profile", "geometry": SQUARE, "side": "outside", "depth_mm": 2.0},
        {"operation": "drill", "holes": [[20, 15]], "depth_mm": 2.0},
    ]})
    params = cut_params(tool=6.0, stepover_pct=40)
    sections = plan_router(design, params)
    assert [s.name for s in sections] == ["pocket", "profile", "drill"]
    assert [s.tool_diameter_mm for s in sections] == [3.0, 6.0, 6.0]
    assert "3 mm" in sections[0].tool_label
    for s in sections:
        assert s.moves[0].z == params.safe_z_mm and s.moves[-1].z == params.safe_z_mm
        assert s.spindle_rpm == params.spindle_rpm


def test_issues_from_every_operation_are_reported_together_with_list_paths():
    design = RouterDesign.from_payload({"operations": [
        {"operation": "pocket", "geometry": {**SQUARE, "islands": [[[50, 50], [60, 50], [60, 60]]]},
         "depth_mm": 2.0},
        {"operation": "drill", "holes": [[0, 0]], "depth_mm": 2.0},
        {"operation": "pocket", "depth_mm": 1.0,
         "geometry": {"type": "annulus", "center": [0, 0], "inner_radius_mm": 10, "outer_radius_mm": 11}},
    ]})
    with pytest.raises(PlanningError) as caught:
        plan_router(design, cut_params(tool=6.0))
    assert {(i.code, i.path) for i in caught.value.issues} == {
        ("island_outside", "design.operations.0.geometry.islands.0"),
        ("tool_too_large", "design.operations.2.geometry"),
    }


def test_depth_limit_is_checked_again_in_millimetres():
    design = RouterDesign.from_payload({"operation": "drill", "holes": [[0, 0]], "depth_mm": 90})
    inch_design = scale_lengths(design, 25.4)
    with pytest.raises(PlanningError) as caught:
        plan_router(inch_design, cut_params())
    assert [(i.code, i.path) for i in caught.value.issues] == [("depth_too_large", "design.depth_mm")]


@pytest.mark.parametrize("design", [
    {"operation": "pocket", "depth_mm": 50.0,
     "geometry": {"type": "polyline", "points": [[0, 0], [2000, 0], [2000, 2000], [0, 2000], [0, 0]]}},
    {"operation": "pocket", "depth_mm": 50.0,
     "geometry": {"type": "annulus", "center": [0, 0], "inner_radius_mm": 10, "outer_radius_mm": 50_000}},
    {"operation": "drill", "holes": [[i, j] for i in range(100) for j in range(100)], "depth_mm": 50.0,
     "peck_mm": 0.01},
])
def test_jobs_past_the_move_budget_are_refused_by_name(design):
    with pytest.raises(PlanningError) as caught:
        plan(design, cut_params(tool=0.5, stepdown=0.1))
    assert [(i.code, i.path) for i in caught.value.issues] == [("too_many_moves", "design")]
