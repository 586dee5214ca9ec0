"""Arcs in, arcs out: bulged outlines planned as exact arcs, offsets fitted back to arcs, through both posts."""
from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon

from bench.router import body_outline
from chalicelib.rmos.cam.pipeline import plan_intent
from chalicelib.rmos.cam.router import bulge
from chalicelib.rmos.cam.router.fit import whole_circle
from chalicelib.rmos.cam.router.models import RouterDesign
from chalicelib.rmos.cam.toolpath import Arc
from chalicelib.rmos.cam.units import scale_lengths
from tests.cam.router.pathcheck import cut_steps, min_distance_to
from tests.cam.router.support import cut_params, plan
from tests.cam.truth import assert_cleared, assert_cuts_within, assert_max_depth, \
    assert_no_rapid_through_material, disc, run_rs274

R_1_8 = 3.175 / 2
CIRCLE = {"type": "polyline", "points": [[-50, 0], [50, 0]], "bulges": [1, 1]}
QUARTER = math.tan(math.pi / 8)  # a 90 degree corner


def neck_pocket(width=56.0, length=76.0, corner=6.0):
    """A rectangle with rounded corners: straight pieces then a bulged quarter circle at each corner."""
    w, h, c = width / 2, length / 2, corner
    points = [[-w + c, -h], [w - c, -h], [w, -h + c], [w, h - c], [w - c, h], [-w + c, h], [-w, h - c], [-w, -h + c]]
    bulges = [0, QUARTER, 0, QUARTER, 0, QUARTER, 0, QUARTER]
    return {"type": "polyline", "points": points, "bulges": bulges}


def true_shape(geometry, fine=1e-6) -> Polygon:
    """The outline's true shape, sampled so finely that chords and arcs agree to `fine`."""
    return Polygon(bulge.densify(geometry["points"], geometry["bulges"], True, fine))


def arc_blocks(program: str) -> int:
    return sum(1 for line in program.splitlines() if line.startswith(("G2 ", "G3 ")))


def router(design, **extra):
    return {"mode": "router_3axis", "tool_id": "em-1-8-2f", "design": design, **extra}


# --- geometry -----------------------------------------------------------------------------------------------------

def test_two_bulged_vertices_are_one_exact_circle():
    loop = bulge.exact_loop(CIRCLE["points"], CIRCLE["bulges"])
    assert [s.sweep for s in loop] == pytest.approx([math.pi, math.pi])
    assert all(s.center == pytest.approx((0.0, 0.0)) and s.radius == pytest.approx(50.0) for s in loop)
    # Counter-clockwise: the first half passes below the centre.
    assert loop[0].point_at(0.5) == pytest.approx((0.0, -50.0))
    assert bulge.signed_area(CIRCLE["points"], CIRCLE["bulges"]) == pytest.approx(math.pi * 2500)
    assert bulge.signed_area(CIRCLE["points"], [-1, -1]) == pytest.approx(-math.pi * 2500)


@pytest.mark.parametrize("points, bulges", [
    (CIRCLE["points"], CIRCLE["bulges"]),
    # Concave arc: a square whose top edge bows down into it.
    ([[0, 0], [40, 0], [40, 30], [0, 30]], [0, 0, -0.3, 0]),
])
def test_densified_polygons_lie_on_the_safe_side_of_the_arcs(points, bulges):
    truth = Polygon(bulge.densify(points, bulges, True, 1e-6))
    inner = Polygon(bulge.densify(points, bulges, True))
    outer = Polygon(bulge.densify(points, bulges, False))
    assert inner.is_valid and outer.is_valid
    assert truth.buffer(2e-6).contains(inner)
    assert outer.buffer(2e-6).contains(truth)
    # Never further off than the densifying tolerance.
    assert truth.hausdorff_distance(inner) <= bulge.DENSIFY_TOLERANCE_MM + 2e-6
    assert truth.hausdorff_distance(outer) <= bulge.DENSIFY_TOLERANCE_MM + 2e-6


def test_huge_arcs_are_densified_coarser_rather_than_without_bound():
    points = [[-90_000, 0], [90_000, 0]]
    dense = bulge.densify(points, [1, 1], True)
    assert len(dense) <= bulge.MAX_DENSIFIED_POINTS + 2
    assert Polygon(dense).area == pytest.approx(math.pi * 90_000 ** 2, rel=1e-3)


def test_whole_circle_accepts_circles_and_refuses_ellipses():
    t = np.linspace(0, 2 * np.pi, 801)
    ring = np.column_stack([10 + 30 * np.cos(t), -5 + 30 * np.sin(t)])
    ring[-1] = ring[0]
    seg = whole_circle(ring, 0.01)
    assert seg is not None and seg.center == pytest.approx((10, -5), abs=1e-4)
    assert seg.radius == pytest.approx(30, abs=0.01) and seg.sweep == pytest.approx(2 * math.pi)
    assert whole_circle(ring[::-1], 0.01).sweep == pytest.approx(-2 * math.pi)
    squashed = ring * [1.0, 0.999]
    squashed[-1] = squashed[0]
    assert whole_circle(squashed, 0.01) is None
    # Chords too long for the tolerance: their middles sag off the circle.
    coarse = ring[::100]
    assert whole_circle(coarse, 0.01) is None


def test_inch_intents_scale_points_but_not_bulges():
    design = RouterDesign.from_payload({"operation": "profile", "side": "on", "depth_mm": 0.1,
                                        "geometry": {**CIRCLE, "points": [[-2, 0], [2, 0]]}})
    geom = scale_lengths(design, 25.4).operations[0].geometry
    assert geom.points == [(-50.8, 0.0), (50.8, 0.0)]
    assert geom.bulges == [1, 1]


# --- planning -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("side", ["inside", "outside", "on"])
def test_circle_profile_is_one_full_circle_per_lap(side):
    params = cut_params(tool=6.0, stepdown=2.0)
    section = plan({"operation": "profile", "side": side, "depth_mm": 4.0, "geometry": CIRCLE}, params)[0]
    cuts = cut_steps(section.moves)
    assert cuts and all(isinstance(s.move, Arc) for s in cuts if s.start[2] == s.end[2])
    radius = {"inside": 50 - 3, "outside": 50 + 3, "on": 50}[side]
    tol = max(1e-4, min(params.arc_tolerance_mm, 0.01) / 2)
    flat = [s for s in cuts if s.start[2] == s.end[2]]
    if side == "on":
        # The outline itself: its own arcs, one whole turn per level.
        laps = flat
        for z in (-2.0, -4.0):
            assert sum(abs(s.sweep()) for s in flat if s.end[2] == z) == pytest.approx(2 * math.pi)
    else:
        laps = [s for s in flat if abs(s.sweep()) > 2 * math.pi - 1e-6]
        assert len(laps) == 2
    for s in laps:
        rho = math.hypot(s.move.x - s.move.cx, s.move.y - s.move.cy)
        if side == "inside":
            assert radius - tol - 1e-6 <= rho <= radius
        elif side == "outside":
            assert radius <= rho <= radius + tol + 1e-6
        else:
            assert rho == pytest.approx(radius, abs=1e-9)


@pytest.mark.parametrize("side", ["inside", "outside"])
def test_profiles_of_concave_arcs_keep_the_tool_radius_from_the_true_arc(side):
    geometry = {"type": "polyline", "points": [[0, 0], [60, 0], [60, 40], [0, 40]], "bulges": [0.25, 0, -0.35, 0]}
    params = cut_params(tool=6.0, stepdown=3.0)
    section = plan({"operation": "profile", "side": side, "depth_mm": 3.0, "geometry": geometry}, params)[0]
    cuts = cut_steps(section.moves)
    wall = true_shape(geometry).exterior
    assert min_distance_to(cuts, wall) >= params.tool_radius_mm - 1e-6
    # Hugging it too: every end point within the offset plus one tolerance.
    for s in cuts:
        assert wall.distance(Point(s.end[:2])) <= params.tool_radius_mm + 0.006
    arcs = [s for s in cuts if isinstance(s.move, Arc)]
    assert len(arcs) >= 4  # both bulged pieces, on every lap


def test_pocket_island_given_with_bulges_is_avoided_by_the_tool_radius():
    geometry = {"type": "polyline", "points": [[-40, -30], [40, -30], [40, 30], [-40, 30]],
                "islands": [[[-10, 0], [10, 0]]], "island_bulges": [[1, 1]]}
    params = cut_params(tool=6.0, stepdown=3.0)
    section = plan({"operation": "pocket", "depth_mm": 3.0, "geometry": geometry}, params)[0]
    cuts = cut_steps(section.moves)
    island = Point(0, 0).buffer(10, quad_segs=2048)
    assert min_distance_to(cuts, island.exterior) >= params.tool_radius_mm - 1e-6
    assert any(isinstance(s.move, Arc) for s in cuts)


def test_open_warning_is_not_given_for_an_outline_closed_by_an_arc():
    params = cut_params()
    section = plan({"operation": "profile", "side": "on", "depth_mm": 2.0, "geometry": CIRCLE}, params)[0]
    assert not section.warnings
    open_square = {"type": "polyline", "points": [[0, 0], [50, 0], [50, 30], [0, 30]]}
    section = plan({"operation": "profile", "side": "on", "depth_mm": 2.0, "geometry": open_square}, params)[0]
    assert any("closed back" in w for w in section.warnings)


# --- through the pipeline and rs274 ---------------------------------------------------------------------------------


@pytest.mark.rs274
@pytest.mark.parametrize("post", ["grbl", "linuxcnc"])
def test_bulged_circle_pocket_reads_back_with_arcs_inside_the_circle(tmp_path, post):
    result = plan_intent(router({"operation": "pocket", "depth_mm": 3.0, "geometry": CIRCLE}), post=post)
    assert arc_blocks(result.program) >= 4
    canon = run_rs274(result.program, tmp_path)
    target = disc((0, 0), 50.0)
    assert_max_depth(canon, 3.0)
    assert_cuts_within(canon, target, R_1_8)
    assert_cleared(canon, target, 3.0, R_1_8)
    assert_no_rapid_through_material(canon, R_1_8)
    # The wall lap of each level is arcs about the circle's centre.
    wall = [s for s in canon.cuts if s.kind == "arc" and s.start[2] == s.end[2] < 0
            and math.hypot(*(np.array(s.center) - 0)) < 1e-3 and math.hypot(*s.end[:2]) > 50 - R_1_8 - 0.01]
    assert wall


@pytest.mark.rs274
@pytest.mark.parametrize("post", ["grbl", "linuxcnc"])
@pytest.mark.parametrize("side", ["inside", "outside"])
def test_bulged_circle_profile_reads_back_as_full_circles(tmp_path, post, side):
    design = {"operation": "profile", "side": side, "depth_mm": 3.0, "geometry": CIRCLE}
    result = plan_intent(router(design, context={"stepdown_mm": 1.5}), post=post)
    program = result.program
    # Two levels: a ramp and a full circle each, as G2/G3 only.
    assert arc_blocks(program) >= 4
    assert not any(line.startswith("G1 X") and "Z" not in line for line in program.splitlines())
    canon = run_rs274(program, tmp_path)
    assert_max_depth(canon, 3.0)
    assert_no_rapid_through_material(canon, R_1_8)
    expected = 50 - R_1_8 if side == "inside" else 50 + R_1_8
    laps = [s for s in canon.cuts if s.kind == "arc" and s.start[2] == s.end[2] < 0]
    assert len(laps) == 2 and all(abs(s.sweep()) == pytest.approx(2 * math.pi) for s in laps)
    assert all(np.allclose(s.center, (0, 0), atol=1e-3) for s in laps)
    for s in canon.cuts:
        if min(s.start[2], s.end[2]) < 0:
            rho = np.hypot(*s.points()[:, :2].T)
            assert np.all(np.abs(rho - expected) <= 0.0025 + 1e-3)
    if side == "inside":
        assert_cuts_within(canon, disc((0, 0), 50.0), R_1_8)


@pytest.mark.rs274
@pytest.mark.parametrize("post", ["grbl", "linuxcnc"])
def test_neck_pocket_with_arc_corners_reads_back_with_arcs(tmp_path, post):
    geometry = neck_pocket()
    target = true_shape(geometry)
    design = {"operation": "pocket", "depth_mm": 4.0, "geometry": geometry}
    result = plan_intent(router(design, context={"stepdown_mm": 2.0}), post=post)
    assert arc_blocks(result.program) >= 4 * 2  # at least the four corners of every level
    canon = run_rs274(result.program, tmp_path)
    assert_max_depth(canon, 4.0)
    assert_cuts_within(canon, target, R_1_8)
    assert_cleared(canon, target, 4.0, R_1_8)
    assert_no_rapid_through_material(canon, R_1_8)
    # Each corner of the wall ring is an arc about the corner's own centre.
    w, h, c = 28.0, 38.0, 6.0
    corners = {(sx * (w - c), sy * (h - c)) for sx in (-1, 1) for sy in (-1, 1)}
    about = {min(corners, key=lambda k: math.dist(k, s.center)) for s in canon.cuts
             if s.kind == "arc" and min(math.dist(k, s.center) for k in corners) < 1e-3}
    assert about == corners


@pytest.mark.rs274
@pytest.mark.parametrize("post", ["grbl", "linuxcnc"])
def test_neck_pocket_inside_profile_reads_back_with_arc_corners(tmp_path, post):
    geometry = neck_pocket()
    target = true_shape(geometry)
    design = {"operation": "profile", "side": "inside", "depth_mm": 4.0, "geometry": geometry,
              "tabs": {"count": 4, "width_mm": 4.0, "height_mm": 1.0}}
    result = plan_intent(router(design, context={"stepdown_mm": 2.0}), post=post)
    assert arc_blocks(result.program) >= 4 * 2
    canon = run_rs274(result.program, tmp_path)
    assert_max_depth(canon, 4.0)
    assert_cuts_within(canon, target, R_1_8, tol=1e-3)
    assert_no_rapid_through_material(canon, R_1_8)
    pts = np.vstack([s.points()[:, :2] for s in canon.cuts if min(s.start[2], s.end[2]) < -1e-6])
    dist = shapely.distance(target.exterior, shapely.points(pts))
    assert dist.min() >= R_1_8 - 1e-3 and dist.max() <= R_1_8 + 0.01
    # The tabs still lift the tool over four stretches at the tab top.
    assert any(abs(s.start[2] + 3.0) < 1e-4 and abs(s.end[2] + 3.0) < 1e-4 for s in canon.cuts)


@pytest.mark.rs274
@pytest.mark.parametrize("post", ["grbl", "linuxcnc"])
def test_smooth_2000_vertex_body_profile_is_compact(tmp_path, post):
    """The outline cut outside in four levels: fitted, under 40 kB, and hugging the part."""
    points = body_outline(2000)
    design = {"operation": "profile", "side": "outside", "depth_mm": 6.0,
              "geometry": {"type": "polyline", "points": points}}
    result = plan_intent(router(design, context={"stepdown_mm": 1.5}), post=post)
    assert len(result.program.encode()) <= 40_000
    assert arc_blocks(result.program) > 50
    canon = run_rs274(result.program, tmp_path)
    assert_max_depth(canon, 6.0)
    assert_no_rapid_through_material(canon, R_1_8)
    levels = sorted({round(s.end[2], 4) for s in canon.cuts if s.start[2] == s.end[2] < 0})
    assert levels == [-6.0, -4.5, -3.0, -1.5]
    part = Polygon(points)
    pts = np.vstack([s.points(0.05)[:, :2] for s in canon.cuts if min(s.start[2], s.end[2]) < -1e-6])
    dist = shapely.distance(part, shapely.points(pts))
    assert dist.min() >= R_1_8 - 1e-3 and dist.max() <= R_1_8 + 0.01


@pytest.mark.parametrize("turn", [1, -1])
def test_on_profile_of_a_sampled_circle_is_one_full_circle_with_the_part_on_the_right(turn):
    """Given either way round, the boundary is cut clockwise (part on the tool's right)."""
    points = [[40 * math.cos(turn * 2 * math.pi * i / 720), 40 * math.sin(turn * 2 * math.pi * i / 720)]
              for i in range(720)]
    params = cut_params(stepdown=2.0)
    section = plan({"operation": "profile", "side": "on", "depth_mm": 2.0,
                    "geometry": {"type": "polyline", "points": points}}, params)[0]
    laps = [s for s in cut_steps(section.moves) if s.start[2] == s.end[2]]
    assert len(laps) == 1 and isinstance(laps[0].move, Arc)
    assert laps[0].sweep() == pytest.approx(-2 * math.pi)
    assert laps[0].move.cx == pytest.approx(0, abs=1e-6) and laps[0].move.cy == pytest.approx(0, abs=1e-6)


def test_inside_profile_through_a_neck_barely_wider_than_the_tool_keeps_the_exact_ring():
    """Half a tolerance more would split the ring at the neck; the exact ring is cut instead, clear of the walls."""
    half = 3.0 + 0.0004  # the neck is 0.0008 mm wider than the 6 mm tool
    points = [[0, 0], [30, 0], [30, 15 - half], [50, 15 - half], [50, 0], [80, 0], [80, 30], [50, 30],
              [50, 15 + half], [30, 15 + half], [30, 30], [0, 30]]
    params = cut_params(tool=6.0, stepdown=3.0)
    section = plan({"operation": "profile", "side": "inside", "depth_mm": 3.0,
                    "geometry": {"type": "polyline", "points": points}}, params)[0]
    cuts = cut_steps(section.moves)
    assert min_distance_to(cuts, Polygon(points).exterior) >= params.tool_radius_mm - 1e-6
    # One loop through the neck: the tool passes x = 40 at depth.
    assert any(min(s.start[0], s.end[0]) < 40 < max(s.start[0], s.end[0]) for s in cuts)
