"""Independent checks on neutral toolpaths: geometry read back from the moves alone."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point

from chalicelib.rmos.cam.toolpath import Arc, Move, Rapid

ARC_STEP_MM = 0.05


@dataclass(frozen=True)
class Step:
    """One move with where it started."""

    start: tuple[float, float, float]
    move: Move

    @property
    def end(self) -> tuple[float, float, float]:
        return (self.move.x, self.move.y, self.move.z)

    @property
    def is_cut(self) -> bool:
        return not isinstance(self.move, Rapid)

    def xy_points(self, step: float = ARC_STEP_MM) -> list[tuple[float, float, float]]:
        """Points along the move (arcs sampled densely, exactly on the arc)."""
        m = self.move
        x0, y0, z0 = self.start
        if not isinstance(m, Arc):
            return [self.start, self.end]
        a0 = math.atan2(y0 - m.cy, x0 - m.cx)
        a1 = math.atan2(m.y - m.cy, m.x - m.cx)
        rho = math.hypot(x0 - m.cx, y0 - m.cy)
        sweep = -((a0 - a1) % (2 * math.pi)) if m.clockwise else (a1 - a0) % (2 * math.pi)
        if abs(sweep) < 1e-12:
            sweep = -2 * math.pi if m.clockwise else 2 * math.pi
        n = max(2, math.ceil(abs(sweep) * rho / step))
        return [(m.cx + rho * math.cos(a0 + sweep * i / n), m.cy + rho * math.sin(a0 + sweep * i / n),
                 z0 + (m.z - z0) * i / n) for i in range(n + 1)]

    def sweep(self) -> float:
        m = self.move
        assert isinstance(m, Arc)
        x0, y0, _ = self.start
        a0 = math.atan2(y0 - m.cy, x0 - m.cx)
        a1 = math.atan2(m.y - m.cy, m.x - m.cx)
        s = -((a0 - a1) % (2 * math.pi)) if m.clockwise else (a1 - a0) % (2 * math.pi)
        s = (-2 * math.pi if m.clockwise else 2 * math.pi) if abs(s) < 1e-12 else s
        # The sweep a move carries must be the one its end points give.
        assert m.sweep == pytest.approx(s, abs=1e-7), (m, s)
        return s


def run_length(step: Step) -> float:
    """Horizontal travel of a move (arcs along the arc)."""
    if isinstance(step.move, Arc):
        x0, y0, _ = step.start
        return abs(step.sweep()) * math.hypot(x0 - step.move.cx, y0 - step.move.cy)
    return math.dist(step.start[:2], step.end[:2])


def sink_rate(step: Step) -> float:
    """How fast the bit moves down during a move, in the move's feed units (0 when it does not)."""
    drop = step.start[2] - step.end[2]
    if drop <= 0:
        return 0.0
    return step.move.feed * drop / math.hypot(run_length(step), drop)


def descends_within(step: Step, feed: float, plunge: float) -> bool:
    """A descending move stays within both limits: its path speed within `feed`, its sinking within `plunge`.

    A straight vertical move (a plunge) is held to the plunge feed itself.
    """
    return step.move.feed <= feed + 1e-9 and sink_rate(step) <= plunge + 1e-6


def steps(moves: Sequence[Move]) -> list[Step]:
    """The moves paired with their start points; the first move's start is itself."""
    out = []
    pos = None
    for m in moves:
        out.append(Step(pos if pos is not None else (m.x, m.y, m.z), m))
        pos = (m.x, m.y, m.z)
    return out


def cut_steps(moves: Sequence[Move], below: float = -1e-9) -> list[Step]:
    """Cutting moves that run at least partly below `below` (in the material)."""
    return [s for s in steps(moves) if s.is_cut and min(s.start[2], s.end[2]) < below]


def path_xy(ss: Iterable[Step]) -> MultiLineString:
    lines = []
    for s in ss:
        pts = [(x, y) for x, y, _ in s.xy_points()]
        if pts[0] == pts[-1] and len(pts) == 2:
            pts = [pts[0], (pts[0][0] + 1e-9, pts[0][1])]
        lines.append(LineString(pts))
    return MultiLineString(lines)


def min_distance_to(ss: Sequence[Step], walls) -> float:
    """Smallest distance from any cutting point or straight segment to `walls`."""
    best = math.inf
    for s in ss:
        pts = s.xy_points()
        geom = LineString([(x, y) for x, y, _ in pts]) if len(pts) > 1 and pts[0][:2] != pts[-1][:2] \
            else Point(pts[0][:2])
        if isinstance(s.move, Arc):
            # Sampled points lie exactly on the arc; the chords between them are
            # inside it, so measure points only.
            d = min(shapely.distance(shapely.points([(x, y) for x, y, _ in pts]), walls))
        else:
            d = geom.distance(walls)
        best = min(best, d)
    return best


def swept_area(ss: Sequence[Step], tool_radius: float, at_or_below: float):
    """Area the tool disc covers while at or below a depth."""
    pieces = []
    for s in ss:
        # Coarser sampling is enough here: a 0.25 mm chord on a 1 mm radius
        # sags by under 0.008 mm.
        pts = [p for p in s.xy_points(0.25) if p[2] <= at_or_below + 1e-6]
        if len(pts) >= 2:
            pieces.append(LineString([(x, y) for x, y, _ in pts]))
        elif len(pts) == 1:
            pieces.append(Point(pts[0][:2]))
    if not pieces:
        return shapely.Polygon()
    # Buffering each piece then merging is far faster in GEOS than buffering the union.
    return shapely.union_all(shapely.buffer(pieces, tool_radius, quad_segs=32))


def z_levels(moves: Sequence[Move]) -> list[float]:
    """Distinct Z values of flat cutting moves, top first."""
    zs = {round(s.end[2], 6) for s in steps(moves)
          if s.is_cut and abs(s.start[2] - s.end[2]) < 1e-9 and s.end[2] < 0}
    return sorted(zs, reverse=True)
