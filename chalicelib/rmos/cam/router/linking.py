"""Putting loops together: entries, links at depth, retracts, ordering.

The linking rule: a straight move from one loop to the next stays at cutting
depth only when the caller's `Clearing` says the line lies inside the
tool-centre region and inside material already cleared at that depth.
Otherwise the tool retracts, travels at safe Z and enters again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Callable, Protocol, Sequence, TypeVar

from chalicelib.rmos.cam import arcs, work
from chalicelib.rmos.cam.router.dressups import ramp
from chalicelib.rmos.cam.router.dressups.tabs import Tabs
from chalicelib.rmos.cam.router.path2d import XY, Loop, Seg, circle_loop, rotate_to, to_moves
from chalicelib.rmos.cam.toolpath import CutParams, Dressup, Issue, Line, Move, PlanningError, Rapid

# How far above the floor of the previous level (or the stock top) the tool
# may come down at rapid rate: that column is known to be clear.
CLEARANCE_MM = 0.5
# One operation's toolpath may not exceed this: past it the job is refused
# rather than left to run out of time or memory in the worker.
MAX_SECTION_MOVES = 1_000_000

T = TypeVar("T")


class Clearing(Protocol):
    def link_ok(self, a: XY, b: XY) -> bool: ...

    def add(self, segs: Sequence[Seg]) -> None: ...


@dataclass
class Helix:
    center: XY
    radius: float


@dataclass
class PathBuilder:
    """Accumulates a section's moves and knows where the tool is."""

    params: CutParams
    path: str = "design"
    moves: list[Move] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dressups: list[Dressup] = field(default_factory=list)
    pos: tuple[float, float, float] | None = None
    full_width_mm: float = 0.0
    # Moves the declared entries will become, counted against the cap now.
    entry_moves: int = 0

    @property
    def safe_z(self) -> float:
        return self.params.safe_z_mm

    def extend(self, moves: Sequence[Move]) -> None:
        """Append the operation's own moves; refuse once past the cap (dressups only add moves)."""
        self.moves.extend(moves)
        if moves:
            m = moves[-1]
            self.pos = (m.x, m.y, m.z)
        if len(self.moves) + self.entry_moves > MAX_SECTION_MOVES:
            raise too_many_moves(self.path)
        work.checkpoint()

    def enter(self, entry: ramp.Entry) -> None:
        """Declare an entry here; the tool is then where the entry leaves it."""
        self.dressups.append(Dressup(len(self.moves), len(self.moves), entry))
        self.entry_moves += entry.count
        self.pos = entry.end
        self.extend([])

    def tabs_since(self, first: int, tabs: Tabs) -> None:
        """Declare tabs over every move (and entry) from move `first` on."""
        self.dressups.append(Dressup(first, len(self.moves), tabs))

    def retract(self) -> None:
        if self.pos is not None and self.pos[2] < self.safe_z:
            self.extend([Rapid(self.pos[0], self.pos[1], self.safe_z)])

    def travel(self, xy: XY) -> None:
        """Go to `xy` at safe Z (retracting first)."""
        self.retract()
        if self.pos is None or (self.pos[0], self.pos[1]) != xy:
            self.extend([Rapid(xy[0], xy[1], self.safe_z)])

    def descend_rapid(self, z: float) -> None:
        z = min(z, self.safe_z)
        if self.pos is not None and z < self.pos[2]:
            self.extend([Rapid(self.pos[0], self.pos[1], z)])

    def descend_to(self, z: float) -> None:
        """Come down over cleared material: rapid to just above the stock, then feed.

        Below the stock top the column is clear (the level above was cut
        there), but only a feed move lets a controller-side check prove it;
        the plunge feed keeps that move harmless if it ever were not.
        """
        top = min(CLEARANCE_MM, self.safe_z)
        self.descend_rapid(top)
        if self.pos is not None and z < self.pos[2] - 1e-9:
            self.extend([Line(self.pos[0], self.pos[1], z, self.params.plunge_mm_min)])

    def finish(self) -> None:
        self.retract()

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)


def too_many_moves(path: str, estimate: float | None = None) -> PlanningError:
    about = f" (about {estimate:,.0f})" if estimate else ""
    return PlanningError([Issue("too_many_moves",
                                f"this operation needs more than {MAX_SECTION_MOVES:,} moves{about}; use a larger "
                                "stepover or stepdown, a bigger tool, or split the job", path)])


def closest_distance(loop: Loop, p: XY) -> float:
    """Arc length along the loop of its point nearest to p.

    Walking the loop, a piece takes over only when its nearest point is
    nearer than the best so far by more than 1e-12 (so of pieces equally near,
    the first wins). Measuring an arc takes several trigonometric calls, so
    each arc first gets a cheap lower bound (how far p is from its whole
    circle, or from its start less its length) and only the arcs that could
    matter are measured; the walk is then made over the pieces nearest p
    alone, with the same outcome.
    """
    if len(loop) <= FEW_PIECES:
        return _first_nearest(loop, {i: _nearest_on(seg, p) for i, seg in enumerate(loop)}, math.inf)
    measured: dict[int, tuple[float, float]] = {}
    bounds: list[tuple[float, int]] = []
    scale = 1.0 + abs(p[0]) + abs(p[1])
    for i, seg in enumerate(loop):
        if seg.center is None:
            measured[i] = _nearest_on(seg, p)
        else:
            (cx, cy), (sx, sy), rho = seg.center, seg.start, seg.radius
            # Any point measured on an arc lies on its circle, and no further
            # from its start than its length, to within a few units in the
            # last place of these magnitudes; the slack is millions of times that.
            slack = 1e-9 * (scale + abs(cx) + abs(cy) + rho + seg.length)
            off_circle = abs(math.hypot(p[0] - cx, p[1] - cy) - rho)
            bounds.append((max(off_circle, math.hypot(p[0] - sx, p[1] - sy) - seg.length) - slack, i))
    bounds.sort(reverse=True)
    nearest = min((d for _, d in measured.values()), default=math.inf)

    def measure_next() -> float:
        i = bounds.pop()[1]
        measured[i] = _nearest_on(loop[i], p)
        return measured[i][1]

    # Lowest bound first, until every bound left is above the nearest measured.
    while bounds and bounds[-1][0] <= nearest:
        nearest = min(nearest, measure_next())
    # A limit with no piece within `gap` of it: every piece at or below
    # limit - gap is measured, every other is further than limit + gap. The
    # first piece below the limit takes over from whatever came before it
    # (2 * gap is far more than 1e-12 plus the rounding of these distances),
    # and no piece above the limit takes over after it, so walking the pieces
    # below the limit, in loop order, ends on the same piece as walking all.
    gap = 1e-9 * (scale + nearest)
    limit = math.inf
    for k in range(8):
        trial = nearest + 1e3 * gap * 2 ** k
        while bounds and bounds[-1][0] <= trial + gap:
            measure_next()
        if not any(trial - gap < d <= trial + gap for _, d in measured.values()):
            limit = trial
            break
    else:
        while bounds:
            measure_next()
    return _first_nearest(loop, measured, limit - gap)


# Loops of no more pieces than this are measured piece by piece throughout.
FEW_PIECES = 8


def _first_nearest(loop: Loop, measured: dict[int, tuple[float, float]], limit: float) -> float:
    """Walk the measured pieces no further than `limit` in loop order; the arc length of the point kept."""
    lengths = [seg.length for seg in loop]
    done = list(accumulate(lengths, initial=0.0))
    best = (math.inf, 0.0)
    for i in sorted(i for i, (_, d) in measured.items() if d <= limit):
        t, d = measured[i]
        if d < best[0] - 1e-12:
            best = (d, done[i] + t * lengths[i])
    return best[1]


def _nearest_on(seg: Seg, p: XY) -> tuple[float, float]:
    """(fraction along, distance) of the point of `seg` nearest to p, the way closest_distance measures it."""
    if seg.center is None:
        (x0, y0), (x1, y1) = seg.start, seg.end
        dx, dy = x1 - x0, y1 - y0
        denom = dx * dx + dy * dy
        t = 0.0 if denom == 0 else min(1.0, max(0.0, ((p[0] - x0) * dx + (p[1] - y0) * dy) / denom))
    else:
        t = min(1.0, arcs.param_at(seg.start, seg.center, seg.sweep, p))
        if t >= 1.0 and abs(seg.sweep) < 2 * math.pi - 1e-12:
            # Beyond the arc's end: the nearer end point wins.
            t = 0.0 if _dist(seg.start, p) < _dist(seg.end, p) else 1.0
    return t, _dist(seg.point_at(t), p)


def _dist(a: XY, b: XY) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def start_nearest(loop: Loop, p: XY) -> Loop:
    return rotate_to(loop, closest_distance(loop, p))


HopCheck = Callable[[XY, XY], bool]


def approach(b: PathBuilder, xy: XY, top: float, hop_ok: HopCheck | None = None) -> None:
    """Bring the tool to `xy` at height `top`, ready for an entry.

    From inside the pocket, when `hop_ok` says the straight move at `top` is
    over material already cleared to below it, and the move is no longer than
    the climb to safe Z and back it replaces, the tool rises to `top` and
    feeds across (a sideways rapid below safe Z is never written). Otherwise
    it retracts, travels at safe Z and comes down.
    """
    pos = b.pos
    if hop_ok is not None and pos is not None and pos[2] < b.safe_z and top < b.safe_z and pos[2] <= top + 1e-9:
        here = (pos[0], pos[1])
        if _dist(here, xy) <= 2 * (b.safe_z - top) and hop_ok(here, xy):
            if pos[2] < top - 1e-9:
                b.extend([Rapid(pos[0], pos[1], top)])
            if _dist(here, xy) > 1e-9:
                b.extend([Line(xy[0], xy[1], top, b.params.feed_mm_min)])
            return
    b.travel(xy)
    b.descend_to(top)


Turn = Callable[[Loop, XY], Loop]


def enter_loop(b: PathBuilder, loop: Loop, z: float, z_above: float, helix: Helix | None,
               clearing: Clearing, hop_ok: HopCheck | None = None, turn: Turn = start_nearest) -> None:
    """Take the tool from above down onto the start of `loop` at depth z and cut it once.

    Tries, in order: a helix (if one fits), a ramp along the loop, a plunge.
    `turn` gives the loop starting nearest a point (start_nearest, or a memo of it).
    """
    p = b.params
    top = min(z_above + CLEARANCE_MM, p.safe_z_mm)
    if helix is not None:
        loop = turn(loop, helix.center)
    start = loop[0].start
    if helix is not None:
        spiral = ramp.helix(helix.center, helix.radius, start, top, z, p.ramp_angle_deg,
                            p.plunge_mm_min, p.feed_mm_min, not p.climb)
        h_start = spiral.start
        approach(b, h_start, top, hop_ok)
        b.enter(spiral)
        clearing.add(circle_loop(helix.center, helix.radius, False))
        b.extend([Line(start[0], start[1], z, p.feed_mm_min)])
        clearing.add([Seg(h_start, start)])
        cut_loop(b, loop, z, 0.0, clearing)
        return
    ramped = ramp.ramp_along(loop, top, z, p.ramp_angle_deg, p.plunge_mm_min, p.feed_mm_min,
                            min_length=p.tool_radius_mm)
    approach(b, start, top, hop_ok)
    if ramped is None:
        b.warn("plunge entry: no room for a helix or a ramp; the tool plunges straight down at plunge feed")
        b.enter(ramp.PlungeEntry(start, z, p.plunge_mm_min))
        cut_loop(b, loop, z, 0.0, clearing)
        return
    entry, reached = ramped
    if entry is not None:
        b.enter(entry)
    cut_loop(b, loop, z, reached, clearing)


def cut_loop(b: PathBuilder, loop: Loop, z: float, from_distance: float, clearing: Clearing) -> None:
    """One full lap at depth z starting `from_distance` along the loop (ends where it began)."""
    segs = rotate_to(loop, from_distance)
    b.extend(to_moves(segs, z, z, b.params.feed_mm_min))
    clearing.add(segs)


def go_to_loop(b: PathBuilder, loop: Loop, z: float, z_above: float, clearing: Clearing,
               helix: Helix | None = None, hop_ok: HopCheck | None = None, turned: Loop | None = None,
               turn: Turn = start_nearest) -> None:
    """Cut `loop` at depth z next: link at depth when the rule allows, else hop or retract, and enter.

    `turned` is the loop as start_nearest(loop, tool position) turns it, when the caller has it already.
    """
    pieces = loop
    if turned is not None:
        loop = turned
    elif b.pos is not None:
        loop = turn(loop, (b.pos[0], b.pos[1]))
    if b.pos is not None and b.pos[2] <= z + 1e-9:
        here = (b.pos[0], b.pos[1])
        target = loop[0].start
        if clearing.link_ok(here, target):
            if _dist(here, target) > 1e-9:
                b.extend([Line(target[0], target[1], z, b.params.feed_mm_min)])
                clearing.add([Seg(here, target)])
            cut_loop(b, loop, z, 0.0, clearing)
            return
    # A helix turns the loop to face its centre: from the loop's own pieces,
    # so the same loop entered anywhere is cut through the very same pieces.
    enter_loop(b, pieces if helix is not None else loop, z, z_above, helix, clearing, hop_ok, turn)


def level_depths(depth: float, stepdown: float) -> list[float]:
    """n = ceil(depth / stepdown) equal levels, as negative Z values, top first."""
    n = max(1, math.ceil(depth / stepdown - 1e-9))
    return [-depth * (k + 1) / n for k in range(n)]


def nearest_order(items: list[T], position: Callable[[T], XY], start: XY) -> list[T]:
    """Greedy nearest-neighbour order (keeps rapids short)."""
    left = list(items)
    out: list[T] = []
    here = start
    while left:
        i = min(range(len(left)), key=lambda j: _dist(position(left[j]), here))
        item = left.pop(i)
        out.append(item)
        here = position(item)
    return out
