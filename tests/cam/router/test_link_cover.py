"""The shortcuts inside a link check give the answer the measured rule gives.

`_covered` vouches for a link without sampling it (every point within
reach of some chord, by intervals along the link); it may only ever say yes
where the sampled rule says yes. `_chord_ends` works the ends of lines out
in plain floats; they must be the very floats the array form gives.
"""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

from chalicelib.rmos.cam.router import pocket
from chalicelib.rmos.cam.router.path2d import Seg, rotate_to
from tests.cam.router.test_link_geometry import chord_points, rounded_rectangle

R = 3.0
REACH = R * 1.002 + 1e-6


def chords_of(paths, r=R):
    """The chord rows `_within` measures against, for whole paths."""
    columns = []
    for path in paths:
        ends = chord_points(path, r)
        starts = np.vstack([np.asarray(path[0].start)[None, :], ends[:-1]])
        columns.append(np.vstack([starts.T, ends.T]))
    x0, y0, x1, y1 = np.hstack(columns)
    dx, dy = x1 - x0, y1 - y0
    len2 = dx * dx + dy * dy
    return np.vstack([x0, y0, x1, y1, dx, dy, np.where(len2 > 0, len2, 1.0), np.sqrt(len2)])


def sampled(a, b, chords, monkeypatch):
    """`_within` with the shortcut switched off: samples and bisection alone."""
    with monkeypatch.context() as m:
        m.setattr(pocket, "_covered", lambda *args: False)
        return pocket._within(a, b, chords, REACH, R / 100)


def covered(a, b, chords):
    return pocket._covered(a, b, chords, REACH - pocket.COVER_MARGIN)


@pytest.mark.parametrize("seed", range(3))
def test_a_link_is_vouched_for_only_where_the_sampled_rule_says_yes(seed, monkeypatch):
    rng = random.Random(500 + seed)
    # Ring spacings either side of twice the reach: some links cross gaps they may not.
    insets, inset = [], 2.0
    while inset < 30:
        insets.append(inset)
        inset += rng.choice([4.0, 5.5, 5.9, 6.1, 6.5])
    paths = [rotate_to(rounded_rectangle(-55 + i, -40 + i, 55 - i, 40 - i, max(1.0, 8 - i / 3)), rng.uniform(0, 300))
             for i in insets]
    chords = chords_of(paths)
    results = []
    for _ in range(150):
        a = rng.choice(rng.choice(paths)).point_at(rng.random())
        if rng.random() < 0.3:
            b = (a[0] + rng.uniform(-8, 8), a[1] + rng.uniform(-8, 8))
        else:
            b = rng.choice(rng.choice(paths)).point_at(rng.random())
        results.append((covered(a, b, chords), sampled(a, b, chords, monkeypatch)))
    assert all(yes for vouched, yes in results if vouched)
    # It decides nearly every link the rule allows, and the rule refuses some.
    allowed = [vouched for vouched, yes in results if yes]
    assert len(allowed) > 20 and sum(allowed) >= 0.9 * len(allowed)
    assert any(not yes for _, yes in results)


@pytest.mark.parametrize("gap, expected", [(2 * REACH - 0.01, True), (2 * REACH + 0.01, False)])
def test_a_link_across_two_cut_lines_is_covered_only_when_their_reaches_meet(gap, expected, monkeypatch):
    lines = [[Seg((-20.0, 0.0), (20.0, 0.0))], [Seg((-20.0, gap), (20.0, gap))]]
    chords = chords_of(lines)
    a, b = (1.0, 0.0), (1.0, gap)
    assert covered(a, b, chords) is expected
    assert sampled(a, b, chords, monkeypatch) is expected
    # Slanted, and running out past the lines' ends: not covered beyond the reach of their ends.
    assert covered((19.0, 0.0), (19.5, gap), chords) is expected
    assert covered((19.0, 0.0), (20.0 + REACH + 0.01, gap / 2), chords) is False
    assert covered((19.0, 0.0), (20.0 + REACH - 0.01, 0.0), chords) is True


def test_chords_of_no_length_and_links_along_a_chord_are_handled():
    # A path that stops and starts again in one place, and a link lying along the chord.
    path = [Seg((0.0, 0.0), (10.0, 0.0)), Seg((10.0, 0.0), (10.0, 0.0)), Seg((10.0, 0.0), (10.0, 5.0))]
    chords = chords_of([path])
    assert covered((0.0, 0.0), (10.0, 0.0), chords) is True
    assert covered((0.0, REACH - 1e-6), (10.0, REACH - 1e-6), chords) is True
    assert covered((0.0, REACH + 1e-6), (10.0, REACH + 1e-6), chords) is False
    assert covered((10.0, 5.0), (10.0, 5.0 + REACH + 0.1), chords) is False
    # A link of no length is left to the sampling.
    assert covered((1.0, 0.0), (1.0, 0.0), chords) is False
    assert covered((1.0, 0.0), (2.0, 0.0), np.empty((8, 0))) is False


@pytest.mark.parametrize("seed", range(2))
def test_chord_ends_are_the_floats_the_piece_by_piece_rule_gives(seed):
    rng = random.Random(600 + seed)
    loop = rotate_to(rounded_rectangle(-40.3, -25.1, 40.7, 25.9, rng.uniform(0.5, 6.0)), rng.uniform(0, 200))
    links = [Seg(s.start, (s.start[0] + rng.uniform(-3, 3), s.start[1] + rng.uniform(-3, 3))) for s in loop]
    for segs in (links, loop, [*links[:3], *loop, *links[3:6]], links[:1]):
        counts, ends = pocket._chord_ends(list(segs), R)
        assert ends.shape == (2, sum(counts)) and len(counts) == len(segs)
        assert np.array_equal(ends.T, chord_points(segs, R))
    assert math.isclose(pocket._chord_ends([Seg((0.0, 0.0), (1.0, 1.0))], R)[1][0, 0], 1.0)


def test_chord_parts_are_kept_per_piece_and_tool_radius_and_equal_a_fresh_batch(monkeypatch):
    loop = rotate_to(rounded_rectangle(-30.0, -20.0, 30.0, 20.0, 4.0), 17.0)
    batches = []
    real = pocket._chord_ends

    def counted(segs, r):
        batches.append(len(segs))
        return real(segs, r)

    monkeypatch.setattr(pocket, "_chord_ends", counted)
    first = pocket.chord_parts(loop, R)
    # Kept: asking again (in any grouping) works nothing out.
    again = pocket.chord_parts([*loop[3:], *loop[:3]], R)
    assert batches == [len(loop)]
    assert all(np.array_equal(x, y) for x, y in zip(first, [*again[-3:], *again[:-3]]))
    # Each piece's part is what that piece alone, worked out afresh, gives.
    for seg, part in zip(loop, first):
        assert np.array_equal(part, real([seg], R)[1])
    # Another tool radius is another answer; a new piece equal to a kept one is worked out for itself.
    other = pocket.chord_parts(loop, 2 * R)
    assert batches == [len(loop), len(loop)]
    assert any(x.shape != y.shape for x, y in zip(first, other))
    twin = Seg(loop[1].start, loop[1].end, loop[1].center, loop[1].sweep)
    assert np.array_equal(pocket.chord_parts([twin], R)[0], first[1]) and batches[-1] == 1
