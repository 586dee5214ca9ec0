"""Time to answer POST /plan refusals for jobs too large to preview.

A refused job must cost its caller next to nothing: the answer comes from the
one work estimate, before any planning, well inside API Gateway's 29 s.
"""
from __future__ import annotations

import json
import math
from typing import Any

from bench.harness import Row, spread_text, timed
from bench.stage import moto_stage

GROUP = "plan refusals"
PATH = "/api/rmos/cam/plan"
JSON = {"Content-Type": "application/json"}
TARGET_S = 1.0


def _router(design: dict[str, Any], **context: Any) -> dict[str, Any]:
    return {"mode": "router_3axis", "tool_id": "em-1-8-2f", "context": context, "design": design}


def _ellipse(n: int, a: float, b: float) -> list[list[float]]:
    pts = [[a * math.cos(2 * math.pi * i / n), b * math.sin(2 * math.pi * i / n)] for i in range(n)]
    return pts + [pts[0]]


CASES: dict[str, tuple[dict[str, Any], int]] = {
    "250 mm circle, 1 % stepover, 10 mm deep": (
        _router({"operation": "pocket", "depth_mm": 10,
                 "geometry": {"type": "circle", "radius_mm": 250}}, stepover_pct=1), 413),
    "4,000-point ellipse pocket 2 x 1.2 m, 30 mm deep": (
        _router({"operation": "pocket", "depth_mm": 30,
                 "geometry": {"type": "polyline", "points": _ellipse(4000, 1000, 600)}}), 413),
    "10,000 holes pecked 0.05 mm to 50 mm": (
        _router({"operation": "drill", "depth_mm": 50, "peck_mm": 0.05,
                 "holes": [[i * 3, j * 3] for i in range(100) for j in range(100)]}), 413),
    "radius-8 circle at stepover 0.01 %": (
        _router({"operation": "pocket", "depth_mm": 3,
                 "geometry": {"type": "circle", "radius_mm": 8}}, stepover_pct=0.01), 422),
}


def run(quick: bool) -> list[Row]:
    runs = 3 if quick else 10
    rows = []
    with moto_stage() as client:
        for name, (intent, status) in CASES.items():
            body = json.dumps(intent)

            def call(body: str = body, status: int = status, name: str = name) -> Any:
                resp = client.http.post(PATH, headers=JSON, body=body)
                if resp.status_code != status:
                    raise RuntimeError(f"{name}: expected {status}, got {resp.status_code} {resp.body[:300]!r}")
                return resp.json_body

            sample, reply = timed(call, runs)
            detail = (reply.get("details") or [{}])[0].get("message", "")
            rows.append(Row(GROUP, f"POST /plan refusal: {name}", sample.median, "s", spread_text(sample, "s"),
                            target=f"<= {TARGET_S:g} s", met=sample.high <= TARGET_S,
                            note=f"{status} {reply.get('code')}: {detail} ({len(body):,} byte body)"))
    return rows
