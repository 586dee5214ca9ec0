"""Intent payloads shared by the CAM tests (plain dicts, as a caller sends them)."""
from __future__ import annotations

import copy


def saw(**overrides):
    intent = {
        "mode": "saw",
        "intent_id": "saw-1",
        "design": {"kerf_width_mm": 2.0, "stock_thickness_mm": 20.0, "stock_width_mm": 150.0,
                   "cuts": [{"type": "rip", "length_mm": 300, "depth_mm": 20, "offset_mm": 50}]},
    }
    intent.update(copy.deepcopy(overrides))
    return intent


def rosette(**overrides):
    intent = {
        "mode": "router_3axis",
        "design": {"operation": "pocket", "depth_mm": 1.5,
                   "geometry": {"type": "annulus", "center": [0, 0], "inner_radius_mm": 44.0,
                                "outer_radius_mm": 50.0}},
    }
    intent.update(copy.deepcopy(overrides))
    return intent


def pocket_with_island(**overrides):
    intent = {
        "mode": "router_3axis",
        "tool_id": "em-1-8-2f",
        "design": {"operation": "pocket", "depth_mm": 2.0,
                   "geometry": {"type": "polyline",
                                "points": [[0, 0], [40, 0], [40, 30], [0, 30], [0, 0]],
                                "islands": [[[10, 10], [16, 10], [16, 20], [10, 20], [10, 10]]]}},
    }
    intent.update(copy.deepcopy(overrides))
    return intent


def profile_with_tabs(**overrides):
    intent = {
        "mode": "router_3axis",
        "tool_id": "em-1-8-2f",
        "design": {"operation": "profile", "side": "outside", "depth_mm": 3.0,
                   "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 20.0},
                   "tabs": {"count": 4, "width_mm": 4.0, "height_mm": 1.0}},
    }
    intent.update(copy.deepcopy(overrides))
    return intent


def peck_drill(**overrides):
    intent = {
        "mode": "router_3axis",
        "tool_id": "em-1-8-2f",
        "design": {"operation": "drill", "holes": [[0, 0], [10, 5], [-12, 8]], "depth_mm": 5.0,
                   "peck_mm": 1.0},
    }
    intent.update(copy.deepcopy(overrides))
    return intent
