"""The project against FreeCAD's Pocket Shape (Offset pattern) on the peer cases.

The project's side is planned here (linuxcnc post); FreeCAD's side is read
from bench/freecad_results.json, written by `make bench-freecad`, so this
group never needs FreeCAD. Both programs are measured by the same reader
(bench.gcode_metrics). Each row's floor is FreeCAD's figure; the target is to
be at or below it.
"""
from __future__ import annotations

import copy
import pathlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bench import gcode_metrics, peer_cases
from bench.harness import Row, spread_text, timed_within

GROUP = "vs FreeCAD"
RESULTS = pathlib.Path(__file__).resolve().parent / "freecad_results.json"
# (max runs, measured-time budget in s per case), quick and full.
RUNS = {True: (3, 2.0), False: (5, 6.0)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CanonCounts(_Strict):
    rapids: int = Field(ge=0)
    feeds: int = Field(ge=0)


class PeerFigures(_Strict):
    """One case as FreeCAD planned it, measured by bench.gcode_metrics."""

    title: str
    planning_s: float = Field(gt=0)
    operation_s: float = Field(ge=0)
    post_s: float = Field(ge=0)
    gcode_bytes: int = Field(gt=0)
    retracts: int = Field(ge=0)
    estimated_time_s: float = Field(gt=0)
    cut_length_mm: float = Field(gt=0)
    rapid_length_mm: float = Field(ge=0)
    # Cut at each depth ("-1": mm): the levels of a pocket should match.
    cut_by_depth_mm: dict[str, float] = Field(default_factory=dict)
    rs274: CanonCounts


class PeerResults(_Strict):
    freecad_version: str = Field(pattern=r"^\d+\.\d+\.\d+")
    operation: str
    post: str
    setup: dict[str, float]
    rapid_mm_min: float = Field(gt=0)
    cases: dict[str, PeerFigures]


def load_results(path: pathlib.Path | None = None) -> dict[str, Any]:
    """The results file, checked against its schema (a malformed file fails loudly)."""
    return PeerResults.model_validate_json((path or RESULTS).read_text(encoding="utf-8")).model_dump()


def _plan(case: peer_cases.PeerCase) -> str:
    from chalicelib.rmos.cam.pipeline import plan_intent

    return plan_intent(copy.deepcopy(case.intent()), post="linuxcnc").program


def project_figures(case: peer_cases.PeerCase, runs: int, budget_s: float) -> tuple[dict[str, Any], Any]:
    sample, program = timed_within(lambda: _plan(case), runs, budget_s)
    metrics = gcode_metrics.measure(program, rapid_mm_min=gcode_metrics.rapid_rate(),
                                    safe_z_mm=peer_cases.SAFE_Z_MM)
    return {"planning_s": sample.median, "gcode_bytes": len(program.encode()), "retracts": metrics.retracts,
            "estimated_time_s": metrics.estimated_time_s, "cut_length_mm": metrics.cut_length_mm,
            "cut_by_depth_mm": {f"{z:g}": length for z, length in metrics.cut_by_depth_mm}}, sample


def _uneven_levels(theirs: dict[str, float], ours: dict[str, float]) -> str:
    """A note when FreeCAD cuts one depth level of a pocket more than 5 % shorter than another.

    Every level of a pocket clears the same outline, so a level cut short
    leaves floor uncut; the project's own lengths at those depths go alongside.
    """
    levels = {z: length for z, length in theirs.items() if length > 0}
    if len(levels) < 2 or min(levels.values()) >= 0.95 * max(levels.values()):
        return ""
    depths = sorted(levels, key=lambda z: -float(z))
    said = " and ".join(f"{levels[z]:.0f} mm at Z{z}" for z in depths)
    mine = " and ".join(f"{ours.get(z, 0.0):.0f}" for z in depths)
    return f"; FreeCAD cuts {said} (the project {mine} mm), so one of its levels is cut short"


def run(quick: bool) -> list[Row]:
    runs, budget = RUNS[quick]
    if not RESULTS.exists():
        return [Row(GROUP, "FreeCAD results", float("nan"), "", met=False,
                    note=f"{RESULTS.name} is missing: run `make bench-freecad`")]
    results = load_results()
    version = results.get("freecad_version", "?")
    _plan(peer_cases.CASES[0])  # imports and caches, outside every figure
    rows: list[Row] = []
    for case in peer_cases.CASES:
        theirs = results["cases"].get(case.name)
        if theirs is None:
            rows.append(Row(GROUP, f"{case.title}", float("nan"), "", met=False,
                            note=f"no FreeCAD figures for {case.name!r}: run `make bench-freecad`"))
            continue
        ours, sample = project_figures(case, runs, budget)
        label = case.title
        time_note = f"cut length {ours['cut_length_mm']:.0f} mm against FreeCAD's {theirs['cut_length_mm']:.0f} mm"
        floor_mm = peer_cases.ring_floor_mm(case)
        if theirs["cut_length_mm"] < floor_mm:
            floor_s = floor_mm / peer_cases.FEED_MM_MIN * 60
            time_note += (f"; the Offset rings alone are {floor_mm:.0f} mm ({floor_s:.0f} s at the feed), "
                          "so FreeCAD's program leaves some of its own rings out")
        time_note += _uneven_levels(theirs.get("cut_by_depth_mm", {}), ours["cut_by_depth_mm"])
        rows += [
            Row(GROUP, f"{label}: G-code", ours["gcode_bytes"], "B", floor=theirs["gcode_bytes"],
                target="<= FreeCAD", met=ours["gcode_bytes"] <= theirs["gcode_bytes"]),
            Row(GROUP, f"{label}: est. machining time", ours["estimated_time_s"], "s",
                floor=theirs["estimated_time_s"], target="<= FreeCAD",
                met=ours["estimated_time_s"] <= theirs["estimated_time_s"],
                note=time_note),
            Row(GROUP, f"{label}: retracts", ours["retracts"], "", floor=theirs["retracts"],
                target="<= FreeCAD", met=ours["retracts"] <= theirs["retracts"]),
            Row(GROUP, f"{label}: planning", ours["planning_s"], "s", spread_text(sample, "s"),
                floor=theirs["planning_s"], target="<= FreeCAD", met=ours["planning_s"] <= theirs["planning_s"]),
        ]
    rows[0].note = (f"floor = FreeCAD {version} Pocket Shape, Offset pattern, linuxcnc post "
                    f"(bench/freecad_results.json); both programs measured by bench.gcode_metrics "
                    f"at {gcode_metrics.rapid_rate():g} mm/min rapids")
    return rows
