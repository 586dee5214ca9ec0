"""Turn an intent into a concrete cutting setup from the profile catalogue.

Precedence, per value: the intent's explicit `context` first; then the
catalogue entries named by `tool_id` / `material_id` / `machine_id`; then the
base profile (`options.profile_id`, else the catalogue's default for the mode).
A profile's tuned numbers (rpm, chip load, stepdown) are only trusted for the
tool and material they were tuned for: naming another tool or material derives
them from the material's per-diameter factors instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from chalicelib.contracts.cam_intent import CamIntentV1
from chalicelib.contracts.profiles import catalogue
from chalicelib.rmos.cam.toolpath import CutParams, Issue, PlanningError

DEFAULT_SAFE_Z_MM = 5.0
DEFAULT_ARC_TOLERANCE_MM = 0.005


class ProfileError(PlanningError):
    """The intent names catalogue entries that do not exist or do not fit."""


@dataclass(frozen=True)
class ResolvedSetup:
    profile_id: str
    cut: CutParams
    post: str
    tool: dict[str, Any]
    machine: dict[str, Any]
    material: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def blade_diameter_mm(self) -> float:
        return self.cut.tool_diameter_mm

    @property
    def rapid_mm_min(self) -> float:
        return float(self.machine["rapid_mm_min"])


def _entry(table: str, key: str) -> dict[str, Any]:
    return {"id": key, **catalogue()[table][key]}


def base_profile_id(mode: str, profile_id: str | None = None) -> str:
    cat = catalogue()
    if profile_id:
        return profile_id
    return str(cat.get("mode_defaults", {}).get(mode, cat["default"]))


def resolve(intent: CamIntentV1, *, context: Any = None, options: Any = None) -> ResolvedSetup:
    """The cutting setup for `intent`.

    `context` / `options` are the normalised (mm) models; when omitted they are
    normalised here from the intent itself, so callers holding only an envelope
    get the same answer as the pipeline.
    """
    if context is None or options is None:
        from chalicelib.rmos.cam.normalize import ContextV1, OptionsV1, issues_from_validation
        from chalicelib.rmos.cam.units import MM_PER_INCH, scale_lengths
        from pydantic import ValidationError

        try:
            context = ContextV1.model_validate(intent.context)
            options = OptionsV1.model_validate(intent.options)
        except ValidationError as exc:
            raise ProfileError(issues_from_validation(exc, "context")) from None
        if intent.units.value == "inch":
            context = scale_lengths(context, MM_PER_INCH)

    cat = catalogue()
    mode = intent.mode.value
    issues: list[Issue] = []
    profile_id = base_profile_id(mode, options.profile_id)
    if profile_id not in cat["profiles"]:
        raise ProfileError([Issue("unknown_reference", f"unknown profile {profile_id!r}", "options.profile_id")])
    profile = cat["profiles"][profile_id]
    refs = {}
    for fld, table, fallback in (("tool_id", "tools", profile["tool"]),
                                 ("material_id", "materials", profile["material"]),
                                 ("machine_id", "machines", profile["machine"])):
        key = getattr(intent, fld) or fallback
        if key not in cat[table]:
            issues.append(Issue("unknown_reference", f"unknown {fld[:-3]} {key!r}", fld))
        refs[fld] = key
    if issues:
        raise ProfileError(issues)
    tool = _entry("tools", refs["tool_id"])
    material = _entry("materials", refs["material_id"])
    machine = _entry("machines", refs["machine_id"])

    wants_blade = mode == "saw"
    if (tool.get("kind") == "saw_blade") != wants_blade:
        need = "a saw blade" if wants_blade else "an end mill"
        raise ProfileError([Issue("tool_mismatch", f"{mode} intents need {need}; {tool['id']!r} is not",
                                  "tool_id" if intent.tool_id else "options.profile_id")])

    warnings: list[str] = []
    tuned = tool["id"] == profile["tool"] and material["id"] == profile["material"]
    diameter = float(tool["diameter_mm"])
    if wants_blade and context.blade_diameter_mm is not None:
        diameter = context.blade_diameter_mm
        tuned = tuned and math.isclose(diameter, float(tool["diameter_mm"]))
        tool = {**tool, "diameter_mm": diameter}
    flutes = int(tool.get("flutes", 2))

    rpm = context.spindle_rpm or float(profile["spindle_rpm"])
    if rpm > machine["max_rpm"]:
        warnings.append(f"spindle {rpm:g} rpm capped to the machine's {machine['max_rpm']} rpm")
        rpm = float(machine["max_rpm"])

    if context.feed_mm_min is not None:
        feed = context.feed_mm_min
    else:
        chip = float(profile["chip_load_mm"]) if tuned else material["chip_load_per_mm_diameter"] * diameter
        feed = rpm * flutes * chip
    if feed > machine["max_feed_mm_min"]:
        warnings.append(f"feed {feed:g} mm/min capped to the machine's {machine['max_feed_mm_min']} mm/min")
        feed = float(machine["max_feed_mm_min"])
    plunge = context.plunge_mm_min or feed * float(material.get("plunge_fraction", 0.3))
    plunge = min(plunge, feed)

    if context.stepdown_mm is not None:
        stepdown = context.stepdown_mm
    elif tuned:
        stepdown = float(profile["stepdown_mm"])
    else:
        stepdown = material["stepdown_per_mm_diameter"] * diameter
    stepover_pct = context.stepover_pct or float(profile["stepover_pct"])
    stepover = diameter * stepover_pct / 100.0
    safe_z = context.safe_z_mm or float(machine.get("safe_z_mm", DEFAULT_SAFE_Z_MM))

    cut = CutParams(
        tool_diameter_mm=diameter,
        stepover_mm=stepover,
        stepdown_mm=stepdown,
        feed_mm_min=round(feed, 3),
        plunge_mm_min=round(plunge, 3),
        safe_z_mm=safe_z,
        spindle_rpm=rpm,
        arc_tolerance_mm=options.arc_tolerance_mm or DEFAULT_ARC_TOLERANCE_MM,
    )
    post = options.post or machine["post"]
    return ResolvedSetup(profile_id=profile_id, cut=cut, post=post, tool=tool, machine=machine,
                         material=material, warnings=warnings)


def public_profiles() -> dict[str, Any]:
    """GET /api/rmos/cam/profiles: every profile with its machine, tool and material."""
    cat = catalogue()
    out = []
    for pid in sorted(cat["profiles"]):
        p = cat["profiles"][pid]
        out.append({
            "id": pid,
            "name": p["name"],
            "description": p.get("description", ""),
            "post": p["post"],
            "machine": _entry("machines", p["machine"]),
            "tool": _entry("tools", p["tool"]),
            "material": _entry("materials", p["material"]),
            "spindle_rpm": p["spindle_rpm"],
            "chip_load_mm": p["chip_load_mm"],
            "stepover_pct": p["stepover_pct"],
            "stepdown_mm": p["stepdown_mm"],
        })
    return {"default": cat["default"], "profiles": out}
