"""Closed 2D tool-centre loops made of straight and circular pieces.

Operations describe each pass as a loop; entries, tabs and links then walk it
by arc length. Circles stay exact arcs all the way to the post.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Any, Callable, Generic, Sequence, TypeVar, overload

from chalicelib.rmos.cam import arcs
from chalicelib.rmos.cam.toolpath import Arc, Line, Move

XY = tuple[float, float]

_T = TypeVar("_T")


class once(Generic[_T]):
    """A value worked out from an unchanging object on first use, then kept in its __dict__.

    Pieces are measured over and over while they are linked. This is
    functools.cached_property without the lock it takes on Python 3.11 for
    every first use, one lock shared by all instances: a plan makes
    thousands of pieces. The value depends on the object alone, so two
    threads that race to it only work it out twice, to the same result.
    """

    def __init__(self, fn: Callable[[Any], _T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> "once[_T]": ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> "_T | once[_T]":
        if obj is None:
            return self
        # No __set__, so once the value is in the instance's __dict__ it is
        # found there and this is not called again.
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


# An arc shorter than this goes out as a line: printed with a few decimals its
# end would equal its start, which G-code reads as a full circle.
MIN_ARC_MM = 1e-3


@dataclass(frozen=True)
class Seg:
    """A line (center None) or an arc sweeping `sweep` radians (+ CCW, - CW)."""

    start: XY
    end: XY
    center: XY | None = None
    sweep: float = 0.0

    @property
    def is_arc(self) -> bool:
        return self.center is not None

    # A Seg never changes, so its radius and length are worked out on first
    # use and kept: loops are measured over and over while they are linked.
    @once
    def radius(self) -> float:
        assert self.center is not None
        return arcs.radius(self.start, self.center)

    @once
    def length(self) -> float:
        if self.center is None:
            return math.hypot(self.end[0] - self.start[0], self.end[1] - self.start[1])
        return arcs.length(self.start, self.center, self.sweep)

    @once
    def memo(self) -> dict[Any, Any]:
        """Values a user works out from this piece alone, under keys naming what and how.

        A Seg never changes, so such a value can never go stale; pieces shared
        between loops (a loop cut at every level) are then worked out once.
        """
        return {}

    def point_at(self, t: float) -> XY:
        """The point a fraction `t` of the way along."""
        if self.center is None:
            return (self.start[0] + (self.end[0] - self.start[0]) * t,
                    self.start[1] + (self.end[1] - self.start[1]) * t)
        return arcs.point_at(self.start, self.center, self.sweep, t)

    def split(self, t0: float, t1: float) -> "Seg":
        """The piece between fractions t0 < t1; end points of the whole are kept exact."""
        if self.center is None:
            start = self.start if t0 <= 0 else self.point_at(t0)
            end = self.end if t1 >= 1 else self.point_at(t1)
            return Seg(start, end)
        start, end, swept = arcs.split(self.start, self.end, self.center, self.sweep, t0, t1)
        return Seg(start, end, self.center, swept)


Loop = list[Seg]


def circle_loop(center: XY, radius: float, clockwise: bool, start_angle: float = 0.0) -> Loop:
    cx, cy = center
    p = (cx + radius * math.cos(start_angle), cy + radius * math.sin(start_angle))
    return [Seg(p, p, center, -2 * math.pi if clockwise else 2 * math.pi)]


def polygon_loop(coords: Sequence[Sequence[float]]) -> Loop:
    """A loop through closed ring coordinates (last == first), dropping zero-length edges."""
    pts = [(float(x), float(y)) for x, y, *_ in coords]
    segs = [Seg(a, b) for a, b in zip(pts, pts[1:]) if a != b]
    return segs


def loop_length(loop: Loop) -> float:
    return sum(s.length for s in loop)


def signed_area(loop: Loop) -> float:
    """Area enclosed by a closed loop, + when it runs counter-clockwise; arcs count their segments."""
    total = 0.0
    for s in loop:
        total += (s.start[0] * s.end[1] - s.end[0] * s.start[1]) / 2
        if s.center is not None:
            r = s.radius
            total += r * r / 2 * (s.sweep - math.sin(s.sweep))
    return total


def loop_start(loop: Loop) -> XY:
    return loop[0].start


def walk(loop: Loop, d0: float, d1: float) -> list[Seg]:
    """The pieces of the loop from arc length d0 to d1 (d1 may go round more than once)."""
    lengths = [seg.length for seg in loop]
    total = sum(lengths)
    if total <= 0 or d1 <= d0:
        return []
    out: list[Seg] = []
    pos = math.floor(d0 / total) * total
    lo, hi = d0 + 1e-12, d1 - 1e-12
    while pos < hi:
        # Positions along this lap, summed piece after piece from `pos`: the
        # same floats as adding each length in turn. A piece is taken when it
        # has length, ends past `lo` and starts before `hi`; lengths are never
        # negative, so the pieces that can be taken are one stretch, found by
        # bisection.
        ends = list(accumulate(lengths, initial=pos))
        first = max(bisect_right(ends, lo) - 1, 0)
        stop = min(bisect_left(ends, hi), len(loop))
        if stop > first:
            _take(out, loop[first], lengths[first], ends[first], ends[first + 1], d0, d1)
        if stop > first + 2:
            # Strictly inside the stretch a piece starts at or after d0 and
            # ends (rounded) before hi < d1, so it is taken whole, t0 <= 0 and
            # t1 >= 1: round-to-nearest leaves no float between its rounded
            # end and its true one, so its true end is not past d1 either.
            inside = loop[first + 1:stop - 1]
            if min(lengths[first + 1:stop - 1]) > 0:
                out.extend(inside)
            else:
                out.extend(seg for seg in inside if seg.length > 0)
        if stop > first + 1:
            _take(out, loop[stop - 1], lengths[stop - 1], ends[stop - 1], ends[stop], d0, d1)
        pos = ends[-1]
        if pos >= hi:
            break
    return out


def _take(out: list[Seg], seg: Seg, length: float, a: float, b: float, d0: float, d1: float) -> None:
    """Append the part of `seg`, lying from a to b along the loop, that falls between d0 and d1."""
    if length <= 0 or b <= d0 + 1e-12 or a >= d1 - 1e-12:
        return
    t0 = max(0.0, (d0 - a) / length)
    t1 = min(1.0, (d1 - a) / length)
    out.append(seg if (t0 <= 0 and t1 >= 1) else seg.split(t0, t1))


def rotate_to(loop: Loop, distance: float) -> Loop:
    """The same closed loop starting at arc length `distance` from its start."""
    total = loop_length(loop)
    d = distance % total if total > 0 else 0.0
    if d <= 1e-9 or total - d <= 1e-9:
        return list(loop)
    if len(loop) == 1 and loop[0].center is not None:
        # A full circle stays one arc, just starting elsewhere.
        seg = loop[0]
        p = seg.point_at(d / total)
        return [Seg(p, p, seg.center, seg.sweep)]
    return walk(loop, d, d + total)


def reversed_loop(loop: Loop) -> Loop:
    return [Seg(s.end, s.start, s.center, -s.sweep) for s in reversed(loop)]


def to_moves(segs: Sequence[Seg], z0: float, z1: float, feed: float) -> list[Move]:
    """Moves along the pieces with Z going linearly from z0 to z1 over their length."""
    # Runs for every piece of every lap: lengths are read once, and the last
    # piece (or any appearance of it) and a path of no length end at z1.
    lengths = [s.length for s in segs]
    total = sum(lengths)
    moves: list[Move] = []
    append = moves.append
    done = 0.0
    last = segs[-1] if segs else None
    flat = total <= 0
    rise = z1 - z0
    for seg, length in zip(segs, lengths):
        done += length
        z = z1 if flat or seg is last else z0 + rise * min(1.0, done / total)
        x, y = seg.end
        center = seg.center
        if center is None or length < MIN_ARC_MM:
            append(Line(x, y, z, feed))
        else:
            append(Arc(x, y, z, center[0], center[1], seg.sweep < 0, feed, seg.sweep))
    return moves
