"""`report_v1`: what CAM says about a planned program (report.json).

Every length and time is in millimetres and seconds whatever the program's
output units; `units` names the units the G-code itself is written in. Field
order is the order report.json has always been written in. Numbers keep the
int or float the planner produced, so the JSON is byte-for-byte what it was
before the report had a contract.
"""
from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict

# int stays int and float stays float (pydantic's smart union), so 0 is not written as 0.0.
Number = Union[int, float]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolV1(_Model):
    id: str
    name: str
    kind: str
    diameter_mm: Number
    flutes: int | None
    spindle_rpm: Number
    feed_mm_min: Number
    plunge_mm_min: Number
    stepdown_mm: Number
    stepover_mm: Number
    safe_z_mm: Number
    # mm per tooth the feed was worked out from (feed = rpm x flutes x chip load, capped).
    chip_load_mm: Number | None = None


class OperationFigures(_Model):
    """One operation's share of the program."""

    name: str
    moves: int
    cut_length_mm: Number
    rapid_length_mm: Number
    full_width_cut_mm: Number
    estimated_time_s: Number
    warnings: list[str]
    # Router jobs: the bit this operation is cut with and its figures.
    tool: ToolV1 | None = None


class Totals(_Model):
    moves: int
    cut_length_mm: Number
    rapid_length_mm: Number
    full_width_cut_mm: Number
    retracts: int
    estimated_time_s: Number


class CheckResult(_Model):
    id: str
    status: Literal["pass", "fail"]
    message: str


class Bounds(_Model):
    min_x_mm: Number
    max_x_mm: Number
    min_y_mm: Number
    max_y_mm: Number
    min_z_mm: Number
    max_z_mm: Number


class Named(_Model):
    id: str
    name: str


class ReportV1(_Model):
    units: Literal["mm", "inch"]
    post: str
    tool: ToolV1
    operations: list[OperationFigures]
    totals: Totals
    checks: list[CheckResult]
    warnings: list[str]
    # None only for a program with no moves, written as {} as it always was.
    bounds: Bounds | None
    mode: str
    profile_id: str
    machine: Named
    material: Named
    # Saw jobs only: the cut list the saw planner returns, as it returns it.
    cut_list: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """The report.json object."""
        data = self.model_dump(mode="json")
        if data["bounds"] is None:
            data["bounds"] = {}
        if self.cut_list is None:
            del data["cut_list"]
        return data
