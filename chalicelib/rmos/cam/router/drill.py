"""Drilling with an end mill or drill: straight feeds down, pecking to clear chips.

Pecks are written out as plain moves (no canned cycles): GRBL cannot run G83,
and the neutral toolpath must suit every post.
"""
from __future__ import annotations

from typing import Callable

from chalicelib.rmos.cam.router.linking import CLEARANCE_MM, PathBuilder, nearest_order
from chalicelib.rmos.cam.router.models import DrillOp
from chalicelib.rmos.cam.toolpath import Line, Rapid

# How far above the bottom of the previous peck the tool returns at rapid rate.
PECK_CLEARANCE_MM = 0.25


def plan_drill(b: PathBuilder, op: DrillOp, path: Callable[..., str]) -> None:
    p = b.params
    holes = [(float(x), float(y)) for x, y in op.holes]
    unique = list(dict.fromkeys(holes))
    if len(unique) < len(holes):
        b.warn(f"{len(holes) - len(unique)} repeated hole position(s) drilled once")
    top = min(CLEARANCE_MM, p.safe_z_mm)
    bottom = -op.depth_mm
    for x, y in nearest_order(unique, lambda h: h, (0.0, 0.0)):
        b.travel((x, y))
        b.descend_rapid(top)
        if not op.peck_mm or op.peck_mm >= op.depth_mm:
            b.extend([Line(x, y, bottom, p.plunge_mm_min)])
        else:
            reached = 0.0
            while reached > bottom + 1e-9:
                target = max(reached - op.peck_mm, bottom)
                b.extend([Line(x, y, target, p.plunge_mm_min)])
                reached = target
                if reached > bottom + 1e-9:
                    # Out of the hole to shed chips, then back to just above the
                    # floor already drilled: never a rapid into uncut material.
                    b.extend([Rapid(x, y, top), Rapid(x, y, reached + PECK_CLEARANCE_MM)])
        b.retract()
