"""Design geometry as shapely polygons, with every defect reported against its field.

Offsets use mitre joins: a mitred corner lies further from the wall than the
offset distance, whereas the chords GEOS uses for round joins cut inside the
true arc and so come closer to the wall than the tool radius (a gouge).
"""
from __future__ import annotations

from typing import Callable, Sequence

import shapely
from shapely.geometry import LinearRing, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from chalicelib.rmos.cam.router.models import PolylineGeometry
from chalicelib.rmos.cam.toolpath import Issue

MITRE_LIMIT = 4.0
MIN_AREA_MM2 = 1e-6

PathFn = Callable[..., str]


def _ring(points: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    pts = [(float(x), float(y)) for x, y in points]
    if pts[0] != pts[-1]:
        pts.append(pts[0])
    return pts


def _outline(points, path: str, what: str, issues: list[Issue]) -> Polygon | None:
    pts = _ring(points)
    if len(set(pts)) < 3:
        issues.append(Issue("zero_area", f"the {what} needs at least three distinct points", path))
        return None
    poly = Polygon(pts)
    if abs(poly.area) <= MIN_AREA_MM2:
        issues.append(Issue("zero_area", f"the {what} encloses no area", path))
        return None
    if not poly.is_valid:
        reason = shapely.is_valid_reason(poly)
        issues.append(Issue("self_intersecting",
                            f"the {what} is not a simple closed outline ({reason})", path))
        return None
    return orient(poly, 1.0)


def outline_and_islands(geom: PolylineGeometry, path: PathFn, warn: Callable[[str], None],
                        issues: list[Issue]) -> tuple[Polygon | None, list[Polygon]]:
    """Validated boundary polygon and island polygons; problems are appended to `issues`."""
    if not geom.closed:
        warn("the boundary polyline was open; it was closed back to its first point")
    boundary = _outline(geom.points, path("geometry", "points"), "boundary", issues)
    islands: list[Polygon] = []
    for i, pts in enumerate(geom.islands):
        if tuple(pts[0]) != tuple(pts[-1]):
            warn(f"island {i} was open; it was closed back to its first point")
        island = _outline(pts, path("geometry", "islands", i), f"island {i}", issues)
        if island is None:
            continue
        if boundary is not None and not boundary.contains(island):
            where = "outside" if not boundary.intersects(island) else "across"
            issues.append(Issue("island_outside",
                                f"island {i} lies {where} the boundary; islands must be inside it",
                                path("geometry", "islands", i)))
            continue
        for j, other in islands:
            if island.intersects(other) and island.intersection(other).area > MIN_AREA_MM2:
                issues.append(Issue("islands_overlap", f"island {i} overlaps island {j}",
                                    path("geometry", "islands", i)))
                break
        else:
            islands.append((i, island))
    return boundary, [poly for _, poly in islands]


def polygons(geom: BaseGeometry) -> list[Polygon]:
    """The non-degenerate polygons in a buffer/difference result."""
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        parts = [geom]
    elif isinstance(geom, MultiPolygon):
        parts = list(geom.geoms)
    else:
        parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    return [orient(p, 1.0) for p in parts if p.area > MIN_AREA_MM2]


def inset(boundary: Polygon, islands: BaseGeometry | None, d: float) -> list[Polygon]:
    """Where a tool centre may go so the tool stays `d` from every wall and island.

    Always computed from the original outlines, never from a previous offset,
    so the vertex count of every ring is bounded by the input's.
    """
    region = boundary.buffer(-d, join_style="mitre", mitre_limit=MITRE_LIMIT)
    if islands is not None and not islands.is_empty:
        region = region.difference(islands.buffer(d, join_style="mitre", mitre_limit=MITRE_LIMIT))
    return polygons(region)


def outset(shape: Polygon, d: float) -> list[Polygon]:
    return polygons(shape.buffer(d, join_style="mitre", mitre_limit=MITRE_LIMIT))


def rings(poly: Polygon) -> list[LinearRing]:
    """Exterior first (CCW), then the holes (CW)."""
    return [poly.exterior, *poly.interiors]
