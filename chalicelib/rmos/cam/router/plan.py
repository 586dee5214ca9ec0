"""`plan_router`: one Section of neutral toolpath per operation of a router design."""
from __future__ import annotations

import dataclasses

from chalicelib.rmos.cam.router.linking import PathBuilder
from chalicelib.rmos.cam.router.models import MAX_DEPTH_MM, DrillOp, PocketOp, ProfileOp, RouterDesign
from chalicelib.rmos.cam.toolpath import CutParams, Issue, PlanningError, Section

MAX_TOOL_DIAMETER_MM = 100.0


def _params_for(op, params: CutParams) -> CutParams:
    """The job's cut parameters with the operation's own tool, stepover kept in proportion."""
    if op.tool_diameter_mm is None or op.tool_diameter_mm == params.tool_diameter_mm:
        return params
    ratio = op.tool_diameter_mm / params.tool_diameter_mm
    return dataclasses.replace(params, tool_diameter_mm=op.tool_diameter_mm,
                               stepover_mm=params.stepover_mm * ratio)


def _sanity(design: RouterDesign, index: int, op, params: CutParams) -> list[Issue]:
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


def plan_router(design: RouterDesign, params: CutParams) -> list[Section]:
    """Plan every operation in order; all problems are reported together."""
    from chalicelib.rmos.cam.router import drill, pocket, profile

    sections: list[Section] = []
    issues: list[Issue] = []
    for index, op in enumerate(design.operations):
        p = _params_for(op, params)
        problems = _sanity(design, index, op, p)
        if problems:
            issues += problems
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
        sections.append(Section(
            name=op.operation,
            moves=builder.moves,
            spindle_rpm=p.spindle_rpm,
            tool_diameter_mm=p.tool_diameter_mm,
            tool_label=f"{p.tool_diameter_mm:g} mm end mill",
            warnings=list(builder.warnings),
            full_width_mm=builder.full_width_mm,
        ))
    if issues:
        raise PlanningError(issues)
    return sections
