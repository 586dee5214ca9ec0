"""Entries into the material: helix, ramp along the path, or (last resort) a plunge.

A straight plunge with an end mill that does not centre-cut well is the entry
most likely to break a small bit, so it is used only where neither a helix
nor a ramp fits, and always reported.

A helix or ramp descends at the ramp feed (`ramp_feed`): as fast as the
cutting feed allows while the bit's downward speed stays within the plunge
feed. At the usual few degrees that is the cutting feed, the bit sinking at a
small fraction of the plunge rate; a straight plunge stays at the plunge feed.

An operation chooses the entry (that choice shapes the rest of its path) and
declares it as one of the dataclasses below; the dressup stage turns the
declaration into moves. Each declaration knows where it leaves the tool and
how many moves it becomes, so the operation can carry on and the move cap can
be checked before anything is expanded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from chalicelib.rmos.cam.router.path2d import XY, Loop, Seg, circle_loop, loop_length, to_moves, walk
from chalicelib.rmos.cam.toolpath import Line, Move

MAX_RAMP_LAPS = 40

XYZ = tuple[float, float, float]


def ramp_length(dz: float, angle_deg: float) -> float:
    return dz / math.tan(math.radians(angle_deg))


def ramp_feed(run: float, drop: float, feed: float, plunge_feed: float) -> float:
    """The feed along a descent of `drop` over `run` of horizontal travel.

    The path speed stays within the cutting feed and its vertical part
    (feed x drop / path length) within the plunge feed; a vertical move is a
    plunge. Rounded down to 0.1 mm/min so both limits still hold as written.
    """
    if drop <= 0:
        return feed
    if run <= 0:
        return min(feed, plunge_feed)
    limit = plunge_feed * math.hypot(run, drop) / drop
    return max(min(feed, plunge_feed), math.floor(min(feed, limit) * 10) / 10)


@dataclass(frozen=True)
class RampEntry:
    """Descend along `segs` from z_from to z_to at the ramp feed."""

    segs: tuple[Seg, ...]
    z_from: float
    z_to: float
    plunge_feed: float
    feed: float

    @property
    def end(self) -> XYZ:
        x, y = self.segs[-1].end
        return x, y, self.z_to

    @property
    def count(self) -> int:
        return len(self.segs)

    @property
    def descent_feed(self) -> float:
        run = sum(seg.length for seg in self.segs)
        return ramp_feed(run, self.z_from - self.z_to, self.feed, self.plunge_feed)

    def moves(self) -> list[Move]:
        return to_moves(self.segs, self.z_from, self.z_to, self.descent_feed)


@dataclass(frozen=True)
class HelixEntry:
    """Full helical turns down to z_to and one flat turn to clean the floor, starting at `start`."""

    center: XY
    radius: float
    start_angle: float
    z_from: float
    z_to: float
    angle_deg: float
    plunge_feed: float
    feed: float
    clockwise: bool

    @property
    def start(self) -> XY:
        return self._loop()[0].start

    @property
    def end(self) -> XYZ:
        x, y = self.start
        return x, y, self.z_to

    @property
    def turns(self) -> int:
        per_turn = 2 * math.pi * self.radius * math.tan(math.radians(self.angle_deg))
        return max(1, math.ceil((self.z_from - self.z_to) / per_turn - 1e-9))

    @property
    def count(self) -> int:
        return self.turns + 1

    def _loop(self) -> Loop:
        return circle_loop(self.center, self.radius, self.clockwise, self.start_angle)

    def moves(self) -> list[Move]:
        loop = self._loop()
        turns = self.turns
        descent = ramp_feed(loop_length(loop), (self.z_from - self.z_to) / turns, self.feed, self.plunge_feed)
        moves: list[Move] = []
        for i in range(turns):
            za = self.z_from + (self.z_to - self.z_from) * i / turns
            zb = self.z_from + (self.z_to - self.z_from) * (i + 1) / turns
            moves += to_moves(loop, za, zb, descent)
        moves += to_moves(loop, self.z_to, self.z_to, self.feed)
        return moves


@dataclass(frozen=True)
class PlungeEntry:
    at_xy: XY
    z_to: float
    feed: float

    @property
    def end(self) -> XYZ:
        return self.at_xy[0], self.at_xy[1], self.z_to

    @property
    def count(self) -> int:
        return 1

    def moves(self) -> list[Move]:
        return [Line(self.at_xy[0], self.at_xy[1], self.z_to, self.feed)]


Entry = RampEntry | HelixEntry | PlungeEntry


def ramp_along(loop: Loop, z_from: float, z_to: float, angle_deg: float, plunge_feed: float, feed: float,
               min_length: float) -> tuple[RampEntry | None, float] | None:
    """A descent along the loop from its start, and the arc length it reaches.

    None when the loop is too short to ramp on (shorter than `min_length`) or
    would need more than MAX_RAMP_LAPS laps; no entry when there is nothing to descend.
    """
    total = loop_length(loop)
    dz = z_from - z_to
    if dz <= 0:
        return None, 0.0
    if total < min_length:
        return None
    need = ramp_length(dz, angle_deg)
    if need / total > MAX_RAMP_LAPS:
        return None
    segs = tuple(walk(loop, 0.0, need))
    return (RampEntry(segs, z_from, z_to, plunge_feed, feed) if segs else None), need


def helix(center: XY, radius: float, toward: XY, z_from: float, z_to: float, angle_deg: float,
          plunge_feed: float, feed: float, clockwise: bool) -> HelixEntry:
    """A helix whose start (and end) faces `toward`; the caller puts the tool at its `start`."""
    angle = math.atan2(toward[1] - center[1], toward[0] - center[0])
    return HelixEntry(center, radius, angle, z_from, z_to, angle_deg, plunge_feed, feed, clockwise)
