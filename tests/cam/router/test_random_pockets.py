"""Seeded random pockets: every planner invariant on shapes nobody drew by hand."""
from __future__ import annotations

import math
import random

import pytest
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.ops import unary_union

from chalicelib.rmos.cam.toolpath import Line
from tests.cam.router.pathcheck import cut_steps, descends_within, min_distance_to, swept_area
from tests.cam.router.support import cut_params, plan


def random_pocket(rnd: random.Random):
    """A star-shaped boundary (sharp wedges included) and up to three islands inside it."""
    while True:
        n = rnd.randint(5, 14)
        angles = sorted(rnd.uniform(0, 2 * math.pi) for _ in range(n))
        pts = [[rnd.uniform(20, 50) * math.cos(a), rnd.uniform(20, 50) * math.sin(a)] for a in angles]
        boundary = Polygon(pts)
        if boundary.is_valid:
            break
    islands = []
    for _ in range(rnd.randint(0, 3)):
        cx, cy, size, k = rnd.uniform(-25, 25), rnd.uniform(-25, 25), rnd.uniform(2, 8), rnd.randint(3, 6)
        island = [[cx + size * math.cos(2 * math.pi * i / k + 0.3), cy + size * math.sin(2 * math.pi * i / k + 0.3)]
                  for i in range(k)]
        if boundary.contains(Polygon(island)) and not any(Polygon(island).intersects(Polygon(o)) for o in islands):
            islands.append(island)
    return pts, islands


@pytest.mark.parametrize("seed", range(8))
def test_random_pocket_invariants(seed):
    rnd = random.Random(seed)
    pts, islands = random_pocket(rnd)
    tool = rnd.choice([1.5875, 3.175, 6.0])
    params = cut_params(tool=tool, stepover_pct=rnd.choice([30, 40, 50, 70]), stepdown=rnd.choice([1.0, 2.0]))
    design = {"operation": "pocket", "depth_mm": 2.0,
              "geometry": {"type": "polyline", "points": pts, "islands": islands}}
    section = plan(design, params)[0]
    r = params.tool_radius_mm
    boundary = Polygon(pts)
    area = boundary.difference(unary_union([Polygon(i) for i in islands])) if islands else boundary
    walls = MultiLineString([boundary.exterior.coords, *[Polygon(i).exterior.coords for i in islands]])
    cuts = cut_steps(section.moves)

    assert min_distance_to(cuts, walls) >= r - 1e-6
    inside = area.buffer(1e-6)
    region = area.buffer(-r, quad_segs=64).buffer(1e-6)
    for s in cuts:
        assert inside.covers(Point(s.end[:2]))
        if isinstance(s.move, Line) and s.start[:2] != s.end[:2]:
            assert region.covers(LineString([s.start[:2], s.end[:2]]))
        if s.end[2] < s.start[2] - 1e-9:
            assert descends_within(s, params.feed_mm_min, params.plunge_mm_min)
    reachable = area.buffer(-r, quad_segs=64).buffer(r, quad_segs=64)
    remnant = reachable.difference(swept_area(cuts, r, -2.0))
    assert remnant.buffer(-0.02).is_empty


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("side", ["inside", "outside"])
def test_random_profile_invariants(seed, side):
    rnd = random.Random(100 + seed)
    pts, _ = random_pocket(rnd)
    params = cut_params(tool=rnd.choice([1.5875, 3.175, 6.0]), stepdown=1.5)
    design = {"operation": "profile", "side": side, "depth_mm": 3.0,
              "geometry": {"type": "polyline", "points": pts}}
    section = plan(design, params)[0]
    r = params.tool_radius_mm
    part = Polygon(pts)
    cuts = cut_steps(section.moves)
    assert min_distance_to(cuts, part.exterior) >= r - 1e-6
    for s in cuts:
        assert part.contains(Point(s.end[:2])) is (side == "inside")
        if s.end[2] < s.start[2] - 1e-9:
            assert descends_within(s, params.feed_mm_min, params.plunge_mm_min)
    # The full-depth lap follows the wall: every wall point is within reach of the tool.
    deepest = [s for s in cuts if s.start[2] == s.end[2] == -3.0]
    reach = swept_area(deepest, r + 0.01, -3.0)
    wall = part.buffer(-r, quad_segs=64).buffer(r, quad_segs=64).exterior if side == "inside" \
        else part.buffer(r, quad_segs=64).buffer(-r, quad_segs=64).exterior
    assert wall.difference(reach).length < 1e-3
