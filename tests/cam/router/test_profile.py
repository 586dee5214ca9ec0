"""Profiles (inside, outside, on), finishing passes and the tabs dressup."""
from __future__ import annotations

import math

import pytest
from shapely.geometry import LinearRing, Point, Polygon

from chalicelib.rmos.cam.router.dressups.tabs import TabZone, apply_tabs
from chalicelib.rmos.cam.toolpath import Arc, Line, PlanningError, Rapid
from tests.cam.router.pathcheck import cut_steps, descends_within, min_distance_to, run_length, steps, z_levels
from tests.cam.router.support import cut_params, plan

SQUARE = [[0, 0], [50, 0], [50, 30], [0, 30], [0, 0]]
NOTCHED = [[0, 0], [60, 0], [60, 40], [35, 40], [35, 15], [25, 15], [25, 40], [0, 40], [0, 0]]


def profile(geometry, side, depth=6.0, **extra):
    return {"operation": "profile", "geometry": geometry, "side": side, "depth_mm": depth, **extra}


def poly(points):
    return {"type": "polyline", "points": points}


def signed_area(ss):
    pts = [ss[0].start[:2]] + [s.end[:2] for s in ss]
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:])) / 2


@pytest.mark.parametrize("points", [SQUARE, NOTCHED])
def test_outside_profile_keeps_the_tool_radius_from_the_part_and_runs_clockwise(points):
    params = cut_params()
    section = plan(profile(poly(points), "outside"), params)[0]
    part = Polygon(points)
    cuts = cut_steps(section.moves)
    assert min_distance_to(cuts, part) >= params.tool_radius_mm - 1e-6
    deepest = [s for s in cuts if s.start[2] == s.end[2] == -6.0]
    assert signed_area(deepest) < 0
    # Hugging the part: nowhere further than the offset plus the chord tolerance.
    for s in deepest:
        assert part.distance(Point(s.end[:2])) <= params.tool_radius_mm + 0.01


@pytest.mark.parametrize("points", [SQUARE, NOTCHED])
def test_inside_profile_stays_inside_and_runs_counter_clockwise(points):
    params = cut_params()
    section = plan(profile(poly(points), "inside"), params)[0]
    cuts = cut_steps(section.moves)
    wall = LinearRing(points[:-1])
    assert min_distance_to(cuts, wall) >= params.tool_radius_mm - 1e-6
    for s in cuts:
        assert Polygon(points).contains(Point(s.end[:2]))
    deepest = [s for s in cuts if s.start[2] == s.end[2] == -6.0]
    assert signed_area(deepest) > 0


def test_on_profile_follows_the_line():
    params = cut_params()
    section = plan(profile(poly(SQUARE), "on", depth=2.0), params)[0]
    ring = LinearRing(SQUARE[:-1])
    for s in cut_steps(section.moves):
        assert ring.distance(Point(s.end[:2])) < 1e-9


def test_levels_ramp_along_the_path_and_never_plunge_at_cutting_feed():
    params = cut_params(stepdown=2.0)
    section = plan(profile(poly(SQUARE), "outside", depth=6.0), params)[0]
    assert z_levels(section.moves) == pytest.approx([-2.0, -4.0, -6.0])
    for s in steps(section.moves):
        if s.is_cut and s.end[2] < s.start[2] - 1e-9:
            assert descends_within(s, params.feed_mm_min, params.plunge_mm_min)
            run = math.dist(s.start[:2], s.end[:2]) if isinstance(s.move, Line) else None
            if run is not None:
                assert run > 0, "a straight plunge where a ramp fits"
                assert math.degrees(math.atan2(s.start[2] - s.end[2], run)) <= params.ramp_angle_deg + 1e-6
    assert not section.warnings
    assert sum(isinstance(m, Rapid) and m.z == params.safe_z_mm for m in section.moves) <= 3


def test_circle_profiles_are_exact_arcs():
    params = cut_params(tool=3.175, stepdown=1.0)
    geometry = {"type": "circle", "center": [0, 0], "radius_mm": 45.0}
    inside = plan(profile(geometry, "inside", depth=3.0), params)[0]
    outside = plan(profile(geometry, "outside", depth=3.0), params)[0]
    r = params.tool_radius_mm
    for section, radius, clockwise in [(inside, 45 - r, False), (outside, 45 + r, True)]:
        cuts = cut_steps(section.moves)
        assert all(isinstance(s.move, Arc) for s in cuts)
        for s in cuts:
            assert math.hypot(*s.end[:2]) == pytest.approx(radius)
            assert s.move.clockwise is clockwise


def test_annulus_profile_cuts_both_circles():
    params = cut_params(tool=3.175, stepdown=1.0)
    geometry = {"type": "annulus", "center": [0, 0], "inner_radius_mm": 20.0, "outer_radius_mm": 30.0}
    section = plan(profile(geometry, "outside", depth=2.0), params)[0]
    r = params.tool_radius_mm
    radii = {round(math.hypot(*s.end[:2]), 6): s.move.clockwise for s in cut_steps(section.moves)}
    assert radii == {round(30 + r, 6): True, round(20 - r, 6): False}


def test_finishing_pass_roughs_at_the_allowance_then_one_full_depth_lap():
    params = cut_params(stepdown=2.0)
    section = plan(profile(poly(SQUARE), "outside", depth=4.0, finish_allowance_mm=0.5), params)[0]
    part = Polygon(SQUARE)
    cuts = cut_steps(section.moves)
    dist = [part.distance(Point(s.end[:2])) for s in cuts]
    rough = [d for s, d in zip(cuts, dist) if s.end[2] > -4.0 + 1e-9]
    assert min(rough) == pytest.approx(3.5, abs=0.01)
    last_lap = [s for s in cuts[-8:]]
    assert all(part.distance(Point(s.end[:2])) <= 3.0 + 0.01 for s in last_lap)
    assert min(dist) >= 3.0 - 1e-6
    flag_only = plan(profile(poly(SQUARE), "outside", depth=4.0, finishing_pass=True), params)[0]
    assert len(flag_only.moves) > len(plan(profile(poly(SQUARE), "outside", depth=4.0), params)[0].moves)


def test_soundhole_with_tabs_rises_over_each_tab_at_tab_top():
    params = cut_params(tool=3.175, stepdown=1.0)
    design = profile({"type": "circle", "center": [0, 0], "radius_mm": 45.0}, "inside", depth=3.0,
                     tabs={"count": 4, "width_mm": 5.0, "height_mm": 1.0})
    section = plan(design, params)[0]
    r = params.tool_radius_mm
    tab_top = -2.0
    ss = steps(section.moves)
    # Over tabs: flat arcs at the tab top on the final level, each (width + tool) long.
    over = [s for s in ss if isinstance(s.move, Arc) and s.start[2] == s.end[2] == tab_top
            and s.move.feed == params.feed_mm_min and abs(s.sweep()) < math.pi / 2]
    assert len(over) == 4
    for s in over:
        # Along the curved path the bridge is a hair longer than its straight width.
        assert abs(s.sweep()) * (45 - r) == pytest.approx(5.0 + 3.175, abs=0.01)
    # Evenly spaced: tab centres 90 degrees apart.
    centres = sorted((math.atan2(*reversed(s.xy_points()[len(s.xy_points()) // 2][:2])) % (2 * math.pi))
                     for s in over)
    gaps = [b - a for a, b in zip(centres, centres[1:])]
    assert gaps == pytest.approx([math.pi / 2] * 3, abs=1e-3)
    # Nothing below the tab top inside a tab zone; full depth elsewhere.
    for s in ss:
        if s.is_cut:
            for x, y, z in s.xy_points(0.2):
                near_tab = any(math.dist((x, y), o.xy_points()[len(o.xy_points()) // 2][:2]) < (5 + 3.175) / 2 - 0.01
                               for o in over)
                if near_tab:
                    assert z >= tab_top - 1e-9
    assert min(m.z for m in section.moves) == -3.0
    # Dropping back off a tab is a plunge: at plunge feed; the ramps sink no faster than it.
    for s in ss:
        if s.is_cut and s.end[2] < s.start[2] - 1e-9:
            assert descends_within(s, params.feed_mm_min, params.plunge_mm_min)
            if run_length(s) < 1e-9:
                assert s.move.feed <= params.plunge_mm_min


def test_tabs_dressup_splits_lines_exactly():
    moves = [Line(10, 0, -3, 500), Line(10, 10, -3, 500)]
    zone = TabZone(5, 0, 1.0)
    out = apply_tabs(moves, [zone], -2.0, 100, start=(0, 0, -3))
    assert [(round(m.x, 9), round(m.y, 9), m.z, m.feed) for m in out] == [
        (4, 0, -3, 500), (4, 0, -2, 500), (6, 0, -2, 500), (6, 0, -3, 100), (10, 0, -3, 500), (10, 10, -3, 500)]
    above = apply_tabs(moves, [zone], -4.0, 100, start=(0, 0, -3))
    assert above == moves


@pytest.mark.parametrize("tabs, code, path", [
    ({"count": 4, "width_mm": 5, "height_mm": 6}, "tabs_too_tall", "design.tabs.height_mm"),
    ({"count": 40, "width_mm": 20, "height_mm": 1}, "tabs_too_wide", "design.tabs"),
])
def test_bad_tabs_are_refused(tabs, code, path):
    with pytest.raises(PlanningError) as caught:
        plan(profile(poly(SQUARE), "outside", depth=6.0, tabs=tabs), cut_params())
    assert (code, path) in {(i.code, i.path) for i in caught.value.issues}


def test_inside_profile_too_small_for_the_tool():
    with pytest.raises(PlanningError) as caught:
        plan(profile({"type": "circle", "center": [0, 0], "radius_mm": 2.0}, "inside"), cut_params(tool=6.0))
    assert caught.value.issues[0].code == "tool_too_large"
    with pytest.raises(PlanningError) as caught:
        plan(profile(poly([[0, 0], [4, 0], [4, 40], [0, 40]]), "inside"), cut_params(tool=6.0))
    assert caught.value.issues[0].code == "tool_too_large"


def test_outside_profile_cuts_holes_in_the_part_and_refuses_holes_smaller_than_the_tool():
    params = cut_params(tool=6.0)
    hole = [[20, 10], [30, 10], [30, 20], [20, 20], [20, 10]]
    geometry = {"type": "polyline", "points": SQUARE, "islands": [hole]}
    section = plan(profile(geometry, "outside", depth=2.0), params)[0]
    cuts = cut_steps(section.moves)
    inside_hole = [s for s in cuts if Polygon(hole).contains(Point(s.end[:2]))]
    assert inside_hole, "the hole in the part was not cut"
    part = Polygon(SQUARE, [hole[:-1]])
    assert min_distance_to(cuts, part) >= params.tool_radius_mm - 1e-6
    tiny = [[35, 10], [39, 10], [39, 14], [35, 14], [35, 10]]
    with pytest.raises(PlanningError) as caught:
        plan(profile({**geometry, "islands": [hole, tiny]}, "outside", depth=2.0), params)
    assert [(i.code, i.path) for i in caught.value.issues] == [("tool_too_large", "design.geometry.islands.1")]


def test_no_arc_is_so_short_that_a_post_would_print_a_full_circle():
    """Tab edges and ramp ends that land a hair from a seam must not become tiny arcs."""
    params = cut_params(tool=3.175, stepdown=1.0)
    for count in (1, 3, 4, 7):
        design = profile({"type": "circle", "center": [0, 0], "radius_mm": 30.0}, "outside", depth=3.0,
                         tabs={"count": count, "width_mm": 3.0, "height_mm": 1.0})
        for s in steps(plan(design, params)[0].moves):
            if isinstance(s.move, Arc) and abs(abs(s.sweep()) - 2 * math.pi) > 1e-6:
                assert abs(s.sweep()) * math.hypot(s.start[0], s.start[1]) >= 1e-3


def test_tab_dressup_never_leaves_a_tiny_arc():
    # Half circle of radius 10 from (10, 0); a tab zone whose edge falls 1e-5 rad after the start.
    arc = Arc(-10, 0, -3, 0, 0, False, 500, math.pi)
    half_width = 0.5 - 1e-5
    zone = TabZone(10 * math.cos(0.5), 10 * math.sin(0.5), 20 * math.sin(half_width / 2))
    out = apply_tabs([arc], [zone], -2.0, 100, start=(10, 0, -3))
    assert isinstance(out[0], Line) and out[0].z == -3
    pos = (10, 0)
    for m in out:
        if isinstance(m, Arc):
            swept = (math.atan2(m.y, m.x) - math.atan2(pos[1], pos[0])) % (2 * math.pi)
            assert swept * 10 >= 1e-3
        pos = (m.x, m.y)
    assert any(isinstance(m, Arc) and m.z == -2.0 for m in out)
