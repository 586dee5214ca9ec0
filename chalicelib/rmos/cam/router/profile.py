"""Profiling: cutting along an outline, inside it, outside it or on it.

The tool centre follows the outline offset by the tool radius (`shapes`
keeps every chord of a rounded corner at least that far from the part;
circles stay exact arcs). Polyline offsets are written as lines and arcs
(`fit`) within a tolerance on the far side of that offset, so a smooth outline
is a few hundred moves rather than one per vertex; bulged pieces of an "on"
profile are their own exact arcs. Climb
cutting with an M3 spindle keeps the part on the tool's right: outside
profiles run clockwise, inside profiles counter-clockwise. Each loop is cut
level by level, ramping down along the loop itself between levels; with a
finishing pass the levels run at an allowance and one final lap at full depth
takes the allowance off. Ramps and tabs are declared here and applied by
the dressup stage.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import shapely
from shapely.geometry import LinearRing, LineString, Polygon
from shapely.ops import unary_union

from chalicelib.rmos.cam.router import bulge, shapes
from chalicelib.rmos.cam.router.arcfit import CornerArcs
from chalicelib.rmos.cam.router.dressups import ramp
from chalicelib.rmos.cam.router.dressups.tabs import TabZone, Tabs
from chalicelib.rmos.cam.router.linking import CLEARANCE_MM, PathBuilder, closest_distance, level_depths, \
    nearest_order
from chalicelib.rmos.cam.router.fit import THIN_SHARE, fit_points, fit_ring
from chalicelib.rmos.cam.router.models import AnnulusGeometry, CircleGeometry, PolylineGeometry, ProfileOp
from chalicelib.rmos.cam.router.models import Tabs as TabsSpec
from chalicelib.rmos.cam.router.path2d import Loop, Seg, circle_loop, loop_length, reversed_loop, rotate_to, \
    signed_area, to_moves, walk
from chalicelib.rmos.cam.toolpath import Issue, Line, PlanningError

DEFAULT_FINISH_ALLOWANCE_MM = 0.2
# Rounded corners of rings that are fitted afterwards are made with finer
# chords (as for pocket rings), so a whole corner becomes one arc.
FILLET_SHARE = 1 / 8

PathFn = Callable[..., str]


def _circle_loops(op: ProfileOp, offset: float, path: PathFn, issues: list[Issue]) -> list[Loop]:
    """Tool-centre circles, each with the part on the tool's right (climb)."""
    geom = op.geometry
    assert isinstance(geom, (CircleGeometry, AnnulusGeometry))
    center = (geom.center[0], geom.center[1])
    # (radius of the outline, is the material we keep outside this circle)
    if isinstance(geom, CircleGeometry):
        outlines = [(geom.radius_mm, op.side == "inside")]
    else:
        assert isinstance(geom, AnnulusGeometry)
        outlines = [(geom.outer_radius_mm, op.side == "inside"), (geom.inner_radius_mm, op.side != "inside")]
    loops = []
    for radius, keep_outside in outlines:
        if op.side == "on":
            rho = radius
        elif keep_outside:
            rho = radius - offset
        else:
            rho = radius + offset
        if rho <= 1e-6:
            issues.append(Issue("tool_too_large", f"a circle of diameter {2 * radius:g} mm is too small to profile "
                                                  f"{op.side} with this tool", path("geometry")))
            continue
        # Part on the right: CW around a kept disc, CCW when the part is outside.
        loops.append(circle_loop(center, rho, clockwise=not keep_outside))
    if isinstance(geom, AnnulusGeometry) and op.side == "inside" and len(loops) == 2:
        if loops[0][0].radius < loops[1][0].radius - 1e-9:
            issues.append(Issue("tool_too_large", "the ring is narrower than the tool", path("geometry")))
    return loops


def _fit_tolerance(b: PathBuilder) -> float:
    """The same share of the arc tolerance that pocket rings are fitted within."""
    return max(1e-4, min(b.params.arc_tolerance_mm, 0.01) / 2)


def _polygon_loops(b: PathBuilder, op: ProfileOp, offset: float, path: PathFn, issues: list[Issue]) -> list[Loop]:
    geom = op.geometry
    assert isinstance(geom, PolylineGeometry)
    boundary, islands = shapes.outline_and_islands(geom, path, b.warn, issues, tool_inside=op.side != "outside")
    if boundary is None or issues:
        return []
    if op.side == "on":
        return _on_loops(geom, _fit_tolerance(b))
    part = boundary
    for island in islands:
        part = part.difference(island)
    island_union = unary_union(islands) if islands else None

    def offsets(d: float, tolerance: float) -> list[Polygon]:
        if op.side == "outside":
            return shapes.outset(part, d, tolerance)
        return shapes.inset(boundary, island_union, d, tolerance)

    pieces = offsets(offset, shapes.DEFAULT_TOLERANCE_MM)
    # Outside: the part is kept inside the loops; inside: outside them.
    keep_inside = op.side == "outside"
    if op.side == "outside":
        # Every island passed validation, so they line up with the payload's.
        for i, island in enumerate(islands):
            # A hole in the part is cut from inside; one smaller than the tool cannot be.
            if not shapes.inset(island, None, offset):
                issues.append(Issue("tool_too_large", f"island {i} is a hole too small for the tool to cut",
                                    path("geometry", "islands", i)))
    elif not pieces:
        issues.append(Issue("tool_too_large", f"a {b.params.tool_diameter_mm:g} mm tool does not fit inside "
                                              "the outline", path("geometry")))
    loops = _fitted_loops(pieces, offsets, offset, _fit_tolerance(b))
    if loops is None:
        corners = CornerArcs([boundary, *islands])
        radius = shapes.fillet_radius(offset)
        loops = [corners.loop(ring.coords, radius, offset) for poly in pieces for ring in shapes.rings(poly)]
    # Rings come exterior CCW, holes CW; a kept part must be on the right.
    return [reversed_loop(loop) if keep_inside else loop for loop in loops if loop]


def _fitted_loops(exact: list[Polygon], offsets: Callable[[float, float], list[Polygon]], offset: float,
                  tol: float) -> list[Loop] | None:
    """The offset rings as lines and arcs, never nearer the walls than the exact offset.

    As with a pocket's wall ring: offset half a tolerance further and fitted
    within that half, so the path lies between the exact offset and one
    tolerance beyond it. None where that extra half tolerance changes the
    rings (a slot exactly the tool's width vanishes, a neck splits): the
    exact rings are then kept, with their rounded corners as arcs.
    """
    if not exact:
        return []
    fitted = offsets(offset + tol / 2, tol * FILLET_SHARE)
    if len(fitted) != len(exact) or [len(p.interiors) for p in fitted] != [len(p.interiors) for p in exact]:
        return None
    return [fit_ring(ring, tol / 2, whole_circles=True) for poly in fitted for ring in shapes.rings(poly)]


def _on_loops(geom: PolylineGeometry, tol: float) -> list[Loop]:
    """The outlines themselves: the part on the tool's right (boundary CW, islands CCW).

    Bulged pieces are exact arcs; runs of straight pieces are fitted with
    lines and arcs within the tolerance either side.
    """
    outlines = [(geom.points, geom.boundary_bulges(), False)]
    outlines += [(pts, geom.bulges_of_island(i), True) for i, pts in enumerate(geom.islands)]
    loops = []
    for points, bulges, ccw in outlines:
        if any(bulges):
            loop = _fit_line_runs(bulge.exact_loop(points, bulges), tol)
        else:
            loop = fit_ring(LinearRing(points), tol, whole_circles=True)
        if not loop:
            continue
        loops.append(loop if (signed_area(loop) > 0) == ccw else reversed_loop(loop))
    return loops


def _fit_line_runs(loop: Loop, tol: float) -> Loop:
    """Every run of three or more straight pieces fitted with lines and arcs; arcs kept."""
    out: Loop = []
    run: list[Seg] = []

    def flush() -> None:
        if len(run) >= 3:
            line = shapely.simplify(LineString([run[0].start] + [s.end for s in run]), tol * THIN_SHARE)
            out.extend(fit_points(np.asarray(line.coords, dtype=float)[:, :2], tol * (1 - THIN_SHARE)))
        else:
            out.extend(run)
        run.clear()

    for seg in loop:
        if seg.center is None:
            run.append(seg)
        else:
            flush()
            out.append(seg)
    flush()
    return out


def _loops(b: PathBuilder, op: ProfileOp, offset: float, path: PathFn, issues: list[Issue]) -> list[Loop]:
    if isinstance(op.geometry, (CircleGeometry, AnnulusGeometry)):
        loops = _circle_loops(op, offset, path, issues)
    else:
        loops = _polygon_loops(b, op, offset, path, issues)
    return loops if b.params.climb else [reversed_loop(lp) for lp in loops]


def plan_profile(b: PathBuilder, op: ProfileOp, path: PathFn) -> None:
    p = b.params
    r = p.tool_radius_mm if op.side != "on" else 0.0
    allowance = op.finish_allowance_mm or 0.0
    if op.finishing_pass and allowance <= 0:
        allowance = DEFAULT_FINISH_ALLOWANCE_MM
    issues: list[Issue] = []
    if op.tabs is not None and op.tabs.height_mm >= op.depth_mm:
        issues.append(Issue("tabs_too_tall", f"tabs {op.tabs.height_mm:g} mm high do not fit a "
                                             f"{op.depth_mm:g} mm deep cut", path("tabs", "height_mm")))
    finals = _loops(b, op, r, path, issues)
    roughs = _loops(b, op, r + allowance, path, []) if allowance > 0 else []
    if allowance > 0 and len(roughs) != len(finals):
        issues.append(Issue("allowance_too_large", f"a {allowance:g} mm finish allowance leaves no room to cut",
                            path("finish_allowance_mm")))
    tabs = op.tabs
    if tabs is not None and not issues:
        issues += _tabs_fit(finals, tabs, p.tool_diameter_mm, path)
    if issues:
        raise PlanningError(issues)

    levels = level_depths(op.depth_mm, p.stepdown_mm)
    order = nearest_order(list(range(len(finals))), lambda i: finals[i][0].start, (0.0, 0.0))
    for i in order:
        first = len(b.moves)
        if roughs:
            _cut_levels(b, roughs[i], levels)
            assert b.pos is not None
            final = rotate_to(finals[i], closest_distance(finals[i], (b.pos[0], b.pos[1])))
            lead = final[0].start
            b.extend([Line(lead[0], lead[1], levels[-1], p.feed_mm_min)])
            b.extend(to_moves(final, levels[-1], levels[-1], p.feed_mm_min))
        else:
            _cut_levels(b, finals[i], levels)
        b.retract()
        if tabs is not None:
            zones = _tab_zones(finals[i], tabs.count, (tabs.width_mm + p.tool_diameter_mm) / 2)
            b.tabs_since(first, Tabs(tuple(zones), -op.depth_mm + tabs.height_mm, p.plunge_mm_min))


def _tabs_fit(finals: list[Loop], tabs: TabsSpec, tool_diameter_mm: float, path: PathFn) -> list[Issue]:
    for loop in finals:
        if tabs.count * (tabs.width_mm + tool_diameter_mm) >= loop_length(loop):
            return [Issue("tabs_too_wide", f"{tabs.count} tabs {tabs.width_mm:g} mm wide do not fit along the cut",
                          path("tabs"))]
    return []


def _cut_levels(b: PathBuilder, loop: Loop, levels: list[float]) -> None:
    """All levels on one loop, ramping down along it from one level to the next."""
    p = b.params
    total = loop_length(loop)
    start = loop[0].start
    b.travel(start)
    top = min(CLEARANCE_MM, p.safe_z_mm)
    b.descend_rapid(top)
    at = 0.0
    z_prev = top
    for z in levels:
        need = ramp.ramp_length(z_prev - z, p.ramp_angle_deg)
        if total < p.tool_radius_mm or need / total > ramp.MAX_RAMP_LAPS:
            b.warn("plunge entry: the cut is too short to ramp on; the tool plunges at plunge feed")
            here = rotate_to(loop, at)[0].start
            b.enter(ramp.PlungeEntry(here, z, p.plunge_mm_min))
        else:
            segs = tuple(walk(rotate_to(loop, at), 0.0, need))
            if segs:
                b.enter(ramp.RampEntry(segs, z_prev, z, p.plunge_mm_min, p.feed_mm_min))
            at = (at + need) % total
        b.extend(to_moves(rotate_to(loop, at), z, z, p.feed_mm_min))
        b.full_width_mm += total
        z_prev = z


def _tab_zones(loop: Loop, count: int, radius: float) -> list[TabZone]:
    total = loop_length(loop)
    zones = []
    for k in range(count):
        d = (k + 0.5) * total / count
        seg = walk(loop, d, d + 1e-9 * total)
        x, y = seg[0].start if seg else loop[0].start
        zones.append(TabZone(x, y, radius))
    return zones
