"""Cheap checks on the written program before it may be called a success.

They read the G-code *text* (what the controller will see), not the planner's
intent, so a bug anywhere upstream shows up here. A failed check raises
`SelfCheckFailed`: the job fails with the reason instead of shipping a
program that could break a bit or a top.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from chalicelib.rmos.cam import arcs
from chalicelib.rmos.cam.posts.base import ARC_RADIUS_TOLERANCE_MM, Dialect
from chalicelib.rmos.cam.toolpath import Issue, PlanningError
from chalicelib.rmos.cam.units import MM_PER_INCH

_WORD = re.compile(r"([A-Z])\s*([-+]?\d*\.?\d+)")
_EPS = 1e-3


class SelfCheckFailed(PlanningError):
    """The written program failed a safety check; nothing may be emitted."""


@dataclass
class _Motion:
    code: int  # 0, 1, 2, 3
    start: tuple[float, float, float]
    end: tuple[float, float, float]
    i: float = 0.0
    j: float = 0.0
    line_no: int = 0


_COMMENT = re.compile(r"\([^)]*\)")
_CODE_LETTERS = frozenset("GMT")


def _strip_comment(line: str) -> str:
    return _COMMENT.sub("", line).split(";")[0].strip().upper()


def _canonical(letter: str, number: str) -> str:
    value = float(number)
    text = f"{value:g}" if value != int(value) else str(int(value))
    return letter + text


def parse_motions(text: str) -> tuple[list[_Motion], list[list[str]], float]:
    """Motions in mm, each line's code words (G, M and T, canonical), and the unit scale found in the text."""
    scale = 1.0
    pos = [math.nan, math.nan, math.nan]
    motions: list[_Motion] = []
    words_per_line: list[list[str]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        body = _strip_comment(raw)
        pairs = _WORD.findall(body)
        line_codes = [_canonical(a, b) for a, b in pairs if a in _CODE_LETTERS]
        words_per_line.append(line_codes)
        codes = {c for c in line_codes if c[0] == "G"}
        if "G20" in codes:
            scale = MM_PER_INCH
        if "G21" in codes:
            scale = 1.0
        motion = next((int(c[1:]) for c in codes if c in ("G0", "G1", "G2", "G3")), None)
        if motion is None:
            continue
        values = {a: float(b) * scale for a, b in pairs if a in "XYZIJ"}
        start = tuple(pos)
        for k, axis in enumerate("XYZ"):
            if axis in values:
                pos[k] = values[axis]
        motions.append(_Motion(motion, start, tuple(pos), values.get("I", 0.0), values.get("J", 0.0), n))
    return motions, words_per_line, scale


def _motion_line(m: _Motion) -> list[tuple[float, float]]:
    """XY points along a motion; arcs sampled so chords stay within ~1 micron."""
    (x0, y0, _), (x1, y1, _) = m.start, m.end
    if m.code in (0, 1):
        return [(x0, y0), (x1, y1)]
    cx, cy = x0 + m.i, y0 + m.j
    r = math.hypot(m.i, m.j)
    swept = arcs.sweep((x0, y0), (x1, y1), (cx, cy), m.code == 2)
    step = 2 * math.sqrt(max(2 * r * 0.001, 1e-12))
    n = max(4, math.ceil(abs(swept) * r / step))
    return [arcs.point_at((x0, y0), (cx, cy), swept, k / n) for k in range(n + 1)]


def _inside_cleared(m: _Motion, earlier: list[_Motion], tool_radius: float) -> bool:
    """Is the tool's disc at the rapid's end inside material already cut to that depth?"""
    from shapely import union_all
    from shapely.geometry import LineString, Point

    x, y, z = m.end
    disc = Point(x, y).buffer(tool_radius * 0.98, quad_segs=32)
    swaths = []
    for c in earlier:
        if max(c.start[2], c.end[2]) > z + _EPS:
            continue
        line = LineString(_motion_line(c)) if c.start[:2] != c.end[:2] or c.code in (2, 3) else Point(c.end[:2])
        if line.distance(Point(x, y)) <= 2 * tool_radius:
            swaths.append(line.buffer(tool_radius, quad_segs=32))
    return bool(swaths) and union_all(swaths).buffer(1e-6).covers(disc)


def run_checks(text: str, *, dialect: Dialect, safe_z_mm: float, max_depth_mm: float,
               tool_radius_mm: float | None = None) -> list[dict]:
    """Every check with its outcome; raises SelfCheckFailed when any fails."""
    motions, words, _ = parse_motions(text)
    checks: list[dict] = []

    def check(cid: str, ok: bool, message: str) -> None:
        checks.append({"id": cid, "status": "pass" if ok else "fail", "message": message})

    cuts = [m for m in motions if m.code in (1, 2, 3)]
    check("non_empty", bool(cuts), f"{len(cuts)} cutting moves" if cuts else "the program cuts nothing")

    last = [ln.strip() for ln in text.splitlines() if ln.strip() and ln.strip() != "%"]
    check("ends_with_m30", bool(last) and last[-1] == "M30", "program ends with M30" if last and last[-1] == "M30"
          else f"last line is {last[-1] if last else 'missing'!r}, expected M30")

    first_spindle = next((n for n, ws in enumerate(words, 1) if "M3" in ws or "M4" in ws), None)
    first_cut = cuts[0].line_no if cuts else None
    ok = first_spindle is not None and (first_cut is None or first_spindle < first_cut)
    check("spindle_before_cut", ok, "spindle starts before the first cut" if ok
          else "a cutting move comes before the spindle is started")

    drilled: dict[tuple[float, float], float] = {}
    bad_rapid = None
    for m in motions:
        (x0, y0, z0), (x1, y1, z1) = m.start, m.end
        same_xy = math.isclose(x0, x1, abs_tol=1e-6) and math.isclose(y0, y1, abs_tol=1e-6) \
            or math.isnan(x0)
        if m.code != 0 and not math.isnan(x1):
            # Where a cut has been, and how deep: a rapid may later drop
            # straight down there (a drilled hole, the end of a finished ring).
            for px, py, pz in ((x0, y0, z0), (x1, y1, z1)):
                if not math.isnan(px):
                    key = (round(px, 3), round(py, 3))
                    drilled[key] = min(drilled.get(key, math.inf), pz)
        if m.code != 0:
            continue
        if not same_xy and (min(z0, z1) < safe_z_mm - _EPS):
            bad_rapid = f"line {m.line_no}: rapid sideways at Z {min(z0, z1):.3f} mm, below safe Z {safe_z_mm:g}"
            break
        if z1 < -_EPS and z1 < z0:
            floor = drilled.get((round(x1, 3), round(y1, 3)), math.inf)
            if z1 < floor - _EPS and not (tool_radius_mm and _inside_cleared(
                    m, [c for c in motions[:motions.index(m)] if c.code != 0 and not math.isnan(c.start[0])],
                    tool_radius_mm)):
                bad_rapid = f"line {m.line_no}: rapid down into material to Z {z1:.3f} mm"
                break
    check("no_rapid_into_material", bad_rapid is None, bad_rapid or "rapids stay above the stock or in cut holes")

    zs = [m.end[2] for m in motions if not math.isnan(m.end[2])]
    deepest = min(zs) if zs else 0.0
    ok = deepest >= -max_depth_mm - _EPS
    check("max_depth", ok, f"deepest Z {deepest:.4f} mm; deepest requested {max_depth_mm:g} mm" if ok
          else f"cuts to Z {deepest:.4f} mm, deeper than the requested {max_depth_mm:g} mm")

    worst = 0.0
    for m in motions:
        if m.code in (2, 3):
            cx, cy = m.start[0] + m.i, m.start[1] + m.j
            r0 = math.hypot(m.i, m.j)
            r1 = math.hypot(m.end[0] - cx, m.end[1] - cy)
            worst = max(worst, abs(r0 - r1))
    ok = worst <= ARC_RADIUS_TOLERANCE_MM + 1e-9
    check("arc_radii", ok, f"largest arc radius mismatch {worst:.5f} mm")

    if dialect.forbidden_chars.strip("()") or dialect.forbidden_words:
        bad_bytes = sorted({ch for ch in text if ord(ch) > 126 or (ord(ch) < 32 and ch != "\n")
                            or ch in dialect.forbidden_chars.replace("(", "").replace(")", "")})
        forbidden = set(dialect.forbidden_words)
        bad_words = sorted({w for ws in words for w in ws if w in forbidden})
        ok = not bad_bytes and not bad_words
        check(f"{dialect.name}_safe_text", ok, f"only ASCII and words {dialect.name} accepts" if ok
              else f"forbidden for {dialect.name}: {bad_bytes + bad_words}")

    failed = [c for c in checks if c["status"] == "fail"]
    if failed:
        raise SelfCheckFailed([Issue("selfcheck_failed", c["message"], f"program.{c['id']}") for c in failed])
    return checks
