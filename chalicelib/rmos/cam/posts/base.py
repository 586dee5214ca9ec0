"""The shared G-code renderer; each post is a small `Dialect` table.

Rules every post follows (docs/posts.md):
- header comment, then G21|G20, G90, G17, G94 on their own lines;
- the first motion is a rapid to safe Z; the spindle starts (M3 S..) and
  dwells before the first cut, because routers with a VFD take seconds to
  reach speed and GRBL/LinuxCNC do not wait for it by themselves;
- sideways rapids only at or above safe Z (a combined rapid is split so the
  tool rises first and descends last);
- arcs as G2/G3 with incremental I/J computed from the *rounded* start and the
  *rounded* centre, so the radii the controller sees differ only by the
  rounding of the end point (far inside GRBL's 0.005 mm / 0.1 % limit);
- M5 and M30 at the end.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from chalicelib.rmos.cam.toolpath import Arc, Line, Program, Rapid, Section
from chalicelib.rmos.cam.units import MM_PER_INCH

# Radii seen by the controller may differ by at most this much (mm) before the
# post refuses to write the arc: a planner bug, never a rounding effect.
ARC_RADIUS_TOLERANCE_MM = 0.002
_EPS = 1e-6


class PostError(ValueError):
    """The program cannot be written safely for this controller."""


@dataclass(frozen=True)
class Dialect:
    name: str
    description: str
    # Characters that must never reach the controller, even inside comments.
    forbidden_chars: str = "()"
    # Words this controller refuses; the renderer never emits them, and the
    # self-check scans the text for them as well.
    forbidden_words: tuple[str, ...] = ()
    percent_wrap: bool = False
    # "pause": M5, a comment naming the tool, M0 (the operator swaps by hand).
    # "m6":    M5, T<n> M6 (the controller's own tool-change handling).
    tool_change: str = "pause"
    spindle_dwell_s: float = 3.0
    mm_decimals: int = 4
    inch_decimals: int = 5


# Letters and signs luthiers type that Unicode does not decompose to ASCII.
_TRANSLITERATE = str.maketrans({"Ø": "O", "ø": "o", "°": " deg", "×": "x", "–": "-", "—": "-",
                                "‘": "'", "’": "'", "“": '"', "”": '"', "ß": "ss", "Æ": "AE", "æ": "ae"})


def sanitize_comment(text: str, dialect: Dialect) -> str:
    """Plain printable ASCII without the dialect's forbidden characters."""
    flat = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    flat = flat.encode("ascii", "ignore").decode("ascii")
    out = []
    for ch in flat:
        if not 32 <= ord(ch) < 127 or ch in dialect.forbidden_chars:
            out.append(" ")
        else:
            out.append(ch)
    return " ".join("".join(out).split())[:120]


# What an arc leaves: its end's X and Y texts and numbers, and its "X.. Y.." and " I.. J.." words.
_ArcWords = tuple[str, str, tuple[float, float], str, str]


class _Writer:
    """Writes moves as text, remembering what the controller already holds.

    Positions are kept as the fixed-point text they print as (``-0`` folded
    into ``0``): two lengths print the same word exactly when they round to the
    same value, so comparing texts stands in for comparing rounded numbers and
    each coordinate is formatted once. ``float`` of that text is the rounded
    value itself, which the arc checks need.
    """

    def __init__(self, program: Program, dialect: Dialect) -> None:
        self.dialect = dialect
        self.inch = program.units == "inch"
        self.scale = 1 / MM_PER_INCH if self.inch else 1.0
        self.dp = dialect.inch_decimals if self.inch else dialect.mm_decimals
        self.fdp = 2 if self.inch else 1
        self.fixed = f"%.{self.dp}f"
        self.neg_zero = "-" + self.fixed % 0.0
        self.feed_fixed = f"%.{self.fdp}f"
        self.min_radius = 10 ** -self.dp
        self.radius_tolerance = ARC_RADIUS_TOLERANCE_MM * self.scale
        self.safe_z = program.safe_z_mm
        self.lines: list[str] = []
        # Output units at full precision, as printed before trimming.
        self.pos: list[str | None] = [None, None, None]
        self.pos_mm: list[float | None] = [None, None, None]
        # X and Y as numbers, float() of their texts, when an arc left them; None after any other move.
        self.held_xy: tuple[float, float] | None = None
        self.arcs_seen: dict[tuple[str, str, float, float, float, float], _ArcWords] = {}
        self.feed: str | None = None
        self.feed_mm: float | None = None

    # -- formatting ---------------------------------------------------------
    def text(self, value_mm: float) -> str:
        """A length in output units at full precision; equal texts mean equal rounded values."""
        t = self.fixed % (value_mm * self.scale)
        return t[1:] if t == self.neg_zero else t

    def num(self, value: float, dp: int | None = None) -> str:
        text = f"{value:.{self.dp if dp is None else dp}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text

    def comment(self, text: str) -> None:
        clean = sanitize_comment(text, self.dialect)
        if clean:
            self.lines.append(f"({clean})")

    def feed_word(self, feed_mm_min: float) -> str:
        if feed_mm_min == self.feed_mm:
            return ""
        self.feed_mm = feed_mm_min
        t = (self.feed_fixed % (feed_mm_min * self.scale)).rstrip("0").rstrip(".")
        word = "F" + ("0" if t == "-0" else t)
        if word == self.feed:
            return ""
        self.feed = word
        return " " + word

    # -- motion -------------------------------------------------------------
    def rapid_z(self, z: float) -> None:
        tz = self.text(z)
        if tz == self.pos[2]:
            return
        self.lines.append("G0 Z" + _trim(tz))
        self.pos[2] = tz
        self.pos_mm[2] = z

    def rapid(self, move: Rapid) -> None:
        self.held_xy = None
        tx, ty = self.text(move.x), self.text(move.y)
        px, py = self.pos[0], self.pos[1]
        if px is None or tx != px or ty != py:
            travel_z = max(self.safe_z, move.z)
            cur_z = self.pos_mm[2]
            if cur_z is None or cur_z < travel_z - _EPS:
                self.rapid_z(travel_z)
            # Z stays where rapid_z left it, so only X and Y can be new here.
            if px is None:
                self.lines.append(f"G0 X{_trim(tx)} Y{_trim(ty)}")
            elif tx != px:
                self.lines.append(f"G0 X{_trim(tx)} Y{_trim(ty)}" if ty != py else "G0 X" + _trim(tx))
            elif ty != py:
                self.lines.append("G0 Y" + _trim(ty))
            self.pos[0], self.pos[1] = tx, ty
        self.rapid_z(move.z)
        self.pos_mm[0], self.pos_mm[1], self.pos_mm[2] = move.x, move.y, move.z

    def _z_word(self, z: float) -> str:
        """The Z word (with its leading space) when z prints unlike the held Z, which it then becomes; else ""."""
        if z == self.pos_mm[2]:
            return ""
        self.pos_mm[2] = z
        tz = self.text(z)
        if tz == self.pos[2]:
            return ""
        self.pos[2] = tz
        return " Z" + _trim(tz)

    def line(self, move: Line) -> None:
        px, py = self.pos[0], self.pos[1]
        if px is None:
            raise PostError("a feed move before any positioning move")
        self.held_xy = None
        pos_mm = self.pos_mm
        words = ""
        if move.x != pos_mm[0]:
            pos_mm[0] = move.x
            tx = self.text(move.x)
            if tx != px:
                self.pos[0] = tx
                words = " X" + _trim(tx)
        if move.y != pos_mm[1]:
            pos_mm[1] = move.y
            ty = self.text(move.y)
            if ty != py:
                self.pos[1] = ty
                words += " Y" + _trim(ty)
        words += self._z_word(move.z)
        if words:
            self.lines.append("G1" + words + self.feed_word(move.feed))

    def arc(self, move: Arc) -> None:
        pos = self.pos
        px, py = pos[0], pos[1]
        if px is None or py is None:
            raise PostError("an arc before any positioning move")
        x, y, z, feed = move.x, move.y, move.z, move.feed
        # A pocket cuts the same arcs at every level: each distinct one (its
        # start as held, its end and centre) is worked out and checked once.
        key = (px, py, x, y, move.cx, move.cy)
        known = self.arcs_seen.get(key)
        if known is None:
            known = self.arcs_seen[key] = self._arc_words(px, py, move)
        tx, ty, held, xy_words, ij_words = known
        pos_mm = self.pos_mm
        # Most arcs keep Z and feed: skip the calls when they cannot print anything.
        z_word = "" if z == pos_mm[2] else self._z_word(z)
        f_word = "" if feed == self.feed_mm else self.feed_word(feed)
        self.lines.append(f"{'G2' if move.clockwise else 'G3'} {xy_words}{z_word}{ij_words}{f_word}")
        pos[0] = tx
        pos[1] = ty
        pos_mm[0] = x
        pos_mm[1] = y
        self.held_xy = held

    def _arc_words(self, px: str, py: str, move: Arc) -> _ArcWords:
        """(X text, Y text, (X, Y), "X.. Y..", " I.. J..") for an arc from the held (px, py); PostError if unsafe."""
        sx, sy = (float(px), float(py)) if self.held_xy is None else self.held_xy
        dp, scale, fixed, neg_zero = self.dp, self.scale, self.fixed, self.neg_zero
        cx, cy = round(move.cx * scale, dp), round(move.cy * scale, dp)
        tx, ty = fixed % (move.x * scale), fixed % (move.y * scale)
        if tx == neg_zero:
            tx = tx[1:]
        if ty == neg_zero:
            ty = ty[1:]
        ex, ey = float(tx), float(ty)
        # I and J are round(centre - start): printing the difference directly
        # rounds it the same way, and float() of that text is the rounded value.
        ti, tj = fixed % (cx - sx), fixed % (cy - sy)
        if ti == neg_zero:
            ti = ti[1:]
        if tj == neg_zero:
            tj = tj[1:]
        i, j = float(ti), float(tj)
        r0 = math.hypot(i, j)
        r1 = math.hypot(ex - cx, ey - cy)
        if r0 < self.min_radius:
            raise PostError(f"arc of zero radius at X{self.num(sx)} Y{self.num(sy)}")
        if abs(r0 - r1) > self.radius_tolerance:
            raise PostError(f"arc radii differ by {abs(r0 - r1):.5f} (start {r0:.5f}, end {r1:.5f}) "
                            f"at X{self.num(sx)} Y{self.num(sy)}")
        return (tx, ty, (ex, ey), f"X{_trim(tx)} Y{_trim(ty)}", f" I{_trim(ti)} J{_trim(tj)}")


def _trim(fixed: str) -> str:
    """The printed word for a fixed-point text with "-0" already folded: no trailing zeros or point."""
    return fixed.rstrip("0").rstrip(".")


def render(program: Program, dialect: Dialect, *, header: list[str] | None = None) -> str:
    """G-code text for `program` in `dialect`; raises PostError instead of writing a bad line."""
    w = _Writer(program, dialect)
    if dialect.percent_wrap:
        w.lines.append("%")
    w.comment(program.title or "Luthier CAM Bridge program")
    w.comment(f"post {dialect.name}, units {'inch' if w.inch else 'mm'}")
    for text in header or []:
        w.comment(text)
    w.lines += ["G20" if w.inch else "G21", "G90", "G17", "G94"]
    w.rapid_z(program.safe_z_mm)
    tooling = _Tooling()
    for section in program.sections:
        if section.moves:
            _section(w, section, tooling)
    w.rapid_z(max(program.safe_z_mm, w.pos_mm[2] or 0.0))
    w.lines += ["M5", "M30"]
    if dialect.percent_wrap:
        w.lines.append("%")
    return "\n".join(w.lines) + "\n"


class _Tooling:
    """The tools loaded so far (T numbers in order), the one in the spindle and its speed."""

    def __init__(self) -> None:
        self.tools: list[float] = []
        self.current: float | None = None
        self.rpm_on: float | None = None


def _section(w: _Writer, section: Section, t: _Tooling) -> None:
    w.comment(section.name)
    if t.current is not None and not math.isclose(section.tool_diameter_mm, t.current):
        _tool_change(w, section, t.tools)
        t.rpm_on = None
    if t.current is None:
        t.tools.append(section.tool_diameter_mm)
    t.current = section.tool_diameter_mm
    if t.rpm_on is None or not math.isclose(t.rpm_on, section.spindle_rpm):
        w.lines.append(f"M3 S{int(round(section.spindle_rpm))}")
        if w.dialect.spindle_dwell_s > 0:
            w.lines.append(f"G4 P{w.num(w.dialect.spindle_dwell_s, 1)}")
        t.rpm_on = section.spindle_rpm
    rapid, arc, line = w.rapid, w.arc, w.line
    for move in section.moves:
        # The exact types first: a pocket's moves are mostly arcs.
        if type(move) is Arc:
            arc(move)
        elif type(move) is Line:
            line(move)
        elif isinstance(move, Rapid):
            rapid(move)
        elif isinstance(move, Arc):
            arc(move)
        elif isinstance(move, Line):
            line(move)
        else:
            raise PostError(f"unknown move {type(move).__name__}")
    w.rapid_z(max(w.safe_z, w.pos_mm[2] or 0.0))


def _tool_change(w: _Writer, section: Section, tools: list[float]) -> None:
    w.rapid_z(max(w.safe_z, w.pos_mm[2] or 0.0))
    w.lines.append("M5")
    if section.tool_diameter_mm not in tools:
        tools.append(section.tool_diameter_mm)
    number = tools.index(section.tool_diameter_mm) + 1
    label = section.tool_label or f"{section.tool_diameter_mm:g} mm cutter"
    w.comment(f"tool change: load T{number} {label}, then resume")
    if w.dialect.tool_change == "m6":
        w.lines.append(f"T{number} M6")
    else:
        w.lines.append("M0")
