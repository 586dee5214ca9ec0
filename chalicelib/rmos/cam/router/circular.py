"""Circle and annulus pockets as exact concentric full-circle arcs.

A rosette channel is an annulus: the tool centre runs on circles from the
inner wall (inner radius + tool radius) out to the outer wall (outer radius -
tool radius), evenly spaced, one arc per circle, joined by short radial links.
No polygon approximation is ever made, so the program stays a few kilobytes.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Sequence

from chalicelib.rmos.cam.router.linking import CLEARANCE_MM, PathBuilder, go_to_loop, level_depths
from chalicelib.rmos.cam.router.path2d import XY, Loop, Seg, circle_loop, loop_length
from chalicelib.rmos.cam.toolpath import CutParams, Issue, Line, PlanningError

TOL = 1e-9
_EPS = 1e-7


@dataclass
class CircularClearing:
    """The cleared area at one depth is a union of full annuli: links checked exactly."""

    center: XY
    lo: float  # tool-centre region: lo <= radius <= hi
    hi: float
    tool_radius: float
    bands: list[tuple[float, float]] = field(default_factory=list)

    def add(self, segs: Sequence[Seg]) -> None:
        for s in segs:
            if s.center is not None and abs(abs(s.sweep) - 2 * math.pi) < 1e-9 and _same(s.center, self.center):
                rho = s.radius
                self._merge(max(0.0, rho - self.tool_radius), rho + self.tool_radius)

    def _merge(self, lo: float, hi: float) -> None:
        """Keep `bands` sorted and disjoint (gaps over _EPS), so a link check is a search, not a sort.

        A level has one band per ring: re-sorting them for every link made a
        fine stepover quadratic in the ring count.
        """
        bands = self.bands
        i = bisect.bisect_left(bands, (lo, hi))
        # Absorb the neighbours it touches on either side.
        while i > 0 and bands[i - 1][1] >= lo - _EPS:
            i -= 1
            lo, hi = min(lo, bands[i][0]), max(hi, bands[i][1])
            del bands[i]
        while i < len(bands) and bands[i][0] <= hi + _EPS:
            lo, hi = min(lo, bands[i][0]), max(hi, bands[i][1])
            del bands[i]
        bands.insert(i, (lo, hi))

    def _radial_range(self, a: XY, b: XY) -> tuple[float, float]:
        cx, cy = self.center
        ax, ay, bx, by = a[0] - cx, a[1] - cy, b[0] - cx, b[1] - cy
        dx, dy = bx - ax, by - ay
        denom = dx * dx + dy * dy
        t = 0.0 if denom == 0 else min(1.0, max(0.0, -(ax * dx + ay * dy) / denom))
        near = math.hypot(ax + t * dx, ay + t * dy)
        return near, max(math.hypot(ax, ay), math.hypot(bx, by))

    def link_ok(self, a: XY, b: XY) -> bool:
        near, far = self._radial_range(a, b)
        if near < self.lo - _EPS or far > self.hi + _EPS:
            return False
        # The one band that could cover `near`: the last starting at or before it.
        i = bisect.bisect_right(self.bands, (near + _EPS, math.inf)) - 1
        covered = max(near, self.bands[i][1]) if i >= 0 else near
        return covered >= far - _EPS


def _same(a: XY, b: XY) -> bool:
    return abs(a[0] - b[0]) < 1e-9 and abs(a[1] - b[1]) < 1e-9


def ring_radii(lo: float, hi: float, step: float) -> list[float]:
    """Evenly spaced radii from lo to hi, never further apart than `step`."""
    if hi - lo <= 1e-6:
        # A channel one tool wide, give or take unit-conversion noise.
        return [(lo + hi) / 2]
    n = math.ceil((hi - lo) / step - 1e-9)
    return [lo + (hi - lo) * i / n for i in range(n + 1)]


def disc_radii(hi: float, step: float) -> list[float]:
    """Radii for a full disc: the smallest circle's tool disc covers the centre."""
    n = max(1, math.ceil(hi / step - 1e-9))
    return [hi * i / n for i in range(1, n + 1)]


def plan_circular(b: PathBuilder, center: XY, inner: float | None, outer: float, depth: float,
                  allowance: float, path: str) -> None:
    """Pocket the disc (inner None) or the annulus between inner and outer radius."""
    p: CutParams = b.params
    r = p.tool_radius_mm
    step = min(p.stepover_mm, r)
    hi = outer - r
    if inner is None:
        if hi < -TOL:
            raise PlanningError([Issue("tool_too_large",
                                       f"a {p.tool_diameter_mm:g} mm tool does not fit in a circle of "
                                       f"diameter {2 * outer:g} mm", path)])
        lo = 0.0
    else:
        lo = inner + r
        if hi < lo - 1e-6:
            raise PlanningError([Issue("tool_too_large",
                                       f"the channel is {outer - inner:g} mm wide; a "
                                       f"{p.tool_diameter_mm:g} mm tool leaves nothing it can cut", path)])
        hi = max(hi, lo)
    climb = p.climb

    walls: list[float] = []
    if inner is None and hi <= 1e-6:
        # The hole is the tool's own size: one straight plunge is the whole cut.
        b.warn("the circle is the tool's diameter: cut by a straight plunge at plunge feed")
        b.travel(center)
        b.descend_rapid(CLEARANCE_MM)
        b.extend([Line(center[0], center[1], -depth, p.plunge_mm_min)])
        b.finish()
        return
    levels = level_depths(depth, p.stepdown_mm)
    if allowance > 0 and hi - lo <= 2 * allowance + TOL:
        b.warn(f"the finish allowance ({allowance:g} mm) leaves no room to rough; "
               "the pocket is cut without separate finishing rings")
    if allowance > 0 and hi - lo > 2 * allowance + TOL:
        walls = [hi] if inner is None else [hi, lo]
        rough_lo = lo + allowance if inner is not None else 0.0
        radii = ring_radii(rough_lo, hi - allowance, step) if inner is not None else disc_radii(hi - allowance, step)
    else:
        radii = ring_radii(lo, hi, step) if inner is not None else disc_radii(hi, step)

    def loop_for(rho: float) -> Loop:
        # Material outside the circle is cut climb going CCW; the inner wall
        # (material inside) going CW.
        inner_wall = inner is not None and abs(rho - lo) < 1e-9 and hi - lo > 1e-6
        ccw = not inner_wall
        if not climb:
            ccw = not ccw
        return circle_loop(center, rho, clockwise=not ccw)

    z_above = 0.0
    for z in levels:
        clearing = CircularClearing(center, lo, hi, r)
        for k, rho in enumerate(radii + walls):
            loop = loop_for(rho)
            if k == 0:
                b.full_width_mm += loop_length(loop)  # the first ring of a level slots
            go_to_loop(b, loop, z, z_above, clearing)
        b.retract()
        z_above = z
    b.finish()
