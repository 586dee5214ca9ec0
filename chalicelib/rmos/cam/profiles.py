"""Turn an intent into a concrete cutting setup from the profile catalogue.

Precedence, per value: the intent's explicit `context` first; then the
catalogue entries named by `tool_id` / `material_id` / `machine_id`; then the
base profile (`options.profile_id`, else the catalogue's default for the mode).
A profile's tuned numbers (rpm, chip load, stepdown) are only trusted for the
tool and material they were tuned for: naming another tool or material derives
them from the tool's own chip load for the material, else the material's
per-diameter factors.

An operation's `tool_diameter_mm` picks the catalogue bit of that diameter, and
that bit's figures; a diameter the catalogue has no bit for is refused, so a
program never names one bit while its feeds were worked out for another.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from chalicelib.contracts.cam_intent import CamIntentV1
from chalicelib.contracts.errors import issues_from_validation
from chalicelib.contracts.profiles import DIAMETER_MATCH_MM, UnknownEntry, catalogue
from chalicelib.rmos.cam.toolpath import CutParams, Issue, PlanningError

DEFAULT_SAFE_Z_MM = 5.0
DEFAULT_ARC_TOLERANCE_MM = 0.005


class ProfileError(PlanningError):
    """The intent names catalogue entries that do not exist or do not fit."""


@dataclass(frozen=True)
class OperationTool:
    """The bit one operation is cut with and the figures worked out for it."""

    tool: dict[str, Any]
    cut: CutParams
    chip_load_mm: float


@dataclass(frozen=True)
class ResolvedSetup:
    profile_id: str
    cut: CutParams
    post: str
    tool: dict[str, Any]
    machine: dict[str, Any]
    material: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    chip_load_mm: float = 0.0
    # Router jobs: one entry per operation, in order (empty for saw jobs).
    operations: tuple[OperationTool, ...] = ()

    @property
    def blade_diameter_mm(self) -> float:
        return self.cut.tool_diameter_mm

    @property
    def rapid_mm_min(self) -> float:
        return float(self.machine["rapid_mm_min"])


def base_profile_id(mode: str, profile_id: str | None = None) -> str:
    return profile_id or catalogue().default_profile_id(mode)


def _context_options(intent: CamIntentV1) -> tuple[Any, Any]:
    """The (mm) context and options of a bare envelope, as normalisation would make them."""
    from chalicelib.rmos.cam.normalize import ContextV1, OptionsV1
    from chalicelib.rmos.cam.units import MM_PER_INCH, scale_lengths

    try:
        context = ContextV1.model_validate(intent.context)
        options = OptionsV1.model_validate(intent.options)
    except ValidationError as exc:
        raise ProfileError(issues_from_validation(exc, "context")) from None
    if intent.units.value == "inch":
        context = scale_lengths(context, MM_PER_INCH)
    return context, options


@dataclass(frozen=True)
class _Entries:
    profile_id: str
    profile: dict[str, Any]
    tool: dict[str, Any]
    material: dict[str, Any]
    machine: dict[str, Any]


def _entries(intent: CamIntentV1, profile_id: str | None) -> _Entries:
    """The profile and the tool, material and machine the intent names (or the profile's own)."""
    cat = catalogue()
    chosen = base_profile_id(intent.mode.value, profile_id)
    try:
        profile = cat.profile(chosen)
    except UnknownEntry as exc:
        raise ProfileError(exc.issues) from None
    found: dict[str, dict[str, Any]] = {}
    issues: list[Issue] = []
    for lookup, fld, fallback in ((cat.tool, "tool_id", profile["tool"]),
                                  (cat.material, "material_id", profile["material"]),
                                  (cat.machine, "machine_id", profile["machine"])):
        try:
            found[fld] = lookup(getattr(intent, fld) or fallback, fld)
        except UnknownEntry as exc:
            issues += exc.issues
    if issues:
        raise ProfileError(issues)
    return _Entries(chosen, profile, found["tool_id"], found["material_id"], found["machine_id"])


def _check_tool_kind(intent: CamIntentV1, tool: dict[str, Any]) -> None:
    mode = intent.mode.value
    wants_blade = mode == "saw"
    if (tool.get("kind") == "saw_blade") != wants_blade:
        need = "a saw blade" if wants_blade else "an end mill"
        raise ProfileError([Issue("tool_mismatch", f"{mode} intents need {need}; {tool['id']!r} is not",
                                  "tool_id" if intent.tool_id else "options.profile_id")])


def _capped(value: float, limit: float, what: str, unit: str, warnings: list[str]) -> float:
    if value > limit:
        warnings.append(f"{what} {value:g} {unit} capped to the machine's {limit} {unit}")
        return float(limit)
    return value


def chip_load(tool: dict[str, Any], material: dict[str, Any]) -> float:
    """mm per tooth: the tool's own figure for the material, else the material's per-diameter factor."""
    own = tool.get("chip_load_mm", {})
    if material["id"] in own:
        return float(own[material["id"]])
    return float(material["chip_load_per_mm_diameter"]) * float(tool["diameter_mm"])


def _cut(e: _Entries, context: Any, options: Any, saw: bool) -> tuple[CutParams, dict[str, Any], float, list[str]]:
    """Cutting parameters by the module's precedence; returns (cut, tool as used, chip load, warnings)."""
    profile, tool, material, machine = e.profile, e.tool, e.material, e.machine
    warnings: list[str] = []
    tuned = tool["id"] == profile["tool"] and material["id"] == profile["material"]
    diameter = float(tool["diameter_mm"])
    if saw and context.blade_diameter_mm is not None:
        diameter = context.blade_diameter_mm
        tuned = tuned and math.isclose(diameter, float(tool["diameter_mm"]))
        tool = {**tool, "diameter_mm": diameter}
    rpm = _capped(context.spindle_rpm or float(profile["spindle_rpm"]), machine["max_rpm"], "spindle", "rpm",
                  warnings)
    chip = float(profile["chip_load_mm"]) if tuned else chip_load(tool, material)
    if context.feed_mm_min is not None:
        feed = context.feed_mm_min
    else:
        feed = rpm * int(tool.get("flutes", 2)) * chip
    feed = _capped(feed, machine["max_feed_mm_min"], "feed", "mm/min", warnings)
    plunge = min(context.plunge_mm_min or feed * float(material.get("plunge_fraction", 0.3)), feed)
    if context.stepdown_mm is not None:
        stepdown = context.stepdown_mm
    else:
        stepdown = float(profile["stepdown_mm"]) if tuned else material["stepdown_per_mm_diameter"] * diameter
    stepover_pct = context.stepover_pct or float(profile["stepover_pct"])
    cut = CutParams(
        tool_diameter_mm=diameter,
        stepover_mm=diameter * stepover_pct / 100.0,
        stepdown_mm=stepdown,
        feed_mm_min=round(feed, 3),
        plunge_mm_min=round(plunge, 3),
        safe_z_mm=context.safe_z_mm or float(machine.get("safe_z_mm", DEFAULT_SAFE_Z_MM)),
        spindle_rpm=rpm,
        arc_tolerance_mm=options.arc_tolerance_mm or DEFAULT_ARC_TOLERANCE_MM,
    )
    return cut, tool, chip, warnings


def _diameters_text(diameters: list[float]) -> str:
    return ", ".join(f"{d:g} mm" for d in diameters)


def _operation_tools(design: Any, e: _Entries, context: Any, options: Any,
                     job: tuple[CutParams, dict[str, Any], float]) -> tuple[tuple[OperationTool, ...], list[str]]:
    """Each operation's bit: the job's own unless `tool_diameter_mm` names another catalogue bit.

    Raises ProfileError naming every operation whose diameter has no bit, with
    the diameters the catalogue does have.
    """
    cat = catalogue()
    out: list[OperationTool] = []
    issues: list[Issue] = []
    warnings: list[str] = []
    for index, op in enumerate(design.operations):
        wanted = op.tool_diameter_mm
        if wanted is None or abs(wanted - float(e.tool["diameter_mm"])) <= DIAMETER_MATCH_MM:
            out.append(OperationTool(job[1], job[0], job[2]))
            continue
        matches = cat.tools_of_diameter(wanted)
        if not matches:
            issues.append(Issue("no_such_tool", f"no end mill of {wanted:g} mm in the catalogue; available: "
                                f"{_diameters_text(cat.diameters())}", design.op_path(index, "tool_diameter_mm")))
            continue
        cut, tool, chip, own = _cut(dataclasses.replace(e, tool=matches[0]), context, options, False)
        out.append(OperationTool(tool, cut, chip))
        warnings += [w for w in own if w not in warnings]
    if issues:
        raise ProfileError(issues)
    return tuple(out), warnings


def resolve(intent: CamIntentV1, *, context: Any = None, options: Any = None, design: Any = None) -> ResolvedSetup:
    """The cutting setup for `intent`.

    `context` / `options` are the normalised (mm) models; when omitted they are
    normalised here from the intent itself, so callers holding only an envelope
    get the same answer as the pipeline. `design` (the normalised router
    design) resolves each operation's bit as well.
    """
    if context is None or options is None:
        context, options = _context_options(intent)
    entries = _entries(intent, options.profile_id)
    _check_tool_kind(intent, entries.tool)
    cut, tool, chip, warnings = _cut(entries, context, options, intent.mode.value == "saw")
    operations: tuple[OperationTool, ...] = ()
    if design is not None and intent.mode.value != "saw":
        operations, more = _operation_tools(design, entries, context, options, (cut, tool, chip))
        warnings += [w for w in more if w not in warnings]
    return ResolvedSetup(profile_id=entries.profile_id, cut=cut, post=options.post or entries.machine["post"],
                         tool=tool, machine=entries.machine, material=entries.material, warnings=warnings,
                         chip_load_mm=chip, operations=operations)


def public_profiles() -> dict[str, Any]:
    """GET /api/rmos/cam/profiles: every profile with its machine, tool and material."""
    cat = catalogue()
    out = []
    for pid in cat.ids("profiles"):
        p = cat.profile(pid)
        out.append({
            "id": pid,
            "name": p["name"],
            "description": p.get("description", ""),
            "post": p["post"],
            "machine": cat.machine(p["machine"]),
            "tool": cat.tool(p["tool"]),
            "material": cat.material(p["material"]),
            "spindle_rpm": p["spindle_rpm"],
            "chip_load_mm": p["chip_load_mm"],
            "stepover_pct": p["stepover_pct"],
            "stepdown_mm": p["stepdown_mm"],
        })
    return {"default": cat.default_profile_id(), "profiles": out}
