"""The report's one walk over the moves gives, bit for bit, what the separate walks it replaced gave.

`_reference_bounds` and `_reference_tallies` are the earlier formulas, kept
here as they were: the extent walked in order (arcs' extreme points read
through arcs.extremes), and the tallies walked on their own. The programs are
random, with arcs, helices, full circles, rapids, zero-length moves and
coordinates at 0.0 and -0.0, whose sign the report prints.
"""
from __future__ import annotations

import math
import random

import pytest

from chalicelib.contracts.report import Bounds
from chalicelib.rmos.cam import arcs, report
from chalicelib.rmos.cam.toolpath import Arc, Line, Move, Program, Rapid, Section


def _reference_extent(moves: list[Move], safe_z_mm: float, ends: tuple[float, float, float, float] | None):
    sx, sy = moves[0].x, moves[0].y
    min_x = max_x = sx
    min_y = max_y = sy
    min_z = max_z = safe_z_mm
    for move in moves:
        x, y, z = move.x, move.y, move.z
        if z < min_z:
            min_z = z
        elif z > max_z:
            max_z = z
        if x < min_x:
            min_x = x
        elif x > max_x:
            max_x = x
        if y < min_y:
            min_y = y
        elif y > max_y:
            max_y = y
        if isinstance(move, Arc):
            cx, cy = move.cx, move.cy
            r = math.hypot(sx - cx, sy - cy)
            lo_x, hi_x, lo_y, hi_y = (min_x, max_x, min_y, max_y) if ends is None else ends
            if cx - r < lo_x or cx + r > hi_x or cy - r < lo_y or cy + r > hi_y:
                for px, py in arcs.extremes((sx, sy), (x, y), (cx, cy), move.sweep)[2:]:
                    if px < min_x:
                        min_x = px
                    elif px > max_x:
                        max_x = px
                    if py < min_y:
                        min_y = py
                    elif py > max_y:
                        max_y = py
        sx, sy = x, y
    return min_x, max_x, min_y, max_y, min_z, max_z


def _reference_bounds(program: Program) -> Bounds | None:
    moves = [move for section in program.sections for move in section.moves]
    if not moves:
        return None
    xs = [move.x for move in moves]
    ys = [move.y for move in moves]
    found = _reference_extent(moves, program.safe_z_mm, (min(xs), max(xs), min(ys), max(ys)))
    if 0.0 in found[:4]:
        found = _reference_extent(moves, program.safe_z_mm, None)
    min_x, max_x, min_y, max_y, min_z, max_z = found
    return Bounds(min_x_mm=round(min_x, 4), max_x_mm=round(max_x, 4), min_y_mm=round(min_y, 4),
                  max_y_mm=round(max_y, 4), min_z_mm=round(min_z, 4), max_z_mm=round(max_z, 4))


def _reference_tallies(program: Program, rapid_mm_min: float) -> tuple[list[tuple[float, float, float]], int]:
    tallies = []
    retracts = 0
    safe_z = program.safe_z_mm - 1e-6
    start: tuple[float, float, float] | None = None
    for section in program.sections:
        cut = rapid = time = 0.0
        for move in section.moves:
            end = (move.x, move.y, move.z)
            if start is None:
                start = (move.x, move.y, program.safe_z_mm)
            if isinstance(move, Arc):
                planar = abs(move.sweep) * math.hypot(start[0] - move.cx, start[1] - move.cy)
                length = math.hypot(planar, move.z - start[2])
            else:
                length = math.dist(start, end)
            if isinstance(move, Rapid):
                rapid += length
                time += length / rapid_mm_min * 60
                if move.z >= safe_z > start[2]:
                    retracts += 1
            else:
                cut += length
                time += length / move.feed * 60 if move.feed > 0 else 0.0
            start = end
        tallies.append((cut, rapid, time))
    return tallies, retracts


def _coordinate(rng: random.Random, near: float, spread: float) -> float:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice([0.0, -0.0])
    if roll < 0.12:
        return rng.choice([1e-5, -1e-5, 4e-5, -4e-5])  # round to 0.0 or -0.0 in the report
    return near + rng.uniform(-spread, spread)


def _random_program(rng: random.Random) -> Program:
    safe_z = rng.choice([5.0, 3.0, 0.0])
    # A program in one quadrant, touching its axes: an extent that is exactly 0.0 or -0.0.
    corner = rng.random() < 0.3
    arc_share = 0.2 if corner else 0.6
    sections = []
    x, y, z = _coordinate(rng, 0.0, 30.0), _coordinate(rng, 0.0, 30.0), safe_z
    if corner:
        x, y = rng.choice([0.0, -0.0]), rng.choice([0.0, -0.0])
    for k in range(rng.randint(1, 4)):
        moves: list[Move] = []
        if rng.random() < 0.15:
            sections.append(Section(f"empty{k}", moves, 12000.0, 3.0))
            continue
        for _ in range(rng.randint(1, 30)):
            roll = rng.random()
            z = rng.choice([z, z, -1.0, -0.0, safe_z, rng.uniform(-4, 6)])
            if roll < 0.15:
                if rng.random() < 0.7:
                    x, y = _coordinate(rng, x, 20.0), _coordinate(rng, y, 20.0)
                moves.append(Rapid(x, y, z))
            elif roll < 1 - arc_share:
                if rng.random() < 0.7:  # else a plunge or a zero-length move
                    x, y = _coordinate(rng, x, 20.0), _coordinate(rng, y, 20.0)
                    if corner:
                        x, y = (x if x == 0 else abs(x)), (y if y == 0 else abs(y))
                moves.append(Line(x, y, z, rng.choice([300.0, 900.0, 0.0])))
            else:
                cx, cy = _coordinate(rng, x, 25.0), _coordinate(rng, y, 25.0)
                r = math.hypot(x - cx, y - cy)
                a = math.atan2(y - cy, x - cx) + rng.uniform(-6.3, 6.3)
                if rng.random() < 0.2:
                    ex, ey = x, y  # a full circle (or a helix turn)
                elif rng.random() < 0.2:
                    # Ending on an axis direction, where the extreme point and the end meet.
                    a = rng.randrange(4) * math.pi / 2
                    ex, ey = cx + r * math.cos(a), cy + r * math.sin(a)
                else:
                    ex, ey = cx + r * math.cos(a), cy + r * math.sin(a)
                moves.append(Arc.from_start((x, y), ex, ey, z, cx, cy, rng.random() < 0.5, 600.0))
                x, y = ex, ey
        sections.append(Section(f"op{k}", moves, 12000.0, 3.0))
    return Program(sections=sections, safe_z_mm=safe_z)


def _exact(b: Bounds | None) -> str:
    # repr tells 0.0 from -0.0, which == does not.
    return "None" if b is None else repr(tuple(b.model_dump().values()))


@pytest.mark.parametrize("seed", range(300))
def test_one_walk_gives_what_the_separate_walks_gave(seed):
    program = _random_program(random.Random(seed))
    assert _exact(report.bounds(program)) == _exact(_reference_bounds(program))
    rapid_mm_min = random.Random(-seed).choice([5000.0, 2500.0])
    tallies, retracts = report._tallies(program, rapid_mm_min)
    expected, expected_retracts = _reference_tallies(program, rapid_mm_min)
    assert [repr((t.cut, t.rapid, t.time)) for t in tallies] == [repr(t) for t in expected]
    assert retracts == expected_retracts


def test_the_random_programs_reach_the_cases_that_matter():
    """The programs above do have arcs reaching past their ends, extents at exactly zero and retracts."""
    widened = zeros = retracting = 0
    for seed in range(300):
        program = _random_program(random.Random(seed))
        moves = [m for s in program.sections for m in s.moves]
        if not moves:
            continue
        xs, ys = [m.x for m in moves], [m.y for m in moves]
        b = report.bounds(program)
        assert b is not None
        ends = (round(min(xs), 4), round(max(xs), 4), round(min(ys), 4), round(max(ys), 4))
        widened += ends != (b.min_x_mm, b.max_x_mm, b.min_y_mm, b.max_y_mm)
        ends_exact = (min(xs), max(xs), min(ys), max(ys))
        zeros += 0.0 in _reference_extent(moves, program.safe_z_mm, ends_exact)[:4]
        retracting += report._tallies(program, 5000.0)[1] > 0
    assert widened > 50 and zeros > 10 and retracting > 50


def test_a_minus_zero_extent_is_the_first_met_in_walk_order():
    # Every X is zero; the first move ends at -0.0, so the walk in order keeps -0.0 on both sides.
    moves: list[Move] = [Rapid(-0.0, 1.0, 5.0), Line(0.0, 2.0, -1.0, 300.0), Rapid(0.0, 2.0, 5.0)]
    b = report.bounds(Program([Section("op", moves, 12000.0, 3.0)], safe_z_mm=5.0))
    assert b is not None
    assert repr((b.min_x_mm, b.max_x_mm)) == "(-0.0, -0.0)"


def _turned(x: float, y: float, quarter_turns: int) -> tuple[float, float]:
    for _ in range(quarter_turns):
        x, y = -y, x  # exact in floats
    return x, y


@pytest.mark.parametrize("quarter_turns", range(4))
def test_an_arc_bulging_past_one_side_of_the_ends_widens_that_side(quarter_turns):
    """A half circle about the origin from (10, 0) to (-10, 0) over the top, then a line down to (0, -10).

    The ends span x -10..10 and y -10..0: only the arc's top reaches past
    them, on the side the turn takes it to.
    """
    def at(x: float, y: float) -> tuple[float, float]:
        return _turned(x, y, quarter_turns)

    (ax, ay), (bx, by), (dx, dy) = at(10.0, 0.0), at(-10.0, 0.0), at(0.0, -10.0)
    moves: list[Move] = [Rapid(ax, ay, 5.0), Line(ax, ay, -1.0, 300.0),
                         Arc.from_start((ax, ay), bx, by, -1.0, 0.0, 0.0, False, 600.0),
                         Line(dx, dy, -1.0, 300.0), Rapid(dx, dy, 5.0)]
    program = Program([Section("op", moves, 12000.0, 3.0)], safe_z_mm=5.0)
    b = report.bounds(program)
    assert b is not None
    xs, ys = zip(at(-10.0, -10.0), at(10.0, 10.0))
    assert (b.min_x_mm, b.max_x_mm, b.min_y_mm, b.max_y_mm) == (min(xs), max(xs), min(ys), max(ys))
    assert _exact(b) == _exact(_reference_bounds(program))
    tallies, retracts = report._tallies(program, 5000.0)
    # The plunge from safe Z, the half circle, the line to (0, -10); the rapids up and down.
    assert tallies[0].cut == pytest.approx(6.0 + 10 * math.pi + math.hypot(10.0, 10.0))
    assert tallies[0].rapid == pytest.approx(6.0)
    assert retracts == 1


def test_a_zero_met_on_an_arc_before_a_minus_zero_end_keeps_its_sign():
    """The arc from (5, 5) about (5, 0) over the left reaches x 0.0 before the line ends at x -0.0.

    In walk order the arc's 0.0 is met first and kept; the smallest move end alone would say -0.0.
    """
    moves: list[Move] = [Rapid(5.0, 5.0, 5.0), Line(5.0, 5.0, -1.0, 300.0),
                         Arc.from_start((5.0, 5.0), 5.0, -5.0, -1.0, 5.0, 0.0, False, 600.0),
                         Line(-0.0, -5.0, -1.0, 300.0), Rapid(-0.0, -5.0, 5.0)]
    program = Program([Section("op", moves, 12000.0, 3.0)], safe_z_mm=5.0)
    b = report.bounds(program)
    assert b is not None
    assert repr(b.min_x_mm) == "0.0"
    assert _exact(b) == _exact(_reference_bounds(program))
