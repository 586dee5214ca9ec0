"""Entries into the material: helix, ramp along the path, or (last resort) a plunge.

A straight plunge with an end mill that does not centre-cut well is the entry
most likely to break a small bit, so it is used only where neither a helix
nor a ramp fits, and always reported.
"""
from __future__ import annotations

import math

from chalicelib.rmos.cam.router.path2d import XY, Loop, circle_loop, loop_length, to_moves, walk
from chalicelib.rmos.cam.toolpath import Line, Move

MAX_RAMP_LAPS = 40


def ramp_length(dz: float, angle_deg: float) -> float:
    return dz / math.tan(math.radians(angle_deg))


def ramp_along(loop: Loop, z_from: float, z_to: float, angle_deg: float, plunge_feed: float,
               min_length: float) -> tuple[list[Move], float] | None:
    """Descend along the loop from its start; returns the moves and the arc length reached.

    None when the loop is too short to ramp on (shorter than `min_length`) or
    would need more than MAX_RAMP_LAPS laps.
    """
    total = loop_length(loop)
    dz = z_from - z_to
    if dz <= 0:
        return [], 0.0
    if total < min_length:
        return None
    need = ramp_length(dz, angle_deg)
    if need / total > MAX_RAMP_LAPS:
        return None
    return to_moves(walk(loop, 0.0, need), z_from, z_to, plunge_feed), need


def helix(center: XY, radius: float, toward: XY, z_from: float, z_to: float, angle_deg: float,
          plunge_feed: float, feed: float, clockwise: bool) -> tuple[list[Move], XY]:
    """Full helical turns down to z_to, one flat turn to clean the floor; ends facing `toward`.

    The returned moves start at the helix start point (the caller puts the tool there).
    """
    angle = math.atan2(toward[1] - center[1], toward[0] - center[0])
    loop = circle_loop(center, radius, clockwise, angle)
    per_turn = 2 * math.pi * radius * math.tan(math.radians(angle_deg))
    turns = max(1, math.ceil((z_from - z_to) / per_turn - 1e-9))
    moves: list[Move] = []
    for i in range(turns):
        za = z_from + (z_to - z_from) * i / turns
        zb = z_from + (z_to - z_from) * (i + 1) / turns
        moves += to_moves(loop, za, zb, plunge_feed)
    moves += to_moves(loop, z_to, z_to, feed)
    return moves, loop[0].start


def plunge(at: XY, z_to: float, plunge_feed: float) -> list[Move]:
    return [Line(at[0], at[1], z_to, plunge_feed)]
