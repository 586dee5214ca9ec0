"""Offsets of design outlines: the batched offsets are the one-at-a-time offsets, polygon for polygon."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from chalicelib.rmos.cam.router import shapes

# Two lobes joined by a neck 10 mm wide, an island in each lobe: offsets
# first go round both islands in one piece, then split at the neck, then
# lose the holes, then vanish.
LOBES = Polygon([(0, 0), (40, 0), (40, 15), (60, 15), (60, 0), (100, 0), (100, 40), (60, 40), (60, 25),
                 (40, 25), (40, 40), (0, 40)])
ISLANDS = unary_union([Point(20, 20).buffer(4, quad_segs=12),
                       Polygon([(75, 15), (85, 15), (85, 25), (75, 25)])])
DISTANCES = [0.5, 1.0, 2.0, 3.0, 4.5, 5.5, 7.0, 9.0, 12.0, 25.0]


def _one_at_a_time(boundary, islands, d, tol):
    """The inset as written out for a single distance with the plain shapely methods."""
    q = shapes.quad_segs_for(d, tol)
    radius = shapes.fillet_radius(d, tol)
    region = boundary.buffer(-d, join_style="mitre", mitre_limit=shapes.MITRE_LIMIT).union(
        boundary.buffer(-radius, quad_segs=q))
    if islands is not None:
        grown = islands.buffer(d, join_style="mitre", mitre_limit=shapes.MITRE_LIMIT).intersection(
            islands.buffer(radius, quad_segs=q))
        region = region.difference(grown)
    parts = [region] if isinstance(region, Polygon) else list(getattr(region, "geoms", []))
    return [orient(p, 1.0) for p in parts if isinstance(p, Polygon) and p.area > shapes.MIN_AREA_MM2]


def _same_to_the_bit(found, expected):
    assert len(found) == len(expected)
    for a, b in zip(found, expected):
        assert len(a.interiors) == len(b.interiors)
        for ra, rb in zip(shapes.rings(a), shapes.rings(b)):
            assert np.array_equal(shapely.get_coordinates(ra), shapely.get_coordinates(rb))


@pytest.mark.parametrize("islands", [ISLANDS, None])
@pytest.mark.parametrize("tol", [0.0025 / 8, 0.05])
def test_batched_insets_are_the_one_at_a_time_insets(islands, tol):
    found = shapes.insets(LOBES, islands, DISTANCES, tol)
    expected = [_one_at_a_time(LOBES, islands, d, tol) for d in DISTANCES]
    assert len(found) == len(DISTANCES)
    for got, want in zip(found, expected):
        _same_to_the_bit(got, want)
    # The case covers what the batching has to keep apart: several chord
    # counts, one piece and two, pieces with and without holes, nothing.
    assert len({shapes.quad_segs_for(d, tol) for d in DISTANCES}) > 2
    counts = [len(pieces) for pieces in found]
    assert 1 in counts and 2 in counts and counts[-1] == 0
    if islands is not None:
        assert any(p.interiors for p in found[0]) and not any(p.interiors for p in found[-2])
    for pieces in found:
        for p in pieces:
            assert p.exterior.is_ccw and all(not hole.is_ccw for hole in p.interiors)


def test_single_inset_and_batch_agree_whatever_the_order():
    shuffled = DISTANCES[::-1]
    batch = shapes.insets(LOBES, ISLANDS, shuffled, 0.01)
    for d, pieces in zip(shuffled, batch):
        _same_to_the_bit(pieces, shapes.inset(LOBES, ISLANDS, d, 0.01))
    assert shapes.insets(LOBES, ISLANDS, [], 0.01) == []


def test_safe_buffer_of_nothing_is_the_shape_itself_and_offsets_keep_their_bounds():
    assert shapes.safe_buffer(ISLANDS, 0.0) is ISLANDS
    tol = 0.001
    for d in (0.3, 2.0, 6.0):
        # Grown islands: every vertex at least d and at most d + tol away.
        grown = shapely.points(shapely.get_coordinates(shapes.grow(ISLANDS, d, tol)))
        dist = shapely.distance(grown, ISLANDS)
        assert dist.min() >= d - 1e-9 and dist.max() <= d + tol + 1e-9
        # Shrunk outline: no vertex nearer the wall than d.
        shrunk = shapely.points(shapely.get_coordinates(shapes.shrink(LOBES, d, tol)))
        assert shapely.distance(shrunk, LOBES.exterior).min() >= d - 1e-9


def _chord_distances(geom, walls):
    """Distance to `walls` of every vertex of `geom` and of every chord's middle (where a chord comes nearest)."""
    out = []
    for poly in shapes.polygons(geom):
        for ring in shapes.rings(poly):
            xy = shapely.get_coordinates(ring)
            out.append(shapely.distance(shapely.points(np.vstack([xy, (xy[1:] + xy[:-1]) / 2])), walls))
    return np.concatenate(out) if out else np.empty(0)


@pytest.mark.parametrize("islands", [ISLANDS, None])
def test_rough_insets_never_come_nearer_than_asked_and_stray_at_most_the_tolerance_further(islands):
    tol = 0.01
    walls = LOBES.exterior if islands is None else unary_union([LOBES.exterior, islands.boundary])
    exact = DISTANCES[:6]
    rough = shapes.rough_insets(LOBES, islands, exact, tol)
    careful = shapes.insets(LOBES, islands, exact, tol)
    assert [len(pieces) for pieces in rough] == [len(pieces) for pieces in careful]
    for d, pieces, reference in zip(exact, rough, careful):
        region = unary_union(pieces)
        # Never nearer a wall or island than d, at a vertex or along a chord,
        # and no vertex more than the tolerance further than that.
        found = _chord_distances(region, walls)
        assert found.min() >= d - 1e-9
        vertices = shapely.points(shapely.get_coordinates(region))
        assert shapely.distance(vertices, walls).max() <= d + tol + 1e-9
        # Inside the careful offset: it only gives up room, never adds it.
        assert region.within(unary_union(reference).buffer(1e-9))
    # What the cheaper offset gives up: along straight walls it stands off by
    # up to the tolerance, where the mitred offset is exact.
    straight = shapely.distance(shapely.points(shapely.get_coordinates(unary_union(rough[2]))), walls)
    assert straight.max() > exact[2] + tol / 10


def test_thinning_keeps_the_plain_douglas_peucker_result_when_it_is_a_valid_shape():
    wavy = Polygon([(50 + (40 + 0.01 * np.sin(7 * t)) * np.cos(t), 50 + (40 + 0.01 * np.sin(7 * t)) * np.sin(t))
                    for t in np.linspace(0, 2 * np.pi, 2000, endpoint=False)],
                   [[(50 + 5 * np.cos(t), 50 + 5 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 200, endpoint=False)]])
    thin = shapes.thinned(wavy, 0.05)
    assert thin.equals_exact(shapely.simplify(wavy, 0.05, preserve_topology=False), 0)
    assert len(thin.exterior.coords) < len(wavy.exterior.coords) / 4 and len(thin.interiors) == 1
    assert thin.hausdorff_distance(wavy) <= 0.05 + 1e-9


def test_thinning_falls_back_to_the_topology_keeping_simplifier_where_plain_thinning_breaks_the_shape():
    # A hole inside a low bump of the outline: plain thinning straightens the
    # bump and leaves the hole outside (an invalid polygon); a tiny hole
    # would be dropped altogether. Both keep their holes and stay valid.
    dent = Polygon([(0, 0), (50, 0), (50, 20), (26, 20), (25, 20.5), (24, 20), (0, 20)],
                   [[(24.8, 20.05), (25.2, 20.05), (25.0, 20.3)]])
    tiny = Polygon([(0, 0), (50, 0), (50, 20), (0, 20)], [[(10, 10), (10.01, 10), (10.005, 10.01)]])
    for shape, tol in ((dent, 1.0), (tiny, 0.1)):
        plain = shapely.simplify(shape, tol, preserve_topology=False)
        assert not plain.is_valid or len(plain.interiors) != len(shape.interiors)
        thin = shapes.thinned(shape, tol)
        assert thin.is_valid and len(thin.interiors) == len(shape.interiors)
        assert thin.equals_exact(shapely.simplify(shape, tol, preserve_topology=True), 0)
    # Shapes of several polygons are held to the same: none may be lost or merged.
    two = unary_union([dent, Polygon([(60, 0), (70, 0), (70, 10), (60, 10)])])
    assert shapes.thinned(two, 1.0).is_valid and len(shapes.polygons(shapes.thinned(two, 1.0))) == 2
