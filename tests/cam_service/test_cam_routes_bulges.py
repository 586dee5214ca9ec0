"""Bulged polylines through the HTTP routes: bad bulges named by field, good ones planned as arcs."""
from __future__ import annotations

import json
import math

import pytest

from tests.cam.truth import assert_cuts_within, assert_max_depth, disc, run_rs274

JSON = {"Content-Type": "application/json"}
BASE = "/api/rmos/cam"


def intent(geometry, **op):
    design = {"operation": "profile", "side": "inside", "depth_mm": 1.0, "geometry": geometry, **op}
    return {"mode": "router_3axis", "units": "mm", "design": design}


def post(client, path, body):
    return client.http.post(BASE + path, headers=JSON, body=json.dumps(body))


def square(**extra):
    return {"type": "polyline", "points": [[0, 0], [40, 0], [40, 30], [0, 30]], **extra}


@pytest.mark.parametrize("geometry, field, word", [
    (square(bulges=[0, 0.5, 0]), "design.geometry.bulges", "one per vertex"),
    (square(bulges=[0, "0.5", 0, 0]), "design.geometry.bulges.1", "number"),
    (square(bulges=[0, 0, 1e6, 0]), "design.geometry.bulges.2", "100"),
    (square(bulges=[0, 0, None, 0]), "design.geometry.bulges.2", "number"),
    ({"type": "polyline", "points": [[0, 0], [40, 0], [40, 30], [0, 0]], "bulges": [0, 0, 0, 0.3]},
     "design.geometry.bulges.3", "must be 0"),
    ({"type": "polyline", "points": [[-5, 0], [5, 0]]}, "design.geometry.points", "bulges"),
    (square(islands=[[[10, 10], [20, 10]]], island_bulges=[[1, 1, 0]]), "design.geometry.island_bulges.0",
     "one per vertex"),
    (square(islands=[[[10, 10], [20, 10]]], island_bulges=[]), "design.geometry.island_bulges", "per island"),
])
def test_bad_bulges_are_named_by_validate(cam_client, geometry, field, word):
    resp = post(cam_client, "/intents/validate", intent(geometry))
    assert resp.status_code == 200
    body = resp.json_body
    assert body["ok"] is False and body["normalized"] is None
    named = [i for i in body["issues"] if i["path"] == field]
    assert named, body["issues"]
    assert word in named[0]["message"]


def test_non_finite_bulge_is_named(cam_client):
    # JSON has no NaN; Python's encoder writes it anyway, as some clients do.
    resp = post(cam_client, "/intents/validate", intent(square(bulges=[0, math.nan, 0, 0])))
    assert resp.status_code in (200, 400, 422)
    issues = resp.json_body.get("issues") or resp.json_body.get("details")
    assert any((i.get("path") or i.get("field", "")).startswith("design.geometry.bulges") for i in issues), issues


def test_bulged_circle_validates_and_plans_to_arcs(cam_client, tmp_path):
    circle = {"type": "polyline", "points": [[-20, 0], [20, 0]], "bulges": [1, 1]}
    ok = post(cam_client, "/intents/validate", intent(circle))
    assert ok.status_code == 200 and ok.json_body["ok"] is True, ok.json_body
    assert ok.json_body["normalized"]["design"]["operations"][0]["geometry"]["bulges"] == [1, 1]
    planned = post(cam_client, "/plan", {**intent(circle), "tool_id": "em-1-8-2f", "options": {"post": "linuxcnc"}})
    assert planned.status_code == 200
    program = planned.json_body["program"]
    assert sum(line.startswith(("G2 ", "G3 ")) for line in program.splitlines()) >= 2
    canon = run_rs274(program, tmp_path)
    assert_max_depth(canon, 1.0)
    assert_cuts_within(canon, disc((0, 0), 20.0), 3.175 / 2)
