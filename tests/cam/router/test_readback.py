"""Router jobs through the whole pipeline: posted G-code run by rs274 and read back.

Inch intents are read back in tests/cam/test_inch_cli_report.py."""
from __future__ import annotations

import math

import pytest
from shapely.geometry import Point, Polygon
from shapely.ops import unary_union

from chalicelib.rmos.cam.pipeline import IntentRejected, plan_intent
from tests.cam import intents
from tests.cam.truth import (
    assert_cleared,
    assert_cuts_within,
    assert_max_depth,
    assert_no_rapid_through_material,
    disc,
    run_rs274,
)

pytestmark = pytest.mark.rs274

R_1_16 = 1.5875 / 2
R_1_8 = 3.175 / 2


def assert_pocket_cut(canon, target, depth: float, tool_radius: float) -> None:
    """The read-back cuts only inside `target`, clears it to `depth`, never deeper, never rapids through stock."""
    assert_max_depth(canon, depth)
    assert_cuts_within(canon, target, tool_radius)
    assert_cleared(canon, target, depth, tool_radius)
    assert_no_rapid_through_material(canon, tool_radius)


def router(design: dict, **extra) -> dict:
    return {"mode": "router_3axis", "design": design, **extra}


def annulus(inner: float, outer: float, depth: float) -> dict:
    return {"operation": "pocket", "depth_mm": depth,
            "geometry": {"type": "annulus", "center": [0, 0], "inner_radius_mm": inner, "outer_radius_mm": outer}}


CHANNELS = {
    # The 6-ring rosette: channel from 100 to 118 mm diameter, 1/16 in bit, 1.6 mm in two levels.
    "rosette-100-118": (router(annulus(50.0, 59.0, 1.6)), 50.0, 59.0, 1.6, [-1.6, -0.8]),
    "rosette-88-100": (intents.rosette(), 44.0, 50.0, 1.5, [-1.5, -0.75]),
}


@pytest.mark.parametrize("post", ["grbl", "linuxcnc"])
@pytest.mark.parametrize("channel_id", list(CHANNELS))
def test_rosette_channel_is_compact_and_cleared(tmp_path, channel_id, post):
    raw, inner_r, outer_r, depth, levels = CHANNELS[channel_id]
    result = plan_intent(raw, post=post)
    assert len(result.program.encode()) < 5000
    canon = run_rs274(result.program, tmp_path)
    channel = disc((0, 0), outer_r).difference(disc((0, 0), inner_r))
    assert_pocket_cut(canon, channel, depth, R_1_16)
    assert canon.spindle_on_before_first_cut
    depths = sorted({round(s.end[2], 4) for s in canon.cuts if s.kind == "arc" and s.start[2] == s.end[2]})
    assert depths == levels
    # Rings are exact arcs, not chords.
    assert sum(s.kind == "arc" for s in canon.cuts) > sum(s.kind == "feed" for s in canon.cuts) / 2
    # Climb: the ring on the outer wall runs CCW, the one on the inner wall CW.
    outer = [s for s in canon.cuts if s.kind == "arc" and abs(math.hypot(*s.end[:2]) - (outer_r - R_1_16)) < 1e-3]
    inner = [s for s in canon.cuts if s.kind == "arc" and abs(math.hypot(*s.end[:2]) - (inner_r + R_1_16)) < 1e-3]
    assert outer and all(s.rotation > 0 for s in outer)
    assert inner and all(s.rotation < 0 for s in inner)


def test_channel_exactly_one_tool_wide_is_one_circle_per_level(tmp_path):
    result = plan_intent(router(annulus(50.0, 50.0 + 1.5875, 1.6)), post="grbl")
    canon = run_rs274(result.program, tmp_path)
    mid = 50.0 + R_1_16
    for s in canon.cuts:
        if s.end[2] < 0:
            assert math.hypot(*s.end[:2]) == pytest.approx(mid, abs=1e-3)
    full_laps = [s for s in canon.cuts if s.kind == "arc" and s.start[2] == s.end[2] and abs(s.sweep()) > 6.28]
    assert len(full_laps) == 2
    assert_max_depth(canon, 1.6)
    assert_no_rapid_through_material(canon, R_1_16)


def test_channel_narrower_than_the_tool_is_refused():
    with pytest.raises(IntentRejected) as caught:
        plan_intent(router(annulus(50.0, 51.5, 1.6)), post="grbl")
    assert [(i.code, i.path) for i in caught.value.issues] == [("tool_too_large", "design.geometry")]


def test_split_pocket(tmp_path):
    points = [[0, 0], [20, 0], [20, 9], [30, 9], [30, 0], [50, 0], [50, 20], [30, 20], [30, 11],
              [20, 11], [20, 20], [0, 20], [0, 0]]
    design = {"operation": "pocket", "depth_mm": 2.0, "geometry": {"type": "polyline", "points": points}}
    result = plan_intent(router(design, tool_id="em-1-8-2f"), post="linuxcnc")
    canon = run_rs274(result.program, tmp_path)
    target = Polygon(points)
    assert_pocket_cut(canon, target, 2.0, R_1_8)
    for s in canon.cuts:
        if min(s.start[2], s.end[2]) < 0:
            assert (s.start[0] - 25) * (s.end[0] - 25) >= 0, "a cut crossed the neck"


POCKETS = {
    "one-island": (intents.pocket_with_island(), 2.0),
    "two-islands": (router({"operation": "pocket", "depth_mm": 3.0,
                            "geometry": {"type": "polyline", "points": [[0, 0], [60, 0], [60, 40], [0, 40], [0, 0]],
                                         "islands": [[[10, 10], [20, 10], [20, 30], [10, 30], [10, 10]],
                                                     [[35, 12], [50, 12], [42, 30], [35, 12]]]}},
                           tool_id="em-1-8-2f"), 3.0),
}


@pytest.mark.parametrize("pocket_id", list(POCKETS))
def test_pocket_with_islands(tmp_path, pocket_id):
    raw, depth = POCKETS[pocket_id]
    result = plan_intent(raw, post="grbl")
    canon = run_rs274(result.program, tmp_path)
    geometry = raw["design"]["geometry"]
    target = Polygon(geometry["points"]).difference(unary_union([Polygon(i) for i in geometry["islands"]]))
    assert_pocket_cut(canon, target, depth, R_1_8)


PROFILES = {
    # Inside profile through a 3 mm top on a 90 mm soundhole, held by four tabs.
    "soundhole-inside": {"operation": "profile", "side": "inside", "depth_mm": 3.0,
                         "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 45.0},
                         "tabs": {"count": 4, "width_mm": 5.0, "height_mm": 1.0}},
    "disc-outside": intents.profile_with_tabs()["design"],
}


@pytest.mark.parametrize("profile_id", list(PROFILES))
def test_profile_with_tabs(tmp_path, profile_id):
    design = PROFILES[profile_id]
    result = plan_intent(router(design, tool_id="em-1-8-2f"), post="grbl")
    canon = run_rs274(result.program, tmp_path)
    radius, depth, tabs = design["geometry"]["radius_mm"], design["depth_mm"], design["tabs"]
    part = disc((0, 0), radius)
    # The tool centre runs on the part's edge moved one radius into the waste.
    path_r = radius - R_1_8 if design["side"] == "inside" else radius + R_1_8
    assert_max_depth(canon, depth)
    if design["side"] == "inside":
        assert_cuts_within(canon, part, R_1_8)
    assert_no_rapid_through_material(canon, R_1_8)
    for s in canon.cuts:
        if s.end[2] < 0:
            assert math.hypot(*s.end[:2]) == pytest.approx(path_r, abs=1e-3)
        if s.end[2] < -0.01:
            for x, y, _ in s.points(0.5):
                assert Point(x, y).distance(part.exterior) == pytest.approx(R_1_8, abs=0.02)
    # At full depth the tool runs at the tab top exactly over one stretch per tab.
    tab_top = -(depth - tabs["height_mm"])
    assert any(abs(s.end[2] - tab_top) < 0.01 for s in canon.cuts)
    over = [s for s in canon.cuts if s.kind == "arc" and abs(s.start[2] - tab_top) < 1e-4
            and abs(s.end[2] - tab_top) < 1e-4 and s.start[:2] != s.end[:2]
            and any(abs(o.end[2] + depth) < 1e-4 for o in canon.cuts)]
    stretches = [s for s in over if abs(s.sweep()) * path_r < tabs["width_mm"] + 2 * 3.175 + 0.01]
    assert len(stretches) >= tabs["count"]
    for s in stretches:
        assert abs(s.sweep()) * path_r == pytest.approx(tabs["width_mm"] + 3.175, abs=0.02)


DRILLS = {
    "three-holes-1.5-pecks": ({"operation": "drill", "holes": [[0, 0], [30, 0], [5, 2]], "depth_mm": 6.0,
                               "peck_mm": 1.5}, [(0, 0), (5, 2), (30, 0)]),
    "three-holes-1-pecks": (intents.peck_drill()["design"], [(0, 0), (10, 5), (-12, 8)]),
}


@pytest.mark.parametrize("drill_id", list(DRILLS))
def test_peck_drilling(tmp_path, drill_id):
    design, order = DRILLS[drill_id]
    depth = design["depth_mm"]
    result = plan_intent(router(design, tool_id="em-1-8-2f"), post="grbl")
    assert "G83" not in result.program and "G81" not in result.program
    canon = run_rs274(result.program, tmp_path)
    assert_max_depth(canon, depth)
    assert_no_rapid_through_material(canon, R_1_8)
    bottoms: dict[tuple[float, float], float] = {}
    visits = []
    for s in canon.segments:
        key = (round(s.end[0], 3), round(s.end[1], 3))
        if s.kind == "rapid" and s.end[2] < s.start[2] and s.end[2] < 0:
            assert s.end[2] > bottoms.get(key, 0.0), "rapid into uncut material"
        if s.is_cut:
            bottoms[key] = min(bottoms.get(key, 0.0), s.end[2])
            if not visits or visits[-1] != key:
                visits.append(key)
    assert [v for v in dict.fromkeys(visits)] == order
    assert all(v == pytest.approx(-depth) for v in bottoms.values())
    holes = [tuple(h) for h in design["holes"]]
    for x, y in holes:
        # Pecks: separate plunges into the same hole, one per peck at least.
        plunges = [s for s in canon.cuts if abs(s.end[0] - x) < 1e-3 and abs(s.end[1] - y) < 1e-3
                   and s.end[2] < s.start[2]]
        assert len(plunges) >= math.ceil(depth / design["peck_mm"])
    # Every in-material point is on a hole centre.
    for s in canon.cuts:
        if s.end[2] < 0:
            assert min(abs(s.end[0] - x) + abs(s.end[1] - y) for x, y in holes) < 1e-3


def test_5000_vertex_ellipse_stays_small_and_runs(tmp_path):
    """The shape that made 34 MB of G-code elsewhere: here a few hundred kB, cut and cleared."""
    pts = [[30 * math.cos(t), 18 * math.sin(t)] for t in (2 * math.pi * i / 5000 for i in range(5000))]
    pts.append(pts[0])
    design = {"operation": "pocket", "depth_mm": 1.0, "geometry": {"type": "polyline", "points": pts}}
    result = plan_intent(router(design, tool_id="em-1-8-2f"), post="linuxcnc")
    assert len(result.program.encode()) < 600_000
    canon = run_rs274(result.program, tmp_path)
    target = Polygon(pts)
    assert_pocket_cut(canon, target, 1.0, R_1_8)


@pytest.mark.parametrize("post", ["grbl", "linuxcnc"])
def test_body_outline_rings_fitted_with_arcs_cut_inside_and_clear(tmp_path, post):
    """A dense, curved outline: rings become lines and arcs, and still never cut a wall."""
    pts = []
    for i in range(2000):
        t = 2 * math.pi * i / 2000
        waist = 1.0 - 0.22 * math.cos(t) ** 2 * (1 - math.cos(2 * t)) / 2
        pts.append([round(66.0 * math.cos(t), 4), round(50.0 * math.sin(t) * waist * (1.0 + 0.08 * math.cos(t)), 4)])
    pts.append(pts[0])
    islands = [[[round(-32 + 9 * math.cos(a), 4), round(9 * math.sin(a), 4)] for a in
                (2 * math.pi * k / 48 for k in range(48))]]
    islands[0].append(islands[0][0])
    design = {"operation": "pocket", "depth_mm": 2.0,
              "geometry": {"type": "polyline", "points": pts, "islands": islands}}
    result = plan_intent(router(design, tool_id="em-1-8-2f"), post=post)
    moves = result.report["totals"]["moves"]
    # About 35 rings a level: one move per outline vertex would be over 100,000.
    assert moves < 10_000, "rings are fitted, not one move per outline vertex"
    canon = run_rs274(result.program, tmp_path)
    target = Polygon(pts).difference(Polygon(islands[0]))
    assert_pocket_cut(canon, target, 2.0, R_1_8)


def test_truth_checks_catch_bad_programs(tmp_path):
    """The read-back checks fail on a gouge, an uncut ring, a deep cut and a rapid through stock."""
    text = "\n".join([
        "G21 G90 G17 G94", "M3 S10000", "G0 Z5", "G0 X0 Y0", "G1 Z-1 F100", "G1 X10 F500",
        "G0 Z5", "G0 X20 Y0", "G0 Z-0.5", "G1 Z-2 F100", "G0 X25", "G0 Z5", "M5", "M30", ""])
    canon = run_rs274(text, tmp_path)
    slot = Polygon([(-1, -1), (11, -1), (11, 1), (-1, 1)])
    with pytest.raises(pytest.fail.Exception):
        assert_no_rapid_through_material(canon, 1.0)
    with pytest.raises(AssertionError):
        assert_max_depth(canon, 1.0)
    with pytest.raises(AssertionError):
        assert_cuts_within(canon, slot, 1.0)
    wide = Polygon([(-1, -3), (11, -3), (11, 3), (-1, 3)])
    with pytest.raises(pytest.fail.Exception):
        assert_cleared(canon, wide, 1.0, 1.0)
    rejected = "G21\nG2 X10 Y0 I5.5 J0 F100\nM30\n"
    with pytest.raises(pytest.fail.Exception, match="rs274 rejected"):
        run_rs274(rejected, tmp_path, "bad.ngc")


def test_small_pocket_goes_down_level_by_level_without_leaving_it(tmp_path):
    """Between levels the tool rises only to just above the floor it cut, feeds across and enters again."""
    points = [[0, 0], [24, 0], [24, 14], [0, 14], [0, 0]]
    design = {"operation": "pocket", "depth_mm": 4.5, "geometry": {"type": "polyline", "points": points}}
    result = plan_intent(router(design, tool_id="em-1-8-2f"), post="linuxcnc")
    canon = run_rs274(result.program, tmp_path)
    assert_pocket_cut(canon, Polygon(points), 4.5, R_1_8)
    floors = sorted({round(s.end[2], 4) for s in canon.cuts if s.start[2] == s.end[2] and s.end[2] < 0})
    assert len([z for z in floors if z in (-1.5, -3.0, -4.5)]) == 3, floors
    up_to_safe = [s for s in canon.segments if s.kind == "rapid" and s.end[2] > s.start[2] and s.start[2] < 0]
    assert len(up_to_safe) <= 3, "one rise per level at most"
    assert max(s.end[2] for s in up_to_safe[:-1]) < 0, "between levels the tool stays inside the pocket"
    assert result.report["checks"]


def test_rings_round_a_faceted_round_island_are_a_few_long_arcs(tmp_path):
    """A 72-sided island: inner rings follow it as arcs about its centre, not a line and a fillet per facet."""
    points = [[0, 0], [60, 0], [60, 40], [0, 40], [0, 0]]
    island = [[30 + 8 * math.cos(2 * math.pi * k / 72), 20 + 8 * math.sin(2 * math.pi * k / 72)] for k in range(72)]
    island.append(island[0])
    design = {"operation": "pocket", "depth_mm": 1.0,
              "geometry": {"type": "polyline", "points": points, "islands": [island]}}
    result = plan_intent(router(design, tool_id="em-1-8-2f"), post="grbl")
    canon = run_rs274(result.program, tmp_path)
    target = Polygon(points).difference(Polygon(island))
    assert_pocket_cut(canon, target, 1.0, R_1_8)
    about_island = [s for s in canon.cuts if s.kind == "arc" and s.end[2] < 0
                    and math.dist(s.center[:2], (30, 20)) < 0.05]
    long_arcs = [s for s in about_island if abs(s.sweep()) > math.radians(30)]
    assert len(long_arcs) >= 4, "inner rings round the island are long arcs"
