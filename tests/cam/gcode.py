"""Small G-code text readers for tests: what a controller sees, line by line."""
from __future__ import annotations

import math
import re

MM_PER_INCH = 25.4
_WORD = re.compile(r"([A-Z])([-+]?\d*\.?\d+)")


def code_lines(text: str) -> list[str]:
    """Lines without comments, blank lines dropped."""
    out = []
    for line in text.splitlines():
        body = re.sub(r"\([^)]*\)", "", line).strip()
        if body:
            out.append(body)
    return out


def words(line: str) -> dict[str, float]:
    return {a: float(b) for a, b in _WORD.findall(line)}


def grbl_arc_errors(text: str) -> list[str]:
    """Arcs GRBL 1.1 would refuse: start/end radii differ by > 0.005 mm AND > 0.1 %."""
    scale = 1.0
    pos = [math.nan, math.nan, math.nan]
    bad = []
    for line in code_lines(text):
        w = words(line)
        g = {int(v) for k, v in _WORD.findall(line) if k == "G" and float(v).is_integer() for v in [float(v)]}
        if 20 in g:
            scale = MM_PER_INCH
        if 21 in g:
            scale = 1.0
        start = list(pos)
        for k, axis in enumerate("XYZ"):
            if axis in w:
                pos[k] = w[axis] * scale
        if g & {2, 3}:
            cx, cy = start[0] + w.get("I", 0) * scale, start[1] + w.get("J", 0) * scale
            r0 = math.hypot(start[0] - cx, start[1] - cy)
            r1 = math.hypot(pos[0] - cx, pos[1] - cy)
            if abs(r0 - r1) > 0.005 and abs(r0 - r1) > 0.001 * r0:
                bad.append(f"{line}: r0={r0:.6f} r1={r1:.6f}")
    return bad
