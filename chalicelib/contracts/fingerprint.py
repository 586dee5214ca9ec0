"""Stable SHA-256 fingerprints of validated contract models.

The fingerprint is taken over the model's JSON form with keys sorted, compact
separators and every float rounded to 6 decimals, so key order, `1` vs `1.0`
and float noise below a micrometre never change it, and any real change does.
"""
from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from pydantic import BaseModel

FLOAT_DECIMALS = 6


def _normalise(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("non-finite numbers cannot be fingerprinted")
        rounded = round(float(value), FLOAT_DECIMALS)
        # 1 and 1.0 must hash alike; -0.0 and 0.0 too.
        return int(rounded) if rounded.is_integer() else rounded
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def round_floats(value: Any) -> Any:
    """`value` with every float rounded as the fingerprint and the stored copy round it.

    Floats stay floats (so strict models see the same types), -0.0 becomes 0.0.
    Validating this rather than the raw value means what was validated is what
    is stored and hashed, to the last digit.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            return value
        return round(value, FLOAT_DECIMALS) + 0.0
    if isinstance(value, dict):
        return {k: round_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        points = _round_points(value) if len(value) >= _MANY_POINTS else None
        return points if points is not None else [round_floats(v) for v in value]
    if isinstance(value, tuple):
        return tuple(round_floats(v) for v in value)
    return value


_MANY_POINTS = 64
# Below this magnitude a double is finer than a micrometre's millionth part
# (its spacing is under 1.2e-7), which the proof in _round_points needs.
_ROUND_EXACT_BELOW = 1e9


def _round_points(points: list[Any]) -> list[Any] | None:
    """round_floats of a long list of [x, y] pairs of plain floats; None for any other list.

    Most coordinates arrive with 6 decimals or fewer, and round() leaves those
    as they are: when n / 1e6 (n an integer, |x| < 1e9) gives back x exactly,
    x is the double nearest the 6-decimal number n / 1e6, which lies within
    6e-8 of x, so it is x's nearest 6-decimal number and round(x, 6) == x.
    numpy finds those pairs in one pass (it only picks them; every value kept
    is x itself, and every other pair is rounded by round() as before).
    """
    if not all(type(p) is list and len(p) == 2 and type(p[0]) is float and type(p[1]) is float for p in points):
        return None
    import numpy as np

    xy = np.array(points, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        kept = ((np.abs(xy) < _ROUND_EXACT_BELOW) & (np.rint(xy * 1e6) / 1e6 == xy)).all(axis=1).tolist()
    # + 0.0 turns -0.0 into 0.0, as the float branch of round_floats does.
    return [[x + 0.0, y + 0.0] if keep else [round_floats(x), round_floats(y)]
            for keep, (x, y) in zip(kept, points)]


def vanishing_floats(value: Any, path: str = "") -> list[str]:
    """Paths of nonzero floats that round to 0 at FLOAT_DECIMALS (they would be stored as 0)."""
    if isinstance(value, float):
        return [path] if value != 0 and math.isfinite(value) and round(value, FLOAT_DECIMALS) == 0 else []
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return []
    found: list[str] = []
    for key, child in items:
        found += vanishing_floats(child, f"{path}.{key}" if path else str(key))
    return found


def canonical_json(data: Any) -> bytes:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    return json.dumps(_normalise(data), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode("utf-8")


def fingerprint(data: Any) -> str:
    """sha256 hex (64 lowercase chars) of the canonical JSON of `data`."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def is_fingerprint(text: Any) -> bool:
    return isinstance(text, str) and len(text) == 64 and all(c in "0123456789abcdef" for c in text)
