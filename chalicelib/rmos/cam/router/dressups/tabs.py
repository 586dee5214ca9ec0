"""Holding tabs: where a cut passes over a tab below the tab's top, the tool rises over it.

A tab is a disc-shaped zone of tool-centre positions around a point on the
path; its radius is half the tab width plus the tool radius, so the bridge
left standing is `width_mm` wide along the path. Lines and arcs are split
exactly where they cross a zone boundary; the climb onto a tab is fed, the
drop back down is at plunge feed.

A profile declares `Tabs` over each loop's moves; the dressup stage applies them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from chalicelib.rmos.cam import arcs
from chalicelib.rmos.cam.router.path2d import MIN_ARC_MM
from chalicelib.rmos.cam.toolpath import Arc, Line, Move, Rapid

EPS = 1e-9


@dataclass(frozen=True)
class TabZone:
    cx: float
    cy: float
    radius: float

    def contains(self, x: float, y: float) -> bool:
        return math.hypot(x - self.cx, y - self.cy) < self.radius - 1e-9


def _line_params(x0: float, y0: float, x1: float, y1: float, zone: TabZone) -> list[float]:
    dx, dy = x1 - x0, y1 - y0
    fx, fy = x0 - zone.cx, y0 - zone.cy
    a = dx * dx + dy * dy
    if a <= EPS:
        return []
    bq = 2 * (fx * dx + fy * dy)
    c = fx * fx + fy * fy - zone.radius ** 2
    disc = bq * bq - 4 * a * c
    if disc < 0:
        return []
    root = math.sqrt(disc)
    return [t for t in ((-bq - root) / (2 * a), (-bq + root) / (2 * a)) if EPS < t < 1 - EPS]


def _arc_params(x0: float, y0: float, m: Arc, zone: TabZone) -> list[float]:
    rho = arcs.radius((x0, y0), (m.cx, m.cy))
    d = math.hypot(zone.cx - m.cx, zone.cy - m.cy)
    if d <= EPS or d > rho + zone.radius or d < abs(rho - zone.radius):
        return []
    # Angle of the intersection points about the arc's centre.
    cos_phi = (rho * rho + d * d - zone.radius ** 2) / (2 * rho * d)
    phi = math.acos(max(-1.0, min(1.0, cos_phi)))
    base = math.atan2(zone.cy - m.cy, zone.cx - m.cx)
    ts = (arcs.param_at_angle((x0, y0), (m.cx, m.cy), m.sweep, ang) for ang in (base - phi, base + phi))
    return [t for t in ts if EPS < t < 1 - EPS]


def _point(x0: float, y0: float, m: Line | Arc, t: float) -> tuple[float, float]:
    if isinstance(m, Line):
        return x0 + (m.x - x0) * t, y0 + (m.y - y0) * t
    return arcs.point_at((x0, y0), (m.cx, m.cy), m.sweep, t)


@dataclass(frozen=True)
class Tabs:
    """Tabs over a span of moves: cuts below `z_top` inside any zone rise to it."""

    zones: tuple[TabZone, ...]
    z_top: float
    plunge_feed: float

    def apply(self, moves: Sequence[Move], start: tuple[float, float, float] | None) -> list[Move]:
        return apply_tabs(moves, self.zones, self.z_top, self.plunge_feed, start=start)


def apply_tabs(moves: Sequence[Move], zones: Sequence[TabZone], z_top: float, plunge_feed: float,
               start: tuple[float, float, float] | None = None) -> list[Move]:
    """The moves with every cut below `z_top` inside a tab zone lifted to `z_top`."""
    out: list[Move] = []
    pos = start
    cur_z = start[2] if start else None
    for m in moves:
        if pos is None or isinstance(m, Rapid) or not zones:
            out.append(m)
            pos = (m.x, m.y, m.z)
            cur_z = m.z
            continue
        x0, y0, z0 = pos
        if min(z0, m.z) >= z_top - EPS:
            out.append(m)
            pos = (m.x, m.y, m.z)
            cur_z = m.z
            continue
        cuts = sorted({t for zone in zones
                       for t in (_line_params(x0, y0, m.x, m.y, zone) if isinstance(m, Line)
                                 else _arc_params(x0, y0, m, zone))})
        bounds = [0.0, *cuts, 1.0]
        for ta, tb in zip(bounds, bounds[1:]):
            xa, ya = (x0, y0) if ta == 0 else _point(x0, y0, m, ta)
            xb, yb = (m.x, m.y) if tb == 1 else _point(x0, y0, m, tb)
            xm, ym = _point(x0, y0, m, (ta + tb) / 2)
            inside = any(zone.contains(xm, ym) for zone in zones)
            za = z0 + (m.z - z0) * ta
            zb = z0 + (m.z - z0) * tb
            if inside:
                za, zb = max(za, z_top), max(zb, z_top)
            if cur_z is not None and abs(cur_z - za) > EPS:
                out.append(Line(xa, ya, za, m.feed if za > cur_z else min(m.feed, plunge_feed)))
            if isinstance(m, Line) or arcs.length((x0, y0), (m.cx, m.cy), m.sweep) * (tb - ta) < MIN_ARC_MM:
                out.append(Line(xb, yb, zb, m.feed))
            else:
                out.append(Arc(xb, yb, zb, m.cx, m.cy, m.clockwise, m.feed, m.sweep * (tb - ta)))
            cur_z = zb
        pos = (m.x, m.y, m.z)
    return out
