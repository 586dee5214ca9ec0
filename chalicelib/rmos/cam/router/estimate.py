"""The router planner's own estimate of a design's size, made without planning it.

Counts what the planner will do: offset rings (from the pocket's area and
perimeter, or exactly for circles and annuli), the segments of each ring,
depth levels, entries and links. It is cheap (no shapely; sums over an
outline's vertices in numpy), so every entry
point can afford it before deciding whether to plan at all.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from chalicelib.rmos.cam.router.models import AnnulusGeometry, CircleGeometry, DrillOp, Operation, PocketOp, \
    PolylineGeometry, ProfileOp, RouterDesign
from chalicelib.rmos.cam.toolpath import CutParams

# Moves around each ring besides its own segments: the link or the retract,
# travel and entry that bring the tool onto it.
RING_OVERHEAD = 3
# The estimate lies within this factor of the moves planning emits
# (tests/cam/test_work_estimate.py checks it on a spread of jobs).
ACCURACY = 4
# A chord whose sagitta on the outline's mean curvature is below this is
# fitted into arcs with its neighbours; such rings come out near this many segments.
FITTED_SAGITTA_MM = 0.001
FITTED_RING_SEGMENTS = 32
# The planner fits a pocket's inner rings within this share of the ring
# spacing, at most INNER_TOLERANCE_MM (pocket._inner_tolerance).
INNER_SHARE = 1 / 20
INNER_TOLERANCE_MM = 0.1


@dataclass(frozen=True)
class OpEstimate:
    moves: int
    polygon_rings: int = 0
    # Vertices of a polygon pocket's outline: each ring's offset and fit scale with them.
    outline_segments: int = 0


def _levels(depth: float, stepdown: float) -> int:
    return max(1, math.ceil(depth / stepdown - 1e-9))


def _area_perimeter(points: Sequence[Sequence[float]]) -> tuple[float, float]:
    """Area (shoelace) and perimeter of the closed polygon through `points`, in one pass of array arithmetic."""
    here = np.asarray(points, dtype=float).reshape(-1, 2)
    if not len(here):
        return 0.0, 0.0
    after = np.roll(here, -1, axis=0)
    area = float(np.dot(here[:, 0], after[:, 1]) - np.dot(after[:, 0], here[:, 1]))
    perimeter = float(np.hypot(after[:, 0] - here[:, 0], after[:, 1] - here[:, 1]).sum())
    return abs(area) / 2, perimeter


def _polygon(geom: PolylineGeometry) -> tuple[int, float, float]:
    """(segments, area, perimeter) of the region between the boundary and its islands."""
    area, perimeter = _area_perimeter(geom.points)
    segments = len(geom.points)
    for island in geom.islands:
        a, p = _area_perimeter(island)
        area -= a
        perimeter += p
        segments += len(island)
    return segments, max(area, 0.0), perimeter


def _pocket(op: PocketOp, p: CutParams) -> OpEstimate:
    r = p.tool_radius_mm
    step = min(p.stepover_mm, r)
    levels = _levels(op.depth_mm, p.stepdown_mm)
    geom = op.geometry
    walls = 1 if op.finish_allowance_mm else 0
    if isinstance(geom, (CircleGeometry, AnnulusGeometry)):
        outer = geom.radius_mm if isinstance(geom, CircleGeometry) else geom.outer_radius_mm
        inner = geom.inner_radius_mm + r if isinstance(geom, AnnulusGeometry) else 0.0
        rings = max(1, math.ceil(max(outer - r - inner, 0.0) / step)) + 1 + 2 * walls
        return OpEstimate(levels * rings * (1 + RING_OVERHEAD), 0)
    segments, area, perimeter = _polygon(geom)
    # The inradius of a region is at most 2A/P (equal for any polygon with an incircle).
    reach = max(2 * area / perimeter - r, 0.0) if perimeter > 0 else 0.0
    rings = max(1, math.ceil(reach / step)) + walls
    # Inner rings shrink and are simplified by the fitter; half the outline's
    # segments per ring matches what the planner emits on the measured spread.
    # Outlines of many short chords on gentle curves fit to a few arcs.
    per_ring = max(4, segments // 2)
    chord = perimeter / max(segments, 1)
    # Inner rings are fitted to a looser tolerance than the wall (pocket._inner_tolerance).
    inner_tol = max(FITTED_SAGITTA_MM, min(step * INNER_SHARE, INNER_TOLERANCE_MM))
    if chord * chord / (8 * max(perimeter / (2 * math.pi), 1e-9)) < inner_tol:
        per_ring = min(per_ring, FITTED_RING_SEGMENTS)
    return OpEstimate(levels * rings * (per_ring + RING_OVERHEAD), rings, segments)


def _profile(op: ProfileOp, p: CutParams) -> OpEstimate:
    levels = _levels(op.depth_mm, p.stepdown_mm)
    geom = op.geometry
    if isinstance(geom, CircleGeometry):
        loops, segments = 1, 1
    elif isinstance(geom, AnnulusGeometry):
        loops, segments = 2, 2
    else:
        loops = 1 + len(geom.islands)
        # An offset corner becomes an edge and an arc.
        segments = 2 * (len(geom.points) - (1 if geom.closed else 0) + sum(len(i) for i in geom.islands))
    passes = 2 if (op.finishing_pass or op.finish_allowance_mm) else 1
    # Each level laps the loop once and ramps along part of it.
    return OpEstimate(passes * (segments * (levels + 1) + loops * (levels + RING_OVERHEAD)), 0)


def _drill(op: DrillOp) -> OpEstimate:
    holes = len(set((float(x), float(y)) for x, y in op.holes))
    pecks = math.ceil(op.depth_mm / op.peck_mm - 1e-9) if op.peck_mm and op.peck_mm < op.depth_mm else 1
    return OpEstimate(holes * (3 * pecks + 3), 0)


def estimate_op(op: Operation, params: CutParams) -> OpEstimate:
    """`params` are the operation's own (its tool, its stepover)."""
    if isinstance(op, PocketOp):
        return _pocket(op, params)
    if isinstance(op, ProfileOp):
        return _profile(op, params)
    assert isinstance(op, DrillOp)
    return _drill(op)


def estimate_design(design: RouterDesign, params: CutParams) -> list[OpEstimate]:
    from chalicelib.rmos.cam.router.plan import _params_for

    return [estimate_op(op, _params_for(op, params)) for op in design.operations]
