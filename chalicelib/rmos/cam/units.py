"""Lengths in design payloads, and their conversion to millimetres.

A field annotated with `LENGTH` holds lengths (or lengths per minute) only:
every number inside it, however nested, is scaled when an inch intent is
normalised. The models therefore say which fields are lengths; key names
do not matter (the frozen envelope keeps `_mm` keys even in inch intents).
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

MM_PER_INCH = 25.4


class _Length:
    def __repr__(self) -> str:
        return "LENGTH"


LENGTH = _Length()


def _scale_numbers(value: Any, factor: float) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value * factor
    if isinstance(value, tuple):
        return tuple(_scale_numbers(v, factor) for v in value)
    if isinstance(value, list):
        return [_scale_numbers(v, factor) for v in value]
    return value


def scale_lengths(obj: Any, factor: float) -> Any:
    """A copy of `obj` with every LENGTH field multiplied by `factor`."""
    if isinstance(obj, BaseModel):
        updates = {}
        for name, field in type(obj).model_fields.items():
            value = getattr(obj, name)
            if any(meta is LENGTH for meta in field.metadata):
                updates[name] = _scale_numbers(value, factor)
            elif isinstance(value, (BaseModel, list, tuple)):
                updates[name] = scale_lengths(value, factor)
        return obj.model_copy(update=updates)
    if isinstance(obj, list):
        return [scale_lengths(v, factor) for v in obj]
    if isinstance(obj, tuple):
        return tuple(scale_lengths(v, factor) for v in obj)
    return obj
