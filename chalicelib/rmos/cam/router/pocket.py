"""Pocketing: clear everything inside a boundary, around its islands, to depth.

Polyline pockets are cut as concentric offset rings, each computed from the
original outline (tool radius + k * stepover), cut inside-out with the wall
ring last. Rings that split into separate pieces form a containment tree; every
piece is cleared before the ring that encloses it. Circles and annuli go to
`circular`, which keeps them as exact arcs.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import NDArray
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from chalicelib.rmos.cam import work
from chalicelib.rmos.cam.router import shapes, slot
from chalicelib.rmos.cam.router.arcfit import CornerArcs
from chalicelib.rmos.cam.router.circular import plan_circular
from chalicelib.rmos.cam.router.fit import THIN_SHARE, fit_thinned
from chalicelib.rmos.cam.router.linking import Helix, PathBuilder, go_to_loop, level_depths, start_nearest
from chalicelib.rmos.cam.router.models import AnnulusGeometry, CircleGeometry, PocketOp
from chalicelib.rmos.cam.router.path2d import XY, Loop, Seg, loop_length, reversed_loop
from chalicelib.rmos.cam.toolpath import Issue, PlanningError

PathFn = Callable[..., str]
# Rounded corners of rings that are fitted afterwards are made with finer
# chords, so a corner's chords sit well inside the fitting tolerance and the
# whole corner becomes one arc.
FILLET_SHARE = 1 / 8


def plan_pocket(b: PathBuilder, op: PocketOp, path: PathFn) -> None:
    geom = op.geometry
    allowance = op.finish_allowance_mm or 0.0
    if isinstance(geom, AnnulusGeometry):
        plan_circular(b, (geom.center[0], geom.center[1]), geom.inner_radius_mm, geom.outer_radius_mm, op.depth_mm,
                      allowance, path("geometry"))
    elif isinstance(geom, CircleGeometry):
        plan_circular(b, (geom.center[0], geom.center[1]), None, geom.radius_mm, op.depth_mm, allowance,
                      path("geometry"))
    else:
        issues: list[Issue] = []
        boundary, islands = shapes.outline_and_islands(geom, path, b.warn, issues)
        if issues or boundary is None:
            raise PlanningError(issues)
        plan_polygon_pocket(b, boundary, islands, op.depth_mm, allowance, path("geometry"))


@dataclass
class Node:
    """One piece of one offset ring; its children are the pieces of the next ring inside it."""

    poly: Polygon
    loops: list[Loop]
    children: list["Node"] = field(default_factory=list)

    @functools.cached_property
    def lines(self) -> list[LineString]:
        """Each loop through its segment starts, for nearest-loop choices (made once, used every level)."""
        return [LineString([s.start for s in lp] + [lp[0].start]) for lp in self.loops]

    def helix(self, tool_radius: float) -> Helix | None:
        """The entry helix of a leaf piece (None for a piece with rings inside it), worked out once."""
        if self.children:
            return None
        if "_helix" not in self.__dict__:
            self.__dict__["_helix"] = _helix_for(self.poly, tool_radius)
        found: Helix | None = self.__dict__["_helix"]
        return found


class PolygonClearing:
    """Answers the linking rule for one region at one depth, with shapely.

    A link is allowed when it lies inside the tool-centre region and every
    point of it is within a tool radius of the path already cut at this depth.
    """

    def __init__(self, region: Polygon, tool_radius: float) -> None:
        self.region = region.buffer(1e-6, join_style="mitre")
        shapely.prepare(self.region)
        self.r = tool_radius
        self.cut: list[LineString] = []
        self.cut_bounds: list[tuple[float, float, float, float]] = []
        # The last answer, until more is cut: choosing the next loop asks
        # about the same link the move to it then asks again.
        self._last: tuple[XY, XY, bool] | None = None

    def add(self, segs: Sequence[Seg]) -> None:
        if not segs:
            return
        self._last = None
        # Arcs become chords no further than r/2000 inside them: well within
        # the 0.2 % margin link_ok allows on the tool's reach.
        counts, starts, centres, sweeps, radii = [], [], [], [], []
        for s in segs:
            if s.center is None:
                counts.append(1)
                centres.append((math.nan, math.nan))
                sweeps.append(0.0)
                radii.append(0.0)
            else:
                rho = s.radius
                piece = 2 * math.acos(max(-1.0, 1 - self.r / 2000 / rho)) if rho > 0 else math.pi
                counts.append(max(2, math.ceil(abs(s.sweep) / piece)))
                centres.append(s.center)
                sweeps.append(s.sweep)
                radii.append(rho)
            starts.append(s.start)
        n = np.asarray(counts)
        owner = np.repeat(np.arange(len(segs)), n)
        # Fraction along its own segment of every output point (1/n .. 1).
        t = (np.arange(len(owner)) - np.repeat(np.cumsum(n) - n, n) + 1) / n[owner]
        start = np.asarray(starts)[owner]
        end = np.asarray([s.end for s in segs])[owner]
        centre = np.asarray(centres)[owner]
        arc = ~np.isnan(centre[:, 0])
        pts = start + (end - start) * t[:, None]
        if arc.any():
            a0 = np.arctan2(start[arc, 1] - centre[arc, 1], start[arc, 0] - centre[arc, 0])
            a = a0 + np.asarray(sweeps)[owner][arc] * t[arc]
            rho = np.asarray(radii)[owner][arc]
            pts[arc] = centre[arc] + rho[:, None] * np.column_stack([np.cos(a), np.sin(a)])
        line = LineString(np.vstack([np.asarray(segs[0].start)[None, :], pts]))
        self.cut.append(line)
        self.cut_bounds.append(line.bounds)

    def link_ok(self, a: XY, b: XY) -> bool:
        if self._last is not None and self._last[:2] == (a, b):
            return self._last[2]
        found = self._link_ok(a, b)
        self._last = (a, b, found)
        return found

    def _link_ok(self, a: XY, b: XY) -> bool:
        link = LineString([a, b]) if a != b else Point(a)
        if not self.region.covers(link):
            return False
        reach = self.r * 1.002 + 1e-6
        box = (min(a[0], b[0]) - reach, min(a[1], b[1]) - reach, max(a[0], b[0]) + reach, max(a[1], b[1]) + reach)
        near = [shapely.clip_by_rect(line, *box) for line, bounds in zip(self.cut, self.cut_bounds)
                if _overlaps(bounds, box)]
        near = [g for g in near if not g.is_empty]
        if not near:
            return False
        # A collection, not a union: distance needs no noding of the pieces.
        return _within(a, b, shapely.GeometryCollection(near), reach, self.r / 100)


def _within(a: XY, b: XY, cut: Any, reach: float, resolution: float) -> bool:
    """Whether every point of the segment a-b lies within `reach` of `cut`.

    The distance to `cut` is 1-Lipschitz along the segment, so between two
    samples h apart with distances d0 and d1 it cannot exceed (d0 + d1 + h) / 2.
    Intervals whose bound is over `reach` are halved until that bound holds,
    or, once h is below `resolution`, their samples alone decide.
    """
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    n = max(1, math.ceil(length / (25 * resolution)))  # a quarter of the tool radius apart
    t = np.linspace(0.0, 1.0, n + 1)
    d = _distances(a, b, t, cut)
    lo, hi, d_lo, d_hi = t[:-1], t[1:], d[:-1], d[1:]
    while True:
        if np.any(d_lo > reach) or np.any(d_hi > reach):
            return False
        h = (hi - lo) * length
        open_ = (d_lo + d_hi + h) / 2 > reach
        if not open_.any():
            return True
        if h[open_].max() < resolution:
            return True
        lo, hi, d_lo, d_hi = lo[open_], hi[open_], d_lo[open_], d_hi[open_]
        mid = (lo + hi) / 2
        d_mid = _distances(a, b, mid, cut)
        lo, hi = np.concatenate([lo, mid]), np.concatenate([mid, hi])
        d_lo, d_hi = np.concatenate([d_lo, d_mid]), np.concatenate([d_mid, d_hi])


def _distances(a: XY, b: XY, t: NDArray[Any], cut: Any) -> NDArray[Any]:
    found: NDArray[Any] = shapely.distance(shapely.points(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t), cut)
    return found


def _overlaps(a: Sequence[float], b: Sequence[float]) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


def ring_offsets(depth_max: float, step: float, allowance: float) -> list[float]:
    """Distances from the tool-centre region's edge, wall ring (0) first, evenly spaced."""
    if allowance > 0 and depth_max > allowance:
        m = max(1, math.ceil((depth_max - allowance) / step - 1e-9))
        s = (depth_max - allowance) / m
        return [0.0] + [allowance + j * s for j in range(m)]
    m = max(1, math.ceil(depth_max / step - 1e-9))
    s = depth_max / m
    return [j * s for j in range(m)]


def plan_polygon_pocket(b: PathBuilder, boundary: Polygon, islands: list[Polygon], depth: float,
                        allowance: float, path: str) -> None:
    p = b.params
    r = p.tool_radius_mm
    # Half the arc tolerance goes to rounding corners, half to fitting rings
    # with lines and arcs.
    tol = max(1e-4, min(p.arc_tolerance_mm, 0.01) / 2)
    island_union = unary_union(islands) if islands else None
    regions = _without_slivers(shapes.inset(boundary, island_union, r, tol), r)
    if not regions:
        # No area for the tool centre: a slot exactly the bit's width is cut
        # along its centre line; anything narrower is refused with its width.
        pocket = boundary.difference(island_union) if island_union is not None else boundary
        strips = slot.slot_strips(boundary, island_union, r, tol)
        if not strips:
            raise slot.refuse_narrow(pocket, p.tool_diameter_mm, path)
        _report_unreachable(b, boundary, island_union, strips)
        slot.plan_slot(b, strips, pocket, depth)
        return
    strips = slot.slot_strips(boundary, island_union, r, tol)
    necks = slot.necks(strips, regions)
    _report_unreachable(b, boundary, island_union, regions + necks)
    inscribed = max(shapely.maximum_inscribed_circle(poly, 0.01 * r).length for poly in regions)
    if allowance > 0 and inscribed <= allowance:
        b.warn(f"the finish allowance ({allowance:g} mm) is wider than the pocket leaves room for; "
               "the pocket is cut without a separate finishing ring")
    step = min(p.stepover_mm, r)
    offsets = ring_offsets(inscribed, step, allowance)

    corners = CornerArcs([boundary, *islands])
    levels = _ring_nodes(boundary, island_union, regions, corners, offsets, r, tol, p.climb)

    roots = levels[0]
    _nest(levels)

    region_of = {id(root): max(regions, key=lambda reg: reg.intersection(root.poly).area) for root in roots}
    # Hops between loops go at the level above plus the clearance: over the
    # stock top anywhere inside the outline for the first level, over the
    # root's own region (cleared whole at the level above) for the others.
    footprint = Polygon(boundary.exterior)
    shapely.prepare(footprint)
    here = Point(0.0, 0.0)
    remaining = list(roots)
    while remaining:
        root = min(remaining, key=lambda n: n.poly.distance(here))
        remaining.remove(root)
        z_above = 0.0
        region = region_of[id(root)]
        shapely.prepare(region)
        for z in level_depths(depth, p.stepdown_mm):
            clearing = PolygonClearing(region, r)
            over = footprint if z_above == 0.0 else region
            _cut_node(b, root, z, z_above, clearing, functools.partial(_hop_ok, over))
            z_above = z
        assert b.pos is not None  # the levels above moved the tool
        here = Point(b.pos[0], b.pos[1])
    b.retract()
    if necks:
        pocket = boundary.difference(island_union) if island_union is not None else boundary
        slot.plan_slot(b, strips, pocket, depth, only=necks)


# Parts of the tool-centre region thinner than this are rounding left by an
# offset of a stretch exactly the tool's width, not room for the tool.
SLIVER_MM = 1e-4


def _without_slivers(regions: list[Polygon], r: float) -> list[Polygon]:
    """The regions with their zero-width threads removed (those stretches are cut as slots).

    Only thin regions (area small for their outline) are opened, so an
    ordinary pocket's region is left exactly as GEOS made it.
    """
    out: list[Polygon] = []
    for reg in regions:
        if reg.area > 0.25 * r * reg.length:
            out.append(reg)
            continue
        opened = reg.buffer(-SLIVER_MM, join_style="mitre").buffer(SLIVER_MM, join_style="mitre")
        out.extend(shapes.polygons(opened))
    return out


def _ring_nodes(boundary: Polygon, island_union: Any, regions: list[Polygon], corners: CornerArcs,
                offsets: list[float], r: float, tol: float, climb: bool) -> list[list[Node]]:
    """The rings at each offset from the wall inward, as nodes; stops where the pocket runs out."""
    levels: list[list[Node]] = []
    inner = _inner_tolerance(offsets, tol)
    # The inner rings rough: they are offsets of the outlines thinned by a
    # quarter of their tolerance (Douglas-Peucker keeps every point of the
    # thinned outline within that of the drawn one, and the other way round),
    # which on a dense drawing is a fraction of its vertices for GEOS and
    # the fitter to work through. The wall ring is offset from the outlines
    # as drawn.
    thin = inner * THIN_SHARE
    thin_boundary = shapely.simplify(boundary, thin, preserve_topology=True)
    thin_islands = None if island_union is None else shapely.simplify(island_union, thin, preserve_topology=True)
    for e in offsets:
        work.checkpoint()
        if e == 0:
            levels.append(_wall_nodes(boundary, island_union, regions, corners, r, tol, climb))
            continue
        # Offset by the thinning and one tolerance more than the ring's place,
        # then fitted within that tolerance: the path never comes nearer the
        # walls than r + e, nor further than r + e + 2.5 inner + tol / 8
        # (thinning twice, fit twice, the fillet chords' share).
        pieces = shapes.inset(thin_boundary, thin_islands, r + e + inner + thin, tol * FILLET_SHARE)
        if not pieces:
            break
        levels.append([_fitted_node(poly, inner, climb) for poly in pieces])
    return levels


# Inner rings rough: they may run up to twice this share of the ring spacing
# further from the walls than their place (never nearer), capped at
# INNER_TOLERANCE_MM. That is enough for a ring round a faceted round island
# to become a few arcs instead of a line and a fillet per facet.
INNER_SHARE = 1 / 20
INNER_TOLERANCE_MM = 0.05


def _inner_tolerance(offsets: list[float], tol: float) -> float:
    """The fitting tolerance of the rings inside the wall ring.

    Coverage keeps: consecutive rings end up at most the spacing plus twice
    this apart (well within the tool's diameter), and the innermost ring only
    moves towards the middle.
    """
    gaps = [b - a for a, b in zip(offsets, offsets[1:]) if b - a > 0]
    if not gaps:
        return tol
    return max(tol, min(INNER_SHARE * min(gaps), INNER_TOLERANCE_MM))


def _nest(levels: list[list[Node]]) -> None:
    """Hang each ring under the ring of the level outside it that contains it (or is nearest)."""
    parents = levels[0]
    for nodes in levels[1:]:
        for node in nodes:
            probe = node.poly.representative_point()
            owner = next((n for n in parents if n.poly.intersects(probe)), None)
            if owner is None:
                owner = min(parents, key=lambda n: n.poly.distance(probe))
            owner.children.append(node)
        parents = nodes


def _report_unreachable(b: PathBuilder, boundary: Polygon, islands: Any, regions: list[Polygon]) -> None:
    """Say so when parts of the pocket are narrower than the tool (beyond its corners).

    A round tool always leaves a fillet in a corner; anything else it cannot
    reach (a neck, a gap between an island and the wall) is reported.
    """
    r = b.params.tool_radius_mm
    pocket = boundary.difference(islands) if islands is not None else boundary
    remnant = pocket.difference(shapely.union_all(regions).buffer(r * 1.001, quad_segs=16))
    corners = shapely.points(np.vstack([np.asarray(ring.coords)[:, :2] for poly in shapes.polygons(pocket)
                                        for ring in shapes.rings(poly)]))
    tree = shapely.STRtree(corners)
    left = []
    for piece in shapes.polygons(remnant):
        if piece.area < 1e-3:
            continue
        nearest = corners[tree.nearest(piece.representative_point())]
        if not piece.within(nearest.buffer(2 * r)):
            left.append(piece)
    if left:
        area = sum(piece.area for piece in left)
        where = max(left, key=lambda piece: piece.area).representative_point()
        b.warn(f"{area:.1f} mm2 of the pocket is narrower than the {b.params.tool_diameter_mm:g} mm tool and "
               f"is left uncut (for example near X{where.x:.2f} Y{where.y:.2f})")


def _fitted_node(poly: Polygon, tol: float, climb: bool) -> Node:
    # One Douglas-Peucker pass over the whole piece (topology kept) thins the
    # rings for the fitter and gives the node its outline for containment.
    outline = shapely.simplify(poly, tol * THIN_SHARE, preserve_topology=True)
    outline = orient(outline if isinstance(outline, Polygon) and not outline.is_empty else poly, 1.0)
    loops = [fit_thinned(ring, tol) for ring in shapes.rings(outline)]
    return Node(outline, [loop if climb else reversed_loop(loop) for loop in loops if loop])


def _wall_nodes(boundary: Polygon, islands: Any, regions: list[Polygon], corners: CornerArcs, r: float, tol: float,
                climb: bool) -> list[Node]:
    """The wall ring: offset half a tolerance further in and fitted within that half.

    It then lies between r and r + tol from the walls. A region that offset
    loses altogether (a slot exactly the tool's width) keeps its exact ring,
    with only its rounded corners turned into arcs.
    """
    pieces = shapes.inset(boundary, islands, r + tol / 2, tol * FILLET_SHARE)
    nodes = [_fitted_node(poly, tol / 2, climb) for poly in pieces]
    for region in regions:
        if not any(region.intersects(piece) for piece in pieces):
            nodes.append(Node(region, _loops(region, corners, shapes.fillet_radius(r, tol), r, climb)))
    return nodes


def _loops(poly: Polygon, corners: CornerArcs, radius: float, clearance: float, climb: bool) -> list[Loop]:
    out = []
    for ring in shapes.rings(poly):
        loop = corners.loop(ring.coords, radius, clearance)
        if loop:
            out.append(loop if climb else reversed_loop(loop))
    return out


def _helix_for(poly: Polygon, r: float) -> Helix | None:
    """A helix fits when a circle of at least the tool's radius in diameter fits the piece."""
    if poly.interiors:
        return None
    mic = shapely.maximum_inscribed_circle(poly, 0.01 * r)
    (cx, cy), _ = mic.coords
    radius = min(mic.length * 0.95, r)
    if 2 * radius < r:
        return None
    return Helix((cx, cy), radius)


# How many of the nearest loops are tried for a link at depth before the
# nearest is taken anyway (each try is one link check).
LINK_CANDIDATES = 3


def _next_loop(b: PathBuilder, node: Node, left: list[int], here: Point, z: float,
               clearing: PolygonClearing) -> int:
    """The nearest of the node's loops left that can be reached at depth, else the nearest.

    A ring with holes has a loop per hole; going to the nearest one first can
    leave the next only reachable across uncut stock, which costs a retract.
    """
    order = sorted(left, key=lambda m: node.lines[m].distance(here))
    if len(order) == 1 or b.pos is None or b.pos[2] > z + 1e-9:
        return order[0]
    for m in order[:LINK_CANDIDATES]:
        # The same start the move will take, so the answer is asked once.
        target = start_nearest(node.loops[m], (here.x, here.y))[0].start
        if clearing.link_ok((here.x, here.y), target):
            return m
    return order[0]


def _hop_ok(over: Polygon, a: XY, b: XY) -> bool:
    return bool(over.covers(LineString([a, b]) if a != b else Point(a)))


def _cut_node(b: PathBuilder, root: Node, z: float, z_above: float, clearing: PolygonClearing,
              hop_ok: Callable[[XY, XY], bool]) -> None:
    """Cut `root` and every piece inside it at depth z, each piece's children before itself.

    Walked with an explicit stack: a pocket can have a thousand rings inside
    one another, past Python's recursion limit.
    """
    stack: list[tuple[Node, list[Node]]] = [(root, list(root.children))]
    while stack:
        node, children = stack[-1]
        if children:
            here = Point(b.pos[0], b.pos[1]) if b.pos else Point(0, 0)
            child = min(children, key=lambda n: n.poly.distance(here))
            children.remove(child)
            stack.append((child, list(child.children)))
            continue
        stack.pop()
        _cut_own_loops(b, node, z, z_above, clearing, hop_ok)


def _cut_own_loops(b: PathBuilder, node: Node, z: float, z_above: float, clearing: PolygonClearing,
                   hop_ok: Callable[[XY, XY], bool]) -> None:
    helix = node.helix(b.params.tool_radius_mm)
    if not node.children:
        # Nothing inside this piece is cut yet at this depth: its rings slot.
        b.full_width_mm += sum(loop_length(loop) for loop in node.loops)
    left = list(range(len(node.loops)))
    while left:
        here = Point(b.pos[0], b.pos[1]) if b.pos else Point(0, 0)
        k = _next_loop(b, node, left, here, z, clearing)
        left.remove(k)
        go_to_loop(b, node.loops[k], z, z_above, clearing, helix, hop_ok)
        helix = None
