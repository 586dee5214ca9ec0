"""round_floats rounds every float as the stored copy and the fingerprint do, however deeply it is nested."""
from __future__ import annotations

import math
import random

import numpy as np

from chalicelib.contracts.fingerprint import FLOAT_DECIMALS, fingerprint, round_floats


def _one_by_one(value):
    """The rule, written plainly: each finite float is round(v, 6) + 0.0; nothing else changes."""
    if isinstance(value, float):
        return round(value, FLOAT_DECIMALS) + 0.0 if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: _one_by_one(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_one_by_one(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_one_by_one(v) for v in value)
    return value


def _identical(a, b) -> bool:
    """Equal, of the same types, with the same sign on zeros and NaN where NaN is."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


def test_odd_values_round_as_one_float_at_a_time():
    odd = [0.0, -0.0, 1e-7, -4e-7, 5e-7, 0.1234565, 2.5e-6, -1.0000005, math.inf, -math.inf, math.nan,
           1, True, None, "x", np.float64(1.23456789), np.float64(-1e-9)]
    payload = {"design": {"operation": {"points": [odd, [odd, tuple(odd)], [[1.0000004, -0.0], {"r": -1e-9}]],
                                        "depth_mm": 3.0000006}},
               "context": {"safe_z_mm": -0.0}, "note": tuple(odd)}
    rounded = round_floats(payload)
    assert _identical(rounded, _one_by_one(payload))
    assert rounded["design"]["operation"]["points"][2] == [[1.000000, 0.0], {"r": 0.0}]
    assert math.copysign(1.0, rounded["context"]["safe_z_mm"]) == 1.0
    assert type(rounded["design"]["operation"]["points"][0][15]) is np.float64


def test_many_points_round_as_one_float_at_a_time_and_hash_alike():
    rnd = random.Random(7)
    points = [[rnd.uniform(-1, 1) * 10 ** rnd.randint(-9, 4), rnd.choice([-0.0, 5e-7, -5e-7, rnd.random(), 3])]
              for _ in range(5000)]
    payload = {"points": points, "islands": [points[:50], points[50:80]]}
    rounded = round_floats(payload)
    assert _identical(rounded, _one_by_one(payload))
    assert fingerprint(rounded) == fingerprint(payload)
    assert rounded["points"] is not points and rounded["points"][0] is not points[0]


def test_points_with_few_decimals_round_as_one_float_at_a_time():
    """Long outlines take a quicker path when their values already have 6 decimals or fewer: same result."""
    rnd = random.Random(11)
    edges = [0.1, -0.0, 0.0, 164.9992, 1e-6, -1e-6, 5e-7, 1.5e-6, 0.1234565, 999_999_999.999999, 1e9, -1e9 - 0.5,
             2.0 ** 33 + 0.25, 1e15 + 0.5, 5e-324, -5e-324, 1e-300, math.inf, -math.inf, math.nan, 1.0000005,
             0.30000000000000004, 123456.1234567, -0.0000004]
    values = edges + [round(rnd.uniform(-1, 1) * 10 ** rnd.randint(-7, 12), rnd.randint(0, 9)) for _ in range(40_000)]
    points = [[values[i], values[-1 - i]] for i in range(len(values))]
    rounded = round_floats(points)
    assert _identical(rounded, _one_by_one(points))
    mixed = points[:200] + [[1.0, 2]] + points[200:400]  # an int among them: the general path, the same result
    assert _identical(round_floats(mixed), _one_by_one(mixed))
