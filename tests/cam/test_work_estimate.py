"""The one work estimate against real plans: within ACCURACY of the moves planned,
and cheap enough to run before every request."""
from __future__ import annotations

import math
import time

import pytest

from chalicelib.rmos.cam.prepare import estimate, prepare
from chalicelib.rmos.cam.router import plan_router
from chalicelib.rmos.cam.router.estimate import ACCURACY
from tests.cam import intents


def _square(side: float) -> list[list[float]]:
    return [[0, 0], [side, 0], [side, side], [0, side], [0, 0]]


def _ellipse(n: int, a: float = 40, b: float = 25) -> list[list[float]]:
    pts = [[a * math.cos(2 * math.pi * i / n), b * math.sin(2 * math.pi * i / n)] for i in range(n)]
    return pts + [pts[0]]


DESIGNS = {
    "circle": {"operation": "pocket", "depth_mm": 3, "geometry": {"type": "circle", "radius_mm": 30}},
    "annulus": {"operation": "pocket", "depth_mm": 2,
                "geometry": {"type": "annulus", "inner_radius_mm": 40, "outer_radius_mm": 55}},
    "square": {"operation": "pocket", "depth_mm": 4, "geometry": {"type": "polyline", "points": _square(40)}},
    "wide square": {"operation": "pocket", "depth_mm": 2, "geometry": {"type": "polyline", "points": _square(120)}},
    "200-gon": {"operation": "pocket", "depth_mm": 2, "geometry": {"type": "polyline", "points": _ellipse(200)}},
    "2000-gon": {"operation": "pocket", "depth_mm": 2, "geometry": {"type": "polyline", "points": _ellipse(2000)}},
    "island": {"operation": "pocket", "depth_mm": 2,
               "geometry": {"type": "polyline", "points": _square(60),
                            "islands": [[[20, 20], [40, 20], [40, 40], [20, 40]]]}},
    "profile": {"operation": "profile", "side": "outside", "depth_mm": 6,
                "geometry": {"type": "polyline", "points": _ellipse(300)}},
    "finished profile": {"operation": "profile", "side": "inside", "depth_mm": 6, "finishing_pass": True,
                         "geometry": {"type": "polyline", "points": _square(40)}},
    "circle profile": {"operation": "profile", "side": "outside", "depth_mm": 6,
                       "geometry": {"type": "circle", "radius_mm": 20}},
    "drill": {"operation": "drill", "holes": [[i * 5, j * 5] for i in range(10) for j in range(10)],
              "depth_mm": 6, "peck_mm": 1},
}


@pytest.mark.parametrize("name", list(DESIGNS))
def test_estimate_is_within_its_accuracy_of_the_planned_moves(name):
    prepared = prepare({"mode": "router_3axis", "tool_id": "em-1-8-2f", "context": {"stepdown_mm": 1.0},
                        "design": DESIGNS[name]})
    assert prepared.ok, prepared.issues
    found = estimate(prepared)
    assert prepared.norm is not None and prepared.setup is not None
    planned = sum(len(s.moves) for s in plan_router(prepared.norm.design, prepared.setup.cut))
    assert planned / ACCURACY <= found.moves <= planned * ACCURACY, (found, planned)
    assert found.seconds > 0


def test_saw_jobs_are_estimated_too():
    found = estimate(prepare(intents.saw()))
    assert found.moves > 0 and found.seconds > 0


def test_the_estimate_of_a_huge_job_is_cheap():
    pts = _ellipse(40_000, 5_000, 3_000)
    prepared = prepare({"mode": "router_3axis", "tool_id": "em-1-8-2f", "context": {"stepdown_mm": 0.05},
                        "design": {"operation": "pocket", "depth_mm": 100,
                                   "geometry": {"type": "polyline", "points": pts}}})
    assert prepared.ok, prepared.issues
    started = time.perf_counter()
    found = estimate(prepared)
    assert time.perf_counter() - started < 0.5
    assert found.moves > 10_000_000


def test_an_invalid_intent_is_no_work():
    found = estimate(prepare({"mode": "router_3axis", "design": {}}))
    assert (found.moves, found.seconds) == (0, 0.0)


def test_cli_refuses_a_job_past_the_job_limit_by_name(tmp_path, capsys):
    import json

    from luthier import cli

    intent = {"mode": "router_3axis", "tool_id": "em-1-8-2f", "context": {"stepover_pct": 1, "stepdown_mm": 0.05},
              "design": {"operation": "pocket", "depth_mm": 100, "geometry": {"type": "circle", "radius_mm": 250}}}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(intent))
    rc = cli.main(["plan", str(path), "-o", str(tmp_path / "p.nc")])
    assert rc == 2
    assert "error: too large: about" in capsys.readouterr().err
    assert not (tmp_path / "p.nc").exists()
