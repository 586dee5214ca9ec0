"""The fast geometry behind links at depth gives the very answers of the plain piece-by-piece rules.

Each reference below is the straightforward form of the rule (one piece at a
time, or shapely distances to the whole cut path); the planner's versions
skip work but must agree with them bit for bit, so a program never changes.
"""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from chalicelib.rmos.cam import arcs
from chalicelib.rmos.cam.router import linking, pocket
from chalicelib.rmos.cam.router.path2d import Seg, circle_loop, loop_length, once, polygon_loop, rotate_to, walk


def walk_reference(loop, d0, d1):
    total = sum(s.length for s in loop)
    if total <= 0 or d1 <= d0:
        return []
    out = []
    pos = math.floor(d0 / total) * total
    while pos < d1 - 1e-12:
        for seg in loop:
            length = seg.length
            a, b = pos, pos + length
            pos = b
            if length <= 0 or b <= d0 + 1e-12 or a >= d1 - 1e-12:
                continue
            t0 = max(0.0, (d0 - a) / length)
            t1 = min(1.0, (d1 - a) / length)
            out.append(seg if (t0 <= 0 and t1 >= 1) else seg.split(t0, t1))
        if pos >= d1 - 1e-12:
            break
    return out


def closest_reference(loop, p):
    best = (math.inf, 0.0)
    done = 0.0
    for seg in loop:
        length = seg.length
        if seg.center is None:
            (x0, y0), (x1, y1) = seg.start, seg.end
            dx, dy = x1 - x0, y1 - y0
            denom = dx * dx + dy * dy
            t = 0.0 if denom == 0 else min(1.0, max(0.0, ((p[0] - x0) * dx + (p[1] - y0) * dy) / denom))
        else:
            t = min(1.0, arcs.param_at(seg.start, seg.center, seg.sweep, p))
            if t >= 1.0 and abs(seg.sweep) < 2 * math.pi - 1e-12:
                t = 0.0 if math.dist(seg.start, p) < math.dist(seg.end, p) else 1.0
        q = seg.point_at(t)
        d = math.hypot(q[0] - p[0], q[1] - p[1])
        if d < best[0] - 1e-12:
            best = (d, done + t * length)
        done += length
    return best[1]


def rounded_rectangle(x0, y0, x1, y1, radius, clockwise=False):
    """A closed loop of four lines and four quarter arcs."""
    r = radius
    corners = [((x1 - r, y0 + r), -math.pi / 2), ((x1 - r, y1 - r), 0.0), ((x0 + r, y1 - r), math.pi / 2),
               ((x0 + r, y0 + r), math.pi)]
    loop: list[Seg] = []
    for (cx, cy), a in corners:
        start = (cx + r * math.cos(a), cy + r * math.sin(a))
        end = (cx + r * math.cos(a + math.pi / 2), cy + r * math.sin(a + math.pi / 2))
        if loop:
            loop.append(Seg(loop[-1].end, start))
        loop.append(Seg(start, end, (cx, cy), math.pi / 2))
    loop.append(Seg(loop[-1].end, loop[0].start))
    if clockwise:
        loop = [Seg(s.end, s.start, s.center, -s.sweep) for s in reversed(loop)]
    return loop


def random_loops(rng):
    """Loops of every kind the planner cuts, with the awkward cases in them."""
    yield circle_loop((rng.uniform(-50, 50), rng.uniform(-50, 50)), rng.uniform(1, 40), rng.random() < 0.5)
    yield rounded_rectangle(-30, -20, 40, 25, rng.uniform(0.5, 10), rng.random() < 0.5)
    n = rng.randrange(3, 60)
    pts = [(40 * math.cos(2 * math.pi * k / n) + rng.uniform(-1, 1), 30 * math.sin(2 * math.pi * k / n))
           for k in range(n)]
    yield polygon_loop(pts + [pts[0]])
    # Arcs whose end sits a little off their circle, a piece of no length,
    # and pieces of equal length (so running sums land on round numbers).
    loop = rounded_rectangle(0, 0, 20, 20, 5)
    loop[1] = Seg(loop[1].start, (loop[1].end[0] + 1e-7, loop[1].end[1]), loop[1].center, loop[1].sweep)
    loop.insert(3, Seg(loop[2].end, loop[2].end))
    yield loop
    yield polygon_loop([(0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (0, 1), (0, 0)])
    # A circle in twenty arcs: every arc has the same circle, so a probe near
    # it is as near the circle of each and only the ends tell them apart.
    centre, radius, n = (rng.uniform(-5, 5), rng.uniform(-5, 5)), rng.uniform(5, 30), 20
    ends = [(centre[0] + radius * math.cos(2 * math.pi * k / n), centre[1] + radius * math.sin(2 * math.pi * k / n))
            for k in range(n)]
    yield [Seg(ends[k], ends[(k + 1) % n], centre, 2 * math.pi / n) for k in range(n)]


@pytest.mark.parametrize("seed", range(6))
def test_walk_and_rotate_give_the_pieces_a_piece_by_piece_walk_gives(seed):
    rng = random.Random(seed)
    compared = 0
    for loop in random_loops(rng):
        total = loop_length(loop)
        spots = [0.0, total, total / 2, total - 1e-10, 1e-10, *(rng.uniform(-total, 3 * total) for _ in range(20))]
        spots += [sum(s.length for s in loop[:k]) for k in range(len(loop))]  # exactly at piece ends
        for d0 in spots:
            for span in (1e-9, 0.5, rng.uniform(0, total), total, 2.5 * total):
                assert walk(loop, d0, d0 + span) == walk_reference(loop, d0, d0 + span)
                compared += 1
            expected = list(loop) if total - d0 % total <= 1e-9 or d0 % total <= 1e-9 else None
            got = rotate_to(loop, d0)
            if expected is not None:
                assert got == expected
            elif len(loop) == 1 and loop[0].center is not None:
                assert got[0].start == loop[0].point_at((d0 % total) / total)
            else:
                assert got == walk_reference(loop, d0 % total, d0 % total + total)
    assert compared > 500


@pytest.mark.parametrize("seed", range(6))
def test_closest_distance_ends_on_the_piece_a_piece_by_piece_search_ends_on(seed):
    rng = random.Random(100 + seed)
    for loop in random_loops(rng):
        starts = [s.start for s in loop]
        centres = [s.center for s in loop if s.center is not None]
        probes = [(rng.uniform(-60, 60), rng.uniform(-60, 60)) for _ in range(40)]
        # Ties: on the loop's own vertices, at arc centres (equally near the
        # whole arc), and just off vertices.
        probes += starts[:10] + centres[:6] + [(x + 1e-13, y) for x, y in starts[:5]]
        for p in probes:
            assert linking.closest_distance(loop, p) == closest_reference(loop, p)


def test_closest_distance_keeps_the_first_of_pieces_within_1e_12_of_each_other():
    # Three lines whose distances from p fall 0.6e-12 apart: the walk keeps the
    # first, as each later one is not nearer by more than 1e-12.
    p = (0.0, 0.0)
    loop = [Seg((-1.0, 1.0), (-0.5, 1.0)), Seg((-0.5, 1.0), (-0.5, 1.0 - 0.6e-12)),
            Seg((-0.5, 1.0 - 0.6e-12), (0.5, 1.0 - 1.2e-12)), Seg((0.5, 1.0 - 1.2e-12), (-1.0, 1.0))]
    assert linking.closest_distance(loop, p) == closest_reference(loop, p)


def test_segment_distances_are_the_floats_shapely_gives():
    rng = np.random.default_rng(7)
    pts = np.cumsum(rng.normal(size=(400, 2)) * rng.choice([1e-4, 1.0, 30.0], size=(400, 1)), axis=0)
    pts[10] = pts[11]  # a chord of no length
    starts, ends = pts[:-1], pts[1:]
    delta = ends - starts
    len2 = delta[:, 0] ** 2 + delta[:, 1] ** 2
    chords = np.vstack([starts.T, ends.T, delta.T, np.where(len2 > 0, len2, 1.0), np.sqrt(len2)])
    probes = pts[rng.integers(0, len(pts), 300)] + rng.normal(size=(300, 2)) * rng.choice([1e-9, 0.1, 10.0])
    for k in range(len(starts)):
        got = pocket._segment_distance(probes[:, 0], probes[:, 1], chords[:, [k] * len(probes)])
        want = shapely.distance(shapely.points(probes), LineString([starts[k], ends[k]]))
        assert np.array_equal(got, want), k
    # Broadcast, every probe against every chord: a row per probe, the same floats.
    table = pocket._segment_distance(probes[:, 0, None], probes[:, 1, None], chords)
    assert table.shape == (len(probes), len(starts))
    want = shapely.distance(shapely.points(probes)[:, None], shapely.linestrings(np.stack([starts, ends], axis=1)))
    assert np.array_equal(table, want)


def link_ok_reference(region, r, paths, a, b, ring_gap=0.0):
    """The rule as shapely answers it: within reach of every cut path, sampled and bisected the same way."""
    grown = region.buffer(1e-6, join_style="mitre")
    link = LineString([a, b]) if a != b else Point(a)
    if not grown.covers(link):
        return False
    reach = max(r * 1.002, ring_gap) + 1e-6
    lines = [LineString(np.vstack([np.asarray(path[0].start)[None, :], chord_points(path, r)])) for path in paths]
    box = (min(a[0], b[0]) - reach, min(a[1], b[1]) - reach, max(a[0], b[0]) + reach, max(a[1], b[1]) + reach)
    near = [g for g in (shapely.clip_by_rect(line, *box) for line in lines) if not g.is_empty]
    if not near:
        return False
    cut = shapely.GeometryCollection(near)
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    n = max(1, math.ceil(length / (25 * r / 100)))

    def dist(t):
        return shapely.distance(shapely.points(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t), cut)

    t = np.linspace(0.0, 1.0, n + 1)
    d = dist(t)
    lo, hi, d_lo, d_hi = t[:-1], t[1:], d[:-1], d[1:]
    while True:
        if np.any(d_lo > reach) or np.any(d_hi > reach):
            return False
        h = (hi - lo) * length
        open_ = (d_lo + d_hi + h) / 2 > reach
        if not open_.any() or h[open_].max() < r / 100:
            return True
        lo, hi, d_lo, d_hi = lo[open_], hi[open_], d_lo[open_], d_hi[open_]
        mid = (lo + hi) / 2
        d_mid = dist(mid)
        lo, hi = np.concatenate([lo, mid]), np.concatenate([mid, hi])
        d_lo, d_hi = np.concatenate([d_lo, d_mid]), np.concatenate([d_mid, d_hi])


def chord_points(path, r):
    """Every chord end along a path, one piece at a time."""
    out = []
    for s in path:
        if s.center is None:
            out.append((s.start[0] + (s.end[0] - s.start[0]), s.start[1] + (s.end[1] - s.start[1])))
            continue
        rho = s.radius
        piece = 2 * math.acos(max(-1.0, 1 - r / 2000 / rho)) if rho > 0 else math.pi
        n = max(2, math.ceil(abs(s.sweep) / piece))
        a0 = float(np.arctan2(s.start[1] - s.center[1], s.start[0] - s.center[0]))
        for k in range(1, n + 1):
            a = a0 + s.sweep * (k / n)
            out.append((s.center[0] + rho * float(np.cos(a)), s.center[1] + rho * float(np.sin(a))))
    return np.asarray(out)


@pytest.mark.parametrize("seed", range(3))
def test_link_checks_answer_as_shapely_distances_to_the_whole_cut_path_do(seed):
    rng = random.Random(200 + seed)
    r = 3.0
    region = Polygon([(-60, -45), (60, -45), (60, 45), (-60, 45)])
    clearing = pocket.PolygonClearing(region, r)
    paths = []
    answers = []
    for k, inset in enumerate((2.0, 6.5, 11.0, 15.5)):
        ring = rotate_to(rounded_rectangle(-55 + inset, -40 + inset, 55 - inset, 40 - inset, max(1.0, 8 - inset / 3)),
                         rng.uniform(0, 300))
        path = [*ring, Seg(ring[-1].end, (ring[-1].end[0] + 2.5, ring[-1].end[1] + 2.5))] if k % 2 else ring
        clearing.add(path)
        paths.append(path)
        for _ in range(60):
            seg = rng.choice(ring)
            a = seg.point_at(rng.random())
            if rng.random() < 0.5:  # a short hop, as between neighbouring rings
                b = (a[0] + rng.uniform(-5, 5), a[1] + rng.uniform(-5, 5))
            else:
                b = rng.choice(rng.choice(paths)).point_at(rng.random())
            if rng.random() < 0.1:
                b = a
            got = clearing.link_ok(a, b)
            assert got == link_ok_reference(region, r, paths, a, b), (a, b)
            answers.append(got)
    assert True in answers and False in answers


def test_a_piece_keeps_its_length_and_radius_without_changing_what_it_equals():
    arc = Seg((10.0, 0.0), (0.0, 10.0), (0.0, 0.0), math.pi / 2)
    assert arc.length == pytest.approx(10 * math.pi / 2)
    assert arc.length == arcs.length(arc.start, (0.0, 0.0), arc.sweep)
    assert arc.radius == 10.0
    arc.memo["anything"] = 1
    same = Seg((10.0, 0.0), (0.0, 10.0), (0.0, 0.0), math.pi / 2)
    assert arc == same and hash(arc) == hash(same) and same.memo == {}
    assert Seg((0.0, 0.0), (3.0, 4.0)).length == 5.0


def test_a_value_kept_once_is_worked_out_on_first_use_only_and_per_object():
    calls = []

    class Piece:
        def __init__(self, size):
            self.size = size

        @once
        def doubled(self):
            calls.append(self.size)
            return 2 * self.size

    a, b = Piece(3), Piece(5)
    assert calls == []
    assert (a.doubled, a.doubled, b.doubled, a.doubled) == (6, 6, 10, 6)
    assert calls == [3, 5]


@pytest.mark.parametrize("seed", range(2))
def test_short_links_from_where_the_last_path_ends_answer_as_the_measured_rule_does(seed):
    rng = random.Random(300 + seed)
    r = 3.0
    region = Polygon([(-60, -45), (60, -45), (60, 45), (-60, 45)])
    clearing = pocket.PolygonClearing(region, r)
    paths = []
    answers = []
    for inset in (14.0, 8.0):
        ring = rotate_to(rounded_rectangle(-55 + inset, -40 + inset, 55 - inset, 40 - inset, 4.0), rng.uniform(0, 250))
        clearing.add(ring)
        paths.append(ring)
        a = ring[-1].end
        for _ in range(80):
            # Around the reach, in every direction: into the cut ring, along it and out into stock.
            length = rng.choice([0.0, rng.uniform(0, 1.6 * r), r * 1.002, r * rng.uniform(1.0, 1.01)])
            angle = rng.uniform(0, 2 * math.pi)
            b = (a[0] + length * math.cos(angle), a[1] + length * math.sin(angle))
            got = clearing.link_ok(a, b)
            assert got == link_ok_reference(region, r, paths, a, b), (a, b, length)
            answers.append((got, length))
    assert any(ok for ok, length in answers if length > r)
    assert any(not ok for ok, length in answers if length > r)


def to_moves_reference(segs, z0, z1, feed):
    from chalicelib.rmos.cam.toolpath import Arc, Line
    total = sum(s.length for s in segs)
    moves = []
    done = 0.0
    for seg in segs:
        done += seg.length
        z = z1 if total <= 0 else z0 + (z1 - z0) * min(1.0, done / total)
        if seg is segs[-1]:
            z = z1
        x, y = seg.end
        if seg.center is None or seg.length < 1e-3:
            moves.append(Line(x, y, z, feed))
        else:
            moves.append(Arc(x, y, z, seg.center[0], seg.center[1], seg.sweep < 0, feed, seg.sweep))
    return moves


@pytest.mark.parametrize("seed", range(3))
def test_moves_along_pieces_ramp_z_by_length_and_end_every_appearance_of_the_last_piece_at_z1(seed):
    from chalicelib.rmos.cam.router.path2d import to_moves
    rng = random.Random(400 + seed)
    loop = rotate_to(rounded_rectangle(-20, -10, 20, 10, rng.uniform(0.5, 5)), rng.uniform(0, 100))
    tiny = Seg(loop[-1].end, loop[-1].end, (loop[-1].end[0] - 1, loop[-1].end[1]), 5e-4)  # an arc too short to print
    for segs in (loop, [*loop, tiny], [loop[0], *loop], [loop[-1], *loop], [Seg((1.0, 1.0), (1.0, 1.0))], []):
        for z0, z1 in ((0.0, -3.0), (-2.0, -2.0), (-0.0, -0.0), (-1.0, 0.5)):
            got = to_moves(segs, z0, z1, 900.0)
            want = to_moves_reference(segs, z0, z1, 900.0)
            assert got == want and [math.copysign(1, m.z) for m in got] == [math.copysign(1, m.z) for m in want]


@pytest.mark.parametrize("seed", range(2))
def test_links_may_span_the_gap_the_rings_themselves_leave_and_no_more(seed):
    """Rings fitted loosely come apart by a little more than the tool radius; a link between them stays down."""
    rng = random.Random(400 + seed)
    r = 3.0
    gap = 1.04 * r
    region = Polygon([(-60, -45), (60, -45), (60, 45), (-60, 45)])
    inner = rotate_to(rounded_rectangle(-30, -20, 30, 20, 5.0), rng.uniform(0, 150))
    loose = pocket.PolygonClearing(region, r, pocket.LevelMemo(region, r, gap))
    tight = pocket.PolygonClearing(region, r)
    for clearing in (loose, tight):
        clearing.add(inner)
    answers = {True: 0, False: 0}
    for _ in range(40):
        # Straight out from a point of a straight side of the cut ring, to the next ring out.
        side = rng.choice([s for s in inner if s.center is None])
        a = side.point_at(rng.uniform(0.1, 0.9))
        dx, dy = side.end[0] - side.start[0], side.end[1] - side.start[1]
        n = math.hypot(dx, dy)
        out = (dy / n, -dx / n)  # the loop runs anticlockwise: its outside is on the right
        for length in (0.99 * r, 1.03 * r, 1.06 * r):
            b = (a[0] + out[0] * length, a[1] + out[1] * length)
            got = loose.link_ok(a, b)
            assert got == link_ok_reference(region, r, [inner], a, b, gap), (a, b)
            assert got == (length <= gap)
            answers[got] += 1
            # Without the rings' gap the rule is the tool radius.
            assert tight.link_ok(a, b) == (length <= r)
    assert answers[True] and answers[False]
