"""Size-independent figures of a G-code program, read from its text alone.

Comparisons with other CAM programs must not trust either planner's own
report, so both programs go through this one reader: cut and rapid length,
retracts and an estimated machining time (rapids at the machine's rapid rate,
feed moves at the modal F). It reads what both the project's `linuxcnc` post
and FreeCAD's write (G0-G3 with incremental I/J, G20/G21, absolute G90); other
dialect features are refused rather than silently mis-measured.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

_WORD = re.compile(r"([A-Z])\s*([-+]?(?:\d+\.?\d*|\.\d+))")
_COMMENT = re.compile(r"\([^)]*\)")
MM_PER_INCH = 25.4


class UnsupportedGcode(ValueError):
    """The program uses a feature this reader cannot measure honestly."""


@dataclass(frozen=True)
class Metrics:
    rapid_moves: int
    feed_moves: int
    cut_length_mm: float
    rapid_length_mm: float
    retracts: int
    estimated_time_s: float
    # Feed moves that stay at one Z, by that Z (mm, to 4 decimals), deepest first:
    # a pocket cut in levels shows each level's share, and a level cut short shows.
    cut_by_depth_mm: tuple[tuple[float, float], ...] = ()


def rapid_rate(profile_id: str | None = None) -> float:
    """The rapid rate (mm/min) of the machine behind a CAM profile; default: the peer cases' profile."""
    from bench.peer_cases import PROFILE_ID
    from chalicelib.contracts.profiles import catalogue

    cat = catalogue()
    machine = cat.profile(profile_id or PROFILE_ID)["machine"]
    return float(cat.machine(machine)["rapid_mm_min"])


def _arc_length(start: tuple[float, float, float], end: tuple[float, float, float], i: float, j: float,
                clockwise: bool) -> float:
    cx, cy = start[0] + i, start[1] + j
    r = math.hypot(start[0] - cx, start[1] - cy)
    a0 = math.atan2(start[1] - cy, start[0] - cx)
    a1 = math.atan2(end[1] - cy, end[0] - cx)
    sweep = (a0 - a1) if clockwise else (a1 - a0)
    sweep %= 2 * math.pi
    if sweep < 1e-9:
        sweep = 2 * math.pi  # start == end: a full circle
    return math.hypot(r * sweep, end[2] - start[2])


def _g_word(number: str, n: int, motion: int | None, scale: float) -> tuple[int | None, float]:
    """The (modal motion, length scale) after the G word `number` on line `n`."""
    code = round(float(number), 1)
    if code in (0, 1, 2, 3):
        return int(code), scale
    if code == 20:
        return motion, MM_PER_INCH
    if code == 21:
        return motion, 1.0
    if code in (91, 90.1, 93, 18, 19) or 81 <= code <= 89 or code in (28, 30, 53):
        raise UnsupportedGcode(f"line {n}: G{number} is not measured")
    if code == 80:
        return None, scale
    return motion, scale


def _move_length(motion: int, pos: tuple[float, float, float], end: tuple[float, float, float],
                 values: dict[str, float], scale: float) -> float:
    if motion in (2, 3):
        return _arc_length(pos, end, values.get("I", 0.0) * scale, values.get("J", 0.0) * scale,
                           clockwise=motion == 2)
    return math.dist(pos, end)


def measure(text: str, *, rapid_mm_min: float, safe_z_mm: float, top_z_mm: float = 0.0) -> Metrics:
    """Measure a program that starts parked at (0, 0, safe_z_mm).

    A retract is any move that leaves the stock: it starts at or below the
    stock top (`top_z_mm`, Z0 in both programs) and ends above it.
    """
    scale = 1.0
    pos = (0.0, 0.0, safe_z_mm)
    motion: int | None = None
    feed = 0.0
    rapids = feeds = retracts = 0
    cut = rapid = time_min = 0.0
    by_depth: dict[float, float] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        body = _COMMENT.sub("", raw).split(";")[0].upper()
        words = _WORD.findall(body)
        if not words:
            continue
        values: dict[str, float] = {}
        for letter, number in words:
            if letter == "G":
                motion, scale = _g_word(number, n, motion, scale)
            elif letter in "XYZIJFR":
                values[letter] = float(number)
        if "F" in values:
            feed = values["F"] * scale
        if "R" in values:
            raise UnsupportedGcode(f"line {n}: R-format arcs are not measured")
        has_axis = any(a in values for a in "XYZ")
        if motion is None or not (has_axis or (motion in (2, 3) and ("I" in values or "J" in values))):
            continue
        x, y, z = (values[a] * scale if a in values else pos[k] for k, a in enumerate("XYZ"))
        end = (x, y, z)
        length = _move_length(motion, pos, end, values, scale)
        if motion == 0:
            rapids += 1
            rapid += length
            time_min += length / rapid_mm_min
        else:
            if feed <= 0:
                raise UnsupportedGcode(f"line {n}: a feed move with no feed rate")
            feeds += 1
            cut += length
            time_min += length / feed
            if end[2] == pos[2]:
                level = round(end[2], 4)
                by_depth[level] = by_depth.get(level, 0.0) + length
        if pos[2] <= top_z_mm + 1e-9 < end[2] - 1e-9:
            retracts += 1
        pos = end
    return Metrics(rapids, feeds, cut, rapid, retracts, time_min * 60, tuple(sorted(by_depth.items())))
