"""`plan_router`: one Section of neutral toolpath per operation of a router design.

Each operation plans its own moves and declares its dressups (entries, tabs)
as data on its section; `apply_dressups` is the one stage that turns those
declarations into moves, entries first so tabs lift the ramps too. The move
cap is enforced on the dressed section, so tabs cannot slip a job past it.
"""
from __future__ import annotations

import dataclasses
from bisect import bisect_left
from itertools import accumulate
from typing import Sequence

from chalicelib.rmos.cam.router import linking
from chalicelib.rmos.cam.router.dressups.ramp import HelixEntry, PlungeEntry, RampEntry
from chalicelib.rmos.cam.router.dressups.tabs import Tabs
from chalicelib.rmos.cam.router.estimate import ACCURACY, estimate_op
from chalicelib.rmos.cam.router.linking import PathBuilder
from chalicelib.rmos.cam.router.models import MAX_DEPTH_MM, DrillOp, Operation, PocketOp, ProfileOp, RouterDesign
from chalicelib.rmos.cam.toolpath import CutParams, Dressup, Issue, Move, PlanningError, Section

MAX_TOOL_DIAMETER_MM = 100.0


def _params_for(op: Operation, params: CutParams) -> CutParams:
    """The job's cut parameters with the operation's own tool, stepover kept in proportion."""
    if op.tool_diameter_mm is None or op.tool_diameter_mm == params.tool_diameter_mm:
        return params
    ratio = op.tool_diameter_mm / params.tool_diameter_mm
    return dataclasses.replace(params, tool_diameter_mm=op.tool_diameter_mm,
                               stepover_mm=params.stepover_mm * ratio)


def _sanity(design: RouterDesign, index: int, op: Operation, params: CutParams) -> list[Issue]:
    """Limits checked again in mm: an inch intent was range-checked before conversion."""
    issues = []
    if op.depth_mm > MAX_DEPTH_MM + 1e-9:
        issues.append(Issue("depth_too_large", f"depth {op.depth_mm:g} mm is over the {MAX_DEPTH_MM:g} mm limit",
                            design.op_path(index, "depth_mm")))
    if params.tool_diameter_mm > MAX_TOOL_DIAMETER_MM or params.tool_diameter_mm <= 0:
        issues.append(Issue("invalid_tool", f"tool diameter {params.tool_diameter_mm:g} mm is out of range",
                            design.op_path(index, "tool_diameter_mm")))
    if params.stepover_mm <= 0 or params.stepdown_mm <= 0:
        issues.append(Issue("invalid_cut_parameters", "stepover and stepdown must be positive",
                            design.op_path(index)))
    return issues


def plan_router(design: RouterDesign, params: CutParams,
                tools: Sequence[tuple[CutParams, str]] | None = None) -> list[Section]:
    """Plan every operation in order; all problems are reported together.

    `tools` gives each operation its own resolved cut and bit name (the
    catalogue's); without it an operation's `tool_diameter_mm` only rescales
    the job's cut.
    """
    from chalicelib.rmos.cam.router import drill, pocket, profile

    sections: list[Section] = []
    issues: list[Issue] = []
    for index, op in enumerate(design.operations):
        p = tools[index][0] if tools is not None else _params_for(op, params)
        label = tools[index][1] if tools is not None else f"{p.tool_diameter_mm:g} mm end mill"
        problems = _sanity(design, index, op, p)
        if problems:
            issues += problems
            continue
        expected = estimate_op(op, p).moves
        # The estimate is within ACCURACY of what planning emits, so only a
        # job certainly past the cap is refused before it is planned.
        if expected > linking.MAX_SECTION_MOVES * ACCURACY:
            issues.append(linking.too_many_moves(design.op_path(index), expected).issues[0])
            continue
        builder = PathBuilder(p, path=design.op_path(index))
        try:
            if isinstance(op, PocketOp):
                pocket.plan_pocket(builder, op, lambda *f, i=index: design.op_path(i, *f))
            elif isinstance(op, ProfileOp):
                profile.plan_profile(builder, op, lambda *f, i=index: design.op_path(i, *f))
            elif isinstance(op, DrillOp):
                drill.plan_drill(builder, op, lambda *f, i=index: design.op_path(i, *f))
        except PlanningError as exc:
            issues += exc.issues
            continue
        builder.finish()
        section = Section(
            name=op.operation,
            moves=builder.moves,
            spindle_rpm=p.spindle_rpm,
            tool_diameter_mm=p.tool_diameter_mm,
            tool_label=label,
            warnings=list(builder.warnings),
            full_width_mm=builder.full_width_mm,
            dressups=builder.dressups,
        )
        try:
            sections.append(dress(section, design.op_path(index)))
        except PlanningError as exc:
            issues += exc.issues
    if issues:
        raise PlanningError(issues)
    return sections


_ENTRIES = (RampEntry, HelixEntry, PlungeEntry)


def apply_dressups(moves: Sequence[Move], dressups: Sequence[Dressup]) -> list[Move]:
    """The moves with every declared dressup made: entries inserted, then tabs over their spans."""
    entries = sorted((d for d in dressups if isinstance(d.spec, _ENTRIES)), key=lambda d: d.first)
    spans = [d for d in dressups if isinstance(d.spec, Tabs)]
    unknown = [d for d in dressups if not isinstance(d.spec, (*_ENTRIES, Tabs))]
    if unknown:
        raise TypeError(f"no dressup stage for {type(unknown[0].spec).__name__}")
    out: list[Move] = []
    done = 0
    inserted = [0]
    for d in entries:
        assert isinstance(d.spec, _ENTRIES)
        out.extend(moves[done:d.first])
        done = d.first
        made = d.spec.moves()
        out.extend(made)
        inserted.append(len(made))
    out.extend(moves[done:])
    positions = [d.first for d in entries]
    before = list(accumulate(inserted))

    def where(i: int) -> int:
        """Index in `out` of what was declared at the operation's move i, entries there included."""
        return i + before[bisect_left(positions, i)]

    # Back to front, so each span's indices are still those worked out above.
    for d in sorted(spans, key=lambda d: d.first, reverse=True):
        assert isinstance(d.spec, Tabs)
        a, b = where(d.first), where(d.last)
        start = (out[a - 1].x, out[a - 1].y, out[a - 1].z) if a > 0 else None
        out[a:b] = d.spec.apply(out[a:b], start)
    return out


def dress(section: Section, path: str) -> Section:
    """The section with its dressups applied; refused when the dressed moves pass the cap."""
    if not section.dressups:
        moves = section.moves
    else:
        moves = apply_dressups(section.moves, section.dressups)
    if len(moves) > linking.MAX_SECTION_MOVES:
        raise linking.too_many_moves(path)
    return dataclasses.replace(section, moves=moves, dressups=[])
