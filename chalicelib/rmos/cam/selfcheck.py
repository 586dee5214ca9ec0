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


_COMMENT = re.compile(r"\([^)]*\)")
_CODE_LETTERS = frozenset("GMT")
_MOTION_CODES = {"G0": 0, "G1": 1, "G2": 2, "G3": 3}
_NUM = r"(-?\d+(?:\.\d+)?)"
# A motion line as the posts write it: upper case, no comment, one space before
# each word, the words in this order. Reading such a line directly gives what
# the general reader (_strip_comment, _WORD) would; any other line takes the
# general way.
_PLAIN_MOTION = re.compile(rf"G[0-3](?: X{_NUM})?(?: Y{_NUM})?(?: Z{_NUM})?(?: I{_NUM})?(?: J{_NUM})?"
                           rf"(?: F{_NUM})?")

XYZ = tuple[float, float, float]
# A motion in mm: (G code 0-3, start, end, I, J, line number).
Motion = tuple[int, XYZ, XYZ, float, float, int]


def _strip_comment(line: str) -> str:
    return _COMMENT.sub("", line).split(";")[0].strip().upper()


def _canonical(letter: str, number: str) -> str:
    value = float(number)
    text = f"{value:g}" if value != int(value) else str(int(value))
    return letter + text


class _Reader:
    """Reads any line the general way, and keeps what the lines so far have set or used:
    the units in force, the first spindle start, the forbidden code words (G, M, T).

    Axis words count only on a line with G0-G3, and G20/G21 rescale from their
    own line on.
    """

    def __init__(self, forbidden_words: tuple[str, ...]) -> None:
        self.scale = 1.0
        self.forbidden = frozenset(forbidden_words)
        self.first_spindle_line: int | None = None  # the first line with M3 or M4
        self.bad_words: set[str] = set()

    def general(self, n: int, raw: str) -> tuple[int, dict[str, float]] | None:
        """Any line: (motion code, axis values in mm) when it moves, else None."""
        pairs = _WORD.findall(_strip_comment(raw))
        line_codes = [_canonical(a, b) for a, b in pairs if a in _CODE_LETTERS]
        if not line_codes:
            return None
        codes = set(line_codes)
        self.bad_words |= codes & self.forbidden
        if ("M3" in codes or "M4" in codes) and self.first_spindle_line is None:
            self.first_spindle_line = n
        # Both on one line: G21 wins, whatever their order.
        if "G20" in codes:
            self.scale = MM_PER_INCH
        if "G21" in codes:
            self.scale = 1.0
        motion = next((_MOTION_CODES[c] for c in line_codes if c in _MOTION_CODES), None)
        if motion is None:
            return None
        scale = self.scale
        return motion, {a: float(b) * scale for a, b in pairs if a in "XYZIJ"}


# A plain motion line read: (G code, X, Y, Z as written or None, I, J as written or 0).
_Plain = tuple[int, float | None, float | None, float | None, float, float]


def _read_plain(raw: str) -> _Plain | None:
    """The line's words when it is a plain motion line, else None."""
    match = _PLAIN_MOTION.fullmatch(raw)
    if match is None:
        return None
    px, py, pz, pi, pj, _ = match.groups()
    return (ord(raw[1]) - 48, None if px is None else float(px), None if py is None else float(py),
            None if pz is None else float(pz), 0.0 if pi is None else float(pi), 0.0 if pj is None else float(pj))


def parse_motions(text: str, forbidden_words: tuple[str, ...] = ()) -> tuple[list[Motion], _Reader]:
    """Every motion in mm, and the reader with what it saw of code words and units."""
    return _parse_lines(text.splitlines(), forbidden_words)


def _parse_lines(lines: list[str], forbidden_words: tuple[str, ...]) -> tuple[list[Motion], _Reader]:
    reader = _Reader(forbidden_words)
    plain_codes = [f"G{k}" in reader.forbidden for k in range(4)]
    nan = math.nan
    x = y = z = nan
    end = (nan, nan, nan)  # each motion's end is the next one's start
    motions: list[Motion] = []
    append = motions.append
    # A pocket repeats its lines level after level: each distinct plain line is read once.
    seen: dict[str, _Plain] = {}
    for n, raw in enumerate(lines, start=1):
        start = end
        plain = seen.get(raw)
        if plain is None:
            plain = _read_plain(raw)
            if plain is not None:
                seen[raw] = plain
        if plain is not None:
            code, px, py, pz, pi, pj = plain
            if plain_codes[code]:
                reader.bad_words.add(raw[:2])
            scale = reader.scale
            if px is not None:
                x = px * scale
            if py is not None:
                y = py * scale
            if pz is not None:
                z = pz * scale
            end = (x, y, z)
            append((code, start, end, pi * scale, pj * scale, n))
            continue
        moved = reader.general(n, raw)
        if moved is not None:
            code, values = moved
            x, y, z = values.get("X", x), values.get("Y", y), values.get("Z", z)
            end = (x, y, z)
            append((code, start, end, values.get("I", 0.0), values.get("J", 0.0), n))
    return motions, reader


def _motion_line(m: Motion) -> list[tuple[float, float]]:
    """XY points along a motion; arcs sampled so chords stay within ~1 micron."""
    code, (x0, y0, _), (x1, y1, _), i, j, _ = m
    if code in (0, 1):
        return [(x0, y0), (x1, y1)]
    cx, cy = x0 + i, y0 + j
    r = math.hypot(i, j)
    swept = arcs.sweep((x0, y0), (x1, y1), (cx, cy), code == 2)
    step = 2 * math.sqrt(max(2 * r * 0.001, 1e-12))
    n = max(4, math.ceil(abs(swept) * r / step))
    return [arcs.point_at((x0, y0), (cx, cy), swept, k / n) for k in range(n + 1)]


def _inside_cleared(end: XYZ, earlier: list[Motion], tool_radius: float) -> bool:
    """Is the tool's disc at the rapid's end inside material already cut to that depth?"""
    from shapely import union_all
    from shapely.geometry import LineString, Point

    x, y, z = end
    disc = Point(x, y).buffer(tool_radius * 0.98, quad_segs=32)
    swaths = []
    for c in earlier:
        code, start, stop = c[0], c[1], c[2]
        if max(start[2], stop[2]) > z + _EPS:
            continue
        line = LineString(_motion_line(c)) if start[:2] != stop[:2] or code in (2, 3) else Point(stop[:2])
        if line.distance(Point(x, y)) <= 2 * tool_radius:
            swaths.append(line.buffer(tool_radius, quad_segs=32))
    return bool(swaths) and union_all(swaths).buffer(1e-6).covers(disc)


def _spot(x: float, y: float) -> str | None:
    """A point to the micron as a key: equal for two points exactly when round(v, 3) is on both axes.

    Printing to three decimals rounds as round() does (half to even on the
    exact binary value); -0 is folded into 0, and a point with an unknown
    axis (NaN) has no key, so it never matches.
    """
    if x != x or y != y:
        return None
    return ("%.3f %.3f" % (x, y)).replace("-0.000", "0.000")


class _Rapids:
    """Whether each rapid is safe after the cuts before it.

    Where cuts have been, and how deep, matters only to a rapid that goes down
    into the stock, which few programs have: `floor` is filled up to such a
    rapid when one comes, not cut by cut.
    """

    def __init__(self, motions: list[Motion], safe_z_mm: float, tool_radius_mm: float | None) -> None:
        self.motions = motions
        self.safe_z = safe_z_mm
        self.tool_radius = tool_radius_mm
        # The lowest Z a cut has reached at each point it started or ended at:
        # a rapid may drop straight down there (a drilled hole, the end of a
        # finished ring).
        self.floor: dict[str | None, float] = {}
        self.recorded = 0  # motions[:recorded] are in `floor`

    def check(self, k: int) -> str | None:
        """Why the rapid motions[k] is not safe, or None."""
        m = self.motions[k]
        (x0, y0, z0), (x1, y1, z1) = m[1], m[2]
        same_xy = math.isclose(x0, x1, abs_tol=1e-6) and math.isclose(y0, y1, abs_tol=1e-6) or math.isnan(x0)
        if not same_xy and min(z0, z1) < self.safe_z - _EPS:
            return f"line {m[5]}: rapid sideways at Z {min(z0, z1):.3f} mm, below safe Z {self.safe_z:g}"
        if z1 < -_EPS and z1 < z0:
            self._record_until(k)
            floor = self.floor.get(_spot(x1, y1), math.inf)
            if z1 < floor - _EPS and not (self.tool_radius and _inside_cleared(m[2], self._cuts_before(k),
                                                                                self.tool_radius)):
                return f"line {m[5]}: rapid down into material to Z {z1:.3f} mm"
        return None

    def _record_until(self, k: int) -> None:
        floor = self.floor
        for code, start, end, *_ in self.motions[self.recorded:k]:
            if code and not math.isnan(end[0]):
                for key, z in ((_spot(start[0], start[1]), start[2]), (_spot(end[0], end[1]), end[2])):
                    if key is not None:
                        floor[key] = min(floor.get(key, math.inf), z)
        self.recorded = k

    def _cuts_before(self, k: int) -> list[Motion]:
        return [m for m in self.motions[:k] if m[0] and not math.isnan(m[1][0])]


@dataclass
class _Program:
    """What the checks read: the text, and figures gathered in one pass over its motions."""

    text: str
    dialect: Dialect
    max_depth_mm: float
    first_spindle_line: int | None = None
    bad_words: frozenset[str] = frozenset()
    cuts: int = 0
    first_cut_line: int | None = None
    deepest: float = math.inf
    worst_arc_mm: float = 0.0
    bad_rapid: str | None = None
    last_line: str | None = None


def _scan(text: str, dialect: Dialect, safe_z_mm: float, max_depth_mm: float,
          tool_radius_mm: float | None) -> _Program:
    """One pass over the motions for every figure the checks read; rapids are followed up to the first bad one."""
    lines = text.splitlines()
    motions, reader = _parse_lines(lines, dialect.forbidden_words)
    rapids = _Rapids(motions, safe_z_mm, tool_radius_mm)
    bad_rapid: str | None = None
    cuts = 0
    first_cut_line = None
    deepest = math.inf
    worst_arc = 0.0
    hypot = math.hypot
    for k, (code, start, end, i, j, line_no) in enumerate(motions):
        if end[2] < deepest:  # NaN compares false: a motion before any Z is skipped
            deepest = end[2]
        if code == 0:
            if bad_rapid is None:
                bad_rapid = rapids.check(k)
            continue
        cuts += 1
        if first_cut_line is None:
            first_cut_line = line_no
        if code >= 2:
            cx, cy = start[0] + i, start[1] + j
            mismatch = abs(hypot(i, j) - hypot(end[0] - cx, end[1] - cy))
            if mismatch > worst_arc:  # a NaN (an arc before any position) leaves it as it is
                worst_arc = mismatch
    return _Program(text, dialect, max_depth_mm, reader.first_spindle_line, frozenset(reader.bad_words), cuts,
                    first_cut_line, 0.0 if deepest == math.inf else deepest, worst_arc, bad_rapid,
                    _last_line(lines))


Outcome = tuple[bool, str]


def _non_empty(p: _Program) -> Outcome:
    return bool(p.cuts), f"{p.cuts} cutting moves" if p.cuts else "the program cuts nothing"


def _last_line(lines: list[str]) -> str | None:
    """The last line with anything but blanks or "%" on it, stripped; None when there is none."""
    return next((s for s in (ln.strip() for ln in reversed(lines)) if s and s != "%"), None)


def _ends_with_m30(p: _Program) -> Outcome:
    last = p.last_line
    ok = last == "M30"
    return ok, "program ends with M30" if ok else f"last line is {last if last else 'missing'!r}, expected M30"


def _spindle_before_cut(p: _Program) -> Outcome:
    first_spindle = p.first_spindle_line
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
    extra_chars = d.forbidden_chars.replace("(", "").replace(")", "")
    text = p.text
    bad_bytes: list[str] = []
    # Most programs are clean: two quick scans say so before the pattern lists what is wrong.
    if not (text.isascii() and text.replace("\n", "").isprintable()) or any(c in text for c in extra_chars):
        extra = re.escape(extra_chars)
        pattern = r"[^\n\x20-\x7e]" + (f"|[{extra}]" if extra else "")
        bad_bytes = sorted(set(re.findall(pattern, text)))
    bad_words = sorted(p.bad_words)
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
