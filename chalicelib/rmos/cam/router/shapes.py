"""Design geometry as shapely polygons, with every defect reported against its field.

Offsets go round corners with arcs that GEOS writes as chords. A chord of a
plain round join cuts inside the true arc, closer to the wall than the tool
radius: a gouge at every inside corner and round every island. Mitre joins
never come too close but stop the tool short of an inside corner (0.41 r of
material left in a square corner). So each offset here is the best of two
that are both safe: the mitred one (exact along straight walls and at sharp
tips) and a round one whose radius is enlarged just enough that the middle of
every chord sits at the offset distance (close into inside corners). Where
the tool may go is their union; what a grown island covers is their
intersection. No point of a ring is ever nearer a wall than asked, and an
inside corner gets at most the tolerance of extra stock.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
import shapely
from shapely.geometry import LinearRing, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from chalicelib.rmos.cam.router import bulge
from chalicelib.rmos.cam.router.models import PolylineGeometry
from chalicelib.rmos.cam.toolpath import Issue

MIN_AREA_MM2 = 1e-6
DEFAULT_TOLERANCE_MM = 0.0025
# GEOS bevels a mitre past this ratio at this distance, still outside the arc.
MITRE_LIMIT = 5.0

PathFn = Callable[..., str]


def _ring(points: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    pts = [(float(x), float(y)) for x, y in points]
    if pts[0] != pts[-1]:
        pts.append(pts[0])
    return pts


def _outline(points: Sequence[Sequence[float]], path: str, what: str, issues: list[Issue]) -> Polygon | None:
    pts = _ring(points)
    if len(set(pts)) < 3:
        issues.append(Issue("zero_area", f"the {what} needs at least three distinct points", path))
        return None
    poly = Polygon(pts)
    if shapely.make_valid(poly).area <= MIN_AREA_MM2:
        issues.append(Issue("zero_area", f"the {what} encloses no area", path))
        return None
    if not poly.is_valid:
        reason = shapely.is_valid_reason(poly)
        issues.append(Issue("self_intersecting",
                            f"the {what} is not a simple closed outline ({reason})", path))
        return None
    return orient(poly, 1.0)


def outline_and_islands(geom: PolylineGeometry, path: PathFn, warn: Callable[[str], None],
                        issues: list[Issue], tool_inside: bool = True) -> tuple[Polygon | None, list[Polygon]]:
    """Validated boundary polygon and island polygons; problems are appended to `issues`.

    Bulged pieces are written as chords on the safe side of their arcs: with
    `tool_inside` (pockets, inside profiles) the boundary polygon lies within
    the true boundary and every island polygon around its true island; for an
    outside profile the other way round.
    """
    boundary_bulges = geom.boundary_bulges()
    if not geom.closed and boundary_bulges[-1] == 0:
        warn("the boundary polyline was open; it was closed back to its first point")
    boundary = _outline(bulge.densify(geom.points, boundary_bulges, tool_inside), path("geometry", "points"),
                        "boundary", issues)
    islands: list[tuple[int, Polygon]] = []
    for i, pts in enumerate(geom.islands):
        island_bulges = geom.bulges_of_island(i)
        if tuple(pts[0]) != tuple(pts[-1]) and island_bulges[-1] == 0:
            warn(f"island {i} was open; it was closed back to its first point")
        island = _outline(bulge.densify(pts, island_bulges, not tool_inside), path("geometry", "islands", i),
                          f"island {i}", issues)
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


def polygons_of_each(geoms: NDArray[np.object_]) -> list[list[Polygon]]:
    """`polygons` of every geometry in `geoms`, worked out for all of them at once."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & (shapely.area(parts) > MIN_AREA_MM2)
    oriented = shapely.orient_polygons(parts[keep])
    out: list[list[Polygon]] = [[] for _ in range(len(geoms))]
    for index, poly in zip(owner[keep].tolist(), oriented):
        out[index].append(poly)
    return out


def _widest_half_chord(q: int) -> float:
    """Largest half-angle of a GEOS fillet chord with `q` segments per quarter circle.

    GEOS splits a corner of angle A into round(A / quantum) chords (quantum =
    pi / 2q), so one chord may span up to 1.5 quanta.
    """
    return 1.5 * (math.pi / (2 * q)) / 2


def quad_segs_for(d: float, tolerance: float) -> int:
    """Chords per quarter circle so an enlarged round join overshoots by at most `tolerance`."""
    if d <= 0:
        return 8
    half = math.acos(d / (d + tolerance))
    return max(4, min(256, math.ceil(1.5 * (math.pi / 2) / (2 * half))))


def fillet_radius(d: float, tolerance: float = DEFAULT_TOLERANCE_MM) -> float:
    """Radius on which the vertices of `safe_buffer`'s rounded corners lie."""
    return abs(d) / math.cos(_widest_half_chord(quad_segs_for(abs(d), tolerance)))


def safe_buffer(geom: BaseGeometry, d: float, tolerance: float = DEFAULT_TOLERANCE_MM) -> BaseGeometry:
    """`geom` grown (d > 0) or shrunk (d < 0) by at least |d| everywhere, chords included."""
    found: BaseGeometry = _safe_buffers(geom, np.array([d], dtype=float), tolerance)[0]
    return found


def _safe_buffers(geom: BaseGeometry, d: NDArray[np.float64], tolerance: float) -> NDArray[np.object_]:
    """`safe_buffer` at each of the distances `d`: one GEOS call per count of chords."""
    out = np.empty(len(d), dtype=object)
    quads = np.array([quad_segs_for(abs(x), tolerance) for x in d.tolist()], dtype=int)
    radii = np.array([math.copysign(fillet_radius(x, tolerance), x) for x in d.tolist()])
    for q in np.unique(quads).tolist():
        chosen = (quads == q) & (d != 0)
        out[chosen] = shapely.buffer(geom, radii[chosen], quad_segs=q)
    out[d == 0] = geom
    return out


def shrink(shape: BaseGeometry, d: float, tolerance: float = DEFAULT_TOLERANCE_MM) -> BaseGeometry:
    """Points of `shape` at least `d` from its edges (to within `tolerance`, never nearer)."""
    found: BaseGeometry = _shrinks(shape, np.array([d], dtype=float), tolerance)[0]
    return found


def grow(shape: BaseGeometry, d: float, tolerance: float = DEFAULT_TOLERANCE_MM) -> BaseGeometry:
    """`shape` grown by at least `d` everywhere, and by little more than that."""
    found: BaseGeometry = _grows(shape, np.array([d], dtype=float), tolerance)[0]
    return found


def _shrinks(shape: BaseGeometry, d: NDArray[np.float64], tolerance: float) -> NDArray[np.object_]:
    mitred = shapely.buffer(shape, -d, join_style="mitre", mitre_limit=MITRE_LIMIT)
    found: NDArray[np.object_] = shapely.union(mitred, _safe_buffers(shape, -d, tolerance))
    return found


def _grows(shape: BaseGeometry, d: NDArray[np.float64], tolerance: float) -> NDArray[np.object_]:
    mitred = shapely.buffer(shape, d, join_style="mitre", mitre_limit=MITRE_LIMIT)
    found: NDArray[np.object_] = shapely.intersection(mitred, _safe_buffers(shape, d, tolerance))
    return found


def inset(boundary: Polygon, islands: BaseGeometry | None, d: float,
          tolerance: float = DEFAULT_TOLERANCE_MM) -> list[Polygon]:
    """Where a tool centre may go so the tool stays `d` from every wall and island.

    Always computed from the original outlines, never from a previous offset,
    so the vertex count of every ring is bounded by the input's.
    """
    return insets(boundary, islands, [d], tolerance)[0]


def insets(boundary: Polygon, islands: BaseGeometry | None, distances: Sequence[float],
           tolerance: float = DEFAULT_TOLERANCE_MM) -> list[list[Polygon]]:
    """`inset` at each of `distances`, each step of it taken for all of them in one GEOS call.

    The same operations on the same outlines as one at a time, so the very
    same polygons, without going back and forth to Python for every ring.
    """
    d = np.asarray(distances, dtype=float)
    region = _shrinks(boundary, d, tolerance)
    if islands is not None and not islands.is_empty:
        region = shapely.difference(region, _grows(islands, d, tolerance))
    return polygons_of_each(region)


def rough_insets(boundary: Polygon, islands: BaseGeometry | None, distances: Sequence[float],
                 tolerance: float = DEFAULT_TOLERANCE_MM) -> list[list[Polygon]]:
    """Where a tool centre may go at least each of `distances` from every wall and island.

    The round offsets alone: never nearer than asked, and at most `tolerance`
    further along straight walls (where `insets` adds the mitred offset to
    be exact), for half the GEOS work. For rings that clear the middle of a
    pocket, not for the one that finishes its walls.

    The islands are cut out of the boundary first and the holed outline is
    offset whole: what lies `d` inside the boundary and `d` outside every
    island is what lies `d` inside the holed outline, and GEOS offsets holes
    with the same rounded corners as it grows islands, so one offset per
    distance does what an offset of each and their difference did.
    """
    d = np.asarray(distances, dtype=float)
    shape = boundary
    if islands is not None and not islands.is_empty:
        shape = boundary.difference(islands)
    return polygons_of_each(_safe_buffers(shape, -d, tolerance))


def outset(shape: Polygon, d: float, tolerance: float = DEFAULT_TOLERANCE_MM) -> list[Polygon]:
    return polygons(grow(shape, d, tolerance))


def thinned(shape: BaseGeometry, tolerance: float) -> BaseGeometry:
    """`shape` with the vertices Douglas-Peucker drops at `tolerance`, its topology kept.

    Plain Douglas-Peucker keeps every point of the result within `tolerance`
    of the shape and the other way round, but may leave a ring crossing
    itself or another, or drop a hole. GEOS's topology-preserving simplifier
    rules that out as it goes, at ten times the cost, and on offset rings
    almost never has to: the plain result is kept when it is valid with the
    same polygons and holes, and the careful one is made only otherwise.
    """
    plain = shapely.simplify(shape, tolerance, preserve_topology=False)
    if (plain.geom_type == shape.geom_type and shapely.is_valid(plain)
            and shapely.get_num_geometries(plain) == shapely.get_num_geometries(shape)
            and _holes(plain) == _holes(shape)):
        return plain
    careful: BaseGeometry = shapely.simplify(shape, tolerance, preserve_topology=True)
    return careful


def _holes(shape: BaseGeometry) -> list[int]:
    if isinstance(shape, Polygon):
        # One polygon: asked directly, without taking it apart into a copy.
        return [int(shapely.get_num_interior_rings(shape))]
    found: list[int] = shapely.get_num_interior_rings(shapely.get_parts(shape)).tolist()
    return found


def rings(poly: Polygon) -> list[LinearRing]:
    """Exterior first (CCW), then the holes (CW)."""
    return [shapely.get_exterior_ring(poly),
            *(shapely.get_interior_ring(poly, i) for i in range(shapely.get_num_interior_rings(poly)))]
