from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel

from chalicelib.contracts.fingerprint import canonical_json, fingerprint, is_fingerprint
from chalicelib.rmos.cam.units import LENGTH, MM_PER_INCH, scale_lengths


def test_fingerprint_ignores_key_order_int_float_and_noise():
    a = {"b": 1, "a": [1.0, 2.5, {"y": 0.1 + 0.2, "x": -0.0}]}
    b = {"a": [1, 2.5000000001, {"x": 0, "y": 0.3}], "b": 1.0}
    assert fingerprint(a) == fingerprint(b)
    assert is_fingerprint(fingerprint(a))
    assert canonical_json(a) == b'{"a":[1,2.5,{"x":0,"y":0.3}],"b":1}'


@pytest.mark.parametrize("change", [{"b": 2}, {"b": 1.000002}, {"b": "1"}, {"b": True}, {"c": None}])
def test_fingerprint_sees_real_changes(change):
    base = {"b": 1}
    assert fingerprint(base) != fingerprint({**base, **change})


def test_fingerprint_refuses_non_finite():
    with pytest.raises(ValueError):
        fingerprint({"x": float("nan")})


class Geometry(BaseModel):
    points: Annotated[list[tuple[float, float]], LENGTH]
    label: str = "g"


class Operation(BaseModel):
    geometry: Geometry
    depth_mm: Annotated[float, LENGTH]
    tab_height_mm: Annotated[float | None, LENGTH] = None
    count: int = 4
    stepover_pct: float = 40.0


def test_scale_lengths_converts_marked_fields_only_and_copies():
    op = Operation(geometry=Geometry(points=[(1, 2), (3, 4)]), depth_mm=0.25)
    mm = scale_lengths(op, MM_PER_INCH)
    assert mm.geometry.points == [(25.4, 50.8), (3 * 25.4, 4 * 25.4)]
    assert mm.depth_mm == pytest.approx(6.35)
    assert mm.tab_height_mm is None and mm.count == 4 and mm.stepover_pct == 40.0
    assert op.depth_mm == 0.25 and op.geometry.points == [(1, 2), (3, 4)]
