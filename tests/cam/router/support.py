"""Small builders shared by the router tests."""
from __future__ import annotations

from chalicelib.rmos.cam.router import RouterDesign, plan_router
from chalicelib.rmos.cam.toolpath import CutParams


def cut_params(tool: float = 6.0, stepover_pct: float = 40.0, stepdown: float = 2.0, **kw) -> CutParams:
    return CutParams(tool_diameter_mm=tool, stepover_mm=tool * stepover_pct / 100, stepdown_mm=stepdown,
                     feed_mm_min=kw.pop("feed", 1200.0), plunge_mm_min=kw.pop("plunge", 300.0),
                     safe_z_mm=kw.pop("safe_z", 5.0), spindle_rpm=18000, **kw)


def plan(design: dict, params: CutParams):
    return plan_router(RouterDesign.from_payload(design), params)

