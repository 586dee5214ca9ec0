"""RosetteDesignV1 and the summaries Art Studio derives from it.

Lengths are millimetres. Rings are listed from the soundhole outwards and fill
the channel between `inner_diameter_mm` and `outer_diameter_mm` exactly.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from chalicelib.contracts.fingerprint import fingerprint

RING_WIDTH_TOLERANCE_MM = 0.01

PatternType = Literal["SOLID", "MOSAIC", "HATCH", "DOTS", "STIPPLE", "HERRINGBONE"]
RiskLevel = Literal["GREEN", "YELLOW", "RED"]

# Finite, strictly typed numbers: "3" or true is not a length.
Length = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class RingV1(Contract):
    width_mm: Annotated[Length, Field(gt=0, le=50)]
    pattern_type: PatternType
    tile_length_mm: Annotated[Length, Field(gt=0, le=100)] | None = None
    material: Annotated[str, Field(min_length=1, max_length=80)] | None = None


class RosetteDesignV1(Contract):
    outer_diameter_mm: Annotated[Length, Field(gt=0, le=400)]
    inner_diameter_mm: Annotated[Length, Field(gt=0, le=400)]
    center_mm: tuple[Length, Length] = (0.0, 0.0)
    channel_depth_mm: Annotated[Length, Field(gt=0, le=20)]
    top_thickness_mm: Annotated[Length, Field(gt=0, le=20)] = 3.0
    rings: Annotated[list[RingV1], Field(min_length=1, max_length=64)]
    cut_soundhole: Annotated[bool, Field(strict=True)] = False
    # The through-cut's diameter when `cut_soundhole`; by default a 4 mm margin
    # of top is left between the hole and the channel (see docs/feasibility.md).
    soundhole_diameter_mm: Annotated[Length, Field(gt=0, le=400)] | None = None

    @field_validator("inner_diameter_mm")
    @classmethod
    def _inner_inside_outer(cls, inner: float, info: ValidationInfo) -> float:
        outer = info.data.get("outer_diameter_mm")
        if outer is not None and inner >= outer:
            raise ValueError(f"inner_diameter_mm ({inner:g}) must be smaller than outer_diameter_mm ({outer:g})")
        return inner

    @field_validator("rings")
    @classmethod
    def _rings_fill_channel(cls, rings: list[RingV1], info: ValidationInfo) -> list[RingV1]:
        outer = info.data.get("outer_diameter_mm")
        inner = info.data.get("inner_diameter_mm")
        if outer is None or inner is None:
            return rings
        channel = (outer - inner) / 2
        total = sum(r.width_mm for r in rings)
        if abs(total - channel) > RING_WIDTH_TOLERANCE_MM:
            raise ValueError(
                f"ring widths add up to {total:.3f} mm but the channel (outer - inner)/2 is {channel:.3f} mm; "
                f"they must match within {RING_WIDTH_TOLERANCE_MM} mm")
        return rings

    @field_validator("soundhole_diameter_mm")
    @classmethod
    def _soundhole_inside_channel(cls, hole: float | None, info: ValidationInfo) -> float | None:
        # A field validator (not a model one) so the error names soundhole_diameter_mm.
        inner = info.data.get("inner_diameter_mm")
        if hole is not None and inner is not None and hole >= inner:
            raise ValueError(f"soundhole_diameter_mm ({hole:g}) must be smaller than inner_diameter_mm ({inner:g})")
        return hole

    @property
    def channel_width_mm(self) -> float:
        return (self.outer_diameter_mm - self.inner_diameter_mm) / 2

    @property
    def effective_soundhole_diameter_mm(self) -> float:
        if self.soundhole_diameter_mm is not None:
            return self.soundhole_diameter_mm
        return self.inner_diameter_mm - 2 * DEFAULT_SOUNDHOLE_MARGIN_MM

    def fingerprint(self) -> str:
        return fingerprint(self)


DEFAULT_SOUNDHOLE_MARGIN_MM = 4.0


class ComplexityV1(Contract):
    score: Annotated[int, Field(ge=0, le=100)]
    level: Literal["LOW", "MEDIUM", "HIGH"]


class ToolRequirementsV1(Contract):
    max_tool_diameter_mm: float
    recommended_tool_diameter_mm: float
    needs_soundhole_cut: bool


class DesignSummaryV1(Contract):
    ring_count: int
    inner_diameter_mm: float
    outer_diameter_mm: float
    channel_width_mm: float
    min_ring_width_mm: float
    channel_depth_mm: float
    complexity: ComplexityV1
    tool_requirements: ToolRequirementsV1


class FeasibilityCheckV1(Contract):
    id: str
    status: Literal["pass", "warn", "fail"]
    risk: RiskLevel
    message: str
    value: float | None = None
    limit: float | None = None


class FeasibilitySummaryV1(Contract):
    passed: bool
    risk_level: RiskLevel
    checks: list[FeasibilityCheckV1]
    ruleset: str
    design_fingerprint: str
    # The CAM profile (hence bit, machine and material) the design was judged for.
    cam_profile_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] | None = None
    evaluated_at: datetime

    def fingerprint(self) -> str:
        # Re-running the same rules on the same design for the same profile gives the same
        # fingerprint; a result from before profiles were named keeps the fingerprint it had.
        doc = self.model_dump(mode="json", exclude={"evaluated_at"})
        if doc["cam_profile_id"] is None:
            del doc["cam_profile_id"]
        return fingerprint(doc)
