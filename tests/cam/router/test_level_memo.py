"""The depth levels of a pocket share what they work out alike, and get the answers working it out again gives.

A level memo keeps link answers (by the link and the very chords it was
measured against), loop turns (by the loop's very pieces and the point) and
distances (by the very geometry and the point). These tests hold each kept
answer to a fresh computation, make sure a different input never gets a kept
answer, and check that the memo is used and changes no program.
"""
from __future__ import annotations

import copy
import math
import random

import pytest
from shapely.geometry import LineString, Point, Polygon

from chalicelib.rmos.cam.pipeline import plan_intent
from chalicelib.rmos.cam.router import linking, pocket
from chalicelib.rmos.cam.router.path2d import Seg, rotate_to
from tests.cam import intents
from tests.cam.router.test_link_geometry import link_ok_reference, rounded_rectangle
from tests.cam.truth import run_rs274

REGION = Polygon([(-60, -45), (60, -45), (60, 45), (-60, 45)])
R = 3.0


def rings(rng, insets):
    """Rounded-rectangle laps, each turned to start somewhere else, with a link out of every other one."""
    paths = []
    for k, inset in enumerate(insets):
        ring = rotate_to(rounded_rectangle(-55 + inset, -40 + inset, 55 - inset, 40 - inset, max(1.0, 8 - inset / 3)),
                         rng.uniform(0, 300))
        paths.append([*ring, Seg(ring[-1].end, (ring[-1].end[0] + 2.5, ring[-1].end[1] + 2.5))] if k % 2 else ring)
    return paths


def probes(rng, paths, count):
    """Links from points on the cut path: short hops, long moves across, and moves of no length."""
    out = []
    for _ in range(count):
        a = rng.choice(rng.choice(paths)).point_at(rng.random())
        if rng.random() < 0.5:
            b = (a[0] + rng.uniform(-5, 5), a[1] + rng.uniform(-5, 5))
        else:
            b = rng.choice(rng.choice(paths)).point_at(rng.random())
        out.append((a, a if rng.random() < 0.1 else b))
    return out


def counting(monkeypatch, owner, name):
    """Count the calls of owner.name (the function itself still answers)."""
    calls = []
    real = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.mark.parametrize("seed", range(2))
def test_a_level_answers_links_from_the_memo_as_a_fresh_clearing_with_the_same_cut_path_does(seed, monkeypatch):
    rng = random.Random(400 + seed)
    paths = rings(rng, (2.0, 6.5, 11.0))
    links = probes(rng, paths, 150)
    memo = pocket.LevelMemo(REGION, R)
    measured = counting(monkeypatch, pocket, "_within")
    first, second = pocket.PolygonClearing(REGION, R, memo), pocket.PolygonClearing(REGION, R, memo)
    for path in paths:
        first.add(path)
        second.add(path)
    answers = [first.link_ok(a, b) for a, b in links]
    measured_first = len(measured)
    again = [second.link_ok(a, b) for a, b in links]
    # The second level measured nothing: every link came from the memo.
    assert measured_first > 20 and len(measured) == measured_first
    fresh = pocket.PolygonClearing(REGION, R)
    for path in paths:
        fresh.add(path)
    assert again == answers == [fresh.link_ok(a, b) for a, b in links]
    assert answers[:40] == [link_ok_reference(REGION, R, paths, a, b) for a, b in links[:40]]
    assert True in answers and False in answers


def test_a_link_measured_against_a_different_cut_path_is_measured_again():
    rng = random.Random(7)
    memo = pocket.LevelMemo(REGION, R)
    inner = rotate_to(rounded_rectangle(-40, -25, 40, 25, 5.0), 10.0)
    outer = rotate_to(rounded_rectangle(-44, -29, 44, 29, 5.0), 10.0)
    # Out from the inner lap to the outer one, across the band between them.
    links = [(inner[k].start, outer[k].start) for k in range(len(inner))] + probes(rng, [inner, outer], 60)
    cut_both = pocket.PolygonClearing(REGION, R, memo)
    cut_both.add(inner)
    cut_both.add(outer)
    both = [cut_both.link_ok(a, b) for a, b in links]
    # The next level has cut the inner lap only: the same links, less cleared round them.
    cut_inner = pocket.PolygonClearing(REGION, R, memo)
    cut_inner.add(inner)
    only_inner = [cut_inner.link_ok(a, b) for a, b in links]
    fresh = pocket.PolygonClearing(REGION, R)
    fresh.add(inner)
    assert only_inner == [fresh.link_ok(a, b) for a, b in links]
    assert only_inner == [link_ok_reference(REGION, R, [inner], a, b) for a, b in links]
    # Reusing the first level's answers would have been wrong for some links.
    assert any(x != y for x, y in zip(both, only_inner))


def test_a_level_that_cut_exactly_the_same_path_takes_the_answers_without_turning_it_into_chords(monkeypatch):
    rng = random.Random(11)
    paths = rings(rng, (2.0, 6.5, 11.0))
    links = probes(rng, paths, 80)
    memo = pocket.LevelMemo(REGION, R)
    first = pocket.PolygonClearing(REGION, R, memo)
    for path in paths:
        first.add(path)
    answers = [first.link_ok(a, b) for a, b in links]
    recorded = counting(monkeypatch, pocket.PolygonClearing, "_record_pending")
    measured = counting(monkeypatch, pocket.PolygonClearing, "_measured")
    same = pocket.PolygonClearing(REGION, R, memo)
    for path in paths:
        same.add(path)
    assert [same.link_ok(a, b) for a, b in links] == answers
    assert recorded == [] and measured == []
    assert True in answers and False in answers


@pytest.mark.parametrize("change", ["one bit of one sweep", "a zero's sign", "the same pieces in other paths"])
def test_a_path_that_differs_in_any_bit_or_in_how_it_was_recorded_is_measured_afresh(monkeypatch, change):
    rng = random.Random(12)
    inner, outer = rings(rng, (2.0, 6.5))
    y = inner[-1].end[1]

    def spur(zero):
        # Out to the line x = 0 and along it.
        return [Seg(inner[-1].end, (zero, y)), Seg((zero, y), (zero, y + 1.0))]

    memo = pocket.LevelMemo(REGION, R)
    first = pocket.PolygonClearing(REGION, R, memo)
    for path in (inner + spur(0.0), outer):
        first.add(path)
    links = probes(rng, [inner, outer], 30)
    answers = [first.link_ok(a, b) for a, b in links]
    changed = inner + spur(0.0)
    if change == "one bit of one sweep":
        arc = next(k for k, s in enumerate(changed) if s.center is not None)
        s = changed[arc]
        changed[arc] = Seg(s.start, s.end, s.center, math.nextafter(s.sweep, math.inf))
    elif change == "a zero's sign":
        changed = inner + spur(-0.0)
    measured = counting(monkeypatch, pocket.PolygonClearing, "_measured")
    again = pocket.PolygonClearing(REGION, R, memo)
    fresh = pocket.PolygonClearing(REGION, R)
    for clearing in (again, fresh):
        if change == "the same pieces in other paths":
            clearing.add(changed[:5])
            clearing.add(changed[5:])
        else:
            clearing.add(changed)
        clearing.add(outer)
    got = [again.link_ok(a, b) for a, b in links]
    # Every link was measured again (none taken from the first level)...
    assert len(measured) == len(links)
    # ...and answers as a clearing with no memo does.
    assert got == [fresh.link_ok(a, b) for a, b in links]
    assert len(got) == len(answers)


def test_a_memo_answers_for_its_own_region_and_tool_only():
    memo = pocket.LevelMemo(REGION, R)
    pocket.PolygonClearing(REGION, R, memo)
    with pytest.raises(ValueError):
        pocket.PolygonClearing(Polygon(REGION.exterior), R, memo)
    with pytest.raises(ValueError):
        pocket.PolygonClearing(REGION, R + 0.5, memo)


def test_a_loop_turn_is_kept_for_the_very_same_pieces_and_point_only(monkeypatch):
    memo = pocket.LevelMemo(REGION, R)
    turns = counting(monkeypatch, pocket, "start_nearest")
    loop = rounded_rectangle(-20, -10, 20, 10, 3.0)
    p = (30.0, 4.0)
    first = memo.turned(loop, p)
    assert first == linking.start_nearest(loop, p)
    again = memo.turned(loop, p)
    assert again == first and again is not first and len(turns) == 1
    # Another point, or the same point with a zero of the other sign: worked out again.
    assert memo.turned(loop, (30.0, 4.5)) == linking.start_nearest(loop, (30.0, 4.5))
    memo.turned(loop, (0.0, 12.0))
    memo.turned(loop, (-0.0, 12.0))
    assert len(turns) == 4
    # The same list holding other pieces is never taken for the loop it held.
    moved = rounded_rectangle(-20, -10, 25, 10, 3.0)
    loop[:] = moved
    assert memo.turned(loop, p) == linking.start_nearest(moved, p)
    assert len(turns) == 5
    # A new list of the very same pieces gives the same start.
    assert memo.turned(list(moved), p) == linking.start_nearest(moved, p)


def test_a_distance_is_kept_for_the_very_same_geometry_and_point_only():
    memo = pocket.LevelMemo(REGION, R)
    box = Polygon([(0, 0), (4, 0), (4, 3), (0, 3)])
    assert memo.distance(box, (7.0, 7.0)) == box.distance(Point(7.0, 7.0)) == 5.0
    assert memo.distance(box, (7.0, 7.0)) == 5.0
    other = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    assert memo.distance(other, (7.0, 7.0)) == other.distance(Point(7.0, 7.0))
    assert memo.distance(box, (4.0, 7.0)) == 4.0


def deep_pocket():
    """A pocket with an island, four levels deep."""
    intent = intents.pocket_with_island()
    intent["design"]["depth_mm"] = 6.0
    return intent


def plan_counting(monkeypatch, intent):
    """Plan `intent`, counting per level the loop turns and link measurements actually worked out."""
    levels: list[dict[str, int]] = []
    real_init = pocket.PolygonClearing.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        levels.append({"start_nearest": 0, "_within": 0})

    for name in ("start_nearest", "_within"):
        real = getattr(pocket, name)

        def counted(*args, _real=real, _name=name):
            levels[-1][_name] += 1
            return _real(*args)

        monkeypatch.setattr(pocket, name, counted)
    monkeypatch.setattr(pocket.PolygonClearing, "__init__", init)
    return plan_intent(copy.deepcopy(intent)), levels


def without_memo(monkeypatch):
    """Every question worked out afresh at every level (as before the memo)."""
    # Looked up in the planner's module when called, so a counting stand-in put there counts these too.
    monkeypatch.setattr(pocket.LevelMemo, "turned", lambda self, loop, p: vars(pocket)["start_nearest"](loop, p))
    monkeypatch.setattr(pocket.LevelMemo, "distance", lambda self, geom, p: float(geom.distance(Point(p))))

    class Forgetful(dict):
        def __setitem__(self, key, value):
            pass

    real_init = pocket.LevelMemo.__init__

    def init(self, *args):
        real_init(self, *args)
        self.links = Forgetful()
        self.links_after = Forgetful()

    monkeypatch.setattr(pocket.LevelMemo, "__init__", init)


@pytest.mark.rs274
def test_later_levels_take_the_turns_and_links_worked_out_above_and_the_program_is_unchanged(monkeypatch, tmp_path):
    with pytest.MonkeyPatch.context() as plain:
        without_memo(plain)
        reference, fresh_levels = plan_counting(plain, deep_pocket())
    result, levels = plan_counting(monkeypatch, deep_pocket())
    assert result.program == reference.program
    assert len(levels) == len(fresh_levels) == 4
    # Every level is cut from where the first began (a hop takes the tool
    # back there), so from the second level on the turns and links are the
    # first level's.
    assert levels[0] == fresh_levels[0]
    assert sum(level["start_nearest"] for level in levels[1:]) < sum(level["start_nearest"]
                                                                     for level in fresh_levels[1:]) / 2
    assert sum(level["_within"] for level in levels[1:]) < sum(level["_within"] for level in fresh_levels[1:])
    run_rs274(result.program, tmp_path)


def xy_by_level(program):
    """The moves in XY at each depth (G word, X, Y, I, J as written), by the depth they run at."""
    levels: dict[float, list[tuple[str, ...]]] = {}
    z = math.inf
    for line in program.splitlines():
        words = dict((w[0], w[1:]) for w in line.split() if w[0] in "GXYZIJ")
        z = float(words["Z"]) if "Z" in words else z
        if z < 0 and ("X" in words or "Y" in words):
            levels.setdefault(z, []).append((words.get("G", ""), words.get("X", ""), words.get("Y", ""),
                                             words.get("I", ""), words.get("J", "")))
    return levels


def test_every_level_cuts_the_same_laps_in_xy_with_and_without_the_memo(monkeypatch):
    """Levels 2..n: the XY path of each level, level by level, is the one worked out afresh."""
    with pytest.MonkeyPatch.context() as plain:
        without_memo(plain)
        reference = plan_intent(deep_pocket())
    result = plan_intent(deep_pocket())
    got, want = xy_by_level(result.program), xy_by_level(reference.program)
    assert len(got) >= 4 and got == want


def _level_paths(intent):
    # (Ramps and helices pass through depths of their own on the way down.)
    got = {z: moves for z, moves in xy_by_level(plan_intent(intent).program).items() if len(moves) > 20}
    return [got[z] for z in sorted(got, reverse=True)]


def test_each_level_cuts_the_first_levels_path_at_its_own_depth():
    from bench.cases import body_pocket

    # A hop takes the tool from the end of each level back to where the first began.
    levels = _level_paths(body_pocket(300).intent)
    assert len(levels) == 3
    for level in levels[1:]:
        # The first move or two write words the level above left modal.
        assert len(level) == len(levels[0]) and level[2:] == levels[0][2:]
    # Where going back would take a retract that starting nearest does not,
    # the second level starts nearest, and the levels under it follow it.
    levels = _level_paths(deep_pocket())
    assert len(levels) == 4 and levels[1][2:] != levels[0][2:]
    assert levels[2] == levels[1] and levels[3] == levels[1]


@pytest.mark.parametrize("rule", ["always back", "always nearest"])
def test_a_level_goes_back_to_the_first_levels_start_only_when_that_costs_no_extra_retract(monkeypatch, rule):
    """On a pocket round an island the rule retracts no more than either fixed choice."""
    deep = deep_pocket()

    def retracts(program):
        z, count = 0.0, 0
        for line in program.splitlines():
            words = dict((w[0], w[1:]) for w in line.split() if w[0] in "GZ")
            if "Z" in words:
                new = float(words["Z"])
                count += z < 0 <= new
                z = new
        return count

    chosen = retracts(plan_intent(copy.deepcopy(deep)).program)
    real = pocket._hops_to_first
    if rule == "always back":
        monkeypatch.setattr(pocket, "_hops_to_first", lambda b, root, start, *rest: start != pocket._xy(b))
    else:
        monkeypatch.setattr(pocket, "_hops_to_first", lambda b, root, start, *rest: start == pocket._xy(b))
    fixed = retracts(plan_intent(copy.deepcopy(deep)).program)
    assert real is not pocket._hops_to_first
    assert chosen <= fixed
    if rule == "always back":
        assert chosen < fixed, "going back regardless costs retracts on this pocket"


def test_a_link_is_in_the_region_when_the_region_grown_by_a_micron_covers_it_and_that_is_offset_only_if_needed():
    region = Polygon([(0, 0), (40, 0), (40, 10), (20, 10), (20, 30), (0, 30)])
    memo = pocket.LevelMemo(region, R)
    grown = region.buffer(1e-6, join_style="mitre")
    inside = [((5, 5), (35, 5)), ((5, 5), (5, 25)), ((2, 2), (2, 2))]
    assert all(memo.covers(LineString([a, b]) if a != b else Point(a)) for a, b in inside)
    assert memo._grown is None, "links the region covers need no offset of it"
    edge = [((0, 5), (0, 25)), ((0, -1e-7), (40, -1e-7)), ((40 + 5e-7, 2), (40 + 5e-7, 8))]
    outside = [((5, 5), (35, 25)), ((0, -2e-6), (40, -2e-6)), ((15, 15), (25, 15))]
    for a, b in edge + outside:
        link = LineString([a, b])
        assert memo.covers(link) == grown.covers(link), (a, b)
    assert [memo.covers(LineString(ab)) for ab in edge] == [True] * 3
    assert [memo.covers(LineString(ab)) for ab in outside] == [False] * 3
    assert memo._grown is not None
