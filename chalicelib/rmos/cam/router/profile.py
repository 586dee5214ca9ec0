"""Profiling: cutting along an outline, inside it, outside it or on it.

The tool centre follows the outline offset by the tool radius (`shapes`
keeps every chord of a rounded corner at least that far from the part;
circles stay exact arcs). Climb
cutting with an M3 spindle keeps the part on the tool's right: outside
profiles run clockwise, inside profiles counter-clockwise. Each loop is cut
level by level, ramping down along the loop itself between levels; with a
finishing pass the levels run at an allowance and one final lap at full depth
takes the allowance off. Ramps and tabs are declared here and applied by
the dressup stage.
"""
from __future__ import annotations

from typing import Callable

from shapely.ops import unary_union

from chalicelib.rmos.cam.router import shapes
from chalicelib.rmos.cam.router.arcfit import CornerArcs
from chalicelib.rmos.cam.router.dressups import ramp
from chalicelib.rmos.cam.router.dressups.tabs import TabZone, Tabs
from chalicelib.rmos.cam.router.linking import CLEARANCE_MM, PathBuilder, closest_distance, level_depths, \
    nearest_order
from chalicelib.rmos.cam.router.models import AnnulusGeometry, CircleGeometry, PolylineGeometry, ProfileOp
from chalicelib.rmos.cam.router.models import Tabs as TabsSpec
from chalicelib.rmos.cam.router.path2d import Loop, circle_loop, loop_length, polygon_loop, reversed_loop, \
    rotate_to, to_moves, walk
from chalicelib.rmos.cam.toolpath import Issue, Line, PlanningError

DEFAULT_FINISH_ALLOWANCE_MM = 0.2

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


def _polygon_loops(b: PathBuilder, op: ProfileOp, offset: float, path: PathFn, issues: list[Issue]) -> list[Loop]:
    assert isinstance(op.geometry, PolylineGeometry)
    boundary, islands = shapes.outline_and_islands(op.geometry, path, b.warn, issues)
    if boundary is None or issues:
        return []
    part = boundary
    for island in islands:
        part = part.difference(island)
    if op.side == "outside":
        pieces = shapes.outset(part, offset)
        keep_inside = True
        # Every island passed validation, so they line up with the payload's.
        for i, island in enumerate(islands):
            # A hole in the part is cut from inside; one smaller than the tool cannot be.
            if not shapes.inset(island, None, offset):
                issues.append(Issue("tool_too_large", f"island {i} is a hole too small for the tool to cut",
                                    path("geometry", "islands", i)))
    elif op.side == "inside":
        pieces = shapes.inset(boundary, unary_union(islands) if islands else None, offset)
        keep_inside = False
        if not pieces:
            issues.append(Issue("tool_too_large", f"a {b.params.tool_diameter_mm:g} mm tool does not fit inside "
                                                  "the outline", path("geometry")))
    else:
        pieces = shapes.polygons(part)
        keep_inside = True
    corners = CornerArcs([boundary, *islands])
    radius = shapes.fillet_radius(offset) if offset > 0 else 0.0
    loops = []
    for poly in pieces:
        for ring in shapes.rings(poly):
            loop = corners.loop(ring.coords, radius, offset) if offset > 0 else polygon_loop(ring.coords)
            # Rings come exterior CCW, holes CW; a kept part must be on the right.
            loops.append(reversed_loop(loop) if keep_inside else loop)
    return loops


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
                b.enter(ramp.RampEntry(segs, z_prev, z, p.plunge_mm_min))
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
