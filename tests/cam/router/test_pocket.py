"""Polyline pockets, checked on the neutral toolpath against the failures seen in other planners."""
from __future__ import annotations

import math

import pytest
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.ops import unary_union

from chalicelib.rmos.cam.toolpath import Arc, Line, PlanningError, Rapid
from tests.cam.router.pathcheck import (cut_steps, descends_within, min_distance_to, run_length, steps, swept_area,
                                       z_levels)
from tests.cam.router.support import cut_params, plan

RECT = [[0, 0], [100, 0], [100, 60], [0, 60], [0, 0]]
ISLAND_A = [[20, 20], [35, 20], [35, 40], [20, 40], [20, 20]]
ISLAND_B = [[60, 15], [80, 15], [80, 45], [60, 45], [60, 15]]
# Two 40 x 40 lobes joined by a 4 mm neck: too narrow for a 6 mm tool.
DUMBBELL = [[0, 0], [40, 0], [40, 18], [60, 18], [60, 0], [100, 0], [100, 40], [60, 40], [60, 22],
            [40, 22], [40, 40], [0, 40], [0, 0]]
# An L with a reflex corner and a star with sharp notches: corners where chords gouge.
L_SHAPE = [[0, 0], [80, 0], [80, 30], [30, 30], [30, 70], [0, 70], [0, 0]]


def star(n=7, outer=40.0, inner=18.0):
    pts = []
    for i in range(2 * n):
        rad = outer if i % 2 == 0 else inner
        a = math.pi * i / n
        pts.append([rad * math.cos(a), rad * math.sin(a)])
    return pts + [pts[0]]


def pocket(points, islands=(), depth=4.0, **extra):
    geometry = {"type": "polyline", "points": points}
    if islands:
        geometry["islands"] = list(islands)
    return {"operation": "pocket", "geometry": geometry, "depth_mm": depth, **extra}


def shapes_of(points, islands=()):
    boundary = Polygon(points)
    holes = unary_union([Polygon(i) for i in islands]) if islands else None
    area = boundary.difference(holes) if holes is not None else boundary
    walls = MultiLineString([boundary.exterior.coords, *[Polygon(i).exterior.coords for i in islands]])
    return area, walls


def centre_region(area, r):
    """The tool-centre region by round erosion: a superset of any safe region."""
    return area.buffer(-r, quad_segs=64)


def check_pocket(design_points, islands, params, depth=4.0):
    section = plan(pocket(design_points, islands, depth), params)[0]
    area, walls = shapes_of(design_points, islands)
    r = params.tool_radius_mm
    cuts = cut_steps(section.moves)
    assert cuts, "nothing was cut"
    return section, area, walls, r, cuts


@pytest.mark.parametrize("points, islands", [
    (RECT, [ISLAND_A, ISLAND_B]),
    (DUMBBELL, []),
    (L_SHAPE, []),
    (star(), []),
])
def test_no_cut_comes_closer_to_a_wall_than_the_tool_radius(points, islands):
    params = cut_params()
    section, area, walls, r, cuts = check_pocket(points, islands, params)
    assert min_distance_to(cuts, walls) >= r - 1e-6
    inside = area.buffer(1e-6)
    for s in cuts:
        assert inside.covers(Point(s.end[:2])), s


@pytest.mark.parametrize("points, islands", [(RECT, [ISLAND_A, ISLAND_B]), (DUMBBELL, []), (star(), [])])
def test_links_at_depth_stay_in_the_tool_centre_region(points, islands):
    params = cut_params()
    section, area, walls, r, cuts = check_pocket(points, islands, params)
    region = centre_region(area, r).buffer(1e-6)
    for s in cuts:
        if isinstance(s.move, Line) and s.start[:2] != s.end[:2]:
            assert region.covers(LineString([s.start[:2], s.end[:2]])), s


@pytest.mark.parametrize("points, islands", [(RECT, [ISLAND_A, ISLAND_B]), (L_SHAPE, []), (star(), []),
                                             (DUMBBELL, [])])
def test_pocket_is_cleared_to_depth(points, islands):
    """Everything the tool can reach is cut at full depth, corners and walls included."""
    params = cut_params()
    section, area, walls, r, cuts = check_pocket(points, islands, params)
    reachable = centre_region(area, r).buffer(r, quad_segs=64)
    cleared = swept_area(cuts, r, -4.0)
    remnant = reachable.difference(cleared)
    # Only slivers thinner than the arc tolerance may remain.
    assert remnant.buffer(-0.02).is_empty, remnant.area
    assert remnant.area < walls.length * params.arc_tolerance_mm * 1.5


def _runs_near(flat, ring, tol=0.05):
    """Consecutive flat moves whose both ends lie on (near) `ring`."""
    runs, current = [], []
    for s in flat:
        if ring.distance(Point(s.start[:2])) < tol and ring.distance(Point(s.end[:2])) < tol:
            current.append(s)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _run_points(run):
    pts = [run[0].start[:2]]
    for s in run:
        pts += [p[:2] for p in s.xy_points()[1:]]
    return pts


def _signed_area(run):
    pts = _run_points(run)
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:])) / 2


def test_rings_are_closed_and_climb():
    """Every wall lap ends where it began; the outer wall runs CCW and island walls CW."""
    params = cut_params()
    section, area, walls, r, cuts = check_pocket(RECT, [ISLAND_A, ISLAND_B], params)
    flat = [s for s in cuts if abs(s.start[2] + 4.0) < 1e-9 and abs(s.end[2] + 4.0) < 1e-9]
    outer = Polygon(RECT).buffer(-r, quad_segs=64).exterior
    islands = [Polygon(i).buffer(r, quad_segs=64).exterior for i in (ISLAND_A, ISLAND_B)]
    for ring, ccw in [(outer, True), *[(i, False) for i in islands]]:
        runs = _runs_near(flat, ring)
        assert len(runs) == 1, "each wall is cut once at full depth"
        run = runs[0]
        assert math.dist(run[0].start[:2], run[-1].end[:2]) < 1e-6, "the wall ring was left open"
        length = LineString(_run_points(run)).length
        assert length == pytest.approx(ring.length, rel=0.01)
        assert (_signed_area(run) > 0) is ccw


def test_no_plunge_at_cutting_feed():
    params = cut_params(feed=1500, plunge=250)
    for points, islands in [(RECT, [ISLAND_A, ISLAND_B]), (DUMBBELL, []), (star(), [])]:
        section = plan(pocket(points, islands, depth=5), params)[0]
        for s in steps(section.moves):
            if s.is_cut and s.end[2] < s.start[2] - 1e-9:
                assert descends_within(s, params.feed_mm_min, params.plunge_mm_min), s
                if run_length(s) < 1e-9:
                    assert s.move.feed <= params.plunge_mm_min, s


def test_multiple_levels_are_equal_and_reach_depth():
    params = cut_params(stepdown=1.5)
    section = plan(pocket(RECT, [ISLAND_A], depth=4.0), params)[0]
    assert z_levels(section.moves) == pytest.approx([-4 / 3, -8 / 3, -4.0])
    assert min(m.z for m in section.moves) == pytest.approx(-4.0)
    assert section.moves[0].z == params.safe_z_mm and section.moves[-1].z == params.safe_z_mm


def test_split_pocket_is_cut_as_separate_regions_with_a_retract_between():
    params = cut_params()
    section = plan(pocket(DUMBBELL, depth=2.0), params)[0]
    lobes = [Polygon([[0, 0], [40, 0], [40, 40], [0, 40]]), Polygon([[60, 0], [100, 0], [100, 40], [60, 40]])]
    cuts = cut_steps(section.moves)
    # Each cut lies in one lobe; no move below the stock top crosses the neck.
    for s in cuts:
        seg = LineString([s.start[:2], s.end[:2]]) if s.start[:2] != s.end[:2] else Point(s.end[:2])
        assert any(lobe.buffer(1e-6).covers(seg) for lobe in lobes), s
    order = [0 if lobes[0].buffer(1e-6).covers(Point(s.end[:2])) else 1 for s in cuts]
    assert order == sorted(order) or order == sorted(order, reverse=True), "regions were interleaved"
    crossings = [s for s in steps(section.moves) if isinstance(s.move, Rapid)
                 and (s.start[0] - 50) * (s.end[0] - 50) < 0]
    assert crossings and all(s.start[2] == params.safe_z_mm for s in crossings)


def test_rings_that_split_inside_one_region_form_a_tree():
    """A neck wider than the tool: one region whose inner rings split into two."""
    points = [[0, 0], [40, 0], [40, 15], [60, 15], [60, 0], [100, 0], [100, 40], [60, 40], [60, 25],
              [40, 25], [40, 40], [0, 40], [0, 0]]
    params = cut_params()
    section, area, walls, r, cuts = check_pocket(points, [], params, depth=2.0)
    cleared = swept_area(cuts, r, -2.0)
    reachable = centre_region(area, r).buffer(r, quad_segs=64)
    assert reachable.difference(cleared).buffer(-0.02).is_empty
    region = centre_region(area, r).buffer(1e-6)
    for s in cuts:
        if isinstance(s.move, Line) and s.start[:2] != s.end[:2]:
            assert region.covers(LineString([s.start[:2], s.end[:2]]))


def test_vertex_counts_grow_linearly_with_ring_count():
    """A 5,000-vertex ellipse: offsets from the original, so no ring can double in size."""
    pts = [[50 * math.cos(t), 30 * math.sin(t)] for t in (2 * math.pi * i / 5000 for i in range(5000))]
    pts.append(pts[0])
    coarse = plan(pocket(pts, depth=2.0), cut_params(stepover_pct=45))[0]
    fine = plan(pocket(pts, depth=2.0), cut_params(stepover_pct=10))[0]
    rings = lambda sec: sum(1 for m in sec.moves if isinstance(m, Line))  # noqa: E731
    assert len(fine.moves) > len(coarse.moves)
    # About 4.5x the rings: well under 10x the moves, and each ring under the input's size.
    assert rings(fine) < 10 * rings(coarse)
    ring_count = math.ceil(30 / (0.6 * 3)) + 1
    assert len(fine.moves) < ring_count * 5001 * 1.2
    assert len(coarse.moves) < 40_000


def test_two_islands_are_never_cut():
    params = cut_params()
    section, area, walls, r, cuts = check_pocket(RECT, [ISLAND_A, ISLAND_B], params)
    for island in (ISLAND_A, ISLAND_B):
        # Distance to the filled island: zero if any cut were over or inside it.
        assert min_distance_to(cuts, Polygon(island)) >= r - 1e-6


def test_helix_entry_where_it_fits():
    params = cut_params()
    section = plan(pocket(RECT, depth=2.0), params)[0]
    helical = [s for s in steps(section.moves) if isinstance(s.move, Arc) and s.end[2] < s.start[2]]
    assert helical
    assert all(descends_within(s, params.feed_mm_min, params.plunge_mm_min) for s in helical)
    assert all(s.move.feed == params.feed_mm_min for s in helical)
    assert not section.warnings


def test_plunge_only_where_nothing_else_fits_and_it_is_reported():
    params = cut_params(tool=6.0)
    section = plan(pocket([[0, 0], [6.02, 0], [6.02, 6.02], [0, 6.02], [0, 0]], depth=2.0), params)[0]
    assert any("plunge" in w for w in section.warnings)
    downs = [s for s in steps(section.moves) if s.is_cut and s.end[2] < s.start[2]]
    assert downs and all(s.move.feed <= params.plunge_mm_min for s in downs)


def test_finish_allowance_leaves_the_wall_for_the_last_ring():
    params = cut_params()
    section = plan(pocket(RECT, depth=2.0, finish_allowance_mm=0.5), params)[0]
    area, walls = shapes_of(RECT)
    cuts = cut_steps(section.moves)
    assert min_distance_to(cuts, walls) == pytest.approx(3.0, abs=0.01)
    last_lap_start = max(i for i, s in enumerate(cuts) if walls.distance(Point(s.start[:2])) > 3.3)
    assert all(walls.distance(Point(s.end[:2])) < 3.02 for s in cuts[last_lap_start + 1:])


@pytest.mark.parametrize("islands, code, path", [
    ([[[200, 200], [210, 200], [210, 210], [200, 200]]], "island_outside", "design.geometry.islands.0"),
    ([ISLAND_A, [[90, 50], [110, 50], [110, 55], [90, 55]]], "island_outside", "design.geometry.islands.1"),
    ([ISLAND_A, [[30, 30], [40, 30], [40, 35], [30, 35]]], "islands_overlap", "design.geometry.islands.1"),
    ([[[10, 10], [20, 20], [20, 10], [10, 20], [10, 10]]], "self_intersecting", "design.geometry.islands.0"),
])
def test_bad_islands_are_refused_by_name(islands, code, path):
    with pytest.raises(PlanningError) as caught:
        plan(pocket(RECT, islands), cut_params())
    assert (code, path) in {(i.code, i.path) for i in caught.value.issues}


def test_self_intersecting_and_zero_area_boundaries():
    bowtie = [[0, 0], [50, 50], [50, 0], [0, 50], [0, 0]]
    with pytest.raises(PlanningError) as caught:
        plan(pocket(bowtie), cut_params())
    assert [(i.code, i.path) for i in caught.value.issues] == [("self_intersecting", "design.geometry.points")]
    line = [[0, 0], [10, 0], [20, 0], [0, 0]]
    with pytest.raises(PlanningError) as caught:
        plan(pocket(line), cut_params())
    assert caught.value.issues[0].code == "zero_area"


def test_tool_too_large():
    with pytest.raises(PlanningError) as caught:
        plan(pocket([[0, 0], [5, 0], [5, 40], [0, 40], [0, 0]]), cut_params(tool=6.0))
    assert caught.value.issues[0].code == "tool_too_large"
    assert caught.value.issues[0].path == "design.geometry"


def test_open_polyline_is_closed_and_said_so():
    section = plan(pocket(RECT[:-1]), cut_params())[0]
    assert any("closed" in w for w in section.warnings)
    area, walls = shapes_of(RECT)
    assert min_distance_to(cut_steps(section.moves), walls) >= 3.0 - 1e-6


def test_allowance_wider_than_the_pocket_is_reported_not_ignored():
    section = plan(pocket([[0, 0], [10, 0], [10, 40], [0, 40], [0, 0]], depth=2.0, finish_allowance_mm=3.0),
                   cut_params(tool=6.0))[0]
    assert any("allowance" in w for w in section.warnings)


def test_rounded_corners_are_written_as_arcs_about_the_corner():
    params = cut_params()
    section = plan(pocket(RECT, [ISLAND_A, ISLAND_B], depth=2.0), params)[0]
    corners = [(float(x), float(y)) for island in (ISLAND_A, ISLAND_B) for x, y in island]

    def about_a_corner(m) -> bool:
        # Fitted within the tolerance, a corner's arc may take in a few microns
        # of the straight walls either side, which moves its centre slightly.
        return isinstance(m, Arc) and any(math.dist((m.cx, m.cy), c) < 0.05 for c in corners)

    corner_arcs = [m for m in section.moves if about_a_corner(m)]
    # Each island's four corners on every ring round it, at least on the wall ring.
    assert len(corner_arcs) >= 8
    for s in steps(section.moves):
        if about_a_corner(s.move):
            rho0 = math.dist(s.start[:2], (s.move.cx, s.move.cy))
            rho1 = math.dist(s.end[:2], (s.move.cx, s.move.cy))
            assert rho0 == pytest.approx(rho1, abs=1e-7)
            assert rho0 >= params.tool_radius_mm
    # Chords no longer: a ring round a rectangular island is a handful of moves.
    assert sum(isinstance(m, Line) for m in section.moves) < 600


def test_parts_narrower_than_the_tool_are_reported():
    split = plan(pocket(DUMBBELL, depth=2.0), cut_params())[0]
    assert any("narrower than the 6 mm tool" in w for w in split.warnings)
    near_wall = plan(pocket(RECT, [[[2, 20], [20, 20], [20, 40], [2, 40]]], depth=2.0), cut_params())[0]
    assert any("left uncut" in w for w in near_wall.warnings)
    for points, islands in [(RECT, [ISLAND_A, ISLAND_B]), (L_SHAPE, [])]:
        section = plan(pocket(points, islands, depth=2.0), cut_params())[0]
        assert not any("left uncut" in w for w in section.warnings), section.warnings


def test_full_width_cut_is_the_innermost_rings_once_per_level():
    params = cut_params()
    square = [[0, 0], [60, 0], [60, 60], [0, 60], [0, 0]]
    one = plan(pocket(square, depth=2.0), params)[0]
    two = plan(pocket(square, depth=4.0), params)[0]
    cut = sum(math.dist(s.start, s.end) for s in cut_steps(one.moves))
    assert 0 < one.full_width_mm < cut / 4
    assert two.full_width_mm == pytest.approx(2 * one.full_width_mm, rel=1e-9)
    # The innermost ring of a square pocket is a small square-ish loop round its middle.
    assert one.full_width_mm < 4 * 2 * params.stepover_mm + 1e-6


def test_inner_rings_of_a_dense_outline_sit_within_their_band():
    """Rings inside the wall ring are offsets of the thinned outline: never nearer the walls than their place,
    and no further than the documented 2.5 inner tolerances (plus the fillet chords) beyond it."""
    import shapely

    from chalicelib.rmos.cam.router import pocket as pocket_mod
    from chalicelib.rmos.cam.router.arcfit import CornerArcs
    from chalicelib.rmos.cam.router.fit import THIN_SHARE

    pts = [(60 * math.cos(t), 35 * math.sin(t) * (1 - 0.2 * math.cos(t) ** 2))
           for t in (2 * math.pi * i / 3000 for i in range(3000))]
    boundary = Polygon(pts)
    island = Point(-25, 0).buffer(8, quad_segs=24)
    r, step, tol = 1.5875, 1.27, 0.0025
    regions = [boundary.buffer(-r).difference(island.buffer(r))]
    inscribed = shapely.maximum_inscribed_circle(regions[0], 0.01).length
    offsets = pocket_mod.ring_offsets(inscribed, step, 0.0)
    inner = pocket_mod._inner_tolerance(offsets, tol)
    assert inner > tol  # the case exercises the rough rings, not only the wall
    levels = pocket_mod._ring_nodes(boundary, island, regions, CornerArcs([boundary, island]), offsets, r, tol, True)
    walls = MultiLineString([boundary.exterior.coords, island.exterior.coords])
    assert len(levels) > 10
    top = 2 * inner + 2 * inner * THIN_SHARE + inner / 8
    for e, nodes in zip(offsets[1:], levels[1:]):
        for node in nodes:
            for loop in node.loops:
                for seg in loop:
                    for t in (0.0, 0.25, 0.5, 0.75):
                        d = walls.distance(Point(seg.point_at(t)))
                        assert r + e - 1e-6 <= d <= r + e + top + 1e-6, (e, d)


def _ring_case():
    """Two lobes joined by a neck, an island in one lobe, and more ring offsets than the pocket has room for."""
    from chalicelib.rmos.cam.router import shapes
    from chalicelib.rmos.cam.router.arcfit import CornerArcs

    boundary = Polygon([(0, 0), (40, 0), (40, 15), (60, 15), (60, 0), (100, 0), (100, 40), (60, 40), (60, 25),
                        (40, 25), (40, 40), (0, 40)])
    island = Point(20, 20).buffer(5, quad_segs=24)
    r, tol = 1.5, 0.0025
    regions = shapes.inset(boundary, island, r, tol)
    offsets = [0.0] + [1.1 * k for k in range(1, 30)]
    return boundary, island, regions, CornerArcs([boundary, island]), offsets, r, tol


def _as_data(levels):
    return [[(n.poly.wkb, [[(s.start, s.end, s.center, s.sweep) for s in lp] for lp in n.loops]) for n in nodes]
            for nodes in levels]


def test_rings_offset_in_batches_are_the_rings_offset_one_at_a_time(monkeypatch):
    """Batches of every size give the very same rings, and stop at the first offset with no room left."""
    from chalicelib.rmos.cam.router import pocket as pocket_mod, shapes
    from chalicelib.rmos.cam.router.fit import THIN_SHARE

    boundary, island, regions, corners, offsets, r, tol = _ring_case()

    def rings(batch):
        monkeypatch.setattr(pocket_mod, "RING_BATCH", batch)
        return pocket_mod._ring_nodes(boundary, island, regions, corners, offsets, r, tol, True)

    one = rings(1)
    for batch in (3, 8, 100):
        assert _as_data(rings(batch)) == _as_data(one)
    # Where it stops: the first inner offset of the thinned outlines that is empty.
    inner = pocket_mod._inner_tolerance(offsets, tol)
    thin = inner * THIN_SHARE
    thin_boundary = shapes.thinned(boundary, thin)
    thin_island = shapes.thinned(island, thin)
    room = [bool(shapes.rough_insets(thin_boundary, thin_island, [r + e + inner + thin], inner / 8)[0])
            for e in offsets[1:]]
    assert not all(room) and len(one) == 1 + room.index(False)
    # Nothing is offset past the ring that came out empty: the wall ring's
    # offset, then the inner ones up to and including that one.
    computed = []
    real_insets, real_rough = shapes.insets, shapes.rough_insets
    monkeypatch.setattr(shapes, "insets", lambda b, i, ds, t: computed.extend(ds) or real_insets(b, i, ds, t))
    monkeypatch.setattr(shapes, "rough_insets", lambda b, i, ds, t: computed.extend(ds) or real_rough(b, i, ds, t))
    rings(1)
    assert len(computed) == 1 + len(one)
    # The case splits at the neck and keeps the island's hole for a while.
    counts = [len(nodes) for nodes in one]
    assert 1 in counts and 2 in counts
    assert any(len(node.loops) == 2 for node in one[2])


def test_ring_offsets_look_at_the_deadline_before_every_batch_and_ring(monkeypatch):
    from chalicelib.rmos.cam import work
    from chalicelib.rmos.cam.router import pocket as pocket_mod, shapes

    boundary, island, regions, corners, offsets, r, tol = _ring_case()
    batches = []
    real_insets = shapes.rough_insets

    def counted(*args, **kwargs):
        batches.append(len(args[2]))
        return real_insets(*args, **kwargs)

    monkeypatch.setattr(shapes, "rough_insets", counted)
    with work.running_until(work.Deadline(-1.0)):
        with pytest.raises(work.DeadlinePassed):
            pocket_mod._ring_nodes(boundary, island, regions, corners, offsets, r, tol, True)
    assert batches == [], "no offsets are worked out once the deadline has passed"

    looks = []
    monkeypatch.setattr(work, "checkpoint", lambda: looks.append(len(batches)))
    levels = pocket_mod._ring_nodes(boundary, island, regions, corners, offsets, r, tol, True)
    assert max(batches) <= pocket_mod.RING_BATCH and len(batches) > 1
    assert len(looks) >= len(levels) + len(batches)
    # Every batch is preceded by a look at the deadline taken before it began.
    for k in range(len(batches)):
        assert k in looks
