"""Raw intent dict -> normalised intent (lengths in mm) plus issues.

Nothing here mutates the caller's dict. The envelope is validated first; then
`design` by the mode's own model, `context` and `options` by strict models.
Each problem becomes an `Issue` whose path names the field the caller sent
("context.stepdown_mm", "design.cuts.2.depth_mm"), so one response can list
every mistake at once instead of the first one only.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.contracts.cam_intent import CamIntentV1, CamModeV1, CamUnitsV1
from chalicelib.contracts.errors import Issue, issues_from_validation
from chalicelib.contracts.fingerprint import FLOAT_DECIMALS, round_floats, vanishing_floats
from chalicelib.contracts.profiles import UnknownEntry, catalogue
from chalicelib.rmos.cam.units import LENGTH, MM_PER_INCH, scale_lengths

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

PositiveLength = Annotated[float, Field(gt=0), LENGTH]


class ContextV1(BaseModel):
    """Operational overrides; each absent value comes from the resolved profile."""

    model_config = _STRICT

    stepover_pct: Annotated[float, Field(gt=0, le=100)] | None = None
    stepdown_mm: PositiveLength | None = None
    feed_mm_min: PositiveLength | None = None
    plunge_mm_min: PositiveLength | None = None
    spindle_rpm: Annotated[float, Field(gt=0, le=100_000)] | None = None
    safe_z_mm: PositiveLength | None = None
    blade_diameter_mm: PositiveLength | None = None


class OptionsV1(BaseModel):
    """Execution options. `arc_tolerance_mm` is always millimetres (options are
    not design or context, so an inch intent does not rescale it)."""

    model_config = _STRICT

    post: Literal["grbl", "linuxcnc"] | None = None
    arc_tolerance_mm: Annotated[float, Field(gt=0, le=1.0)] | None = None
    profile_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


# Sanity limits checked after conversion to mm: beyond these a value is a
# typo or a unit mix-up, not a real setting for a luthier's router or saw.
# The lower bounds on stepover and stepdown also keep the ring and level
# counts of a job within what the planner can do (see prepare.estimate).
_CONTEXT_LIMITS_MM: dict[str, tuple[float, float]] = {
    "stepdown_mm": (0.05, 50.0),
    "feed_mm_min": (1.0, 50_000.0),
    "plunge_mm_min": (1.0, 50_000.0),
    "safe_z_mm": (0.5, 100.0),
    "blade_diameter_mm": (10.0, 600.0),
}


@dataclass(frozen=True)
class NormalizedIntent:
    """A validated intent; `design` and `context` are in millimetres."""

    intent: CamIntentV1
    design: Any
    context: ContextV1
    options: OptionsV1

    @property
    def mode(self) -> str:
        return self.intent.mode.value

    @property
    def units(self) -> str:
        return self.intent.units.value

    @property
    def scale(self) -> float:
        return MM_PER_INCH if self.intent.units is CamUnitsV1.inch else 1.0


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_non_finite(v) for v in value)
    return False


def validate_envelope(raw: Any) -> tuple[CamIntentV1 | None, list[Issue]]:
    """The envelope of `raw`, sharing nothing with it (its dict parts hold the caller's values)."""
    if isinstance(raw, CamIntentV1):
        return raw.model_copy(deep=True), []
    return _envelope(copy.deepcopy(raw) if isinstance(raw, dict) else raw)


def _envelope(owned: Any) -> tuple[CamIntentV1 | None, list[Issue]]:
    """The envelope of `owned`, a payload nobody else holds: the intent keeps its parts as they are."""
    if not isinstance(owned, dict):
        return None, [Issue("invalid_intent", "the intent must be a JSON object", "")]
    try:
        return CamIntentV1.model_validate(owned), []
    except ValidationError as exc:
        return None, issues_from_validation(exc, "", empty="")


def _validate_design(intent: CamIntentV1) -> tuple[Any, list[Issue]]:
    # Validation reads the design without changing it, and the design models
    # build their own lists and tuples, so the result shares nothing with
    # `intent.design` and needs no copy of it.
    design = intent.design
    if intent.mode is CamModeV1.saw:
        from chalicelib.rmos.cam.saw import SawDesign

        try:
            return SawDesign.model_validate(design), []
        except ValidationError as exc:
            return None, issues_from_validation(exc, "design")
    try:
        from chalicelib.rmos.cam.router import RouterDesign
    except ImportError:
        return None, [Issue("mode_unavailable", "router_3axis planning is not installed", "mode")]
    try:
        return RouterDesign.from_payload(design), []
    except ValidationError as exc:
        return None, issues_from_validation(exc, "design", RouterDesign.issue_path)
    except (TypeError, ValueError) as exc:
        return None, [Issue("invalid_value", str(exc), "design")]


M = TypeVar("M", bound=BaseModel)


def _validate_model(model: type[M], data: dict[str, Any], prefix: str) -> tuple[M | None, list[Issue]]:
    try:
        return model.model_validate(copy.deepcopy(data)), []
    except ValidationError as exc:
        return None, issues_from_validation(exc, prefix)


MIN_STEPOVER_PCT = 1.0


def _context_limits(context: ContextV1, units: str) -> list[Issue]:
    issues = []
    if context.stepover_pct is not None and context.stepover_pct < MIN_STEPOVER_PCT:
        issues.append(Issue("out_of_range", f"a stepover of {context.stepover_pct:g} % of the tool is below the "
                                            f"{MIN_STEPOVER_PCT:g} % minimum; use {MIN_STEPOVER_PCT:g} to 100",
                            "context.stepover_pct"))
    for name, (low, high) in _CONTEXT_LIMITS_MM.items():
        value = getattr(context, name)
        if value is None:
            continue
        if not low <= value <= high:
            shown = f"{value / MM_PER_INCH:g} in" if units == "inch" else f"{value:g} mm"
            issues.append(Issue("out_of_range",
                                f"{shown} is outside the sensible range {low:g}..{high:g} mm",
                                f"context.{name}"))
    return issues


def _catalogue_refs(intent: CamIntentV1, options: OptionsV1 | None) -> list[Issue]:
    cat = catalogue()
    lookups = [(cat.tool, intent.tool_id), (cat.material, intent.material_id), (cat.machine, intent.machine_id),
               (cat.profile, options.profile_id if options is not None else None)]
    issues: list[Issue] = []
    for lookup, key in lookups:
        if key is None:
            continue
        try:
            lookup(key)
        except UnknownEntry as exc:
            issues += exc.issues
    return issues


def _vanished(path: str) -> Issue:
    return Issue("too_small", f"nonzero but rounds to 0 at {FLOAT_DECIMALS} decimal places, the precision a job "
                              "is stored with, and 0 is not allowed here", path)


def normalize(raw: Any) -> tuple[NormalizedIntent | None, list[Issue]]:
    """Validate every part of the intent and convert its lengths to mm.

    Floats are rounded first, as the stored copy and the fingerprint round
    them, so the values validated here are exactly the values a job keeps.
    """
    if isinstance(raw, CamIntentV1):
        raw = raw.model_dump()
    if not isinstance(raw, dict):
        return _normalize(raw)
    norm, issues = _normalize(round_floats(raw))
    if issues:
        # A tiny nonzero value (a coordinate's float noise) may round to 0;
        # only where 0 is refused does the caller need to hear why it became 0.
        vanished = set(vanishing_floats(raw))
        issues = [_vanished(i.path) if i.path in vanished else i for i in issues]
    return norm, issues


def _normalize(owned: Any) -> tuple[NormalizedIntent | None, list[Issue]]:
    """`owned` is a payload made for this call (round_floats builds a new one), so it is not copied again."""
    intent, issues = _envelope(owned)
    if intent is None:
        return None, issues
    design, design_issues = _validate_design(intent)
    context, context_issues = _validate_model(ContextV1, intent.context, "context")
    options, option_issues = _validate_model(OptionsV1, intent.options, "options")
    issues = design_issues + context_issues + option_issues + _catalogue_refs(intent, options)
    if design is None or context is None or options is None:
        return None, issues
    if intent.units is CamUnitsV1.inch:
        design = scale_lengths(design, MM_PER_INCH)
        context = scale_lengths(context, MM_PER_INCH)
    issues += _context_limits(context, intent.units.value)
    if issues:
        return None, issues
    return NormalizedIntent(intent=intent, design=design, context=context, options=options), []
