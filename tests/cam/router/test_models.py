from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from chalicelib.rmos.cam.router import RouterDesign
from chalicelib.rmos.cam.router.models import MAX_OPERATIONS, MAX_POLYLINE_POINTS, AnnulusGeometry, PocketOp
from chalicelib.rmos.cam.units import scale_lengths

SQUARE = {"type": "polyline", "points": [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]}


def errors(payload) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        RouterDesign.from_payload(payload)
    return {RouterDesign.issue_path(e["loc"]): e["msg"] for e in caught.value.errors()}


def test_single_operation_form_is_accepted():
    design = RouterDesign.from_payload({"operation": "pocket", "geometry": SQUARE, "depth_mm": 2.0})
    assert len(design.operations) == 1
    assert isinstance(design.operations[0], PocketOp)
    assert design.listed is False
    assert design.op_path(0, "geometry", "islands", 1) == "design.geometry.islands.1"


def test_list_form_keeps_the_index_in_paths():
    design = RouterDesign.from_payload({"operations": [
        {"operation": "drill", "holes": [[0, 0]], "depth_mm": 3},
        {"operation": "profile", "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 5},
         "side": "outside", "depth_mm": 3},
    ]})
    assert [op.operation for op in design.operations] == ["drill", "profile"]
    assert design.op_path(1, "tabs") == "design.operations.1.tabs"


def test_error_paths_drop_union_tags_and_follow_the_form():
    single = errors({"operation": "pocket", "geometry": {"type": "polyline", "points": [[0, 0], [1, "x"], [1, 1]]},
                     "depth_mm": 1})
    assert "design.geometry.points.1.1" in single
    listed = errors({"operations": [{"operation": "pocket", "geometry": SQUARE, "depth_mm": True}]})
    assert "design.operations.0.depth_mm" in listed


@pytest.mark.parametrize("bad, field", [
    ({"depth_mm": 0}, "design.depth_mm"),
    ({"depth_mm": -1}, "design.depth_mm"),
    ({"depth_mm": 150}, "design.depth_mm"),
    ({"depth_mm": math.inf}, "design.depth_mm"),
    ({"depth_mm": math.nan}, "design.depth_mm"),
    ({"depth_mm": "2"}, "design.depth_mm"),
    ({"tool_diameter_mm": 0}, "design.tool_diameter_mm"),
    ({"speed": 3}, "design.speed"),
])
def test_pocket_fields_are_strict(bad, field):
    payload = {"operation": "pocket", "geometry": SQUARE, "depth_mm": 2.0, **bad}
    assert field in errors(payload)


def test_annulus_inner_must_be_inside_outer():
    found = errors({"operation": "pocket", "depth_mm": 1,
                    "geometry": {"type": "annulus", "center": [0, 0], "inner_radius_mm": 60, "outer_radius_mm": 59}})
    assert "inner_radius_mm" in found["design.geometry.outer_radius_mm"]


@pytest.mark.parametrize("geometry, field", [
    ({"type": "circle", "center": [0, 0], "radius_mm": 0}, "design.geometry.radius_mm"),
    ({"type": "circle", "center": [0, math.inf], "radius_mm": 3}, "design.geometry.center.1"),
    ({"type": "annulus", "center": [0, 0], "inner_radius_mm": -1, "outer_radius_mm": 3},
     "design.geometry.inner_radius_mm"),
    ({"type": "polyline", "points": [[0, 0], [1, 1]]}, "design.geometry.points"),
    ({"type": "spline", "points": []}, "design.geometry"),
])
def test_geometry_is_validated(geometry, field):
    assert field in errors({"operation": "pocket", "geometry": geometry, "depth_mm": 1})


def test_a_200k_vertex_polyline_is_refused_naming_the_field():
    points = [[math.cos(t) * 50, math.sin(t) * 30] for t in (2 * math.pi * i / 200_000 for i in range(200_000))]
    found = errors({"operation": "pocket", "geometry": {"type": "polyline", "points": points}, "depth_mm": 1})
    assert "design.geometry.points" in found
    assert str(MAX_POLYLINE_POINTS) in found["design.geometry.points"].replace(",", "")


def test_too_many_operations():
    op = {"operation": "drill", "holes": [[0, 0]], "depth_mm": 1}
    assert "design.operations" in errors({"operations": [op] * (MAX_OPERATIONS + 1)})


def test_profile_and_drill_fields():
    found = errors({"operations": [
        {"operation": "profile", "geometry": SQUARE, "side": "left", "depth_mm": 1,
         "tabs": {"count": 0, "width_mm": 5, "height_mm": 1}},
        {"operation": "drill", "holes": [], "depth_mm": 1, "peck_mm": 0},
    ]})
    assert {"design.operations.0.side", "design.operations.0.tabs.count",
            "design.operations.1.holes", "design.operations.1.peck_mm"} <= set(found)


def test_unknown_operation_and_non_object():
    assert "design" in errors({"operation": "engrave"})
    assert "design" in errors([1, 2])
    assert "design.operations" in errors({"operations": []})


def test_inch_conversion_scales_lengths_only():
    design = RouterDesign.from_payload({"operations": [
        {"operation": "pocket", "depth_mm": 0.1, "tool_diameter_mm": 0.25, "finish_allowance_mm": 0.01,
         "geometry": {"type": "annulus", "center": [1, 2], "inner_radius_mm": 2, "outer_radius_mm": 2.5}},
        {"operation": "profile", "geometry": SQUARE, "side": "inside", "depth_mm": 0.125,
         "tabs": {"count": 4, "width_mm": 0.25, "height_mm": 0.05}},
        {"operation": "drill", "holes": [[1, 1]], "depth_mm": 0.5, "peck_mm": 0.1},
    ]})
    mm = scale_lengths(design, 25.4)
    pocket, profile, drill = mm.operations
    assert isinstance(pocket.geometry, AnnulusGeometry)
    assert pocket.geometry.center == pytest.approx((25.4, 50.8))
    assert pocket.geometry.outer_radius_mm == pytest.approx(63.5)
    assert pocket.depth_mm == pytest.approx(2.54)
    assert pocket.tool_diameter_mm == pytest.approx(6.35)
    assert pocket.finish_allowance_mm == pytest.approx(0.254)
    assert profile.tabs.count == 4
    assert profile.tabs.width_mm == pytest.approx(6.35)
    assert profile.geometry.points[1] == pytest.approx((254.0, 0.0))
    assert drill.peck_mm == pytest.approx(2.54)
    assert mm.listed is True
