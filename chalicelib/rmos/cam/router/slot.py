"""Slots exactly as wide as the bit: cut once along their centre line.

A truss-rod slot drawn 6.35 mm wide for a 6.35 mm bit leaves the tool
centre no area at all: the pocket shrunk by the tool radius is empty, and
the ring planner has nothing to offset. The tool still fits, along one
line. A pocket is treated as such a slot when shrinking it by the tool
radius less half of `SLOT_TOLERANCE_MM` leaves a thin strip; a pocket that
leaves nothing even then is narrower than the bit beyond the tolerance and
is refused with its measured width.

The centre line is the chordal axis of that strip: the strip (its walls
densified) is split into constrained Delaunay triangles, every triangle
edge that crosses the strip is a chord from one wall to the other, and the
chords' midpoints, joined through each triangle, run down the middle. Each
free end is then moved along its direction to the last point whose
clearance from the pocket's walls is what the line has elsewhere, so a
square or round end is cut right up to the wall and never past it. The line
is written as lines and arcs (`fit.fit_points`) and checked again, densely
sampled, against the walls before any move is made.

Cutting: each level ramps along the line from the level above (there and
back, as often as the ramp angle needs) and then runs it at depth, there
and back, without leaving the slot; one retract at the end. A closed
channel (a ring of exactly the bit's width) is one loop, cut like a ring.
"""
from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, Polygon

from chalicelib.rmos.cam.router import shapes
from chalicelib.rmos.cam.router.dressups import ramp
from chalicelib.rmos.cam.router.fit import fit_points
from chalicelib.rmos.cam.router.linking import CLEARANCE_MM, PathBuilder, level_depths
from chalicelib.rmos.cam.router.path2d import Loop, Seg, loop_length, reversed_loop, rotate_to, to_moves
from chalicelib.rmos.cam.toolpath import Issue, PlanningError

# How much narrower than the bit a slot may be and still be cut along its
# centre line. The cut is then up to half of this wider than drawn on each
# wall: 0.01 mm, below what a router bit's own runout adds.
SLOT_TOLERANCE_MM = 0.02
# Wall vertices at most this far apart for the triangulation; chords then
# cross the strip nearly square and their midpoints sit on the centre line.
_CHORD_SPACING_MM = 0.25


# (n, 2) arrays of x, y in mm.
Points = npt.NDArray[np.float64]


def slot_strips(boundary: Polygon, islands: Any, r: float, tol: float) -> list[Polygon]:
    """Where the tool centre fits once the walls may be touched by half the slot tolerance."""
    return shapes.inset(boundary, islands, r - SLOT_TOLERANCE_MM / 2, tol)


def refuse_narrow(pocket: Any, diameter: float, path: str) -> PlanningError:
    """The refusal for a pocket narrower than the bit, with the pocket's measured width."""
    widths = [2 * shapely.maximum_inscribed_circle(p, 1e-4).length for p in shapes.polygons(pocket)]
    width = max(widths, default=0.0)
    return PlanningError([Issue(
        "tool_too_large",
        f"a {diameter:g} mm tool does not fit anywhere in the pocket: it is at most {width:.3f} mm wide "
        f"(a slot may be up to {SLOT_TOLERANCE_MM:g} mm narrower than the tool, no more)",
        path)])


def necks(strips: list[Polygon], regions: list[Polygon]) -> list[Polygon]:
    """Parts of the strips the ring planner's regions do not reach: stretches exactly the bit's width.

    A strip runs half the slot tolerance outside every region; growing the
    regions by the whole tolerance swallows that margin, so what is left is
    where the tool fits only along a line (the legs of a gap round an
    island, a channel leading off a wider pocket).
    """
    grown = shapely.union_all(regions).buffer(SLOT_TOLERANCE_MM, join_style="mitre")
    return shapes.polygons(shapely.union_all(strips).difference(grown))


def centre_paths(strip: Polygon, walls: Any, r: float, tol: float,
                 only: Polygon | None = None) -> list[tuple[Loop, bool]]:
    """The strip's centre line as (path of lines and arcs, closed?) pieces, checked against `walls`.

    `walls` is the pocket's boundary (lines); an open piece comes back as its
    one-way path. With `only`, just the line's pieces inside it. Each piece
    is fitted within `tol`; a piece whose fit would come nearer the walls
    than the slot tolerance allows keeps its chords.
    """
    shapely.prepare(walls)
    out: list[tuple[Loop, bool]] = []
    lines = _chordal_axis(strip)
    if only is not None:
        clipped = shapely.line_merge(shapely.intersection(shapely.multilinestrings(lines), only))
        lines = [g for g in shapely.get_parts(clipped) if isinstance(g, LineString) and g.length > 1e-6]
    for line in lines:
        pts = np.asarray(line.coords)[:, :2]
        closed = bool(line.is_ring) and len(pts) > 3
        if not closed:
            pts = _extend_ends(pts, walls, r)
        if math.dist(pts[0], pts[-1]) < 1e-9 and not closed:
            # A slot no longer than the bit: one point, a plunge.
            out.append(([Seg(tuple(pts[0]), tuple(pts[0]))], False))
            continue
        thin = np.asarray(shapely.simplify(LineString(pts), tol / 4).coords)[:, :2]
        segs = fit_points(thin, tol * 3 / 4)
        if not segs or _nearest_wall(segs, walls) < r - SLOT_TOLERANCE_MM / 2:
            segs = [Seg((float(a[0]), float(a[1])), (float(b[0]), float(b[1])))
                    for a, b in zip(pts, pts[1:]) if tuple(a) != tuple(b)]
        if _nearest_wall(segs, walls) < r - SLOT_TOLERANCE_MM / 2 - 1e-6:
            raise AssertionError("a slot centre line comes nearer a wall than the slot tolerance allows")
        out.append((segs, closed))
    return out


def _chordal_axis(strip: Polygon) -> list[LineString]:
    dense = strip.segmentize(_CHORD_SPACING_MM)
    wall_edges: set[tuple[tuple[float, float], tuple[float, float]]] = set()
    for ring in shapes.rings(dense):
        coords = [tuple(p) for p in shapely.get_coordinates(ring).tolist()]
        for a, b in zip(coords, coords[1:]):
            wall_edges.add((a, b))
            wall_edges.add((b, a))
    tris = shapely.get_parts(shapely.constrained_delaunay_triangles(dense))
    corners = shapely.get_coordinates(tris).reshape(len(tris), 4, 2)[:, :3]
    pieces: list[list[tuple[float, float]]] = []
    for v in corners.tolist():
        a, b, c = (tuple(p) for p in v)
        chords = [((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
                  for p, q in ((a, b), (b, c), (c, a)) if (p, q) not in wall_edges]
        if len(chords) == 2:
            pieces.append(chords)
        elif len(chords) == 3:
            mid = ((a[0] + b[0] + c[0]) / 3, (a[1] + b[1] + c[1]) / 3)
            pieces.extend([m, mid] for m in chords)
    if not pieces:
        # Two triangles or fewer: the strip is a speck; its middle is the line.
        p = strip.representative_point()
        return [LineString([(p.x, p.y), (p.x, p.y)])]
    merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(np.asarray(pieces))))
    return [g for g in shapely.get_parts(merged) if isinstance(g, LineString)]


def _clearance(walls: Any, pts: Points) -> Points:
    found: Points = shapely.distance(walls, shapely.points(pts[:, 0], pts[:, 1]))
    return found


def _clear_at(walls: Any, e: Points, u: Points, want: float, t: float) -> bool:
    """Whether the point `t` along direction `u` from `e` keeps `want` clearance from the walls."""
    return float(_clearance(walls, (e + u * t)[None, :])[0]) >= want


def _extend_ends(pts: Points, walls: Any, r: float) -> Points:
    """Move each free end along its direction to the last point with the line's own clearance."""
    inner = _clearance(walls, pts)
    want = min(r, float(np.median(inner))) - 1e-5
    pts = pts.copy()
    for end, prev in ((0, 1), (-1, -2)):
        if len(pts) < 2:
            break
        e, p = pts[end], pts[prev]
        u = e - p
        norm = math.hypot(*u)
        if norm < 1e-12:
            continue
        u = u / norm
        # Clearance falls as the end nears the slot's end wall; find where it
        # crosses `want`, between pulling back along the last piece and going
        # a chord spacing plus the strip's width beyond the end.
        lo, hi = -min(norm, 4 * SLOT_TOLERANCE_MM + _CHORD_SPACING_MM), 4 * _CHORD_SPACING_MM + SLOT_TOLERANCE_MM
        ok = functools.partial(_clear_at, walls, e, u, want)
        if ok(hi):
            pts[end] = e + u * hi
            continue
        if not ok(lo):
            pts[end] = e + u * lo
            continue
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if ok(mid) else (lo, mid)
        pts[end] = e + u * lo
    return pts


def _nearest_wall(segs: Loop, walls: Any) -> float:
    """Least distance from the walls of any point of the path, sampled every 0.05 mm."""
    chunks = []
    for s in segs:
        t = np.linspace(0.0, 1.0, max(2, math.ceil(s.length / 0.05) + 1))
        x0, y0 = s.start
        if s.center is None:
            chunks.append(np.column_stack([x0 + (s.end[0] - x0) * t, y0 + (s.end[1] - y0) * t]))
        else:
            cx, cy = s.center
            a = math.atan2(y0 - cy, x0 - cx) + s.sweep * t
            rho = math.hypot(x0 - cx, y0 - cy)
            chunks.append(np.column_stack([cx + rho * np.cos(a), cy + rho * np.sin(a)]))
    return float(_clearance(walls, np.vstack(chunks)).min())


def plan_slot(b: PathBuilder, strips: list[Polygon], pocket: Any, depth: float,
              only: list[Polygon] | None = None) -> None:
    """Cut the strips' centre lines (or their pieces inside `only`) at every level, nearest first."""
    p = b.params
    r = p.tool_radius_mm
    walls = pocket.boundary
    loops: list[tuple[Loop, bool]] = []
    # No corners to round here, so the whole arc tolerance goes to fitting.
    fit_tol = min(p.arc_tolerance_mm, SLOT_TOLERANCE_MM / 2)
    if only is None:
        for strip in strips:
            loops.extend(centre_paths(strip, walls, r, fit_tol))
    else:
        for neck in only:
            # The strip around the neck and a little beyond, so the line
            # reaches into the regions either side.
            around = neck.buffer(2 * _CHORD_SPACING_MM + SLOT_TOLERANCE_MM)
            for strip in strips:
                if strip.intersects(neck):
                    for piece in shapes.polygons(strip.intersection(around)):
                        loops.extend(centre_paths(piece, walls, r, fit_tol, neck.buffer(SLOT_TOLERANCE_MM)))
    levels = level_depths(depth, p.stepdown_mm)
    here = (b.pos[0], b.pos[1]) if b.pos is not None else (0.0, 0.0)
    remaining = list(loops)
    while remaining:
        segs, closed = min(remaining, key=lambda item: min(math.dist(here, item[0][0].start),
                                                            math.dist(here, item[0][-1].end)))
        remaining.remove((segs, closed))
        if not closed and math.dist(here, segs[-1].end) < math.dist(here, segs[0].start):
            segs = reversed_loop(segs)
        _cut_line(b, segs, closed, levels)
        b.retract()
        assert b.pos is not None
        here = (b.pos[0], b.pos[1])


def _cut_line(b: PathBuilder, segs: Loop, closed: bool, levels: list[float]) -> None:
    p = b.params
    # An open line is cut there and back: one closed lap that starts and ends at its start.
    lap = segs if closed else segs + reversed_loop(segs)
    length = loop_length(lap)
    start = lap[0].start
    b.travel(start)
    b.descend_to(min(CLEARANCE_MM, p.safe_z_mm))
    z_above = min(CLEARANCE_MM, p.safe_z_mm)
    at = 0.0  # where along the lap the tool is
    for z in levels:
        lap_here = rotate_to(lap, at) if length > 0 else lap
        ramped = ramp.ramp_along(lap_here, z_above, z, p.ramp_angle_deg, p.plunge_mm_min, p.feed_mm_min,
                                 min_length=p.tool_radius_mm) if length > 0 else None
        if ramped is None:
            b.warn("plunge entry: no room for a helix or a ramp; the tool plunges straight down at plunge feed")
            b.enter(ramp.PlungeEntry(lap_here[0].start, z, p.plunge_mm_min))
            reached = 0.0
        else:
            entry, reached = ramped
            if entry is not None:
                b.enter(entry)
        if length > 0:
            b.extend(to_moves(rotate_to(lap_here, reached), z, z, p.feed_mm_min))
            at = (at + reached) % length
        b.full_width_mm += length if closed else length / 2
        z_above = z
