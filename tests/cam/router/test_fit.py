"""Rings written as lines and arcs: few moves, and every point within the tolerance both ways."""
from __future__ import annotations

import math
import random

import pytest
import shapely
from shapely.geometry import LinearRing, LineString, Point, Polygon

from chalicelib.rmos.cam import arcs
from chalicelib.rmos.cam.router.fit import fit_points, fit_ring
from chalicelib.rmos.cam.toolpath import Arc


def _dense(loop, step=0.002):
    """The fitted loop as a densely sampled line (arcs sampled on the arc itself)."""
    pts = [loop[0].start]
    for seg in loop:
        n = max(1, math.ceil(seg.length / step))
        pts += [seg.point_at(k / n) for k in range(1, n + 1)]
    return LineString(pts)


def _ellipse(n, a=80.0, b=50.0, noise=0.0, seed=1):
    rnd = random.Random(seed)
    pts = [(a * math.cos(t) + rnd.uniform(-noise, noise), b * math.sin(t) + rnd.uniform(-noise, noise))
           for t in (2 * math.pi * k / n for k in range(n))]
    return LinearRing(pts)


def _farthest(points: LineString, path: LineString) -> float:
    """Largest distance from a vertex of `points` to `path` (indexed by the path's edges)."""
    coords = shapely.get_coordinates(path)
    tree = shapely.STRtree(shapely.linestrings(list(zip(coords[:-1], coords[1:]))))
    _, dist = tree.query_nearest(shapely.points(shapely.get_coordinates(points)), return_distance=True,
                                 all_matches=False)
    return float(dist.max())


def _assert_two_sided(ring, loop, tol):
    step = 0.004
    fitted = _dense(loop, step)
    densified = shapely.segmentize(LineString(ring.coords), step)
    # Both ways, on samples `step` apart: each may add step / 2.
    assert _farthest(fitted, LineString(ring.coords)) <= tol + 1e-9
    assert _farthest(densified, fitted) <= tol + step / 2
    for a, b in zip(loop, loop[1:] + loop[:1]):
        assert math.dist(a.end, b.start) < 1e-9, "the fitted loop is continuous and closed"


@pytest.mark.parametrize("ring, tol", [
    (_ellipse(5000), 0.005),
    (_ellipse(20000), 0.0025),
    (_ellipse(3000, noise=0.002), 0.005),
    (LinearRing(Polygon([(0, 0), (80, 0), (80, 50), (0, 50)]).buffer(-6, quad_segs=64).exterior.coords), 0.005),
])
def test_fitted_ring_stays_within_the_tolerance_of_the_ring(ring, tol):
    loop = fit_ring(ring, tol)
    _assert_two_sided(ring, loop, tol)


def test_a_smooth_curve_becomes_a_few_arcs():
    ring = _ellipse(20000)
    loop = fit_ring(ring, 0.005)
    assert len(loop) < 400, len(loop)
    assert sum(seg.is_arc for seg in loop) > 0.8 * len(loop)


def test_straight_edges_stay_lines_and_rounded_corners_become_one_arc_each():
    square = Polygon([(0, 0), (60, 0), (60, 60), (0, 60)]).buffer(5, quad_segs=64)
    loop = fit_ring(square.exterior, 0.005)
    arcs = [seg for seg in loop if seg.is_arc]
    lines = [seg for seg in loop if not seg.is_arc]
    assert len(arcs) == 4 and len(lines) == 4
    for arc in arcs:
        assert arc.radius == pytest.approx(5, abs=0.005)
        assert abs(arc.sweep) == pytest.approx(math.pi / 2, abs=0.01)


def test_direction_is_kept():
    ring = _ellipse(2000)
    for oriented in (ring, LinearRing(list(ring.coords)[::-1])):
        loop = fit_ring(oriented, 0.005)
        area = shapely.Polygon([seg.start for seg in loop]).area
        signed = 0.5 * sum(a.start[0] * a.end[1] - a.end[0] * a.start[1] for a in loop)
        assert math.copysign(1, signed) == (1 if oriented.is_ccw else -1)
        assert area > 0


@pytest.mark.parametrize("start_deg, end_deg, clockwise", [
    (10, 100, False), (100, 10, True), (350, 20, False), (20, 350, True), (45, 45, False), (200, 199, False),
])
def test_arc_extent_matches_dense_sampling(start_deg, end_deg, clockwise):
    cx, cy, r = 3.0, -2.0, 7.5
    a0, a1 = math.radians(start_deg), math.radians(end_deg)
    start = (cx + r * math.cos(a0), cy + r * math.sin(a0), 0.0)
    move = Arc.from_start(start[:2], cx + r * math.cos(a1), cy + r * math.sin(a1), 0.0, cx, cy, clockwise,
                          100.0)
    sweep = (a0 - a1) % (2 * math.pi) if clockwise else (a1 - a0) % (2 * math.pi)
    sweep = sweep or 2 * math.pi
    direction = -1 if clockwise else 1
    dense = [(cx + r * math.cos(a0 + direction * sweep * k / 4000),
              cy + r * math.sin(a0 + direction * sweep * k / 4000))
             for k in range(4001)]
    extremes = arcs.extremes(start[:2], (move.x, move.y), (move.cx, move.cy), move.sweep)
    for axis in (0, 1):
        assert min(p[axis] for p in extremes) == pytest.approx(min(p[axis] for p in dense), abs=1e-5)
        assert max(p[axis] for p in extremes) == pytest.approx(max(p[axis] for p in dense), abs=1e-5)
    assert all(abs(math.dist(p, (cx, cy)) - r) < 1e-9 for p in extremes)
    assert Point(start[:2]).distance(Point(extremes[0])) < 1e-12


# The fit as first written: each candidate stretch is tested by building its
# arc, and the arc kept is the one built by the last passing test. The module
# tests without building and builds only the arcs it keeps; the pieces must
# come out the same to the last bit.
def _reference_arc(xy, i, j, tol):
    a, m, b = xy[i], xy[(i + j) // 2], xy[j]
    ax, ay = a
    bx, by = m[0] - ax, m[1] - ay
    cx, cy = b[0] - ax, b[1] - ay
    det = 2 * (bx * cy - by * cx)
    if abs(det) < 1e-12:
        return None
    b2, c2 = bx * bx + by * by, cx * cx + cy * cy
    centre = (ax + (cy * b2 - by * c2) / det, ay + (bx * c2 - cx * b2) / det)
    radius = math.hypot(a[0] - centre[0], a[1] - centre[1])
    if radius > 2000.0:
        return None
    prev_dev, prev_angle = 0.0, math.atan2(b[1] - centre[1], b[0] - centre[0])
    sweep = direction = 0.0
    for k in range(j - 1, i - 1, -1):
        x, y = xy[k]
        dev = abs(math.hypot(x - centre[0], y - centre[1]) - radius)
        if dev > tol:
            return None
        angle = math.atan2(y - centre[1], x - centre[0])
        step = (prev_angle - angle + math.pi) % (2 * math.pi) - math.pi
        if step == 0 or (direction and (step > 0) != (direction > 0)):
            return None
        direction = step
        if max(dev, prev_dev) + radius * (1 - math.cos(min(abs(step) / 2, math.pi / 2))) > tol:
            return None
        sweep += step
        prev_angle, prev_dev = angle, dev
    return None if abs(sweep) >= 2 * math.pi - 1e-6 else (a, b, centre, sweep)


def _reference_fit(pts, tol):
    """The module's search, written out again over `_reference_arc`."""
    xy = [(float(x), float(y)) for x, y in pts]
    n, i, guess, out = len(xy) - 1, 0, 8, []
    while i < n:
        found = _reference_search(xy, i, n, tol, guess)
        if found is None:
            if xy[i] != xy[i + 1]:
                out.append((xy[i], xy[i + 1], None, 0.0))
            i += 1
            continue
        j, arc = found
        out.append(arc)
        guess = max(4, j - i)
        i = j
    return out


def _reference_search(xy, i, n, tol, guess):
    """(j, arc) for the stretch from i the search settles on; None for a line."""
    if i + 2 > n:
        return None
    probed = {}

    def probe(j):
        if j not in probed:
            probed[j] = _reference_arc(xy, i, j, tol)
        return probed[j]

    (ax, ay), (bx, by), (cx, cy) = xy[i:i + 3]
    if (bx - ax) ** 2 + (by - ay) ** 2 > 4 * ((cx - bx) ** 2 + (cy - by) ** 2) and probe(i + 2) is None:
        return None
    start = min(n, i + max(2, guess))
    if probe(start) is not None:
        lo, hi, step = start, n + 1, 1
        while lo < n:
            j = min(n, lo + step)
            if probe(j) is None:
                hi = j
                break
            lo, step = j, step * 3
    else:
        hi, step = start, 1
        while True:
            if hi == i + 2:
                return None
            j = max(i + 2, hi - step)
            if probe(j) is not None:
                lo = j
                break
            hi, step = j, step * 3
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if probe(mid) is None:
            hi = mid
        else:
            lo = mid
    return lo, probe(lo)


def _wavy(n, seed):
    """A closed outline with bumps, flats, repeated points and a straight run: every branch of the search."""
    rnd = random.Random(seed)
    pts = []
    for k in range(n):
        t = 2 * math.pi * k / n
        r = 40 + 6 * math.sin(3 * t) + (rnd.uniform(-0.01, 0.01) if k % 7 else 0.0)
        pts.append((r * math.cos(t), r * math.sin(t)))
    pts[10:10] = [pts[10]] * 3
    pts[50:60] = [(pts[50][0] + (pts[60][0] - pts[50][0]) * s / 10, pts[50][1] + (pts[60][1] - pts[50][1]) * s / 10)
                  for s in range(10)]
    return pts + [pts[0]]


def _offset_star(ring):
    """A ring of an inner pocket ring as the planner makes it: a finely filleted offset of a star round an island."""
    from chalicelib.rmos.cam.router import shapes

    pts = [(rad * math.cos(math.pi * k / 7), rad * math.sin(math.pi * k / 7))
           for k, rad in zip(range(14), [40, 22] * 7)]
    piece = shapes.inset(Polygon(pts), Point(0, 0).buffer(4, quad_segs=16), 3.0, 0.0025 / 8)[0]
    return list(shapes.rings(piece)[ring].coords)


@pytest.mark.parametrize("pts, tol", [
    (list(_ellipse(3000, noise=0.002).coords), 0.004),
    (list(_ellipse(2000).coords), 0.0005),
    (_wavy(900, 1), 0.003),
    (_wavy(400, 2), 0.02),
    (_wavy(900, 3)[::-1], 0.003),  # clockwise: repeated points first met going the other way
    (_offset_star(0), 0.0375),
    (_offset_star(1), 0.0375),
    # Clockwise with a point repeated where a candidate arc ends: its first step is nought.
    ([(10 * math.cos(-k / 8), 10 * math.sin(-k / 8)) for k in [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0]], 0.05),
    (list(Polygon([(0, 0), (80, 0), (80, 50), (0, 50)]).buffer(-6, quad_segs=64).exterior.coords), 0.005),
    ([(0, 0), (1, 0), (1, 1), (0, 0)], 0.01),
    ([(0, 0), (0, 0)], 0.01),
    ([(5, 5)], 0.01),
    ([(math.cos(t / 10), math.sin(t / 10)) for t in range(120)], 0.002),  # open, more than a full turn
])
def test_fit_is_bit_for_bit_the_reference_fit(pts, tol):
    import numpy as np

    fitted = fit_points(np.asarray(pts, dtype=float), tol)
    expected = _reference_fit(pts, tol)
    assert [(s.start, s.end, s.center, s.sweep) for s in fitted] == expected
    assert any(s.center for s in fitted) or len(pts) < 10
