"""The arc module against arcs sampled densely from their angles alone."""
from __future__ import annotations

import math
import random

import pytest

from chalicelib.rmos.cam import arcs
from chalicelib.rmos.cam.toolpath import Arc

C = (3.0, -2.0)
R = 7.5


def at(deg: float) -> tuple[float, float]:
    a = math.radians(deg)
    return C[0] + R * math.cos(a), C[1] + R * math.sin(a)


def sampled(start_deg: float, swept: float, n: int = 4000) -> list[tuple[float, float]]:
    a0 = math.radians(start_deg)
    return [(C[0] + R * math.cos(a0 + swept * k / n), C[1] + R * math.sin(a0 + swept * k / n)) for k in range(n + 1)]


@pytest.mark.parametrize("start_deg, end_deg, clockwise, expected_deg", [
    (10, 100, False, 90), (10, 100, True, -270), (350, 20, False, 30), (20, 350, True, -30),
    (200, 199, False, 359), (0, 180, True, -180),
])
def test_sweep_sign_follows_direction(start_deg, end_deg, clockwise, expected_deg):
    assert arcs.sweep(at(start_deg), at(end_deg), C, clockwise) == pytest.approx(math.radians(expected_deg))


@pytest.mark.parametrize("clockwise", [False, True])
def test_end_on_start_is_one_full_turn(clockwise):
    swept = arcs.sweep(at(45), at(45), C, clockwise)
    assert swept == (-2 * math.pi if clockwise else 2 * math.pi)
    assert arcs.length(at(45), C, swept) == pytest.approx(2 * math.pi * R)
    # An end a hair past the start is almost a full turn the other way round, not nothing.
    tiny = arcs.sweep(at(45), at(45 + 1e-6), C, True)
    assert tiny == pytest.approx(-2 * math.pi, abs=1e-6)


def test_arc_moves_carry_the_sweep_their_end_points_give():
    move = Arc.from_start(at(30), *at(120), -1.0, *C, False, 500.0)
    assert move.sweep == pytest.approx(math.pi / 2)
    assert Arc.from_start(at(30), *at(120), -1.0, *C, True, 500.0).sweep == pytest.approx(-1.5 * math.pi)


@pytest.mark.parametrize("start_deg, swept_deg", [(10, 90), (100, -250), (0, 360), (-30, -360), (77, 1)])
def test_length_and_points_match_sampling(start_deg, swept_deg):
    swept = math.radians(swept_deg)
    pts = sampled(start_deg, swept)
    polyline = sum(math.dist(a, b) for a, b in zip(pts, pts[1:]))
    assert arcs.length(at(start_deg), C, swept) == pytest.approx(polyline, rel=1e-6)
    for t in (0.0, 0.25, 0.5, 0.9, 1.0):
        assert arcs.point_at(at(start_deg), C, swept, t) == pytest.approx(pts[round(t * 4000)], abs=1e-9)


def test_split_keeps_the_whole_ends_exact_and_pieces_add_up():
    start, end = at(10), at(200)
    swept = arcs.sweep(start, end, C, False)
    a, m, s1 = arcs.split(start, end, C, swept, 0.0, 0.4)
    m2, b, s2 = arcs.split(start, end, C, swept, 0.4, 1.0)
    assert a == start and b == end
    assert m == m2 == pytest.approx(at(10 + 0.4 * 190))
    assert s1 + s2 == pytest.approx(swept)
    assert arcs.length(start, C, s1) + arcs.length(m, C, s2) == pytest.approx(arcs.length(start, C, swept))


@pytest.mark.parametrize("start_deg, swept_deg", [(10, 90), (100, -10), (350, 30), (20, -30), (45, 360),
                                                  (200, 359), (89.9, 0.2), (0, -180)])
def test_extremes_and_bounds_match_sampled_points(start_deg, swept_deg):
    swept = math.radians(swept_deg)
    pts = sampled(start_deg, swept)
    start, end = pts[0], pts[-1]
    got = arcs.bounds(start, end, C, swept)
    want = (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))
    assert got == pytest.approx(want, abs=1e-5)
    assert all(abs(math.dist(p, C) - R) < 1e-9 for p in arcs.extremes(start, end, C, swept))


@pytest.mark.parametrize("swept_deg", [120, -120])
def test_param_at_finds_a_point_on_the_arc_and_flags_one_beyond(swept_deg):
    swept = math.radians(swept_deg)
    start = at(40)
    on = arcs.point_at(start, C, swept, 0.3)
    assert arcs.param_at(start, C, swept, on) == pytest.approx(0.3)
    beyond = at(40 + math.copysign(200, swept_deg))
    assert arcs.param_at(start, C, swept, beyond) > 1


def test_length_is_the_radius_times_the_sweep_to_the_last_bit():
    rnd = random.Random(7)
    for _ in range(2000):
        start = (rnd.uniform(-500, 500), rnd.uniform(-500, 500))
        center = (start[0] + rnd.uniform(-50, 50), start[1] + rnd.uniform(-50, 50))
        swept = rnd.uniform(-2 * math.pi, 2 * math.pi)
        assert arcs.length(start, center, swept) == abs(swept) * arcs.radius(start, center)
