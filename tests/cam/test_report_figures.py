"""Report figures against an independent walk: the extent of sampled arcs, and lengths by sampling."""
from __future__ import annotations

import math
import random

import pytest

from chalicelib.rmos.cam import arcs, report
from chalicelib.rmos.cam.toolpath import Arc, Line, Program, Rapid, Section


def _random_program(rng: random.Random) -> Program:
    sections = []
    x, y = rng.uniform(-20, 20), rng.uniform(-20, 20)
    for k in range(rng.randint(1, 3)):
        moves: list = [Rapid(x, y, 5.0), Rapid(x, y, 0.5)]
        for _ in range(rng.randint(1, 12)):
            z = rng.choice([-1.0, -1.0, -2.0, rng.uniform(-3, 0)])
            if rng.random() < 0.4:
                x, y = rng.uniform(-40, 40), rng.uniform(-40, 40)
                moves.append(Line(x, y, z, rng.choice([300.0, 900.0])))
            else:
                cx, cy = x + rng.uniform(-15, 15), y + rng.uniform(-15, 15)
                r = math.hypot(x - cx, y - cy)
                a = math.atan2(y - cy, x - cx) + rng.uniform(-6.2, 6.2)
                ex, ey = (x, y) if rng.random() < 0.15 else (cx + r * math.cos(a), cy + r * math.sin(a))
                moves.append(Arc.from_start((x, y), ex, ey, z, cx, cy, rng.random() < 0.5, 600.0))
                x, y = ex, ey
        moves.append(Rapid(x, y, 5.0))
        sections.append(Section(f"op{k}", moves, 12000.0, 3.0))
    return Program(sections=sections, safe_z_mm=5.0)


def _sampled(program: Program):
    """Points along every move (arcs every ~0.01 rad) and each section's cut and rapid length."""
    pts = []
    cut = [0.0] * len(program.sections)
    rapid = [0.0] * len(program.sections)
    pos = None
    for k, section in enumerate(program.sections):
        for move in section.moves:
            start = pos or (move.x, move.y, program.safe_z_mm)
            if isinstance(move, Arc):
                n = max(8, int(abs(move.sweep) / 0.01))
                path = [(*arcs.point_at(start[:2], (move.cx, move.cy), move.sweep, t / n),
                         start[2] + (move.z - start[2]) * t / n) for t in range(n + 1)]
            else:
                path = [start, (move.x, move.y, move.z)]
            pts += path
            length = sum(math.dist(a, b) for a, b in zip(path, path[1:]))
            (rapid if isinstance(move, Rapid) else cut)[k] += length
            pos = (move.x, move.y, move.z)
    return pts, cut, rapid


@pytest.mark.parametrize("seed", range(12))
def test_extent_and_lengths_agree_with_sampling(seed):
    program = _random_program(random.Random(seed))
    pts, cut, rapid = _sampled(program)
    b = report.bounds(program)
    assert b is not None
    for axis, lo, hi in ((0, b.min_x_mm, b.max_x_mm), (1, b.min_y_mm, b.max_y_mm), (2, b.min_z_mm, b.max_z_mm)):
        values = [p[axis] for p in pts]
        # Sampling never reaches past the true extent, and comes within a few microns of it.
        assert lo <= min(values) + 1e-4 and min(values) - lo < 5e-3
        assert hi >= max(values) - 1e-4 and hi - max(values) < 5e-3
    tallies, _ = report._tallies(program, rapid_mm_min=5000.0)
    for t, c, r in zip(tallies, cut, rapid):
        assert t.cut == pytest.approx(c, rel=1e-4)
        assert t.rapid == pytest.approx(r, rel=1e-9)


def test_an_empty_program_has_no_extent():
    assert report.bounds(Program(sections=[Section("empty", [], 12000.0, 3.0)], safe_z_mm=5.0)) is None
