"""report.json contents and the top-view preview.svg for a planned program.

All report figures are millimetres (keys say so) whatever the program's
output units; `units` tells which units the G-code itself is written in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from chalicelib.contracts.report import Bounds, CheckResult, Named, OperationFigures, ReportV1, Totals, ToolV1
from chalicelib.rmos.cam import arcs
from chalicelib.rmos.cam.toolpath import Arc, Line, Move, Program, Rapid

_EPS = 1e-9


def bounds(program: Program) -> Bounds | None:
    """The extent of every move, arcs included, rounded as the report prints it."""
    return _measure(program, 1.0)[2]


def _rounded(found: tuple[float, float, float, float, float, float]) -> Bounds:
    min_x, max_x, min_y, max_y, min_z, max_z = found
    return Bounds(min_x_mm=round(min_x, 4), max_x_mm=round(max_x, 4),
                  min_y_mm=round(min_y, 4), max_y_mm=round(max_y, 4),
                  min_z_mm=round(min_z, 4), max_z_mm=round(max_z, 4))


def _extent(moves: list[Move], safe_z_mm: float) -> tuple[float, float, float, float, float, float]:
    """(min x, max x, min y, max y, min z, max z) over the points of every move in walk order.

    Strict comparisons keep the first of equal values, which decides between
    0.0 and -0.0. A move's start is the previous move's end, so only the very
    first start (at safe Z) adds anything. An arc's extreme points are looked
    at when its circle reaches past the extent so far.
    """
    sx, sy = moves[0].x, moves[0].y
    min_x = max_x = sx
    min_y = max_y = sy
    min_z = max_z = safe_z_mm
    for move in moves:
        x, y, z = move.x, move.y, move.z
        if z < min_z:
            min_z = z
        elif z > max_z:
            max_z = z
        if x < min_x:
            min_x = x
        elif x > max_x:
            max_x = x
        if y < min_y:
            min_y = y
        elif y > max_y:
            max_y = y
        if isinstance(move, Arc):
            cx, cy = move.cx, move.cy
            r = math.hypot(sx - cx, sy - cy)
            # Every point of the arc lies within r of the centre.
            if cx - r < min_x or cx + r > max_x or cy - r < min_y or cy + r > max_y:
                for px, py in arcs.extremes((sx, sy), (x, y), (cx, cy), move.sweep)[2:]:
                    if px < min_x:
                        min_x = px
                    elif px > max_x:
                        max_x = px
                    if py < min_y:
                        min_y = py
                    elif py > max_y:
                        max_y = py
        sx, sy = x, y
    return min_x, max_x, min_y, max_y, min_z, max_z


@dataclass
class _Tally:
    cut: float = 0.0
    rapid: float = 0.0
    time: float = 0.0


def _tallies(program: Program, rapid_mm_min: float) -> tuple[list[_Tally], int]:
    """Cut and rapid lengths and time per section, and the number of retracts to safe Z."""
    tallies, retracts, _ = _measure(program, rapid_mm_min)
    return tallies, retracts


def _measure(program: Program, rapid_mm_min: float) -> tuple[list[_Tally], int, Bounds | None]:
    """Per-section tallies, the number of retracts to safe Z and the extent, in one walk over the moves.

    An arc's length is its helix: the planar arc length and the change of Z.
    The extent is the smallest and largest of the move ends and of every
    point where an arc faces along an axis (arcs.extremes). An
    arc's extreme points are looked at only when its circle reaches past the
    extent of the move ends: the others lie within it and change nothing.
    Only a zero on X or Y (whose sign the first met decides) or a NaN needs
    the walk in order, which `_extent` does.
    """
    tallies = [_Tally() for _ in program.sections]
    moves = [move for section in program.sections for move in section.moves]
    if not moves:
        return tallies, 0, None
    safe_z_mm = program.safe_z_mm
    xs = [move.x for move in moves]
    ys = [move.y for move in moves]
    zs = [move.z for move in moves]
    # min() and max() keep the first of equal values, as the walk in order does.
    lo_x, hi_x, lo_y, hi_y = min(xs), max(xs), min(ys), max(ys)
    zs.insert(0, safe_z_mm)
    min_z, max_z = min(zs), max(zs)
    hypot, dist = math.hypot, math.dist
    # The points where an arc reaching past the move ends faces along an axis.
    beyond: list[tuple[float, float]] = []
    retracts = 0
    retract_z = safe_z_mm - 1e-6
    sx, sy, sz = moves[0].x, moves[0].y, safe_z_mm
    for section, tally in zip(program.sections, tallies):
        cut = rapid = time = 0.0
        for move in section.moves:
            x, y, z = move.x, move.y, move.z
            if isinstance(move, Arc):
                cx, cy, swept = move.cx, move.cy, move.sweep
                r = hypot(sx - cx, sy - cy)
                length = hypot(abs(swept) * r, z - sz)
                if cx - r < lo_x or cx + r > hi_x or cy - r < lo_y or cy + r > hi_y:
                    beyond.extend(arcs.extremes((sx, sy), (x, y), (cx, cy), swept)[2:])
            else:
                length = dist((sx, sy, sz), (x, y, z))
            if isinstance(move, Rapid):
                rapid += length
                time += length / rapid_mm_min * 60
                if z >= retract_z > sz:
                    retracts += 1
            else:
                cut += length
                feed = move.feed
                time += length / feed * 60 if feed > 0 else 0.0
            sx, sy, sz = x, y, z
        tally.cut, tally.rapid, tally.time = cut, rapid, time
    bx = [p[0] for p in beyond]
    by = [p[1] for p in beyond]
    found = (min([lo_x, *bx]), max([hi_x, *bx]), min([lo_y, *by]), max([hi_y, *by]), min_z, max_z)
    if 0.0 in found[:4] or math.isnan(sum(xs) + sum(ys)):
        found = _extent(moves, safe_z_mm)
    return tallies, retracts, _rounded(found)


def build_report(program: Program, *, post: str, rapid_mm_min: float, tool: ToolV1, checks: list[CheckResult],
                 warnings: list[str], mode: str, profile_id: str, machine: Named, material: Named,
                 cut_list: dict[str, Any] | None = None) -> ReportV1:
    tallies, retracts, extent = _measure(program, rapid_mm_min)
    ops = [OperationFigures(name=s.name, moves=len(s.moves), cut_length_mm=round(t.cut, 3),
                            rapid_length_mm=round(t.rapid, 3), full_width_cut_mm=round(s.full_width_mm, 3),
                            estimated_time_s=round(t.time, 3), warnings=list(s.warnings))
           for s, t in zip(program.sections, tallies)]
    totals = Totals(
        moves=sum(o.moves for o in ops),
        cut_length_mm=round(sum(o.cut_length_mm for o in ops), 3),
        rapid_length_mm=round(sum(o.rapid_length_mm for o in ops), 3),
        full_width_cut_mm=round(sum(o.full_width_cut_mm for o in ops), 3),
        retracts=retracts,
        estimated_time_s=round(sum(o.estimated_time_s for o in ops), 3),
    )
    all_warnings = list(warnings) + [w for s in program.sections for w in s.warnings]
    return ReportV1(units=program.units, post=post, tool=tool, operations=ops, totals=totals, checks=checks,
                    warnings=all_warnings, bounds=extent, mode=mode, profile_id=profile_id,
                    machine=machine, material=material, cut_list=cut_list)


def _fmt(v: float) -> str:
    text = ("%.4f" % v).rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def preview_svg(program: Program, *, margin_mm: float = 5.0, extent: Bounds | None = None) -> str:
    """Top view: y up (SVG y is negated), cuts solid, rapids dashed, arcs as SVG arcs.

    `extent`: the program's `bounds`, when the caller already has them.
    """
    b = bounds(program) if extent is None else extent
    if b is None:
        return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>\n'
    min_x, max_x = b.min_x_mm - margin_mm, b.max_x_mm + margin_mm
    min_y, max_y = b.min_y_mm - margin_mm, b.max_y_mm + margin_mm
    width, height = max_x - min_x, max_y - min_y
    stroke = max(width, height) / 400
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_fmt(min_x)} {_fmt(-max_y)} {_fmt(width)} '
        f'{_fmt(height)}" width="{_fmt(width)}mm" height="{_fmt(height)}mm">',
        "<style>.cut{fill:none;stroke:#c0392b;stroke-width:%s}"
        ".rapid{fill:none;stroke:#2980b9;stroke-width:%s;stroke-dasharray:%s,%s}</style>"
        % (_fmt(stroke), _fmt(stroke / 2), _fmt(stroke * 4), _fmt(stroke * 3)),
    ]
    fmt = _fmt
    hypot = math.hypot
    drawn: dict[tuple[float, float, float, float, float, float, float, bool], str] = {}
    # The previous move's end in screen coordinates (y negated): the next one's start.
    sx = sy = 0.0
    started = False
    for section in program.sections:
        if not section.moves:
            continue
        parts.append(f'<g data-operation="{escape(section.name, {chr(34): "&quot;"})}">')
        current: list[str] = []
        for move in section.moves:
            ex, ey = move.x, -move.y
            if not started:  # the first move starts where it ends, at safe Z
                sx, sy, started = ex, ey, True
            if isinstance(move, Rapid):
                if current:
                    parts.append(f'<path class="cut" d="{" ".join(current)}"/>')
                    current = []
                if hypot(ex - sx, ey - sy) > _EPS:
                    parts.append(f'<line class="rapid" x1="{fmt(sx)}" y1="{fmt(sy)}" '
                                 f'x2="{fmt(ex)}" y2="{fmt(ey)}"/>')
            else:
                if not current:
                    current.append(f"M{fmt(sx)} {fmt(sy)}")
                if isinstance(move, Line):
                    if hypot(ex - sx, ey - sy) > _EPS:
                        current.append(f"L{fmt(ex)} {fmt(ey)}")
                else:
                    # A pocket draws the same arcs at every level: each distinct one is written once.
                    key = (sx, sy, move.x, move.y, move.cx, move.cy, move.sweep, move.clockwise)
                    command = drawn.get(key)
                    if command is None:
                        command = drawn[key] = _svg_arc(sx, sy, move)
                    current.append(command)
            sx, sy = ex, ey
        if current:
            parts.append(f'<path class="cut" d="{" ".join(current)}"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# Past this sweep an arc is drawn as two halves.
_NEAR_FULL_TURN = math.pi * 1.999


def _svg_arc(sx: float, sy: float, move: Arc) -> str:
    """The path command for an arc from (sx, sy), both already in screen coordinates (y negated)."""
    # arcs.radius(start, centre), with the start's y flipped back; never negative, so never "-0".
    r = ("%.4f" % math.hypot(sx - move.cx, -sy - move.cy)).rstrip("0").rstrip(".")
    ex = ("%.4f" % move.x).rstrip("0").rstrip(".")
    ey = ("%.4f" % -move.y).rstrip("0").rstrip(".")
    if ex == "-0":
        ex = "0"
    if ey == "-0":
        ey = "0"
    # y is flipped, so a counter-clockwise arc in the work frame is clockwise
    # on screen: SVG's sweep-flag 1.
    sweep_flag = 0 if move.clockwise else 1
    sweep_angle = abs(move.sweep)
    if sweep_angle > _NEAR_FULL_TURN:
        # SVG cannot draw a closed arc in one command: two halves.
        mx, my = 2 * move.cx - sx, -(2 * move.cy + sy)
        return f"A{r} {r} 0 0 {sweep_flag} {_fmt(mx)} {_fmt(my)} A{r} {r} 0 0 {sweep_flag} {ex} {ey}"
    large = 1 if sweep_angle > math.pi else 0
    return f"A{r} {r} 0 {large} {sweep_flag} {ex} {ey}"
