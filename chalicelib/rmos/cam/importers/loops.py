"""Closed outlines with arcs, and how a set of them becomes one polyline geometry.

An outline is a list of vertices with one bulge per vertex, in the DXF
LWPOLYLINE sense: bulge i = tan(sweep / 4) of the segment from vertex i to
vertex i + 1 (the last one closing back to vertex 0), 0 for a straight segment,
positive counter-clockwise. Keeping arcs as bulges is what lets an imported
body outline be cut with G2/G3 instead of thousands of short lines.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from shapely.geometry import Polygon

from chalicelib.contracts.errors import Invalid, Issue

Point = tuple[float, float]
# Ends closer than this (mm) are one point: CAD exports round coordinates.
JOIN_TOLERANCE_MM = 1e-3
DEFAULT_TOLERANCE_MM = 0.01


class DrawingRefused(Invalid):
    """The drawing has no usable closed outline where the caller asked."""

    code = "drawing_refused"

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message, [Issue(self.code, message, path)])


@dataclass(frozen=True)
class Piece:
    """An open run of segments: len(bulges) == len(points) - 1."""

    points: list[Point]
    bulges: list[float]

    def reversed(self) -> "Piece":
        return Piece(self.points[::-1], [-b for b in self.bulges[::-1]])


@dataclass(frozen=True)
class Outline:
    """A closed outline: no repeated end point, one bulge per vertex."""

    points: list[Point]
    bulges: list[float]

    def scaled(self, factor: float) -> "Outline":
        return Outline([(x * factor, y * factor) for x, y in self.points], list(self.bulges))

    def densified(self, tolerance_mm: float) -> list[Point]:
        """The outline as straight segments, each arc within `tolerance_mm` of its chords."""
        out: list[Point] = []
        n = len(self.points)
        for i in range(n):
            a, b = self.points[i], self.points[(i + 1) % n]
            out.append(a)
            out.extend(arc_points(a, b, self.bulges[i], tolerance_mm))
        return out

    def polygon(self, tolerance_mm: float = DEFAULT_TOLERANCE_MM) -> Polygon:
        return Polygon(self.densified(tolerance_mm))


def same(a: Point, b: Point, tol: float = JOIN_TOLERANCE_MM) -> bool:
    return math.hypot(a[0] - b[0], a[1] - b[1]) <= tol


def arc_points(a: Point, b: Point, bulge: float, tolerance_mm: float) -> list[Point]:
    """The interior points of the bulge arc from a to b (none for a straight segment)."""
    chord = math.hypot(b[0] - a[0], b[1] - a[1])
    if abs(bulge) < 1e-12 or chord < 1e-12:
        return []
    sweep = 4 * math.atan(bulge)
    radius = chord / (2 * abs(math.sin(sweep / 2)))
    # The centre sits off the chord's midpoint, to the left for a counter-clockwise arc.
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    offset = radius * math.cos(sweep / 2) * (1 if sweep > 0 else -1)
    ux, uy = (b[0] - a[0]) / chord, (b[1] - a[1]) / chord
    cx, cy = mx - uy * offset, my + ux * offset
    step = 2 * math.acos(max(-1.0, min(1.0, 1 - tolerance_mm / radius))) if radius > tolerance_mm else math.pi / 2
    count = max(2, math.ceil(abs(sweep) / max(step, 1e-3)))
    start = math.atan2(a[1] - cy, a[0] - cx)
    return [(cx + radius * math.cos(start + sweep * k / count), cy + radius * math.sin(start + sweep * k / count))
            for k in range(1, count)]


def bulge_of(sweep_rad: float) -> float:
    return math.tan(sweep_rad / 4)


def join(pieces: Sequence[Piece], where: str, path: str) -> list[Outline]:
    """Chain open pieces end to end into closed outlines; any run left open is refused."""
    pool = list(pieces)
    closed: list[Outline] = []
    while pool:
        run = pool.pop(0)
        points, bulges = list(run.points), list(run.bulges)
        while not (len(points) > 2 and same(points[0], points[-1])):
            for k, piece in enumerate(pool):
                if same(piece.points[0], points[-1]):
                    nxt = piece
                elif same(piece.points[-1], points[-1]):
                    nxt = piece.reversed()
                else:
                    continue
                pool.pop(k)
                points += nxt.points[1:]
                bulges += nxt.bulges
                break
            else:
                x, y = points[-1]
                raise DrawingRefused(f"{where} has an open outline ending at ({x:g}, {y:g}): only closed "
                                     "outlines can be cut; close it in the drawing", path)
        closed.append(Outline(points[:-1], bulges))
    return closed


def arrange(outlines: Sequence[Outline], where: str, path: str) -> tuple[Outline, list[Outline]]:
    """(boundary, islands): the largest outline and the outlines inside it, by area."""
    usable = [o for o in outlines if len(o.points) >= 2 and o.polygon().area > 1e-9]
    if not usable:
        raise DrawingRefused(f"{where} has no closed outline to cut", path)
    usable.sort(key=lambda o: o.polygon().area, reverse=True)
    outer, rest = usable[0], usable[1:]
    shell = outer.polygon()
    islands: list[Outline] = []
    for o in rest:
        poly = o.polygon()
        if not shell.buffer(JOIN_TOLERANCE_MM).contains(poly):
            raise DrawingRefused(f"{where} has outlines outside one another; put each part on its own layer", path)
        if any(i.polygon().buffer(JOIN_TOLERANCE_MM).contains(poly) for i in islands):
            raise DrawingRefused(f"{where} has an outline inside an island; an operation takes one boundary "
                                 "and the islands directly inside it", path)
        islands.append(o)
    return outer, islands


def _bulges_supported() -> bool:
    from chalicelib.rmos.cam.router.models import PolylineGeometry

    return "bulges" in PolylineGeometry.model_fields


def _rounded(points: Sequence[Point]) -> list[list[float]]:
    return [[round(float(x), 6), round(float(y), 6)] for x, y in points]


def to_geometry(outer: Outline, islands: Sequence[Outline], tolerance_mm: float) -> dict[str, Any]:
    """The router's polyline geometry (mm): bulges where the model takes them, else arcs as short chords."""
    if _bulges_supported():
        return {"type": "polyline", "points": _rounded(outer.points),
                "bulges": [round(b, 9) for b in outer.bulges],
                "islands": [_rounded(i.points) for i in islands],
                "island_bulges": [[round(b, 9) for b in i.bulges] for i in islands]}
    return {"type": "polyline", "points": _rounded(outer.densified(tolerance_mm)),
            "islands": [_rounded(i.densified(tolerance_mm)) for i in islands]}
