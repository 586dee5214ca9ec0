"""The CAM pipeline as pure functions: intent -> G-code, report and preview.

validate_intent(raw_or_prepared) -> ValidationOutcome       (never raises for bad input)
plan_intent(raw_or_prepared, post=None) -> PlanResult      (raises IntentRejected)

Both take a `prepare.PreparedIntent` as well as a raw intent, so a caller that
already validated (a route, the worker) hands its result on instead of
normalising and resolving the profile again.

No AWS and no I/O here: the worker, the HTTP routes and the CLI all call
these, so the same intent gives the same program everywhere.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from chalicelib.contracts.cam_intent import CamIntentV1
from chalicelib.contracts.report import CheckResult, Named, ReportV1, ToolV1
from chalicelib.contracts.profiles import tool_label
from chalicelib.rmos.cam import posts, setup_lines, work
from chalicelib.rmos.cam.normalize import ContextV1, NormalizedIntent
from chalicelib.rmos.cam.prepare import PreparedIntent, prepare, require_within
from chalicelib.rmos.cam.profiles import OperationTool, ResolvedSetup
from chalicelib.rmos.cam.report import build_report, preview_svg
from chalicelib.rmos.cam.saw import blade_from_tool, plan_saw
from chalicelib.rmos.cam.selfcheck import SelfCheckFailed, run_checks
from chalicelib.rmos.cam.toolpath import Issue, PlanningError, Program, Section
from chalicelib.rmos.cam.units import scale_lengths


class IntentRejected(PlanningError):
    """The intent is invalid or cannot be made; `issues` says why, field by field."""


@dataclass(frozen=True)
class ValidationOutcome:
    ok: bool
    issues: list[Issue]
    intent: CamIntentV1 | None
    normalized: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "issues": [i.as_dict() for i in self.issues], "normalized": self.normalized}


@dataclass(frozen=True)
class PlanResult:
    program: str
    report: dict[str, Any]
    preview_svg: str
    post: str
    units: str
    intent: CamIntentV1
    normalized: dict[str, Any] = field(default_factory=dict)


def _deepest_depth(value: Any) -> float:
    """The deepest `depth_mm` anywhere in a (mm) design dump."""
    if isinstance(value, dict):
        own = value.get("depth_mm")
        rest = max((_deepest_depth(v) for v in value.values()), default=0.0)
        return max(rest, own if isinstance(own, (int, float)) else 0.0)
    if isinstance(value, list):
        # Anything else (a point's tuple, a number) adds 0: an outline's points are not walked.
        return max((_deepest_depth(v) for v in value if isinstance(v, (dict, list))), default=0.0)
    return 0.0


def _prepare(raw: Any, post: str | None) -> tuple[NormalizedIntent | None, ResolvedSetup | None, list[Issue]]:
    prepared = prepare(raw).with_post(post)
    return prepared.norm, prepared.setup, prepared.issues


def _normalized_dict(norm: NormalizedIntent, setup: ResolvedSetup) -> dict[str, Any]:
    """The intent made explicit: every default filled in, in the intent's own units."""
    back = 1 / norm.scale
    design = norm.design if back == 1 else scale_lengths(norm.design, back)
    cut = setup.cut
    context = ContextV1(stepover_pct=round(cut.stepover_mm / cut.tool_diameter_mm * 100, 6),
                        stepdown_mm=cut.stepdown_mm, feed_mm_min=cut.feed_mm_min,
                        plunge_mm_min=cut.plunge_mm_min, spindle_rpm=cut.spindle_rpm,
                        safe_z_mm=cut.safe_z_mm,
                        blade_diameter_mm=cut.tool_diameter_mm if norm.mode == "saw" else None)
    if any(op.tool["id"] != setup.tool["id"] for op in setup.operations):
        # Context figures apply to every operation: pinning the job bit's feeds
        # there would override the other bits' own. The pinned ids and profile
        # give the same figures back.
        context = norm.context
    if back != 1:
        context = scale_lengths(context, back)
    made = {"design": design.model_dump(mode="json", exclude_none=True),
            "context": context.model_dump(mode="json", exclude_none=True),
            "options": {"post": setup.post, "arc_tolerance_mm": cut.arc_tolerance_mm,
                        "profile_id": setup.profile_id}}
    # The raw parts are replaced, so they are not dumped (the design's free-form
    # JSON is the slow part to dump); the keys keep the envelope's field order.
    rest = norm.intent.model_dump(mode="json", exclude=set(made))
    data = {name: made[name] if name in made else rest[name] for name in CamIntentV1.model_fields}
    data["tool_id"] = norm.intent.tool_id or setup.tool["id"]
    data["material_id"] = norm.intent.material_id or setup.material["id"]
    data["machine_id"] = norm.intent.machine_id or setup.machine["id"]
    return data


def validate_intent(raw: Any | PreparedIntent) -> ValidationOutcome:
    norm, setup, issues = _prepare(raw, None)
    intent = norm.intent if norm is not None else None
    if issues or norm is None or setup is None:
        return ValidationOutcome(False, issues, intent, None)
    return ValidationOutcome(True, [], intent, _normalized_dict(norm, setup))


def _sections(norm: NormalizedIntent, setup: ResolvedSetup) -> tuple[list[Section], dict[str, Any]]:
    cut = setup.cut
    if norm.mode == "saw":
        sections, cut_list = plan_saw(norm.design, blade=blade_from_tool(setup.tool),
                                      stepdown_mm=cut.stepdown_mm, feed_mm_min=cut.feed_mm_min,
                                      plunge_mm_min=cut.plunge_mm_min, safe_z_mm=cut.safe_z_mm,
                                      spindle_rpm=cut.spindle_rpm, tool_label=setup.tool["name"])
        return sections, {"cut_list": cut_list}
    from chalicelib.rmos.cam.router import plan_router

    tools = [(op.cut, tool_label(op.tool)) for op in setup.operations] or None
    return plan_router(norm.design, cut, tools), {}


def _operation_tools(setup: ResolvedSetup) -> list[OperationTool]:
    """Each operation's bit and figures; a saw job (or a bare setup) has the one."""
    return list(setup.operations) or [OperationTool(setup.tool, setup.cut, setup.chip_load_mm)]


def _figures(op: OperationTool) -> str:
    return (f"{op.cut.spindle_rpm:g} rpm, feed {op.cut.feed_mm_min:g} mm/min, "
            f"chip load {op.chip_load_mm:g} mm x {op.tool.get('flutes', 2)} flutes")


def _tool_lines(setup: ResolvedSetup, sections: list[Section]) -> list[str]:
    """The header's tool lines: the one bit, or which operation runs with which.

    T numbers follow the posts' own numbering (each new diameter in order of
    use), so the header and the tool-change stops agree.
    """
    used = [(i, op, s) for i, (op, s) in enumerate(zip(_operation_tools(setup), sections), start=1) if s.moves]
    if len({op.tool["id"] for _, op, _ in used}) <= 1:
        op = used[0][1] if used else _operation_tools(setup)[0]
        return [f"tool: {tool_label(op.tool)}", _figures(op)]
    lines = ["tools: this program changes bits; each operation names its own"]
    numbers: list[float] = []
    for index, op, section in used:
        if not any(math.isclose(d, op.cut.tool_diameter_mm) for d in numbers):
            numbers.append(op.cut.tool_diameter_mm)
        number = 1 + next(i for i, d in enumerate(numbers) if math.isclose(d, op.cut.tool_diameter_mm))
        lines.append(f"operation {index} {section.name}: T{number} {tool_label(op.tool)}, {_figures(op)}")
    return lines


def plan_intent(raw_or_intent: Any | PreparedIntent, *, post: str | None = None,
                deadline: work.Deadline | None = None) -> PlanResult:
    """Plan, post and self-check one intent, within `deadline` (by default the job's).

    Raises IntentRejected (bad or infeasible intent) or SelfCheckFailed (the
    written program failed a safety check), both PlanningError; or
    work.WorkTooLarge ("too large: ...") when the estimate is past the job
    limit or planning passes the deadline.
    """
    with work.collector_paused():
        prepared = prepare(raw_or_intent).with_post(post)
        norm, setup, issues = prepared.norm, prepared.setup, prepared.issues
        if issues or norm is None or setup is None:
            raise IntentRejected(issues)
        if deadline is None:
            require_within(prepared, work.JOB_PLANNING_SECONDS, "a job")
            deadline = work.Deadline(work.JOB_PLANNING_SECONDS, "the job planning deadline")
        with work.running_until(deadline):
            return _plan(norm, setup)


def _plan(norm: NormalizedIntent, setup: ResolvedSetup) -> PlanResult:
    try:
        sections, extra = _sections(norm, setup)
    except PlanningError as exc:
        raise IntentRejected(list(exc.issues)) from None
    if not any(s.moves for s in sections):
        raise IntentRejected([Issue("nothing_to_cut", "the design produces no toolpath", "design")])
    intent = norm.intent
    title = f"{intent.mode.value} intent {intent.intent_id}" if intent.intent_id else f"{intent.mode.value} intent"
    program = Program(sections=sections, safe_z_mm=setup.cut.safe_z_mm,
                      units="inch" if norm.units == "inch" else "mm", title=title)
    dialect = posts.dialect(setup.post)
    design = norm.design.model_dump()  # millimetres; read by the header and for the deepest depth
    # The summary names the bit the program starts with, as the tool line does.
    first_bit = next((op.tool for op, s in zip(_operation_tools(setup), sections) if s.moves), setup.tool)
    header = [*_tool_lines(setup, sections), f"profile: {setup.profile_id}",
              *setup_lines.header_lines(design, first_bit, setup.post)]
    try:
        text = posts.render(program, dialect, header=header)
    except posts.PostError as exc:
        raise SelfCheckFailed([Issue("post_failed", str(exc), "program")]) from None
    deepest = _deepest_depth(design)
    tool_radius = min(s.tool_diameter_mm for s in sections if s.moves) / 2
    checks = run_checks(text, dialect=dialect, safe_z_mm=setup.cut.safe_z_mm, max_depth_mm=deepest,
                        tool_radius_mm=None if norm.mode == "saw" else tool_radius)
    report = _report(program, norm, setup, checks, extra)
    return PlanResult(program=text, report=report.as_json(), preview_svg=preview_svg(program, extent=report.bounds),
                      post=setup.post, units=norm.units, intent=intent, normalized=_normalized_dict(norm, setup))


def _tool_figures(op: OperationTool, setup: ResolvedSetup) -> ToolV1:
    cut, tool = op.cut, op.tool
    return ToolV1(id=tool["id"], name=tool["name"], kind=tool.get("kind", "end_mill"),
                  diameter_mm=cut.tool_diameter_mm, flutes=tool.get("flutes"),
                  spindle_rpm=cut.spindle_rpm, feed_mm_min=cut.feed_mm_min,
                  plunge_mm_min=cut.plunge_mm_min, stepdown_mm=cut.stepdown_mm,
                  stepover_mm=round(cut.stepover_mm, 6), safe_z_mm=cut.safe_z_mm,
                  chip_load_mm=round(op.chip_load_mm, 6))


def _report(program: Program, norm: NormalizedIntent, setup: ResolvedSetup, checks: list[CheckResult],
            extra: dict[str, Any]) -> ReportV1:
    """The report; `tool` is the bit the program starts with, each operation names its own."""
    tools = _operation_tools(setup)
    first = next((op for op, s in zip(tools, program.sections) if s.moves), tools[0])
    report = build_report(program, post=setup.post, rapid_mm_min=setup.rapid_mm_min,
                          tool=_tool_figures(first, setup), checks=checks, warnings=setup.warnings,
                          mode=norm.mode, profile_id=setup.profile_id,
                          machine=Named(id=setup.machine["id"], name=setup.machine["name"]),
                          material=Named(id=setup.material["id"], name=setup.material["name"]),
                          cut_list=extra.get("cut_list"))
    if setup.operations:
        for figures, op in zip(report.operations, setup.operations):
            figures.tool = _tool_figures(op, setup)
    return report
