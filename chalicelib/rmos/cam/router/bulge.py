"""Outlines with DXF-style bulges: exact loops for the planner, safe polygons for GEOS.

A bulge is tan(sweep / 4) of the piece from one vertex to the next (+ turns
counter-clockwise). Where the outline itself is the path (an "on" profile)
each bulged piece is one exact arc. GEOS only knows straight edges, so for
offsets an arc is written as chords; the chords are placed on the side of the
arc that keeps the tool away from the material (inside the shape where the
tool works inside it, outside where it works outside), so densifying can only
leave stock, never gouge, and by no more than the densifying tolerance.
"""
from __future__ import annotations

import math
from typing import Sequence

from chalicelib.rmos.cam import arcs
from chalicelib.rmos.cam.router.path2d import XY, Loop, Seg

# How far chords may stand off their arc. Fine enough that the offset of a
# densified arc is recognised by the fitter as one arc again.
DENSIFY_TOLERANCE_MM = 1e-4
# Vertices one outline may become; past it the chords get coarser (more stock
# left on huge arcs, never less).
MAX_DENSIFIED_POINTS = 200_000


def sweep_of(bulge: float) -> float:
    return 4.0 * math.atan(bulge)


def centre_of(a: XY, b: XY, bulge: float) -> XY:
    """Centre of the arc from a to b with this (non-zero) bulge."""
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    dx, dy = b[0] - a[0], b[1] - a[1]
    # Signed distance from the chord's middle to the centre along its left
    # normal, as a multiple of the half-chord: (1 - b^2) / (2 b).
    k = (1 - bulge * bulge) / (4 * bulge)
    return mx - dy * k, my + dx * k


def _pieces(points: Sequence[Sequence[float]], bulges: Sequence[float]) -> list[tuple[XY, XY, float]]:
    """(start, end, bulge) of every non-empty piece of the closed outline."""
    pts = [(float(x), float(y)) for x, y in points]
    n = len(pts)
    out = []
    for i in range(n):
        a, b = pts[i], pts[(i + 1) % n]
        if a != b:
            out.append((a, b, float(bulges[i])))
    return out


def exact_loop(points: Sequence[Sequence[float]], bulges: Sequence[float]) -> Loop:
    """The outline as a loop of lines and exact arcs, in the direction given."""
    loop: Loop = []
    for a, b, bulge in _pieces(points, bulges):
        if bulge == 0:
            loop.append(Seg(a, b))
        else:
            loop.append(Seg(a, b, centre_of(a, b, bulge), sweep_of(bulge)))
    return loop


def signed_area(points: Sequence[Sequence[float]], bulges: Sequence[float]) -> float:
    """Area of the outline with its arcs (+ when it runs counter-clockwise)."""
    total = 0.0
    for a, b, bulge in _pieces(points, bulges):
        total += (a[0] * b[1] - b[0] * a[1]) / 2
        if bulge:
            theta = sweep_of(bulge)
            r = arcs.radius(a, centre_of(a, b, bulge))
            total += r * r / 2 * (theta - math.sin(theta))
    return total


def _chord_count(radius: float, sweep: float, tolerance: float) -> int:
    # The tangent (circumscribed) chords stand off further than inscribed ones
    # for the same angle, so size both by the tangent bound.
    half = math.acos(radius / (radius + tolerance)) if radius > 0 else math.pi / 4
    return max(2, math.ceil(abs(sweep) / (2 * half)))


def densify(points: Sequence[Sequence[float]], bulges: Sequence[float], inside: bool,
            tolerance: float = DENSIFY_TOLERANCE_MM) -> list[XY]:
    """The outline as straight edges: within the true shape when `inside`, around it otherwise.

    A convex arc's chords (ends on the arc) fall inside the shape and its
    tangent polygon outside; a concave arc the other way round. Returns the
    vertices, closed (last == first).
    """
    pts = [(float(x), float(y)) for x, y in points]
    if not any(bulges):
        return pts if pts[0] == pts[-1] else pts + [pts[0]]
    pieces = _pieces(points, bulges)
    ccw = signed_area(points, bulges) >= 0
    plans = []
    total = 0
    for a, b, bulge in pieces:
        if bulge == 0:
            plans.append((a, b, bulge, 0))
            total += 1
            continue
        r = arcs.radius(a, centre_of(a, b, bulge))
        n = _chord_count(r, sweep_of(bulge), tolerance)
        plans.append((a, b, bulge, n))
        total += n + 1
    if total > MAX_DENSIFIED_POINTS:
        # The count goes as 1 / sqrt(tolerance).
        return densify(points, bulges, inside, tolerance * (total / MAX_DENSIFIED_POINTS) ** 2 * 1.01)
    out: list[XY] = []
    for a, b, bulge, n in plans:
        out.append(a)
        if n == 0:
            continue
        theta = sweep_of(bulge)
        c = centre_of(a, b, bulge)
        r = arcs.radius(a, c)
        a0 = math.atan2(a[1] - c[1], a[0] - c[0])
        convex = (theta > 0) == ccw
        step = theta / n
        if convex == inside:
            # Chords with their ends on the arc.
            out.extend((c[0] + r * math.cos(a0 + step * k), c[1] + r * math.sin(a0 + step * k))
                       for k in range(1, n))
        else:
            # Tangent lines at every step meet at r / cos(step / 2), half a step between.
            rho = r / math.cos(step / 2)
            out.extend((c[0] + rho * math.cos(a0 + step * (k + 0.5)), c[1] + rho * math.sin(a0 + step * (k + 0.5)))
                       for k in range(n))
    out.append(out[0])
    return out
