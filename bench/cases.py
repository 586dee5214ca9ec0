"""The benchmark jobs, as CamIntentV1 payloads, and their geometry for the bounds.

(a) the 6-ring rosette channel: inner dia 100, outer dia 118, 1.6 mm deep in two
    levels, 1/16 in bit;
(b) a closed polyline pocket about 330 x 250 mm with two islands, 6 mm bit,
    three levels, 2,000 vertices on the boundary;
(c) the same pocket at 20,000 vertices.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SIXTEENTH_INCH_MM = 1.5875


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    intent: dict[str, Any]
    tool_diameter_mm: float
    stepover_mm: float
    levels: int

    def target(self) -> Any:
        """The region to clear, as a shapely geometry."""
        return region(self.intent["design"]["geometry"])


def region(geometry: dict[str, Any]) -> Any:
    """An annulus or polyline pocket's geometry as a shapely geometry (imported lazily)."""
    from shapely.geometry import Point, Polygon

    if geometry["type"] == "annulus":
        centre = Point(geometry["center"])
        return centre.buffer(geometry["outer_radius_mm"], quad_segs=512).difference(
            centre.buffer(geometry["inner_radius_mm"], quad_segs=512))
    return Polygon(geometry["points"], holes=geometry.get("islands", []))


def rosette_channel() -> Case:
    stepover_pct = 40.0
    intent = {
        "schema_version": "cam_intent_v1", "intent_id": "bench-rosette", "mode": "router_3axis", "units": "mm",
        "design": {"operation": "pocket", "depth_mm": 1.6, "tool_diameter_mm": SIXTEENTH_INCH_MM,
                   "geometry": {"type": "annulus", "center": [0.0, 0.0],
                                "inner_radius_mm": 50.0, "outer_radius_mm": 59.0}},
        "context": {"stepdown_mm": 0.8, "stepover_pct": stepover_pct},
        "options": {"post": "grbl"},
    }
    return Case("a", "6-ring rosette channel", intent, SIXTEENTH_INCH_MM,
                SIXTEENTH_INCH_MM * stepover_pct / 100, 2)


def _outline(vertices: int) -> list[list[float]]:
    """A guitar-body-like closed outline about 330 x 250 mm: two bouts and a waist."""
    points = []
    for i in range(vertices):
        t = 2 * math.pi * i / vertices
        waist = 1.0 - 0.22 * math.cos(t) ** 2 * (1 - math.cos(2 * t)) / 2
        x = 165.0 * math.cos(t)
        y = 125.0 * math.sin(t) * waist * (1.0 + 0.08 * math.cos(t))
        points.append([round(x, 4), round(y, 4)])
    points.append(points[0])
    return points


def _island(cx: float, cy: float, radius: float, vertices: int = 48) -> list[list[float]]:
    ring = [[round(cx + radius * math.cos(2 * math.pi * i / vertices), 4),
             round(cy + radius * math.sin(2 * math.pi * i / vertices), 4)] for i in range(vertices)]
    return ring + [ring[0]]


def body_pocket(vertices: int) -> Case:
    stepover_pct = 45.0
    intent = {
        "schema_version": "cam_intent_v1", "intent_id": f"bench-pocket-{vertices}", "mode": "router_3axis",
        "units": "mm",
        "design": {"operation": "pocket", "depth_mm": 6.0, "tool_diameter_mm": 6.0,
                   "geometry": {"type": "polyline", "points": _outline(vertices),
                                "islands": [_island(-80.0, 0.0, 22.0), _island(75.0, 10.0, 18.0)]}},
        "context": {"stepdown_mm": 2.0, "stepover_pct": stepover_pct},
        "options": {"post": "linuxcnc"},
    }
    key = "b" if vertices == 2000 else "c"
    return Case(key, f"{vertices:,}-vertex pocket with two islands", intent, 6.0, 6.0 * stepover_pct / 100, 3)


def all_cases() -> list[Case]:
    return [rosette_channel(), body_pocket(2000), body_pocket(20000)]
