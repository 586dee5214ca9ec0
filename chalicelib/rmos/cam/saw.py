"""Straight saw cuts with a circular blade carried on the machine's Z axis.

Coordinate convention (see docs/saw.md):
- X = 0, Y = 0 at the stock's front-left corner; Z = 0 on its top surface.
  The stock occupies X 0..stock_length, Y 0..stock_width, Z -thickness..0.
- The blade lies in a vertical plane; its controlled point is the lowest point
  of the rim, so Z = -d means the blade reaches d below the top surface.
- A rip runs along +X with its cut line at Y = offset; a crosscut runs along
  +Y with its cut line at X = offset. `offset_mm` is the size of the kept
  part, measured from the origin edge; the waste is on the far side (+Y for a
  rip, +X for a crosscut). The blade centre plane therefore sits kerf/2 past
  the line, so the whole kerf is taken out of the waste and the kept part is
  exactly `offset_mm`.
- Lead-in/out: a blade of radius R whose lowest point is d below the top
  surface cuts the top surface over a chord of half-length
  reach = sqrt(R^2 - (R - d)^2). The blade starts and ends its pass that far
  (plus a clearance) beyond the stock, so it drops to depth in air and the
  full depth is cut over the whole length.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.rmos.cam.toolpath import Issue, Line, Move, PlanningError, Rapid, Section
from chalicelib.rmos.cam.units import LENGTH

LEAD_CLEARANCE_MM = 2.0
MAX_BREAKTHROUGH_MM = 1.0
DEFAULT_FLANGE_RATIO = 0.4  # flange diameter / blade diameter when the catalogue does not say
ARBOR_MARGIN_MM = 2.0

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class SawCut(BaseModel):
    model_config = _STRICT

    type: Literal["rip", "crosscut"]
    length_mm: Annotated[float, Field(gt=0, le=10_000), LENGTH]
    depth_mm: Annotated[float, Field(gt=0, le=1_000), LENGTH]
    offset_mm: Annotated[float, Field(ge=0, le=10_000), LENGTH] = 0.0


class SawDesign(BaseModel):
    model_config = _STRICT

    kerf_width_mm: Annotated[float, Field(gt=0, le=20), LENGTH]
    stock_thickness_mm: Annotated[float, Field(gt=0, le=1_000), LENGTH]
    stock_length_mm: Annotated[float, Field(gt=0, le=10_000), LENGTH] | None = None
    stock_width_mm: Annotated[float, Field(gt=0, le=10_000), LENGTH] | None = None
    cuts: Annotated[list[SawCut], Field(min_length=1, max_length=500)]

    @property
    def length_along_x(self) -> float | None:
        """Stock size along X: given, or implied by the rips running its length."""
        rips = [c.length_mm for c in self.cuts if c.type == "rip"]
        return self.stock_length_mm or (max(rips) if rips else None)

    @property
    def width_along_y(self) -> float | None:
        crosses = [c.length_mm for c in self.cuts if c.type == "crosscut"]
        return self.stock_width_mm or (max(crosses) if crosses else None)


@dataclass(frozen=True)
class Blade:
    diameter_mm: float
    flange_diameter_mm: float

    @property
    def radius_mm(self) -> float:
        return self.diameter_mm / 2

    @property
    def max_depth_mm(self) -> float:
        """Deepest cut before the flange/arbor would touch the top surface."""
        return self.radius_mm - self.flange_diameter_mm / 2 - ARBOR_MARGIN_MM


def blade_reach(radius: float, depth: float) -> float:
    """Half-chord of the blade at the top surface when its rim is `depth` below it."""
    d = min(max(depth, 0.0), radius)
    return math.sqrt(radius * radius - (radius - d) ** 2)


def blade_from_tool(tool: dict[str, Any]) -> Blade:
    diameter = float(tool["diameter_mm"])
    flange = float(tool.get("flange_diameter_mm") or diameter * DEFAULT_FLANGE_RATIO)
    if flange >= diameter * 0.6:
        # A context blade_diameter_mm smaller than the catalogue blade: its
        # flange cannot be the catalogue one, so assume the usual proportion.
        flange = diameter * DEFAULT_FLANGE_RATIO
    return Blade(diameter_mm=diameter, flange_diameter_mm=flange)


def check_design(design: SawDesign, blade: Blade) -> list[Issue]:
    """Everything that makes a saw design impossible, each naming its field."""
    issues = []
    thickness = design.stock_thickness_mm
    along_x, along_y = design.length_along_x, design.width_along_y
    for i, cut in enumerate(design.cuts):
        base = f"design.cuts.{i}"
        if cut.depth_mm > thickness + MAX_BREAKTHROUGH_MM + 1e-9:
            issues.append(Issue("too_deep",
                                f"depth {cut.depth_mm:g} mm exceeds the stock thickness {thickness:g} mm "
                                f"plus {MAX_BREAKTHROUGH_MM:g} mm breakthrough", f"{base}.depth_mm"))
        if cut.depth_mm > blade.max_depth_mm:
            issues.append(Issue("blade_too_small",
                                f"a {blade.diameter_mm:g} mm blade cuts at most {blade.max_depth_mm:.2f} mm deep "
                                f"(radius minus flange radius and {ARBOR_MARGIN_MM:g} mm arbor clearance); "
                                f"depth is {cut.depth_mm:g} mm", f"{base}.depth_mm"))
        across = along_y if cut.type == "rip" else along_x
        axis = "Y" if cut.type == "rip" else "X"
        if across is not None and cut.offset_mm >= across:
            issues.append(Issue("offset_outside_stock",
                                f"offset {cut.offset_mm:g} mm is outside the stock (0..{across:g} mm along {axis})",
                                f"{base}.offset_mm"))
        along = along_x if cut.type == "rip" else along_y
        if along is not None and cut.length_mm > along + 1e-9:
            issues.append(Issue("longer_than_stock",
                                f"length {cut.length_mm:g} mm is longer than the stock ({along:g} mm)",
                                f"{base}.length_mm"))
    return issues


def pass_depths(depth: float, stepdown: float) -> list[float]:
    """Equal passes no deeper than `stepdown` each, ending exactly at `depth`."""
    count = max(1, math.ceil(depth / stepdown - 1e-9))
    return [depth * (k + 1) / count for k in range(count)]


def _cut_point(kind: str, line: float, along: float) -> tuple[float, float]:
    # A rip runs along X at Y = line; a crosscut along Y at X = line.
    return (along, line) if kind == "rip" else (line, along)


def plan_saw(design: SawDesign, *, blade: Blade, stepdown_mm: float, feed_mm_min: float,
             plunge_mm_min: float, safe_z_mm: float, spindle_rpm: float,
             tool_label: str = "") -> tuple[list[Section], dict[str, Any]]:
    """Sections (one per cut, in the given order) and the cut list."""
    issues = check_design(design, blade)
    if issues:
        raise PlanningError(issues)
    kerf = design.kerf_width_mm
    sections: list[Section] = []
    rows: list[dict[str, Any]] = []
    for i, cut in enumerate(design.cuts):
        line = cut.offset_mm + kerf / 2
        depths = pass_depths(cut.depth_mm, stepdown_mm)
        moves: list[Move] = []
        warnings = []
        if cut.depth_mm < design.stock_thickness_mm - 1e-9:
            warnings.append(f"cut {i + 1} stops {design.stock_thickness_mm - cut.depth_mm:g} mm short of "
                            "the bottom: a groove, not a through cut")

        reaches = []
        for d in depths:
            reach = blade_reach(blade.radius_mm, d)
            reaches.append(reach)
            start = -(reach + LEAD_CLEARANCE_MM)
            end = cut.length_mm + reach + LEAD_CLEARANCE_MM
            sx, sy = _cut_point(cut.type, line, start)
            ex, ey = _cut_point(cut.type, line, end)
            moves.append(Rapid(sx, sy, safe_z_mm))
            moves.append(Line(sx, sy, -d, plunge_mm_min))
            moves.append(Line(ex, ey, -d, feed_mm_min))
            moves.append(Rapid(ex, ey, safe_z_mm))
        waste = "+Y" if cut.type == "rip" else "+X"
        name = f"cut {i + 1}: {cut.type} at {'Y' if cut.type == 'rip' else 'X'} = {cut.offset_mm:g} mm"
        sections.append(Section(name=name, moves=moves, spindle_rpm=spindle_rpm,
                                tool_diameter_mm=blade.diameter_mm, tool_label=tool_label, warnings=warnings))
        through = min(cut.depth_mm, design.stock_thickness_mm)
        rows.append({
            "index": i + 1,
            "type": cut.type,
            "offset_mm": cut.offset_mm,
            "kept_mm": cut.offset_mm,
            "blade_centre_mm": round(line, 6),
            "waste_side": waste,
            "length_mm": cut.length_mm,
            "depth_mm": cut.depth_mm,
            "passes": len(depths),
            "pass_depths_mm": [round(d, 6) for d in depths],
            "lead_in_mm": round(reaches[-1] + LEAD_CLEARANCE_MM, 4),
            "lead_out_mm": round(reaches[-1] + LEAD_CLEARANCE_MM, 4),
            "kerf_loss_mm2": round(kerf * cut.length_mm, 4),
            "kerf_loss_mm3": round(kerf * cut.length_mm * through, 4),
        })
    cut_list = {
        "kerf_width_mm": kerf,
        "stock_thickness_mm": design.stock_thickness_mm,
        "blade_diameter_mm": blade.diameter_mm,
        "cuts": rows,
        "total_kerf_loss_mm2": round(sum(r["kerf_loss_mm2"] for r in rows), 4),
        "total_kerf_loss_mm3": round(sum(r["kerf_loss_mm3"] for r in rows), 4),
    }
    return sections, cut_list
