"""The router's heavier cases: planning + post time (grbl), G-code size, moves. Figures, no targets."""
from __future__ import annotations

import copy
import functools
import math
from typing import Any

from bench.harness import Row, timed_within, spread_text

GROUP = "router cases"
# (max runs, measured-time budget in s per case), quick and full.
RUNS = {True: (3, 2.0), False: (7, 6.0)}


def ellipse(n: int, a: float, b: float) -> list[list[float]]:
    pts = [[a * math.cos(t), b * math.sin(t)] for t in (2 * math.pi * i / n for i in range(n))]
    return pts + [pts[0]]


def body_outline(n: int) -> list[list[float]]:
    """A guitar-body-like closed curve (two lobes and a waist), 360 x 240 mm, sampled at n points."""
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        r = 1 + 0.18 * math.cos(2 * t) + 0.06 * math.cos(3 * t)
        pts.append([180 * r * math.cos(t), 120 * r * math.sin(t)])
    return pts


CASES: dict[str, dict[str, Any]] = {
    "rosette channel 100-118 mm, 1/16 in": {
        "design": {"operation": "pocket", "depth_mm": 1.6,
                   "geometry": {"type": "annulus", "center": [0, 0], "inner_radius_mm": 50, "outer_radius_mm": 59}}},
    "5,000-vertex ellipse 100x60 mm, 1/16 in": {
        "design": {"operation": "pocket", "depth_mm": 1.6,
                   "geometry": {"type": "polyline", "points": ellipse(5000, 50, 30)}}},
    "49,999-vertex ellipse 100x60 mm, 1/8 in": {
        "tool_id": "em-1-8-2f",
        "design": {"operation": "pocket", "depth_mm": 3.0,
                   "geometry": {"type": "polyline", "points": ellipse(49_999, 50, 30)}}},
    "plate with 20 islands, 1/8 in": {
        "tool_id": "em-1-8-2f",
        "design": {"operation": "pocket", "depth_mm": 3.0,
                   "geometry": {"type": "polyline", "points": [[0, 0], [200, 0], [200, 100], [0, 100], [0, 0]],
                                "islands": [[[10 + 19 * i, 10 + 45 * j], [20 + 19 * i, 10 + 45 * j],
                                             [20 + 19 * i, 40 + 45 * j], [10 + 19 * i, 40 + 45 * j]]
                                            for i in range(10) for j in range(2)]}}},
    "soundhole 90 mm, inside profile, 4 tabs": {
        "tool_id": "em-1-8-2f",
        "design": {"operation": "profile", "side": "inside", "depth_mm": 3.0,
                   "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 45},
                   "tabs": {"count": 4, "width_mm": 5, "height_mm": 1}}},
    "2,000-vertex body outline, outside profile, 4 levels, 1/8 in": {
        "tool_id": "em-1-8-2f",
        "context": {"stepdown_mm": 1.5},
        "design": {"operation": "profile", "side": "outside", "depth_mm": 6.0,
                   "geometry": {"type": "polyline", "points": body_outline(2000)}}},
}


def _plan(intent: dict[str, Any]) -> Any:
    from chalicelib.rmos.cam.pipeline import plan_intent

    return plan_intent({"mode": "router_3axis", **copy.deepcopy(intent)}, post="grbl")


def run(quick: bool) -> list[Row]:
    runs, budget = RUNS[quick]
    _plan(CASES["soundhole 90 mm, inside profile, 4 tabs"])  # imports and caches, outside every figure
    rows = []
    for name, intent in CASES.items():
        sample, result = timed_within(functools.partial(_plan, intent), runs, budget)
        moves = result.report["totals"]["moves"]
        size = len(result.program.encode())
        note = f"runs stop after {budget:g} s measured (max {runs})" if sample.runs < runs else ""
        rows += [
            Row(GROUP, f"{name}: time", sample.median, "s", spread_text(sample, "s"), note=note),
            Row(GROUP, f"{name}: G-code", size, "B"),
            Row(GROUP, f"{name}: moves", moves, "moves"),
            Row(GROUP, f"{name}: retracts to safe Z", result.report["totals"]["retracts"], "retracts"),
            Row(GROUP, f"{name}: rapid travel", result.report["totals"]["rapid_length_mm"], "mm"),
            Row(GROUP, f"{name}: estimated time", result.report["totals"]["estimated_time_s"], "s"),
        ]
    return rows
