"""The neutral toolpath: what operations produce, dressups transform and posts render.

Coordinates are absolute millimetres in the work frame: X/Y as designed, Z = 0
at the top of the stock, cutting at negative Z. An `Arc` runs in the XY plane
from the previous position to (x, y) about (cx, cy); a change of Z along it
makes a helix; `sweep` is its signed angle (+ counter-clockwise), fixed
where the arc is made so nothing downstream rebuilds it from end points.
Every section starts and ends with the tool at `safe_z_mm`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

from chalicelib.rmos.cam import arcs
# Issues are the shared contract; planning modules keep importing the name from here.
from chalicelib.contracts.errors import Issue as Issue


@dataclass(frozen=True, slots=True)
class Rapid:
    x: float
    y: float
    z: float


@dataclass(frozen=True, slots=True)
class Line:
    x: float
    y: float
    z: float
    feed: float


@dataclass(frozen=True, slots=True)
class Arc:
    x: float
    y: float
    z: float
    cx: float
    cy: float
    clockwise: bool
    feed: float
    sweep: float

    @classmethod
    def from_start(cls, start: tuple[float, float], x: float, y: float, z: float, cx: float, cy: float,
                   clockwise: bool, feed: float) -> "Arc":
        """The arc G2/G3 would cut from `start`: its sweep read from the end points."""
        return cls(x, y, z, cx, cy, clockwise, feed, arcs.sweep(start, (x, y), (cx, cy), clockwise))


Move = Union[Rapid, Line, Arc]


@dataclass(frozen=True)
class CutParams:
    """Everything an operation needs to know about the cutter and the cut, in mm."""

    tool_diameter_mm: float
    stepover_mm: float
    stepdown_mm: float
    feed_mm_min: float
    plunge_mm_min: float
    safe_z_mm: float
    spindle_rpm: float
    climb: bool = True
    ramp_angle_deg: float = 3.0
    arc_tolerance_mm: float = 0.005

    @property
    def tool_radius_mm(self) -> float:
        return self.tool_diameter_mm / 2


@dataclass(frozen=True)
class Dressup:
    """A change an operation asks for on its own moves, made later by the dressup stage.

    `first` and `last` index the operation's own moves. An entry (last == first)
    is inserted before move `first`; a span dressup such as tabs covers moves
    `first` to `last - 1` together with every entry inserted among them.
    `spec` is the dressup's own data.
    """

    first: int
    last: int
    spec: object


@dataclass
class Section:
    """One operation's toolpath; ready for a post once `dressups` is empty."""

    name: str
    moves: list[Move]
    spindle_rpm: float
    tool_diameter_mm: float
    tool_label: str = ""
    warnings: list[str] = field(default_factory=list)
    # Length of passes that cut into solid material across the tool's whole
    # width (slots): the hardest work for a small bit, reported per operation.
    full_width_mm: float = 0.0
    dressups: list[Dressup] = field(default_factory=list)


@dataclass
class Program:
    """What a post renders: sections in order; `units` is the output unit only."""

    sections: list[Section]
    safe_z_mm: float
    units: Literal["mm", "inch"] = "mm"
    title: str = ""


class PlanningError(Exception):
    """The intent is valid JSON but cannot be made; carries the issues."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{i.path}: {i.message}" if i.path else i.message for i in issues))
        self.issues = issues
