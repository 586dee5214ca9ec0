"""Circle and annulus pockets: exact arcs, even spacing, radial links, climb, compactness."""
from __future__ import annotations

import math

import pytest
from shapely.geometry import Point

from chalicelib.rmos.cam.toolpath import Arc, Line, PlanningError, Rapid
from tests.cam.router.pathcheck import cut_steps, descends_within, steps, swept_area, z_levels
from tests.cam.router.support import cut_params, plan

TOOL_1_16 = 1.5875


def annulus(inner, outer, depth, center=(0, 0), **extra):
    return {"operation": "pocket", "depth_mm": depth, **extra,
            "geometry": {"type": "annulus", "center": list(center), "inner_radius_mm": inner,
                         "outer_radius_mm": outer}}


def rosette_params(**kw):
    return cut_params(tool=TOOL_1_16, stepover_pct=40, stepdown=0.8, **kw)


def flat_laps(moves, center=(0, 0)):
    """(radius, z, clockwise) of every full flat circle."""
    out = []
    for s in steps(moves):
        m = s.move
        if isinstance(m, Arc) and math.dist(s.start, s.end) < 1e-9:
            out.append((math.hypot(m.x - center[0], m.y - center[1]), m.z, m.clockwise))
    return out


def test_rosette_rings_are_exact_evenly_spaced_circles():
    params = rosette_params()
    section = plan(annulus(50.0, 59.0, 1.6, center=(10, -5)), params)[0]
    r = params.tool_radius_mm
    laps = flat_laps(section.moves, center=(10, -5))
    assert z_levels(section.moves) == pytest.approx([-0.8, -1.6])
    for z in (-0.8, -1.6):
        radii = sorted(rho for rho, lz, _ in laps if lz == pytest.approx(z))
        assert radii[0] == pytest.approx(50 + r) and radii[-1] == pytest.approx(59 - r)
        gaps = [b - a for a, b in zip(radii, radii[1:])]
        assert max(gaps) <= params.stepover_mm + 1e-9
        assert max(gaps) - min(gaps) < 1e-9
    # Every arc is centred on the rosette: no polygon approximation anywhere.
    for m in section.moves:
        if isinstance(m, Arc):
            assert (m.cx, m.cy) == (10, -5)
    lines = [m for m in section.moves if isinstance(m, Line)]
    # Only radial links and the re-entry feed: at most one line per ring and level.
    assert len(lines) <= 2 * len(laps)


def test_climb_directions_and_one_retract_per_level():
    params = rosette_params()
    section = plan(annulus(50.0, 59.0, 1.6), params)[0]
    r = params.tool_radius_mm
    for rho, _, cw in flat_laps(section.moves):
        if abs(rho - (50 + r)) < 1e-9:
            assert cw, "inner wall is cut clockwise (climb)"
        else:
            assert not cw, "outer rings are cut counter-clockwise (climb)"
    retracts = [s for s in steps(section.moves) if isinstance(s.move, Rapid) and s.end[2] > s.start[2]]
    assert len(retracts) == 2
    conventional = plan(annulus(50.0, 59.0, 1.6), rosette_params(climb=False))[0]
    assert all(cw != (abs(rho - (50 + r)) < 1e-9) for rho, _, cw in flat_laps(conventional.moves))


def test_links_between_rings_are_radial_and_inside_the_cleared_band():
    params = rosette_params()
    section = plan(annulus(50.0, 59.0, 1.6), params)[0]
    r = params.tool_radius_mm
    for s in cut_steps(section.moves):
        if isinstance(s.move, Line) and s.start[:2] != s.end[:2]:
            a, b = math.hypot(*s.start[:2]), math.hypot(*s.end[:2])
            assert 50 + r - 1e-9 <= min(a, b) and max(a, b) <= 59 - r + 1e-9
            assert abs(b - a) <= r + 1e-9
            # Radial: the link points through the centre.
            cross = s.start[0] * s.end[1] - s.start[1] * s.end[0]
            assert abs(cross) < 1e-6


def test_entry_is_a_helix_along_the_first_circle_sinking_no_faster_than_plunge_feed():
    params = rosette_params()
    section = plan(annulus(50.0, 59.0, 1.6), params)[0]
    descending = [s for s in steps(section.moves) if s.is_cut and s.end[2] < s.start[2]]
    helices = [s for s in descending if isinstance(s.move, Arc)]
    assert helices
    assert all(descends_within(s, params.feed_mm_min, params.plunge_mm_min) for s in descending)
    # At a few degrees the helix runs at the cutting feed, not crawling at the plunge feed.
    assert all(s.move.feed == params.feed_mm_min for s in helices)
    for s in helices:
        drop = s.start[2] - s.end[2]
        length = abs(s.sweep()) * math.hypot(s.start[0], s.start[1])
        assert math.degrees(math.atan2(drop, length)) <= params.ramp_angle_deg + 1e-6


def test_channel_cleared_and_within_walls():
    params = rosette_params()
    section = plan(annulus(50.0, 59.0, 1.6), params)[0]
    cuts = cut_steps(section.moves)
    cleared = swept_area(cuts, params.tool_radius_mm, -1.6)
    channel = Point(0, 0).buffer(59.0, quad_segs=256).difference(Point(0, 0).buffer(50.0, quad_segs=256))
    assert channel.difference(cleared).buffer(-0.01).is_empty
    assert cleared.difference(channel).area < 0.05
    for s in cuts:
        for x, y, _ in s.xy_points(0.5):
            rho = math.hypot(x, y)
            assert 50 + params.tool_radius_mm - 1e-6 <= rho <= 59 - params.tool_radius_mm + 1e-6


def test_channel_one_tool_wide_and_too_narrow():
    params = rosette_params()
    section = plan(annulus(50.0, 50.0 + TOOL_1_16, 1.6), params)[0]
    laps = flat_laps(section.moves)
    assert [round(z, 6) for _, z, _ in laps] == [-0.8, -1.6]
    assert all(rho == pytest.approx(50 + TOOL_1_16 / 2) for rho, _, _ in laps)
    with pytest.raises(PlanningError) as caught:
        plan(annulus(50.0, 50.0 + TOOL_1_16 * 0.9, 1.6), params)
    assert caught.value.issues[0].code == "tool_too_large"
    assert caught.value.issues[0].path == "design.geometry"


def test_circle_pocket_clears_the_disc_including_the_centre():
    params = cut_params(tool=6.0, stepdown=3.0)
    design = {"operation": "pocket", "depth_mm": 3.0,
              "geometry": {"type": "circle", "center": [5, 5], "radius_mm": 20.0}}
    section = plan(design, params)[0]
    laps = flat_laps(section.moves, center=(5, 5))
    assert max(rho for rho, _, _ in laps) == pytest.approx(17.0)
    assert min(rho for rho, _, _ in laps) <= params.tool_radius_mm
    assert all(not cw for _, _, cw in laps)
    cleared = swept_area(cut_steps(section.moves), 3.0, -3.0)
    assert Point(5, 5).buffer(20.0, quad_segs=256).difference(cleared).buffer(-0.01).is_empty


def test_circle_the_size_of_the_tool_is_a_reported_plunge():
    params = cut_params(tool=6.0)
    design = {"operation": "pocket", "depth_mm": 4.0,
              "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 3.0}}
    section = plan(design, params)[0]
    assert any("plunge" in w for w in section.warnings)
    downs = [s for s in steps(section.moves) if s.is_cut and s.end[2] < s.start[2]]
    assert downs and all(s.move.feed <= params.plunge_mm_min for s in downs)
    with pytest.raises(PlanningError):
        plan({**design, "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 2.9}}, params)


def test_finish_allowance_cuts_both_walls_last():
    params = rosette_params()
    section = plan(annulus(50.0, 59.0, 0.8, finish_allowance_mm=0.2), params)[0]
    r = params.tool_radius_mm
    radii = [rho for rho, _, _ in flat_laps(section.moves)]
    assert radii[-2:] == pytest.approx([59 - r, 50 + r])
    rough = radii[:-2]
    assert min(rough) == pytest.approx(50 + r + 0.2) and max(rough) == pytest.approx(59 - r - 0.2)


def test_only_the_first_ring_of_each_level_counts_as_a_full_width_cut():
    params = rosette_params()
    section = plan(annulus(50.0, 59.0, 1.6), params)[0]
    first_ring = 2 * math.pi * (50.0 + params.tool_radius_mm)
    assert section.full_width_mm == pytest.approx(2 * first_ring, rel=1e-9)
    deeper = plan(annulus(50.0, 59.0, 2.4), params)[0]
    assert deeper.full_width_mm == pytest.approx(3 * first_ring, rel=1e-9)
