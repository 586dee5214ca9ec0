"""Planning time and output size for the router's heavy cases.

    python -m bench.router_plan

Timings live here, not in tests: the suite asserts sizes and geometry only.
"""
from __future__ import annotations

import math
import time

from chalicelib.rmos.cam.pipeline import plan_intent


def ellipse(n: int, a: float, b: float) -> list[list[float]]:
    pts = [[a * math.cos(t), b * math.sin(t)] for t in (2 * math.pi * i / n for i in range(n))]
    return pts + [pts[0]]


CASES = {
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
}


def main() -> None:
    for name, intent in CASES.items():
        start = time.perf_counter()
        result = plan_intent({"mode": "router_3axis", **intent}, post="grbl")
        took = time.perf_counter() - start
        print(f"{name:45s} {took * 1000:8.0f} ms {len(result.program.encode()) / 1024:9.1f} kB "
              f"{result.report['totals']['moves']:8d} moves")


if __name__ == "__main__":
    main()
