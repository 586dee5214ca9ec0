"""report.json contents and the top-view preview.svg for a planned program.

All report figures are millimetres (keys say so) whatever the program's
output units; `units` tells which units the G-code itself is written in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterator
from xml.sax.saxutils import escape

from chalicelib.contracts.report import Bounds, CheckResult, Named, OperationFigures, ReportV1, Totals, ToolV1
from chalicelib.rmos.cam import arcs
from chalicelib.rmos.cam.toolpath import Arc, Line, Move, Program, Rapid

_EPS = 1e-9


def move_length(start: tuple[float, float, float], move: Move) -> float:
    if isinstance(move, Arc):
        planar = arcs.length(start[:2], (move.cx, move.cy), move.sweep)
        return math.hypot(planar, move.z - start[2])
    return math.dist(start, (move.x, move.y, move.z))


def walk(program: Program) -> Iterator[tuple[int, tuple[float, float, float], Move]]:
    """(section index, start point, move) over the whole program, in mm."""
    pos: tuple[float, float, float] | None = None
    for k, section in enumerate(program.sections):
        for move in section.moves:
            if pos is None:
                pos = (move.x, move.y, program.safe_z_mm)
            yield k, pos, move
            pos = (move.x, move.y, move.z)


def bounds(program: Program) -> Bounds | None:
    xs: list[float] = []
    ys: list[float] = []
    zs: list[float] = []
    for _, start, move in walk(program):
        zs += [start[2], move.z]
        if isinstance(move, Arc):
            for x, y in arcs.extremes(start[:2], (move.x, move.y), (move.cx, move.cy), move.sweep):
                xs.append(x)
                ys.append(y)
        else:
            xs += [start[0], move.x]
            ys += [start[1], move.y]
    if not xs:
        return None
    return Bounds(min_x_mm=round(min(xs), 4), max_x_mm=round(max(xs), 4),
                  min_y_mm=round(min(ys), 4), max_y_mm=round(max(ys), 4),
                  min_z_mm=round(min(zs), 4), max_z_mm=round(max(zs), 4))


@dataclass
class _Tally:
    cut: float = 0.0
    rapid: float = 0.0
    time: float = 0.0


def _tallies(program: Program, rapid_mm_min: float) -> tuple[list[_Tally], int]:
    """Cut and rapid lengths and time per section, and the number of retracts to safe Z."""
    tallies = [_Tally() for _ in program.sections]
    retracts = 0
    for k, start, move in walk(program):
        length = move_length(start, move)
        tally = tallies[k]
        if isinstance(move, Rapid):
            tally.rapid += length
            tally.time += length / rapid_mm_min * 60
            if move.z >= program.safe_z_mm - 1e-6 > start[2]:
                retracts += 1
        else:
            tally.cut += length
            tally.time += length / move.feed * 60 if move.feed > 0 else 0.0
    return tallies, retracts


def build_report(program: Program, *, post: str, rapid_mm_min: float, tool: ToolV1, checks: list[CheckResult],
                 warnings: list[str], mode: str, profile_id: str, machine: Named, material: Named,
                 cut_list: dict[str, Any] | None = None) -> ReportV1:
    tallies, retracts = _tallies(program, rapid_mm_min)
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
                    warnings=all_warnings, bounds=bounds(program), mode=mode, profile_id=profile_id,
                    machine=machine, material=material, cut_list=cut_list)


def _fmt(v: float) -> str:
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


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
    current: list[str] = []
    section_open = None

    def flush() -> None:
        if current:
            parts.append(f'<path class="cut" d="{" ".join(current)}"/>')
            current.clear()

    for k, start, move in walk(program):
        if section_open != k:
            flush()
            if section_open is not None:
                parts.append("</g>")
            parts.append(f'<g data-operation="{escape(program.sections[k].name, {chr(34): "&quot;"})}">')
            section_open = k
        sx, sy = start[0], -start[1]
        ex, ey = move.x, -move.y
        if isinstance(move, Rapid):
            flush()
            if math.hypot(ex - sx, ey - sy) > _EPS:
                parts.append(f'<line class="rapid" x1="{_fmt(sx)}" y1="{_fmt(sy)}" '
                             f'x2="{_fmt(ex)}" y2="{_fmt(ey)}"/>')
            continue
        if not current:
            current.append(f"M{_fmt(sx)} {_fmt(sy)}")
        if isinstance(move, Line):
            if math.hypot(ex - sx, ey - sy) > _EPS:
                current.append(f"L{_fmt(ex)} {_fmt(ey)}")
            continue
        r = arcs.radius(start[:2], (move.cx, move.cy))
        sweep_angle = abs(move.sweep)
        # y is flipped, so a counter-clockwise arc in the work frame is
        # clockwise on screen: SVG's sweep-flag 1.
        sweep_flag = 0 if move.clockwise else 1
        if sweep_angle > math.pi * 1.999:
            # SVG cannot draw a closed arc in one command: two halves.
            mx, my = 2 * move.cx - start[0], -(2 * move.cy - start[1])
            current.append(f"A{_fmt(r)} {_fmt(r)} 0 0 {sweep_flag} {_fmt(mx)} {_fmt(my)}")
            current.append(f"A{_fmt(r)} {_fmt(r)} 0 0 {sweep_flag} {_fmt(ex)} {_fmt(ey)}")
        else:
            large = 1 if sweep_angle > math.pi else 0
            current.append(f"A{_fmt(r)} {_fmt(r)} 0 {large} {sweep_flag} {_fmt(ex)} {_fmt(ey)}")
    flush()
    if section_open is not None:
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
