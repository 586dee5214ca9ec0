"""Circular arcs in the XY plane: the one place their geometry is worked out.

An arc runs from a start point to an end point about a centre with a signed
sweep in radians (+ counter-clockwise, - clockwise). Planning, dressups, the
report, the preview and the self-check all measure arcs here, so they agree
on every rounding, including the rule that an arc whose end is its start is a
full circle.
"""
from __future__ import annotations

import math
XY = tuple[float, float]
TAU = 2 * math.pi
# A sweep closer to zero than this is read the way G2/G3 read an end equal to
# its start: one full turn.
FULL_CIRCLE_EPS = 1e-9


def sweep(start: XY, end: XY, center: XY, clockwise: bool) -> float:
    """Signed sweep of the arc from `start` to `end` about `center` in the given direction."""
    a0 = math.atan2(start[1] - center[1], start[0] - center[0])
    a1 = math.atan2(end[1] - center[1], end[0] - center[0])
    turn = ((a0 - a1) if clockwise else (a1 - a0)) % TAU
    if turn < FULL_CIRCLE_EPS:
        turn = TAU
    return -turn if clockwise else turn


def radius(start: XY, center: XY) -> float:
    return math.hypot(start[0] - center[0], start[1] - center[1])


def length(start: XY, center: XY, swept: float) -> float:
    """Length in the XY plane."""
    # `radius` written out: this runs for every piece whenever a path is walked.
    return abs(swept) * math.hypot(start[0] - center[0], start[1] - center[1])


def point_at(start: XY, center: XY, swept: float, t: float) -> XY:
    """The point a fraction `t` of the way along."""
    a = math.atan2(start[1] - center[1], start[0] - center[0]) + swept * t
    r = radius(start, center)
    return center[0] + r * math.cos(a), center[1] + r * math.sin(a)


def param_at(start: XY, center: XY, swept: float, p: XY) -> float:
    """Fraction along the arc where it passes the direction of `p` from the centre.

    Values above 1 mean the direction is beyond the arc's end.
    """
    return param_at_angle(start, center, swept, math.atan2(p[1] - center[1], p[0] - center[0]))


def param_at_angle(start: XY, center: XY, swept: float, angle: float) -> float:
    """Fraction along the arc where it faces `angle` (radians about the centre)."""
    if swept == 0:
        return 0.0
    a0 = math.atan2(start[1] - center[1], start[0] - center[0])
    ahead = ((angle - a0) if swept > 0 else (a0 - angle)) % TAU
    return ahead / abs(swept)


def split(start: XY, end: XY, center: XY, swept: float, t0: float, t1: float) -> tuple[XY, XY, float]:
    """(start, end, sweep) of the piece between fractions t0 < t1; the whole's own ends stay exact."""
    a = start if t0 <= 0 else point_at(start, center, swept, t0)
    b = end if t1 >= 1 else point_at(start, center, swept, t1)
    return a, b, swept * (t1 - t0)


def extremes(start: XY, end: XY, center: XY, swept: float) -> list[XY]:
    """The ends and every point where the arc faces along +X, +Y, -X or -Y: its extent."""
    r = radius(start, center)
    a0 = math.atan2(start[1] - center[1], start[0] - center[0])
    points = [start, end]
    for k in range(4):
        axis = k * math.pi / 2
        ahead = ((axis - a0) if swept > 0 else (a0 - axis)) % TAU
        if ahead <= abs(swept):
            points.append((center[0] + r * math.cos(axis), center[1] + r * math.sin(axis)))
    return points


def bounds(start: XY, end: XY, center: XY, swept: float) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of the arc."""
    pts = extremes(start, end, center, swept)
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)

