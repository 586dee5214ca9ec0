"""The pockets compared against other CAM programs, defined once.

Every case is a `router_3axis` pocket CamIntentV1 with the same cutting setup
(1/8 in end mill, 50 % stepover, 1 mm stepdown, the same feed, plunge, spindle
and retract height) so that any difference in the programs comes from the
planners, not from the settings. The peer drivers (bench/freecad_peer.py)
rebuild the same geometry from `geometry()`; the bench groups plan `intent()`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.cases import _island, region
from bench.router import ellipse

TOOL_ID = "em-1-8-2f"
TOOL_DIAMETER_MM = 3.175
STEPOVER_PCT = 50.0
STEPDOWN_MM = 1.0
DEPTH_MM = 2.0
FEED_MM_MIN = 1200.0
PLUNGE_MM_MIN = 300.0
SPINDLE_RPM = 18000.0
SAFE_Z_MM = 5.0
# The LinuxCNC router profile: its machine's rapid rate prices every G0 in the
# time estimate of both programs.
PROFILE_ID = "rosette-1-16-spruce-linuxcnc"


@dataclass(frozen=True)
class PeerCase:
    name: str
    title: str
    geometry: dict[str, Any]

    def intent(self) -> dict[str, Any]:
        return {
            "schema_version": "cam_intent_v1", "intent_id": f"peer-{self.name}", "mode": "router_3axis",
            "units": "mm", "tool_id": TOOL_ID,
            "design": {"operation": "pocket", "depth_mm": DEPTH_MM, "geometry": self.geometry},
            "context": {"stepover_pct": STEPOVER_PCT, "stepdown_mm": STEPDOWN_MM, "feed_mm_min": FEED_MM_MIN,
                        "plunge_mm_min": PLUNGE_MM_MIN, "spindle_rpm": SPINDLE_RPM, "safe_z_mm": SAFE_Z_MM},
            "options": {"post": "linuxcnc", "profile_id": PROFILE_ID},
        }


def setup() -> dict[str, float]:
    """The cutting setup every peer must be given, in mm and mm/min."""
    return {"tool_diameter_mm": TOOL_DIAMETER_MM, "stepover_pct": STEPOVER_PCT, "stepdown_mm": STEPDOWN_MM,
            "depth_mm": DEPTH_MM, "feed_mm_min": FEED_MM_MIN, "plunge_mm_min": PLUNGE_MM_MIN,
            "spindle_rpm": SPINDLE_RPM, "safe_z_mm": SAFE_Z_MM}


def _closed(points: list[tuple[float, float]]) -> list[list[float]]:
    ring = [[round(x, 4), round(y, 4)] for x, y in points]
    return ring + [ring[0]]


def _rounded_rectangle(width: float, height: float, radius: float, per_corner: int = 24) -> list[list[float]]:
    hx, hy = width / 2 - radius, height / 2 - radius
    points = []
    for k, (cx, cy) in enumerate(((hx, hy), (-hx, hy), (-hx, -hy), (hx, -hy))):
        for i in range(per_corner + 1):
            t = math.pi / 2 * (k + i / per_corner)
            points.append((cx + radius * math.cos(t), cy + radius * math.sin(t)))
    return _closed(points)


def _dumbbell(centre_x: float, radius: float, bar_half_width: float, per_lobe: int = 96) -> list[list[float]]:
    """Two round lobes at +-centre_x joined by a straight bar, counter-clockwise."""
    gap = math.asin(bar_half_width / radius)
    points = []
    for sign in (1, -1):
        # Right lobe from the bar's lower edge round to its upper edge; then the left lobe likewise.
        start = -math.pi + gap if sign > 0 else gap
        sweep = 2 * math.pi - 2 * gap
        cx = sign * centre_x
        for i in range(per_lobe + 1):
            t = start + sweep * i / per_lobe
            points.append((cx + radius * math.cos(t), radius * math.sin(t)))
    return _closed(points)


def _star(tips: int, outer: float, inner: float) -> list[list[float]]:
    points = []
    for i in range(2 * tips):
        r = outer if i % 2 == 0 else inner
        t = math.pi / 2 + math.pi * i / tips
        points.append((r * math.cos(t), r * math.sin(t)))
    return _closed(points)


def _rounded(points: list[list[float]]) -> list[list[float]]:
    return [[round(x, 4), round(y, 4)] for x, y in points]


CASES: list[PeerCase] = [
    PeerCase("rosette", "rosette channel 100-118 mm",
             {"type": "annulus", "center": [0.0, 0.0], "inner_radius_mm": 50.0, "outer_radius_mm": 59.0}),
    PeerCase("cavity", "cavity 90x60 mm, 10 mm corners",
             {"type": "polyline", "points": _rounded_rectangle(90.0, 60.0, 10.0)}),
    PeerCase("islands", "rectangle 120x80 mm with two round islands",
             {"type": "polyline", "points": _closed([(-60, -40), (60, -40), (60, 40), (-60, 40)]),
              "islands": [_island(-30.0, 0.0, 12.0), _island(30.0, 0.0, 12.0)]}),
    PeerCase("dumbbell", "dumbbell, two 50 mm lobes and a 20 mm bar",
             {"type": "polyline", "points": _dumbbell(45.0, 25.0, 10.0)}),
    PeerCase("star", "5-point star 100 mm",
             {"type": "polyline", "points": _star(5, 50.0, 20.0)}),
    PeerCase("ellipse5000", "5,000-vertex ellipse 100x60 mm",
             {"type": "polyline", "points": _rounded(ellipse(5000, 50.0, 30.0))}),
]


def ring_floor_mm(case: PeerCase) -> float:
    """The length of the Offset pattern's rings alone, all levels: no links, entries or retracts.

    Rings are the tool-centre region's boundary and its insets every
    stepover until nothing is left: FreeCAD's Offset pattern, before any
    link, entry or retract. FreeCAD cutting less than this has left some of
    its own rings out. It is not a floor for every pattern: rings spaced
    evenly across a channel (the project's rosette) can need fewer.
    """
    radius = TOOL_DIAMETER_MM / 2
    step = TOOL_DIAMETER_MM * STEPOVER_PCT / 100
    centres = region(case.geometry).buffer(-radius, quad_segs=64)
    total = 0.0
    k = 0
    while True:
        ring = centres.buffer(-k * step, quad_segs=64)
        if ring.is_empty:
            break
        total += ring.boundary.length
        k += 1
    return total * math.ceil(DEPTH_MM / STEPDOWN_MM - 1e-9)


def by_name() -> dict[str, PeerCase]:
    return {case.name: case for case in CASES}
