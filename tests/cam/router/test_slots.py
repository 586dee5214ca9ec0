"""Slots exactly as wide as the bit: cut along their centre line, read back through rs274."""
from __future__ import annotations

import math

import pytest
from shapely.geometry import LineString, Point, Polygon

from chalicelib.rmos.cam.pipeline import IntentRejected, plan_intent
from tests.cam.truth import (
    assert_cleared,
    assert_max_depth,
    assert_no_rapid_through_material,
    assert_tool_within,
    run_rs274,
)

pytestmark = pytest.mark.rs274

SLOT_TOL = 0.02


def router(design: dict, **extra) -> dict:
    return {"mode": "router_3axis", "design": design, **extra}


def slot(points, depth: float, tool: float | None = None, islands=None) -> dict:
    geometry = {"type": "polyline", "points": points}
    if islands:
        geometry["islands"] = islands
    design = {"operation": "pocket", "depth_mm": depth, "geometry": geometry}
    if tool is not None:
        design["tool_diameter_mm"] = tool
    return design


def rectangle(length: float, width: float, x0: float = 0.0, y0: float = 0.0) -> list[list[float]]:
    return [[x0, y0], [x0 + length, y0], [x0 + length, y0 + width], [x0, y0 + width], [x0, y0]]


def arc_band(radius: float, width: float, a0: float, a1: float, n: int = 240) -> list[list[float]]:
    outer = [[(radius + width / 2) * math.cos(a0 + (a1 - a0) * i / n),
              (radius + width / 2) * math.sin(a0 + (a1 - a0) * i / n)] for i in range(n + 1)]
    inner = [[(radius - width / 2) * math.cos(a0 + (a1 - a0) * i / n),
              (radius - width / 2) * math.sin(a0 + (a1 - a0) * i / n)] for i in range(n, -1, -1)]
    return outer + inner + [outer[0]]


def circle(radius: float, n: int = 720) -> list[list[float]]:
    pts = [[radius * math.cos(2 * math.pi * i / n), radius * math.sin(2 * math.pi * i / n)] for i in range(n)]
    return pts + [pts[0]]


def assert_slot_cut(canon, target, depth: float, r: float, cut_tol: float = 1e-3) -> None:
    """Cut to depth, nowhere deeper, never past a wall, whole slot cleared, no rapid in stock, no plunge."""
    assert_max_depth(canon, depth)
    assert_tool_within(canon, target, r, cut_tol)
    # The tool's own width is the slot's: measured with a radius a hair
    # smaller the reachable area is the whole slot less its corners.
    assert_cleared(canon, target, depth, r - 0.005, tol=0.02)
    assert_no_rapid_through_material(canon, r)
    for s in canon.cuts:
        if s.end[2] < s.start[2] and s.end[2] < -1e-6:
            assert math.dist(s.start[:2], s.end[:2]) > 1e-3 or s.kind == "arc", \
                f"straight plunge into the slot at {s.start}"


@pytest.mark.parametrize("depth", [1.0, 9.5])
def test_truss_rod_slot_as_wide_as_the_bit_is_cut_along_its_centre(tmp_path, depth):
    """A 6.35 mm truss-rod slot with a 6.35 mm bit, shallow and deep."""
    points = rectangle(120.0, 6.35, 10.0, -3.175)
    result = plan_intent(router(slot(points, depth, tool=6.35)), post="linuxcnc")
    canon = run_rs274(result.program, tmp_path)
    r = 6.35 / 2
    assert_slot_cut(canon, Polygon(points), depth, r)
    deep = [s for s in canon.cuts if s.end[2] < 0]
    assert deep and all(abs(s.end[1]) < 1e-4 for s in deep), "every cut is on the centre line"
    xs = [s.end[0] for s in deep]
    # Right up to both end walls, and not past them.
    assert min(xs) == pytest.approx(10.0 + r, abs=2e-3) and max(xs) == pytest.approx(130.0 - r, abs=2e-3)
    # Levels follow the stepdown, the slot is cut without leaving it: one retract.
    assert canon.min_z() == pytest.approx(-depth, abs=1e-4)
    rapids_down = [s for s in canon.segments if s.kind == "rapid" and s.end[2] < s.start[2]]
    assert len(rapids_down) == 1, "down once to just above the stock, every level ramps on from the one above"


def test_curved_channel_exactly_the_bit_width_is_arcs_along_its_centre(tmp_path):
    points = arc_band(40.0, 3.175, 0.0, 2.1)
    result = plan_intent(router(slot(points, 1.2), tool_id="em-1-8-2f"), post="grbl")
    canon = run_rs274(result.program, tmp_path)
    r = 3.175 / 2
    assert_slot_cut(canon, Polygon(points), 1.2, r, cut_tol=6e-3)
    deep = [s for s in canon.cuts if s.end[2] < 0]
    assert all(math.hypot(*s.end[:2]) == pytest.approx(40.0, abs=6e-3) for s in deep)
    assert sum(1 for s in deep if s.kind == "arc") >= 2
    assert len(deep) < 20, "the centre line is a few arcs, not one move per wall vertex"


def test_closed_ring_channel_the_bit_width_is_one_loop(tmp_path):
    """A ring channel drawn as a polyline with an island, exactly one bit wide."""
    r = 3.175 / 2
    outer, inner = circle(30.0 + r), circle(30.0 - r)
    result = plan_intent(router(slot(outer, 2.0, islands=[inner]), tool_id="em-1-8-2f"), post="linuxcnc")
    canon = run_rs274(result.program, tmp_path)
    target = Polygon(outer, [inner])
    assert_slot_cut(canon, target, 2.0, r, cut_tol=6e-3)
    for s in canon.cuts:
        if s.end[2] < 0:
            assert math.hypot(*s.end[:2]) == pytest.approx(30.0, abs=6e-3)


def test_inch_slot_the_bit_width_is_cut(tmp_path):
    """A 1/8 in wide, 4 in long slot with a 1/8 in bit, in an inch intent."""
    inch = 25.4
    points = rectangle(4.0, 0.125)
    result = plan_intent(router(slot(points, 0.25), units="inch", tool_id="em-1-8-2f"), post="grbl")
    assert "G20" in result.program
    canon = run_rs274(result.program, tmp_path)
    target = Polygon([(x * inch, y * inch) for x, y in points])
    assert_slot_cut(canon, target, 0.25 * inch, 3.175 / 2, cut_tol=3e-3)


def test_slot_a_hair_narrower_than_the_bit_is_cut_within_the_tolerance(tmp_path):
    points = rectangle(50.0, 6.35 - 0.015)
    result = plan_intent(router(slot(points, 3.0, tool=6.35)), post="grbl")
    canon = run_rs274(result.program, tmp_path)
    assert_tool_within(canon, Polygon(points), 6.35 / 2, SLOT_TOL / 2)
    assert_max_depth(canon, 3.0)


@pytest.mark.parametrize("units,scale", [("mm", 1.0), ("inch", 1 / 25.4)])
def test_slot_a_tenth_narrower_than_the_bit_is_refused_with_its_width(units, scale):
    points = [[x * scale, y * scale] for x, y in rectangle(100.0, 6.25)]
    with pytest.raises(IntentRejected) as caught:
        plan_intent(router(slot(points, 3.0 * scale, tool=6.35 * scale), units=units), post="grbl")
    [issue] = caught.value.issues
    assert (issue.code, issue.path) == ("tool_too_large", "design.geometry")
    assert "6.250 mm wide" in issue.message and "6.35 mm tool" in issue.message


def test_slot_between_an_island_and_the_wall_is_its_centre_loop(tmp_path):
    """A square island leaving a gap exactly the bit's width all round."""
    d = 3.175
    outer = rectangle(40.0, 40.0)
    island = rectangle(40.0 - 2 * d, 40.0 - 2 * d, d, d)
    result = plan_intent(router(slot(outer, 1.0, islands=[island]), tool_id="em-1-8-2f"), post="grbl")
    canon = run_rs274(result.program, tmp_path)
    target = Polygon(outer, [island])
    assert_slot_cut(canon, target, 1.0, d / 2, cut_tol=3e-3)
    # The corners leave the tool a little room and are cut as small rings;
    # the legs between them are cut along their centre lines.
    centre = LineString(rectangle(40.0 - d, 40.0 - d, d / 2, d / 2))
    legs = [s for s in canon.cuts if s.end[2] < 0 and 6 < s.end[0] < 34]
    assert legs and all(centre.distance(Point(s.end[:2])) < 3e-3 for s in legs)
