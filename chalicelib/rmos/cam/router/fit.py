"""Closed rings of many short edges written as a few lines and arcs, within a tolerance.

An offset ring of a curved outline has one vertex per input vertex; cut as
lines that is tens of thousands of G-code blocks for a body outline. This
module replaces each stretch of the ring that lies close to one circle with a
single arc, and each stretch close to one straight line with a single line.

The guarantee is two-sided and holds for every point, not only at vertices:
every point of the result lies within `tolerance` of the ring and every point
of the ring within `tolerance` of the result. Callers offset the ring by the
tolerance beforehand, so the fitted path never comes nearer a wall than the
ring it replaces would have without that allowance.

How: the ring is first thinned with Douglas-Peucker (shapely.simplify) at a
quarter of the tolerance, which removes collinear vertices and leaves curved
stretches as chords whose sagitta is about that quarter. Arcs are then grown
greedily over the thinned vertices (the last arc's length first, then
gallop and bisect). A candidate arc through the first, middle and last
vertex of a stretch is accepted when every vertex lies within `radial` of
its circle, the vertices turn monotonically about its centre, and every edge is close enough to the circle that
radial deviation + chord sagitta <= what is left of the tolerance.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
import shapely
from shapely.geometry import LinearRing

from chalicelib.rmos.cam.router.path2d import XY, Loop, Seg

# Arcs larger than this are written as their chords' lines: a huge radius
# adds nothing over a line and makes the centre a poor number to print.
MAX_RADIUS_MM = 2000.0
THIN_SHARE = 0.25  # of the tolerance, spent on the Douglas-Peucker pass


def fit_ring(ring: LinearRing, tolerance: float, whole_circles: bool = False) -> Loop:
    """The ring (closed, any orientation; direction kept) as lines and arcs.

    With `whole_circles`, a ring that is a circle within the tolerance is one
    full-circle arc, as the posts write circles.
    """
    if whole_circles:
        # Measured on the ring itself: thinning would only add its own error.
        circle = whole_circle(np.asarray(ring.coords, dtype=float)[:, :2], tolerance)
        if circle is not None:
            return [circle]
    thin = shapely.simplify(ring, tolerance * THIN_SHARE)
    return fit_thinned(thin if len(thin.coords) >= 4 else ring, tolerance)


def fit_thinned(ring: LinearRing, tolerance: float) -> Loop:
    """`fit_ring` for a ring already thinned by at most THIN_SHARE of the tolerance."""
    return fit_points(shapely.get_coordinates(ring), tolerance * (1 - THIN_SHARE))


def whole_circle(pts: NDArray[Any], tolerance: float) -> Seg | None:
    """A closed ring (last == first) as one full circle when every point of it is within `tolerance` of one.

    The centre is the least-squares circle's; the radius halves the spread of
    the vertices' distances. Each edge is then held to the same bound as in
    `_arc`: its ends' radial deviation plus its chord's sagitta.
    """
    body = pts[:-1]
    if len(body) < 3 or not np.array_equal(pts[0], pts[-1]):
        return None
    origin = body.mean(axis=0)
    local = body - origin
    design = np.column_stack([2 * local, np.ones(len(local))])
    solution, *_ = np.linalg.lstsq(design, (local ** 2).sum(axis=1), rcond=None)
    centre = solution[:2]
    offsets = local - centre
    dist = np.hypot(offsets[:, 0], offsets[:, 1])
    radius = float(dist.max() + dist.min()) / 2
    if not 0 < radius <= MAX_RADIUS_MM:
        return None
    dev = np.abs(dist - radius)
    angles = np.arctan2(offsets[:, 1], offsets[:, 0])
    steps = (np.diff(np.append(angles, angles[0])) + math.pi) % (2 * math.pi) - math.pi
    if not (np.all(steps > 0) or np.all(steps < 0)):
        return None
    sweep = float(steps.sum())
    if abs(abs(sweep) - 2 * math.pi) > 1e-6:
        return None
    edge_dev = np.maximum(dev, np.roll(dev, -1)) + radius * (1 - np.cos(np.minimum(np.abs(steps) / 2, math.pi / 2)))
    if float(edge_dev.max()) > tolerance:
        return None
    cx, cy = float(centre[0] + origin[0]), float(centre[1] + origin[1])
    start = (cx + radius * math.cos(angles[0]), cy + radius * math.sin(angles[0]))
    return Seg(start, start, (cx, cy), 2 * math.pi if sweep > 0 else -2 * math.pi)


def fit_points(pts: NDArray[Any], tolerance: float) -> Loop:
    """Points of a closed ring (last == first) as lines and arcs within `tolerance`."""
    arr = np.asarray(pts, dtype=float)
    xy: list[XY] = list(zip(arr[:, 0].tolist(), arr[:, 1].tolist())) if len(arr) else []
    n = len(xy) - 1
    segs: list[Seg] = []
    i = 0
    guess = 8
    while i < n:
        found = _longest(xy, i, n, tolerance, guess)
        if found is None:
            if xy[i] != xy[i + 1]:
                segs.append(Seg(xy[i], xy[i + 1]))
            i += 1
            continue
        j, centre, sweep = found
        segs.append(Seg(xy[i], xy[j], centre, sweep))
        guess = max(4, j - i)
        i = j
    return segs


Arc = tuple[int, XY, float]  # last vertex, centre, sweep


def _longest(xy: list[XY], i: int, n: int, tol: float, guess: int) -> Arc | None:
    """The arc over xy[i..j] for a j (<= n) with xy[i..j + 1] no arc (or j == n); None only if xy[i..i + 2] is none.

    Consecutive arcs of a smooth ring span about as many vertices, so the
    stretch as long as the last arc is asked first, then one vertex more or
    less: on such rings most arcs are settled in two probes. When that misses,
    the search gallops away from the guess in steps growing threefold and
    bisects between the last pass and the first failure. The answer passes
    `_fits` and the stretch one vertex longer does not (or j == n), so it is
    never shorter than the unbroken run of passing stretches xy[i..i + 2],
    xy[i..i + 3], and so on.
    """
    if i + 2 > n:
        return None
    floor = i + 2  # the shortest stretch; the search never goes below it
    floor_arc: Arc | None = None
    (ax, ay), (bx, by), (cx, cy) = xy[i], xy[i + 1], xy[i + 2]
    if (bx - ax) ** 2 + (by - ay) ** 2 > 4 * ((cx - bx) ** 2 + (cy - by) ** 2):
        # An edge over twice as long as the next is mostly a straight run
        # meeting a corner's fillet, and the two edges make no arc: asking the
        # shortest stretch first settles such a line in one probe, not three.
        floor_arc = _fits(xy, i, floor, tol)
        if floor_arc is None:
            return None
    j = min(n, i + max(2, guess))
    best = floor_arc if j == floor and floor_arc is not None else _fits(xy, i, j, tol)
    step = 1
    if best is not None:
        lo, hi = j, n + 1  # nothing past the ring's end to refuse
        while lo < n:
            j = min(n, lo + step)
            found = _fits(xy, i, j, tol)
            if found is None:
                hi = j
                break
            lo, best = j, found
            step *= 3
    else:
        hi = j
        while True:
            if hi == floor:
                return None
            j = max(floor, hi - step)
            found = floor_arc if j == floor and floor_arc is not None else _fits(xy, i, j, tol)
            if found is not None:
                lo, best = j, found
                break
            hi = j
            step *= 3
    while hi - lo > 1:
        mid = (lo + hi) // 2
        found = _fits(xy, i, mid, tol)
        if found is None:
            hi = mid
        else:
            lo, best = mid, found
    return best


def _fits(xy: list[XY], i: int, j: int, tol: float) -> Arc | None:
    """The one arc through xy[i..j] if it comes within `tol` of every edge (the rule itself), else None.

    The circle is the one through the first, middle and last point. Walked
    from the far end back: a stretch grown too long usually fails at its
    newest points, so most refusals are decided in a few steps. The sweep is
    summed along the way, so an accepted arc needs no second walk.
    """
    ax, ay = xy[i]
    bx, by = xy[j]
    # The circle through a, the middle point and b, worked out in line: this
    # runs for every candidate arc. Nearly collinear points have none.
    mx, my = xy[(i + j) // 2]
    ux, uy = mx - ax, my - ay
    vx, vy = bx - ax, by - ay
    det = 2 * (ux * vy - uy * vx)
    if abs(det) < 1e-12:
        return None
    u2, v2 = ux * ux + uy * uy, vx * vx + vy * vy
    cx, cy = ax + (vy * u2 - uy * v2) / det, ay + (ux * v2 - vx * u2) / det
    hypot, atan2, cos, tau, pi = math.hypot, math.atan2, math.cos, 2 * math.pi, math.pi
    radius = hypot(ax - cx, ay - cy)
    if radius > MAX_RADIUS_MM:
        return None
    # Most edges of a stretch that passes clear the sagitta test by far, and
    # cos is a good part of each step's cost. As 1 - cos(h) <= h * h / 2, the
    # sagitta of a turn t is at most radius * t * t / 8; when that bound with
    # the larger deviation stays under `safe` (the tolerance less a margin far
    # above what rounding and the library's cos can add), the exact test
    # below cannot refuse the edge, so cos is skipped and every decision, and
    # so every arc, stays what the exact test alone would give.
    eighth = radius * 0.125
    safe = tol - tol * 1e-12 - radius * 1e-15
    prev_dev = 0.0
    prev_angle = atan2(by - cy, bx - cx)
    # Every step must turn the way the circle runs from a through the middle
    # point to b: a stretch that turns monotonically, less than a full turn,
    # meets those three points in that order. |step| is then `step * sign`,
    # exactly, and a zero step or one against the others is refused.
    sign = 1.0 if det > 0 else -1.0
    sweep = 0.0
    for x, y in reversed(xy[i:j]):
        dx, dy = x - cx, y - cy
        dev = hypot(dx, dy) - radius
        if dev < 0:
            dev = -dev
        if dev > tol:
            return None
        angle = atan2(dy, dx)
        step = (prev_angle - angle + pi) % tau - pi
        turn = step * sign
        if turn <= 0:
            return None
        # The edge against its piece of the circle: end points off by at most
        # their radial deviation, the chord inside the circle by its sagitta.
        # |step| <= pi, so half of it never exceeds a quarter turn.
        near = prev_dev if prev_dev > dev else dev
        if near + eighth * turn * turn > safe and near + radius * (1 - cos(turn / 2)) > tol:
            return None
        sweep += step
        prev_angle, prev_dev = angle, dev
    if abs(sweep) >= tau - 1e-6:
        return None
    return j, (cx, cy), sweep
