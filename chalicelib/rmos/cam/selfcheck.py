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
from typing import Callable

from chalicelib.contracts.report import CheckResult
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
        start = (pos[0], pos[1], pos[2])
        for k, axis in enumerate("XYZ"):
            if axis in values:
                pos[k] = values[axis]
        motions.append(_Motion(motion, start, (pos[0], pos[1], pos[2]), values.get("I", 0.0), values.get("J", 0.0), n))
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


class _Rapids:
    """Follows the program once: where cuts have reached, and the first rapid that is not safe."""

    def __init__(self, safe_z_mm: float, tool_radius_mm: float | None) -> None:
        self.safe_z = safe_z_mm
        self.tool_radius = tool_radius_mm
        # Where a cut has been, and how deep: a rapid may later drop straight
        # down there (a drilled hole, the end of a finished ring).
        self.floor: dict[tuple[float, float], float] = {}
        self.cuts: list[_Motion] = []
        self.bad: str | None = None

    def see(self, m: _Motion) -> None:
        if self.bad is not None:
            return
        if m.code != 0:
            self._cut(m)
        else:
            self.bad = self._rapid(m)

    def _cut(self, m: _Motion) -> None:
        if not math.isnan(m.end[0]):
            for px, py, pz in (m.start, m.end):
                if not math.isnan(px):
                    key = (round(px, 3), round(py, 3))
                    self.floor[key] = min(self.floor.get(key, math.inf), pz)
        if not math.isnan(m.start[0]):
            self.cuts.append(m)

    def _rapid(self, m: _Motion) -> str | None:
        (x0, y0, z0), (x1, y1, z1) = m.start, m.end
        same_xy = math.isclose(x0, x1, abs_tol=1e-6) and math.isclose(y0, y1, abs_tol=1e-6) or math.isnan(x0)
        if not same_xy and min(z0, z1) < self.safe_z - _EPS:
            return f"line {m.line_no}: rapid sideways at Z {min(z0, z1):.3f} mm, below safe Z {self.safe_z:g}"
        if z1 < -_EPS and z1 < z0:
            floor = self.floor.get((round(x1, 3), round(y1, 3)), math.inf)
            if z1 < floor - _EPS and not (self.tool_radius and _inside_cleared(m, self.cuts, self.tool_radius)):
                return f"line {m.line_no}: rapid down into material to Z {z1:.3f} mm"
        return None


@dataclass
class _Program:
    """What the checks read: the text, and figures gathered in one pass over its motions."""

    text: str
    words: list[list[str]]
    dialect: Dialect
    max_depth_mm: float
    cuts: int = 0
    first_cut_line: int | None = None
    deepest: float = math.inf
    worst_arc_mm: float = 0.0
    bad_rapid: str | None = None


def _scan(text: str, dialect: Dialect, safe_z_mm: float, max_depth_mm: float,
          tool_radius_mm: float | None) -> _Program:
    motions, words, _ = parse_motions(text)
    prog = _Program(text, words, dialect, max_depth_mm)
    rapids = _Rapids(safe_z_mm, tool_radius_mm)
    for m in motions:
        if m.code != 0:
            prog.cuts += 1
            if prog.first_cut_line is None:
                prog.first_cut_line = m.line_no
        if not math.isnan(m.end[2]):
            prog.deepest = min(prog.deepest, m.end[2])
        if m.code in (2, 3):
            cx, cy = m.start[0] + m.i, m.start[1] + m.j
            mismatch = abs(math.hypot(m.i, m.j) - math.hypot(m.end[0] - cx, m.end[1] - cy))
            prog.worst_arc_mm = max(prog.worst_arc_mm, mismatch)
        rapids.see(m)
    prog.bad_rapid = rapids.bad
    if prog.deepest == math.inf:
        prog.deepest = 0.0
    return prog


Outcome = tuple[bool, str]


def _non_empty(p: _Program) -> Outcome:
    return bool(p.cuts), f"{p.cuts} cutting moves" if p.cuts else "the program cuts nothing"


def _ends_with_m30(p: _Program) -> Outcome:
    last = next((s for s in (ln.strip() for ln in reversed(p.text.splitlines())) if s and s != "%"), None)
    ok = last == "M30"
    return ok, "program ends with M30" if ok else f"last line is {last if last else 'missing'!r}, expected M30"


def _spindle_before_cut(p: _Program) -> Outcome:
    first_spindle = next((n for n, ws in enumerate(p.words, 1) if "M3" in ws or "M4" in ws), None)
    ok = first_spindle is not None and (p.first_cut_line is None or first_spindle < p.first_cut_line)
    return ok, "spindle starts before the first cut" if ok else "a cutting move comes before the spindle is started"


def _no_rapid_into_material(p: _Program) -> Outcome:
    return p.bad_rapid is None, p.bad_rapid or "rapids stay above the stock or in cut holes"


def _max_depth(p: _Program) -> Outcome:
    ok = p.deepest >= -p.max_depth_mm - _EPS
    return ok, (f"deepest Z {p.deepest:.4f} mm; deepest requested {p.max_depth_mm:g} mm" if ok
                else f"cuts to Z {p.deepest:.4f} mm, deeper than the requested {p.max_depth_mm:g} mm")


def _arc_radii(p: _Program) -> Outcome:
    return p.worst_arc_mm <= ARC_RADIUS_TOLERANCE_MM + 1e-9, f"largest arc radius mismatch {p.worst_arc_mm:.5f} mm"


def _safe_text(p: _Program) -> Outcome:
    d = p.dialect
    # Outside printable ASCII (newlines aside), or a character the dialect forbids.
    extra = re.escape(d.forbidden_chars.replace("(", "").replace(")", ""))
    pattern = r"[^\n\x20-\x7e]" + (f"|[{extra}]" if extra else "")
    bad_bytes = sorted(set(re.findall(pattern, p.text)))
    forbidden = set(d.forbidden_words)
    bad_words = sorted({w for ws in p.words for w in ws if w in forbidden})
    ok = not bad_bytes and not bad_words
    return ok, f"only ASCII and words {d.name} accepts" if ok else f"forbidden for {d.name}: {bad_bytes + bad_words}"


def _has_text_rules(d: Dialect) -> bool:
    return bool(d.forbidden_chars.strip("()") or d.forbidden_words)


def _always(d: Dialect) -> bool:
    return True


@dataclass(frozen=True)
class _Rule:
    id: str  # "{dialect}" stands for the dialect's name
    check: Callable[[_Program], Outcome]
    applies: Callable[[Dialect], bool] = _always


# In the order report.json lists them.
RULES = [
    _Rule("non_empty", _non_empty),
    _Rule("ends_with_m30", _ends_with_m30),
    _Rule("spindle_before_cut", _spindle_before_cut),
    _Rule("no_rapid_into_material", _no_rapid_into_material),
    _Rule("max_depth", _max_depth),
    _Rule("arc_radii", _arc_radii),
    _Rule("{dialect}_safe_text", _safe_text, _has_text_rules),
]


def run_checks(text: str, *, dialect: Dialect, safe_z_mm: float, max_depth_mm: float,
               tool_radius_mm: float | None = None) -> list[CheckResult]:
    """Every check with its outcome; raises SelfCheckFailed when any fails."""
    prog = _scan(text, dialect, safe_z_mm, max_depth_mm, tool_radius_mm)
    checks = []
    for rule in RULES:
        if rule.applies(dialect):
            ok, message = rule.check(prog)
            checks.append(CheckResult(id=rule.id.format(dialect=dialect.name), status="pass" if ok else "fail",
                                      message=message))
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        raise SelfCheckFailed([Issue("selfcheck_failed", c.message, f"program.{c.id}") for c in failed])
    return checks
