"""Planning + post, end to end from a CamIntentV1 to G-code text; and toolpath efficiency."""
from __future__ import annotations

import functools
import json
import pathlib
import subprocess
import sys

from bench import phases
from bench.cases import Case, all_cases
from bench.harness import Row, timed, spread_text

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIME_TARGETS_S = {"a": 0.010, "b": 0.250, "c": 3.0}
GCODE_TARGET_BYTES = {"a": 5000}
PEAK_MEMORY_TARGET_MB = 200


def _plan(case: Case):
    from chalicelib.rmos.cam.pipeline import plan_intent

    # plan_intent leaves its input as it found it (tests/cam/test_normalize.py),
    # so the case's own dict is planned each time and the figure is the planner's alone.
    return plan_intent(case.intent)


def offset_floor(case: Case):
    """The bare GEOS offset calls a ring-by-ring pocket of this target needs."""
    target = case.target()
    radius = case.tool_diameter_mm / 2

    def offsets() -> int:
        count = 0
        while True:
            ring = target.buffer(-(radius + count * case.stepover_mm), join_style="mitre", mitre_limit=4.0)
            if ring.is_empty:
                return count
            count += 1

    return offsets


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    for case in all_cases():
        runs = {"a": 7 if quick else 21, "b": 3, "c": 1}[case.key]
        from chalicelib.rmos.cam.pipeline import IntentRejected

        try:
            sample, result = timed(functools.partial(_plan, case), runs)
        except IntentRejected as exc:
            rows.append(Row("planning+post", f"({case.key}) {case.title}", float("nan"), "s",
                            target=f"<= {TIME_TARGETS_S[case.key] * 1000:g} ms", met=False,
                            note=f"refused by the planner: {exc}"))
            continue
        floor_value, note = None, ""
        if case.intent["design"]["geometry"]["type"] == "annulus":
            note = "exact arcs: the plan makes no GEOS offset calls, so there is no offset floor"
        else:
            floor_sample, rings = timed(offset_floor(case), max(runs, 3))
            floor_value = floor_sample.median
            note = f"floor = {rings} GEOS offsets of the boundary"
        target = TIME_TARGETS_S[case.key]
        rows.append(Row("planning+post", f"({case.key}) {case.title}", sample.median, "s",
                        spread_text(sample, "s"), floor=floor_value, target=f"<= {target * 1000:g} ms",
                        met=sample.median <= target, note=note))
        size = len(result.program.encode())
        if case.key in GCODE_TARGET_BYTES:
            rows.append(Row("planning+post", f"({case.key}) G-code size", size, "B",
                            target=f"<= {GCODE_TARGET_BYTES[case.key] / 1000:g} kB",
                            met=size <= GCODE_TARGET_BYTES[case.key]))
        if case.key in ("a", "b"):
            rows += efficiency(case, result.report)
        if case.key == "b":
            rows += phases.run(case, runs)
    rows.append(peak_memory())
    return rows


def efficiency(case: Case, report: dict) -> list[Row]:
    """Cut length against (A - D*P1)/s + P1 per level.

    The first pass (P1) is a full-width slot: it clears D per unit length,
    every later pass at most s. P1 is what the plan itself slots per level,
    from the report's `full_width_cut_mm`; the note also gives the ratio with
    P1 taken as the whole wall ring, a stricter figure no ring plan reaches,
    since only one wall of a channel is ever cut at full width.
    """
    target = case.target()
    radius = case.tool_diameter_mm / 2
    area = target.area
    first_pass = report["totals"]["full_width_cut_mm"] / case.levels
    wall_ring = target.buffer(-radius, join_style="mitre", mitre_limit=4.0).length

    def lower_bound(p1: float) -> float:
        return (area - case.tool_diameter_mm * p1) / case.stepover_mm + p1

    bound = lower_bound(first_pass)
    totals = report["totals"]
    per_level = totals["cut_length_mm"] / case.levels
    air = totals["rapid_length_mm"] / (totals["rapid_length_mm"] + totals["cut_length_mm"])
    label = f"({case.key})"
    rows = [
        Row("efficiency", f"{label} cut length per level", per_level, "mm", floor=bound,
            target="<= 1.10x bound", met=per_level <= 1.10 * bound,
            note=f"bound (A - D*P1)/s + P1 with A={area:.0f} mm2, D={case.tool_diameter_mm:g}, "
                 f"s={case.stepover_mm:.3f}, P1={first_pass:.0f} mm (the plan's full-width cut per level); "
                 f"with P1 = the whole wall ring ({wall_ring:.0f} mm) the ratio would be "
                 f"{per_level / lower_bound(wall_ring):.2f}x"),
        Row("efficiency", f"{label} air (rapid) fraction of path length", air * 100, "%",
            target="<= 5 %", met=air <= 0.05),
        Row("efficiency", f"{label} retracts", totals["retracts"], "",
            target="1 per level" if case.key == "a" else "",
            met=(totals["retracts"] <= case.levels) if case.key == "a" else None),
        Row("efficiency", f"{label} estimated machining time", totals["estimated_time_s"], "s"),
    ]
    return rows


_PEAK_PROBE = """
import json, resource, sys
sys.path.insert(0, {root!r})
from bench.cases import body_pocket
from chalicelib.rmos.cam.pipeline import plan_intent
from chalicelib.rmos.cam.pipeline import IntentRejected
try:
    plan_intent(body_pocket(20000).intent)
except IntentRejected:
    plan_intent(body_pocket(2000).intent)
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def peak_memory() -> Row:
    out = subprocess.run([sys.executable, "-c", _PEAK_PROBE.format(root=str(ROOT))], cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode != 0:
        return Row("planning+post", "peak memory, (c)", float("nan"), "MB", met=False,
                   note="probe failed: " + out.stderr[-300:])
    peak_mb = json.loads(out.stdout.strip().splitlines()[-1]) / 1024
    return Row("planning+post", "peak memory (max RSS), planning (c), or (b) while (c) is refused", peak_mb, "MB",
               target=f"<= {PEAK_MEMORY_TARGET_MB} MB", met=peak_mb <= PEAK_MEMORY_TARGET_MB,
               note="whole process: interpreter, pydantic, shapely and numpy included")
