"""Pocketing: clear everything inside a boundary, around its islands, to depth.

Polyline pockets are cut as concentric offset rings, each computed from the
original outline (tool radius + k * stepover), cut inside-out with the wall
ring last. Rings that split into separate pieces form a containment tree; every
piece is cleared before the ring that encloses it. Circles and annuli go to
`circular`, which keeps them as exact arcs.
"""
from __future__ import annotations

import functools
import hashlib
import math
import operator
import struct
from itertools import accumulate
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import NDArray
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from chalicelib.rmos.cam import work
from chalicelib.rmos.cam.router import shapes, slot
from chalicelib.rmos.cam.router.arcfit import CornerArcs
from chalicelib.rmos.cam.router.circular import plan_circular
from chalicelib.rmos.cam.router.estimate import INNER_SHARE, INNER_TOLERANCE_MM
from chalicelib.rmos.cam.router.fit import THIN_SHARE, fit_thinned
from chalicelib.rmos.cam.router.linking import CLEARANCE_MM, Helix, PathBuilder, go_to_loop, level_depths, \
    start_nearest
from chalicelib.rmos.cam.router.models import AnnulusGeometry, CircleGeometry, PocketOp
from chalicelib.rmos.cam.router.path2d import XY, Loop, Seg, loop_length, once, reversed_loop
from chalicelib.rmos.cam.toolpath import Issue, PlanningError

PathFn = Callable[..., str]
# Rounded corners of rings that are fitted afterwards are made with finer
# chords, so a corner's chords sit well inside the fitting tolerance and the
# whole corner becomes one arc.
FILLET_SHARE = 1 / 8


def plan_pocket(b: PathBuilder, op: PocketOp, path: PathFn) -> None:
    geom = op.geometry
    allowance = op.finish_allowance_mm or 0.0
    if isinstance(geom, AnnulusGeometry):
        plan_circular(b, (geom.center[0], geom.center[1]), geom.inner_radius_mm, geom.outer_radius_mm, op.depth_mm,
                      allowance, path("geometry"))
    elif isinstance(geom, CircleGeometry):
        plan_circular(b, (geom.center[0], geom.center[1]), None, geom.radius_mm, op.depth_mm, allowance,
                      path("geometry"))
    else:
        issues: list[Issue] = []
        boundary, islands = shapes.outline_and_islands(geom, path, b.warn, issues)
        if issues or boundary is None:
            raise PlanningError(issues)
        plan_polygon_pocket(b, boundary, islands, op.depth_mm, allowance, path("geometry"))


@dataclass
class Node:
    """One piece of one offset ring; its children are the pieces of the next ring inside it."""

    poly: Polygon
    loops: list[Loop]
    children: list["Node"] = field(default_factory=list)

    @once
    def lines(self) -> list[LineString]:
        """Each loop through its segment starts, for nearest-loop choices (made once, used every level)."""
        return [LineString([s.start for s in lp] + [lp[0].start]) for lp in self.loops]

    def helix(self, tool_radius: float) -> Helix | None:
        """The entry helix of a leaf piece (None for a piece with rings inside it), worked out once."""
        if self.children:
            return None
        if "_helix" not in self.__dict__:
            self.__dict__["_helix"] = _helix_for(self.poly, tool_radius)
        found: Helix | None = self.__dict__["_helix"]
        return found


# Chords of the cut path are indexed in runs of this many, each with its
# bounding box: a link check looks only at the runs whose box meets its own.
CHORD_RUN = 16
# The rows kept per chord: its ends, its vector, its squared length (1 for a
# chord of no length, so that dividing by it stays finite) and its length.
X0, Y0, X1, Y1, DX, DY, NORM, ROOT = range(8)


class LevelMemo:
    """What the depth levels of one region have in common, each answer kept under all it depends on.

    Every level cuts the same ring tree in the same region, and from where
    the order of cutting has come back to a place it was at a level above,
    the same questions are asked again: which link at depth is allowed,
    where a loop starts nearest the tool, how far a piece is from the tool.
    Each answer is a pure function of what its key holds (the loop's very
    pieces, points to the last bit with -0.0 told from 0.0, every float of
    the cut path a link is measured against), so a hit gives the answer
    working it out would give.
    """

    def __init__(self, region: Polygon, tool_radius: float, reach: float | None = None) -> None:
        self.region = region
        shapely.prepare(region)
        self.r = tool_radius
        # How far from the path cut a link may pass (see PolygonClearing).
        self.reach = max(tool_radius * 1.002, reach or 0.0) + 1e-6
        # The region grown by 1e-6 mm, made by `covers` when first needed.
        self._grown: Any = None
        # Whether every point of a link is within `reach` of the cut path, by
        # the link's ends and the chords it was measured against.
        self.links: dict[tuple[Any, ...], bool] = {}
        # The same answers by the link's ends and a digest of the whole path
        # cut before it at that depth (see PolygonClearing.add): a level
        # that has cut exactly what a level above had finds the answer
        # without turning its path into chords first.
        self.links_after: dict[tuple[Any, ...], bool] = {}
        self._turns: dict[tuple[Any, ...], tuple[tuple[Seg, ...], tuple[Seg, ...]]] = {}
        self._distances: dict[tuple[Any, ...], tuple[Any, float]] = {}

    def covers(self, link: Any) -> bool:
        """Whether the link lies in the region grown by 1e-6 mm (so a link along its edge is in).

        The region itself is asked first: what it covers the grown one
        covers too, so the grown one (an offset of the whole region) is made
        only for a link the region does not cover.
        """
        if self.region.covers(link):
            return True
        if self._grown is None:
            self._grown = self.region.buffer(1e-6, join_style="mitre")
            shapely.prepare(self._grown)
        found: bool = self._grown.covers(link)
        return found

    def turned(self, loop: Loop, p: XY) -> Loop:
        """start_nearest(loop, p), worked out once for the same pieces and the same point."""
        key = (id(loop), *_exact(p))
        found = self._turns.get(key)
        if found is not None and _same_pieces(found[0], loop):
            return list(found[1])
        result = start_nearest(loop, p)
        # The loop's pieces are kept, so no other list can pass for them.
        self._turns[key] = (tuple(loop), tuple(result))
        return result

    def distance(self, geom: Any, p: XY) -> float:
        """geom.distance(Point(p)), measured once for the same (unchanging) geometry object and point."""
        key = (id(geom), *_exact(p))
        found = self._distances.get(key)
        if found is not None and found[0] is geom:
            return found[1]
        d = float(geom.distance(Point(p)))
        self._distances[key] = (geom, d)
        return d


# A line's centre in the digest of a cut path: no arc has a NaN centre.
_NO_CENTRE = (math.nan, math.nan)


def _exact(p: XY) -> tuple[float, float, float, float]:
    """A point as a key part: -0.0 and 0.0 are equal floats, but not in everything worked out from them."""
    return (p[0], p[1], math.copysign(1.0, p[0]), math.copysign(1.0, p[1]))


def _same_pieces(kept: tuple[Seg, ...], loop: Loop) -> bool:
    return len(kept) == len(loop) and all(map(operator.is_, kept, loop))


def _chord_key(chords: NDArray[np.float64]) -> bytes:
    """The chords' ends, bit for bit, in the order they were cut."""
    return chords[X0:Y1 + 1].tobytes()


class PolygonClearing:
    """Answers the linking rule for one region at one depth.

    A link is allowed when it lies inside the tool-centre region and every
    point of it is within reach of the path already cut at this depth: a
    tool radius (the tool centre stays on cleared floor), or the widest the
    rings themselves come apart when that is more. A link then never takes
    a wider bite of the wall of stock than the ring it leads to.
    The path cut is kept as chords, one numpy column each, indexed by the
    bounding box of every CHORD_RUN of them, so a check measures only the
    chords that can come within reach of its link. Paths are turned into
    chords when a check next needs them, all those recorded since in one go.

    The levels of one region share a LevelMemo: a link a level above
    already measured against the very same chords is not measured again.
    """

    def __init__(self, region: Polygon, tool_radius: float, memo: LevelMemo | None = None) -> None:
        if memo is None:
            memo = LevelMemo(region, tool_radius)
        elif memo.region is not region or memo.r != tool_radius:
            raise ValueError("a level memo answers for one region and one tool radius only")
        self.memo = memo
        self.r = tool_radius
        self._pending: list[tuple[Seg, ...]] = []
        self._chords: NDArray[np.float64] = np.empty((8, 1024))
        self._count = 0
        # Run j holds chords CHORD_RUN * j onwards; its box is min x, min y, max x, max y.
        self._boxes: NDArray[np.float64] = np.empty((4, 64))
        self._runs = 0
        # The last answer, until more is cut: choosing the next loop asks
        # about the same link the move to it then asks again.
        self._last: tuple[XY, XY, bool] | None = None
        # Where the path recorded last ends (where the tool stands after it).
        self._tail: XY | None = None
        # Every path recorded, in order, piece by piece, to the last bit.
        self._cut = hashlib.blake2b(digest_size=16)

    def add(self, segs: Sequence[Seg]) -> None:
        if not segs:
            return
        self._last = None
        self._pending.append(tuple(segs))
        self._tail = segs[-1].end
        # The chords, and so every link answer, are a function of the
        # recorded paths in order (each path's first chord starts at its
        # own start), the tool radius and the region: the digest takes each
        # path's length and every float of its pieces, -0.0 told from 0.0.
        floats: list[float] = []
        for seg in segs:
            centre = seg.center
            floats += (*seg.start, *seg.end, *(centre if centre is not None else _NO_CENTRE), seg.sweep)
        self._cut.update(struct.pack(f"<q{len(floats)}d", len(segs), *floats))

    def _record_pending(self) -> None:
        """Turn every path recorded since the last check into indexed chords."""
        if not self._pending:
            return
        paths, self._pending = self._pending, []
        whole = chord_parts([s for path in paths for s in path], self.r)
        count = sum(part.shape[1] for part in whole)
        # Each path's first chord starts at the path's start, every other
        # one where the chord before it ends.
        heads, at, k = [], 0, 0
        for path in paths:
            heads.append(at)
            at += sum(part.shape[1] for part in whole[k:k + len(path)])
            k += len(path)
        # The rows are worked out in place at the end of the buffer, with
        # the very operations (so the very floats) row by row.
        self._chords = _room(self._chords, self._count, self._count + count)
        chords = self._chords[:, self._count:self._count + count]
        np.concatenate(whole, axis=1, out=chords[X1:Y1 + 1])
        chords[X0:Y0 + 1, 1:] = chords[X1:Y1 + 1, :-1]
        chords[X0:Y0 + 1, heads] = np.asarray([path[0].start for path in paths]).T
        np.subtract(chords[X1:Y1 + 1], chords[X0:Y0 + 1], out=chords[DX:DY + 1])
        len2 = chords[DX] * chords[DX] + chords[DY] * chords[DY]
        chords[NORM] = np.where(len2 > 0, len2, 1.0)
        np.sqrt(len2, out=chords[ROOT])
        # The last run may have been part filled: its box is worked out again.
        first_run = self._count // CHORD_RUN
        self._count += count
        done = self._chords[:4, first_run * CHORD_RUN:self._count]
        firsts = np.arange(0, done.shape[1], CHORD_RUN)
        runs = first_run + len(firsts)
        self._boxes = _room(self._boxes, first_run, runs)
        boxes = self._boxes[:, first_run:runs]
        np.minimum.reduceat(np.minimum(done[:2], done[2:]), firsts, axis=1, out=boxes[:2])
        np.maximum.reduceat(np.maximum(done[:2], done[2:]), firsts, axis=1, out=boxes[2:])
        self._runs = runs

    def link_ok(self, a: XY, b: XY) -> bool:
        if self._last is not None and self._last[:2] == (a, b):
            return self._last[2]
        found = self._link_ok(a, b)
        self._last = (a, b, found)
        return found

    def _link_ok(self, a: XY, b: XY) -> bool:
        after = (*_exact(a), *_exact(b), self._cut.digest())
        found = self.memo.links_after.get(after)
        if found is None:
            found = self.memo.links_after[after] = self._measured(a, b)
        return found

    def _measured(self, a: XY, b: XY) -> bool:
        link = LineString([a, b]) if a != b else Point(a)
        if not self.memo.covers(link):
            return False
        if a == self._tail and math.hypot(b[0] - a[0], b[1] - a[1]) <= self.r * 1.002:
            # A short link from the end of the path just cut. The last chord
            # ends at `a` to within rounding (about 1e-13 mm at these
            # sizes), so every point of the link, and so every sample
            # `_within` would measure, is within the link's length of it,
            # at least 1e-6 mm (the slack in `reach`) inside the reach: no
            # sample can come out over the reach, which is the only way
            # `_within` says no. The answer is yes without measuring.
            return True
        self._record_pending()
        reach = self.memo.reach
        # The answer is the one shapely's distance to the cut path clipped to
        # the link's box grown by `reach` gave. A distance at or under
        # `reach` is to a point inside that box, so whole chords give it too
        # (to the last bit, except where a chord crossing the box's edge was
        # cut there: then to within a few units in the last place); one over
        # `reach` stays over it. A check could only change for a link whose
        # samples lie within such rounding of the reach: the programs of the
        # whole corpus come out byte for byte the same.
        near = self._near(a, b, reach)
        if not near.shape[1]:
            return False
        # The answer comes from the link and these chords alone, so a level
        # above that measured this very link against these very chords (in
        # the same order, which in practice they come in) gave it already.
        key = (*_exact(a), *_exact(b), _chord_key(near))
        found = self.memo.links.get(key)
        if found is None:
            found = self.memo.links[key] = _within(a, b, near, reach, self.r / 100)
        return found

    def _near(self, a: XY, b: XY, reach: float) -> NDArray[np.float64]:
        """The chords that may pass within `reach` of the link a-b (never leaving out one that does).

        A run or chord is left out only when it lies wholly beyond one side
        of the link's bounding box grown by `reach`, or (for a link of some
        length) wholly beyond one side of the band `reach` either side of it:
        every point of it is then further than `reach` from every point of the link.
        """
        box = (min(a[0], b[0]) - reach, min(a[1], b[1]) - reach, max(a[0], b[0]) + reach, max(a[1], b[1]) + reach)
        length = math.hypot(b[0] - a[0], b[1] - a[1])
        # Directions across short links are left out: their box is about
        # as tight as the band.
        ux, uy = ((b[0] - a[0]) / length, (b[1] - a[1]) / length) if length > 4 * reach else (0.0, 0.0)
        band = reach + 1e-6
        x0, y0, x1, y1 = self._boxes[:, :self._runs]
        runs = np.flatnonzero(_meets(x0, y0, x1, y1, box, a, ux, uy, band))
        if not len(runs):
            return np.empty((8, 0))
        index = (runs[:, None] * CHORD_RUN + np.arange(CHORD_RUN)).ravel()
        chords = self._chords[:, index[index < self._count]]
        x0, y0, x1, y1 = chords[:4]
        kept: NDArray[np.float64] = chords[:, _meets(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1),
                                                     np.maximum(y0, y1), box, a, ux, uy, band)]
        return kept


def chord_parts(segs: Sequence[Seg], tool_radius: float) -> list[NDArray[np.float64]]:
    """The chord ends of each piece (rows x, y), kept with the piece: they depend on it and the tool radius alone.

    Those not kept yet are worked out together in one batch (each chord end
    is the same float whatever batch it comes in).
    """
    key = ("link chord ends", tool_radius)
    parts: list[NDArray[np.float64] | None] = [s.memo.get(key) for s in segs]
    missing = [i for i, part in enumerate(parts) if part is None]
    if missing:
        counts, found = _chord_ends([segs[i] for i in missing], tool_radius)
        at = 0
        for i, count in zip(missing, counts):
            parts[i] = segs[i].memo[key] = found[:, at:at + count]
            at += count
    return [part for part in parts if part is not None]


def _chord_ends(segs: list[Seg], tool_radius: float) -> tuple[list[int], NDArray[np.float64]]:
    """How many chords each of `segs` becomes, and the end of every chord in order (rows x, y).

    A line is one chord, to its end. An arc becomes chords none further than
    r/2000 inside it, well within the 0.2 % margin link_ok allows on the
    tool's reach; they end 1/n .. 1 of the way along it.
    """
    counts = [1] * len(segs)
    # A line's end is worked out as start + (end - start), and an arc's start
    # relative to its centre as a difference, one IEEE operation at a time,
    # so plain floats give the bits arrays would; most batches are a link or
    # a split piece or two.
    lines: list[XY] = []
    line_at: list[int] = []
    arcs: list[tuple[float, float, float, float, float, float, int]] = []
    arc_at: list[int] = []
    at = 0
    for i, s in enumerate(segs):
        if s.center is None:
            lines.append((s.start[0] + (s.end[0] - s.start[0]), s.start[1] + (s.end[1] - s.start[1])))
            line_at.append(at)
        else:
            rho = s.radius
            piece = 2 * math.acos(max(-1.0, 1 - tool_radius / 2000 / rho)) if rho > 0 else math.pi
            counts[i] = n = max(2, math.ceil(abs(s.sweep) / piece))
            arcs.append((s.start[0] - s.center[0], s.start[1] - s.center[1], *s.center, s.sweep, rho, n))
            arc_at.append(at)
        at += counts[i]
    if not arcs:
        return counts, np.array(lines).T.reshape(2, len(lines))
    ends = np.empty((2, at))
    if lines:
        ends[:, line_at] = np.array(lines).T
    pieces = [arc[6] for arc in arcs]
    firsts = list(accumulate(pieces, initial=0))
    total = firsts.pop()
    # The angle of an arc's start is the same float for each of its chords: taken once per arc.
    start = np.repeat(np.arctan2(np.array([arc[1] for arc in arcs]), np.array([arc[0] for arc in arcs])), pieces)
    cx, cy, sweep, rho, n = np.repeat(np.array([arc[2:] for arc in arcs]), pieces, axis=0).T
    step = np.arange(total) - np.repeat(firsts, pieces)
    a = start + sweep * ((step + 1) / n)
    where = step + np.repeat(arc_at, pieces)
    ends[0, where] = cx + rho * np.cos(a)
    ends[1, where] = cy + rho * np.sin(a)
    return counts, ends


def _meets(x0: NDArray[Any], y0: NDArray[Any], x1: NDArray[Any], y1: NDArray[Any], box: tuple[float, ...], a: XY,
           ux: float, uy: float, band: float) -> NDArray[np.bool_]:
    """Which boxes [x0, x1] x [y0, y1] meet `box` and the band across the direction (ux, uy) from `a`.

    No direction, no band test. The distance across is linear, so its
    extremes over a box are at the box's sides; their rounding is far below
    the micrometre the band is given over the reach.
    """
    meets: NDArray[np.bool_] = (x0 <= box[2]) & (x1 >= box[0]) & (y0 <= box[3]) & (y1 >= box[1])
    if ux or uy:
        ya, yb = (y0 - a[1]) * ux, (y1 - a[1]) * ux
        xa, xb = (x0 - a[0]) * uy, (x1 - a[0]) * uy
        meets &= (np.minimum(ya, yb) - np.maximum(xa, xb) <= band) & (np.maximum(ya, yb) - np.minimum(xa, xb) >= -band)
    return meets


def _room(buffer: NDArray[Any], kept: int, need: int) -> NDArray[Any]:
    """`buffer`, or one twice as wide with its first `kept` columns, so that it has `need` columns."""
    if need <= buffer.shape[1]:
        return buffer
    grown = np.empty((buffer.shape[0], max(need, 2 * buffer.shape[1])), dtype=buffer.dtype)
    grown[:, :kept] = buffer[:, :kept]
    return grown


def _within(a: XY, b: XY, chords: NDArray[np.float64], reach: float, resolution: float) -> bool:
    """Whether every point of the segment a-b lies within `reach` of the chords.

    The distance to the chords is 1-Lipschitz along the segment, so between two
    samples h apart with distances d0 and d1 it cannot exceed (d0 + d1 + h) / 2.
    Intervals whose bound is over `reach` are halved until that bound holds,
    or, once h is below `resolution`, their samples alone decide. A link
    `_covered` vouches for would pass all of that, and is let through first.
    """
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    if _covered(a, b, chords, reach - COVER_MARGIN):
        return True
    n = max(1, math.ceil(length / (25 * resolution)))  # a quarter of the tool radius apart
    t = np.linspace(0.0, 1.0, n + 1)
    d = _distances(a, b, t, chords, reach)
    lo, hi, d_lo, d_hi = t[:-1], t[1:], d[:-1], d[1:]
    # The samples at both ends of every interval are all of d.
    far = bool(d.max() > reach)
    while True:
        if far:
            return False
        h = (hi - lo) * length
        open_ = (d_lo + d_hi + h) / 2 > reach
        if not open_.any():
            return True
        if h[open_].max() < resolution:
            return True
        lo, hi, d_lo, d_hi = lo[open_], hi[open_], d_lo[open_], d_hi[open_]
        mid = (lo + hi) / 2
        d_mid = _distances(a, b, mid, chords, reach)
        far = bool(d_mid.max() > reach)
        lo, hi = np.concatenate([lo, mid]), np.concatenate([mid, hi])
        d_lo, d_hi = np.concatenate([d_lo, d_mid]), np.concatenate([d_mid, d_hi])


# How far inside the reach `_covered` keeps every point it vouches for: far
# more than the rounding of any distance measured here (about 1e-13 mm at
# these sizes), far less than anything a link check could turn on.
COVER_MARGIN = 1e-9


def _covered(a: XY, b: XY, chords: NDArray[np.float64], reach: float) -> bool:
    """Whether every point of the segment a-b is within `reach` of some chord, worked out without sampling.

    The points of a line within `reach` of a chord form one interval of
    it (the chord's capsule is convex): the hull of where the line meets
    the discs round the chord's ends and the band along it. The segment
    is covered when those intervals leave no gap over it. Where this says
    yes, every sample `_within` would take lies within `reach` (less the
    margin it is given) of a chord, so `_within` says yes too; a no here
    only means the sampling decides. Near the edges of an interval the
    distance to the chord is flat or linear along the line, so rounding
    there moves an end a little but the distance at it hardly at all, and
    the distance to a chord being convex along the line, the hull of two
    points each within reach stays within reach.
    """
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    if length == 0 or not chords.shape[1]:
        return False
    ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
    with np.errstate(divide="ignore", invalid="ignore"):
        # The discs round both ends of every chord at once (rows X0 and X1,
        # Y0 and Y1); a disc the line misses gives NaN, which fmin and fmax pass over.
        wx, wy = chords[X0:Y1 + 1:2] - a[0], chords[Y0:Y1 + 1:2] - a[1]
        along = wx * ux + wy * uy
        across = wx * uy - wy * ux
        half = np.sqrt(reach * reach - across * across)
        lo = np.fmin.reduce(along - half, axis=0)
        hi = np.fmax.reduce(along + half, axis=0)
        # The band: points within reach of the chord's line whose foot falls on the chord.
        vx, vy = chords[DX] / chords[ROOT], chords[DY] / chords[ROOT]
        ex, ey = wx[0], wy[0]
        s_lo, s_hi = _between(vy * ex - vx * ey, vx * uy - vy * ux, -reach, reach)
        f_lo, f_hi = _between(-(vx * ex + vy * ey), vx * ux + vy * uy, 0.0, chords[ROOT])
    b_lo, b_hi = np.maximum(s_lo, f_lo), np.minimum(s_hi, f_hi)
    # A chord of no length has no band (its direction is NaN, so no comparison holds).
    band = b_lo <= b_hi
    lo = np.where(band, np.fmin(lo, b_lo), lo)
    hi = np.where(band, np.fmax(hi, b_hi), hi)
    keep = (lo <= hi) & (hi >= 0) & (lo <= length)
    if not keep.any():
        return False
    order = np.argsort(lo[keep], kind="stable")
    starts = lo[keep][order]
    ends = np.maximum.accumulate(hi[keep][order])
    gaps = (starts[1:] > ends[:-1]) & (ends[:-1] < length)
    return bool(starts[0] <= 0 and ends[-1] >= length and not gaps.any())


def _between(v0: NDArray[Any], v1: NDArray[Any], low: Any, high: Any) -> tuple[NDArray[Any], NDArray[Any]]:
    """Where along the line low <= v0 + s * v1 <= high holds, as an interval of s.

    With v1 = 0 the bounds come out infinite (the whole line, or an interval
    beyond either end of every link), or NaN where v0 is on a bound: then
    nothing the caller compares holds, and the chord vouches for nothing.
    """
    t0, t1 = (low - v0) / v1, (high - v0) / v1
    return np.minimum(t0, t1), np.maximum(t0, t1)


# Past this many point-chord pairs a link's points are measured only
# against the chords alongside them.
PAIRS_AT_ONCE = 4096


def _distances(a: XY, b: XY, t: NDArray[Any], chords: NDArray[np.float64], reach: float) -> NDArray[Any]:
    """Distance from the points a fraction `t` along a-b to the nearest chord, where that is within `reach`.

    A point with no chord within `reach` gets some distance over `reach`
    (infinity when no chord lies alongside it), which is all the caller asks.
    """
    px = a[0] + (b[0] - a[0]) * t
    py = a[1] + (b[1] - a[1]) * t
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    k = chords.shape[1]
    if len(t) * k <= PAIRS_AT_ONCE or length == 0:
        # Every point against every chord, a row of pairs per point.
        found: NDArray[Any] = _segment_distance(px[:, None], py[:, None], chords).min(axis=1)
        return found
    # Each chord is paired with the points less than a band from its extent
    # along the link. The chord nearest a point, when within `reach` of it,
    # has a point of its own that close along the link, so it is paired.
    ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
    band = reach + 1e-6
    along0 = (chords[X0] - a[0]) * ux + (chords[Y0] - a[1]) * uy
    along1 = (chords[X1] - a[0]) * ux + (chords[Y1] - a[1]) * uy
    at = t * length
    order = np.argsort(at, kind="stable")
    lo = np.searchsorted(at[order], np.minimum(along0, along1) - band, side="left")
    hi = np.searchsorted(at[order], np.maximum(along0, along1) + band, side="right")
    counts = np.maximum(hi - lo, 0)
    d = np.full(len(t), np.inf)
    total = int(counts.sum())
    if total:
        chord = np.repeat(np.arange(k), counts)
        point = order[np.arange(total) - np.repeat(np.cumsum(counts) - counts - lo, counts)]
        np.minimum.at(d, point, _segment_distance(px[point], py[point], chords[:, chord]))
    return d


def _segment_distance(px: NDArray[Any], py: NDArray[Any], chords: NDArray[np.float64]) -> NDArray[Any]:
    """Distance from each point (px, py) to the chord in the same column of `chords` (or, broadcast, to each chord).

    Worked out as GEOS works out the distance from a point to a segment, so
    each is the very float shapely's `distance` gives: the same products,
    sums and quotients, in the same order (a sign changed on both terms of a
    difference, or inside an absolute value, changes no bit). A chord of no
    length has r = 0 and so is measured to its start, as GEOS does.
    """
    ex, ey = px - chords[X0], py - chords[Y0]
    dx, dy, norm = chords[DX], chords[DY], chords[NORM]
    r = (ex * dx + ey * dy) / norm
    to_start = np.sqrt(ex * ex + ey * ey)
    fx, fy = px - chords[X1], py - chords[Y1]
    to_end = np.sqrt(fx * fx + fy * fy)
    across = np.abs(ex * dy - ey * dx) / norm * chords[ROOT]
    found: NDArray[Any] = np.where(r <= 0, to_start, np.where(r >= 1, to_end, across))
    return found


def ring_offsets(depth_max: float, step: float, allowance: float) -> list[float]:
    """Distances from the tool-centre region's edge, wall ring (0) first, evenly spaced."""
    if allowance > 0 and depth_max > allowance:
        m = max(1, math.ceil((depth_max - allowance) / step - 1e-9))
        s = (depth_max - allowance) / m
        return [0.0] + [allowance + j * s for j in range(m)]
    m = max(1, math.ceil(depth_max / step - 1e-9))
    s = depth_max / m
    return [j * s for j in range(m)]


def plan_polygon_pocket(b: PathBuilder, boundary: Polygon, islands: list[Polygon], depth: float,
                        allowance: float, path: str) -> None:
    p = b.params
    r = p.tool_radius_mm
    # Half the arc tolerance goes to rounding corners, half to fitting rings
    # with lines and arcs.
    tol = max(1e-4, min(p.arc_tolerance_mm, 0.01) / 2)
    island_union = unary_union(islands) if islands else None
    regions = _without_slivers(shapes.inset(boundary, island_union, r, tol), r)
    if not regions:
        # No area for the tool centre: a slot exactly the bit's width is cut
        # along its centre line; anything narrower is refused with its width.
        pocket = boundary.difference(island_union) if island_union is not None else boundary
        strips = slot.slot_strips(boundary, island_union, r, tol)
        if not strips:
            raise slot.refuse_narrow(pocket, p.tool_diameter_mm, path)
        _report_unreachable(b, boundary, island_union, strips)
        slot.plan_slot(b, strips, pocket, depth)
        return
    strips = slot.slot_strips(boundary, island_union, r, tol)
    necks = slot.necks(strips, regions)
    _report_unreachable(b, boundary, island_union, regions + necks)
    inscribed = max(shapely.maximum_inscribed_circle(poly, 0.01 * r).length for poly in regions)
    if allowance > 0 and inscribed <= allowance:
        b.warn(f"the finish allowance ({allowance:g} mm) is wider than the pocket leaves room for; "
               "the pocket is cut without a separate finishing ring")
    step = min(p.stepover_mm, r)
    offsets = ring_offsets(inscribed, step, allowance)

    corners = CornerArcs([boundary, *islands])
    # Rings come apart by their spacing plus what offsetting and fitting
    # may move each (see _ring_nodes); a link may take that bite too.
    ring_gap = max((outer - inner for inner, outer in zip(offsets, offsets[1:])), default=0.0) + \
        (2.5 + FILLET_SHARE) * _inner_tolerance(offsets, tol) + tol
    levels = _ring_nodes(boundary, island_union, regions, corners, offsets, r, tol, p.climb)

    roots = levels[0]
    _nest(levels)

    # With one region there is nothing to choose, and no overlap to measure.
    region_of = {id(root): regions[0] if len(regions) == 1 else
                 max(regions, key=lambda reg: reg.intersection(root.poly).area) for root in roots}
    # Hops between loops go at the level above plus the clearance: over the
    # stock top anywhere inside the outline for the first level, over the
    # root's own region (cleared whole at the level above) for the others.
    footprint = Polygon(boundary.exterior)
    shapely.prepare(footprint)
    here = Point(0.0, 0.0)
    remaining = list(roots)
    while remaining:
        root = min(remaining, key=lambda n: n.poly.distance(here))
        remaining.remove(root)
        z_above = 0.0
        region = region_of[id(root)]
        shapely.prepare(region)
        memo = LevelMemo(region, r, ring_gap)
        # Every level cuts every loop of the tree: their chords are worked
        # out here in one batch rather than a few pieces per link check.
        chord_parts([seg for node in _tree(root) for loop in node.loops for seg in loop], r)
        # Every level is cut from where the first began, so each follows the
        # first's order and finds its questions answered in the memo, unless
        # getting back there from where the level above ended takes a
        # retract where starting nearest the tool would not: then the level
        # starts nearest the tool.
        start = _xy(b)
        for z in level_depths(depth, p.stepdown_mm):
            clearing = PolygonClearing(region, r, memo)
            over = footprint if z_above == 0.0 else region
            if z_above != 0.0 and not _hops_to_first(b, root, start, z_above, over, memo) and \
                    _hops_to_first(b, root, _xy(b), z_above, over, memo):
                start = _xy(b)
            _cut_node(b, root, z, z_above, clearing, functools.partial(_hop_ok, over), start)
            z_above = z
        assert b.pos is not None  # the levels above moved the tool
        here = Point(b.pos[0], b.pos[1])
    b.retract()
    if necks:
        pocket = boundary.difference(island_union) if island_union is not None else boundary
        slot.plan_slot(b, strips, pocket, depth, only=necks)


# Parts of the tool-centre region thinner than this are rounding left by an
# offset of a stretch exactly the tool's width, not room for the tool.
SLIVER_MM = 1e-4


def _without_slivers(regions: list[Polygon], r: float) -> list[Polygon]:
    """The regions with their zero-width threads removed (those stretches are cut as slots).

    Only thin regions (area small for their outline) are opened, so an
    ordinary pocket's region is left exactly as GEOS made it.
    """
    out: list[Polygon] = []
    for reg in regions:
        if reg.area > 0.25 * r * reg.length:
            out.append(reg)
            continue
        opened = reg.buffer(-SLIVER_MM, join_style="mitre").buffer(SLIVER_MM, join_style="mitre")
        out.extend(shapes.polygons(opened))
    return out


def _ring_nodes(boundary: Polygon, island_union: Any, regions: list[Polygon], corners: CornerArcs,
                offsets: list[float], r: float, tol: float, climb: bool) -> list[list[Node]]:
    """The rings at each offset from the wall inward, as nodes; stops where the pocket runs out."""
    levels: list[list[Node]] = []
    inner = _inner_tolerance(offsets, tol)
    # The inner rings rough: they are offsets of the outlines thinned by a
    # quarter of their tolerance (Douglas-Peucker keeps every point of the
    # thinned outline within that of the drawn one, and the other way round),
    # which on a dense drawing is a fraction of its vertices for GEOS and
    # the fitter to work through. The wall ring is offset from the outlines
    # as drawn.
    thin = inner * THIN_SHARE
    thin_boundary = shapes.thinned(boundary, thin)
    thin_islands = None if island_union is None else shapes.thinned(island_union, thin)
    # Offset by the thinning and one tolerance more than the ring's place,
    # then fitted within that tolerance: the path never comes nearer the
    # walls than r + e, nor further than r + e + 2.5 inner + inner / 8
    # (thinning twice, fit twice, the fillet chords' share: rings that only
    # clear the floor take their rounded corners as coarse as the rest of
    # their fit allows). The offsets
    # are taken RING_BATCH at a time, each GEOS step for all of them in one
    # call; a batch is not started past the deadline.
    for first in range(0, len(offsets), RING_BATCH):
        work.checkpoint()
        batch = offsets[first:first + RING_BATCH]
        distances = [r + e + inner + thin for e in batch if e != 0]
        inner_rings = iter(shapes.rough_insets(thin_boundary, thin_islands, distances, inner * FILLET_SHARE))
        for e in batch:
            work.checkpoint()
            if e == 0:
                levels.append(_wall_nodes(boundary, island_union, regions, corners, r, tol, climb))
                continue
            pieces = next(inner_rings)
            if not pieces:
                return levels
            levels.append([_fitted_node(poly, inner, climb) for poly in pieces])
    return levels


# Rings offset together (see _ring_nodes): enough for GEOS to do most of
# the work between returns to Python, few enough that a pocket that runs
# out early wastes little and the deadline is looked at often.
RING_BATCH = 16


# Inner rings rough: they may run up to 2.5 times INNER_SHARE of the ring
# spacing further from the walls than their place (never nearer), capped at
# INNER_TOLERANCE_MM (both kept in estimate.py, whose size model counts the
# arcs this gives). That is enough for a ring round a faceted round island
# to become a few arcs instead of a line and a fillet per facet.


def _inner_tolerance(offsets: list[float], tol: float) -> float:
    """The fitting tolerance of the rings inside the wall ring.

    Coverage keeps: consecutive rings end up at most the spacing plus twice
    this apart (well within the tool's diameter), and the innermost ring only
    moves towards the middle.
    """
    gaps = [b - a for a, b in zip(offsets, offsets[1:]) if b - a > 0]
    if not gaps:
        return tol
    return max(tol, min(INNER_SHARE * min(gaps), INNER_TOLERANCE_MM))


def _nest(levels: list[list[Node]]) -> None:
    """Hang each ring under the ring of the level outside it that contains it (or is nearest)."""
    parents = levels[0]
    for nodes in levels[1:]:
        for node in nodes:
            probe = node.poly.representative_point()
            owner = next((n for n in parents if n.poly.intersects(probe)), None)
            if owner is None:
                owner = min(parents, key=lambda n: n.poly.distance(probe))
            owner.children.append(node)
        parents = nodes


def _report_unreachable(b: PathBuilder, boundary: Polygon, islands: Any, regions: list[Polygon]) -> None:
    """Say so when parts of the pocket are narrower than the tool (beyond its corners).

    A round tool always leaves a fillet in a corner; anything else it cannot
    reach (a neck, a gap between an island and the wall) is reported.
    """
    r = b.params.tool_radius_mm
    pocket = boundary.difference(islands) if islands is not None else boundary
    remnant = pocket.difference(shapely.union_all(regions).buffer(r * 1.001, quad_segs=16))
    corners = shapely.points(np.vstack([np.asarray(ring.coords)[:, :2] for poly in shapes.polygons(pocket)
                                        for ring in shapes.rings(poly)]))
    tree = shapely.STRtree(corners)
    left = []
    for piece in shapes.polygons(remnant):
        if piece.area < 1e-3:
            continue
        nearest = corners[tree.nearest(piece.representative_point())]
        if not piece.within(nearest.buffer(2 * r)):
            left.append(piece)
    if left:
        area = sum(piece.area for piece in left)
        where = max(left, key=lambda piece: piece.area).representative_point()
        b.warn(f"{area:.1f} mm2 of the pocket is narrower than the {b.params.tool_diameter_mm:g} mm tool and "
               f"is left uncut (for example near X{where.x:.2f} Y{where.y:.2f})")


def _fitted_node(poly: Polygon, tol: float, climb: bool) -> Node:
    # One Douglas-Peucker pass over the whole piece (topology kept) thins the
    # rings for the fitter and gives the node its outline for containment.
    outline = shapes.thinned(poly, tol * THIN_SHARE)
    outline = orient(outline if isinstance(outline, Polygon) and not outline.is_empty else poly, 1.0)
    loops = [fit_thinned(ring, tol) for ring in shapes.rings(outline)]
    return Node(outline, [loop if climb else reversed_loop(loop) for loop in loops if loop])


def _wall_nodes(boundary: Polygon, islands: Any, regions: list[Polygon], corners: CornerArcs, r: float, tol: float,
                climb: bool) -> list[Node]:
    """The wall ring: offset half a tolerance further in and fitted within that half.

    It then lies between r and r + tol from the walls. A region that offset
    loses altogether (a slot exactly the tool's width) keeps its exact ring,
    with only its rounded corners turned into arcs.
    """
    pieces = shapes.inset(boundary, islands, r + tol / 2, tol * FILLET_SHARE)
    nodes = [_fitted_node(poly, tol / 2, climb) for poly in pieces]
    for region in regions:
        if not any(region.intersects(piece) for piece in pieces):
            nodes.append(Node(region, _loops(region, corners, shapes.fillet_radius(r, tol), r, climb)))
    return nodes


def _loops(poly: Polygon, corners: CornerArcs, radius: float, clearance: float, climb: bool) -> list[Loop]:
    out = []
    for ring in shapes.rings(poly):
        loop = corners.loop(ring.coords, radius, clearance)
        if loop:
            out.append(loop if climb else reversed_loop(loop))
    return out


def _helix_for(poly: Polygon, r: float) -> Helix | None:
    """A helix fits when a circle of at least the tool's radius in diameter fits the piece."""
    if poly.interiors:
        return None
    mic = shapely.maximum_inscribed_circle(poly, 0.01 * r)
    (cx, cy), _ = mic.coords
    radius = min(mic.length * 0.95, r)
    if 2 * radius < r:
        return None
    return Helix((cx, cy), radius)


# How many of the nearest loops are tried for a link at depth before the
# nearest is taken anyway (each try is one link check).
LINK_CANDIDATES = 3


def _next_loop(b: PathBuilder, node: Node, left: list[int], here: XY, z: float,
               clearing: PolygonClearing) -> tuple[int, Loop | None]:
    """The nearest of the node's loops left that can be reached at depth, else the nearest.

    A ring with holes has a loop per hole; going to the nearest one first can
    leave the next only reachable across uncut stock, which costs a retract.
    With the loop comes its turn to start nearest the tool, when worked out.
    """
    if len(left) == 1:
        return left[0], None
    memo = clearing.memo
    order = sorted(left, key=lambda m: memo.distance(node.lines[m], here))
    if b.pos is None or b.pos[2] > z + 1e-9:
        return order[0], None
    turned: dict[int, Loop] = {}
    for m in order[:LINK_CANDIDATES]:
        # The same start the move will take, so the answer is asked once.
        turned[m] = memo.turned(node.loops[m], here)
        if clearing.link_ok(here, turned[m][0].start):
            return m, turned[m]
    return order[0], turned[order[0]]


def _tree(root: Node) -> list[Node]:
    """Every piece of the tree under `root` (itself included)."""
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.children)
    return out


def _nearest_piece(pieces: list[Node], here: XY, memo: LevelMemo) -> Node:
    """The piece nearest `here` (an only piece is taken without measuring)."""
    return pieces[0] if len(pieces) == 1 else min(pieces, key=lambda n: memo.distance(n.poly, here))


def _nearest_loop(node: Node, left: list[int], here: XY, memo: LevelMemo) -> int:
    """Which of the node's loops `left` is nearest `here` (an only loop without measuring)."""
    return left[0] if len(left) == 1 else min(left, key=lambda m: memo.distance(node.lines[m], here))


def _hops_to_first(b: PathBuilder, root: Node, start: XY, z_above: float, over: Polygon, memo: LevelMemo) -> bool:
    """Whether the tool can hop (not retract) from where it is to where a level cut from `start` begins."""
    node = root
    while node.children:
        node = _nearest_piece(node.children, start, memo)
    helix = node.helix(b.params.tool_radius_mm)
    if helix is not None:
        target = helix.center
    else:
        k = _nearest_loop(node, list(range(len(node.loops))), start, memo)
        target = memo.turned(node.loops[k], start)[0].start
    here = _xy(b)
    top = min(z_above + CLEARANCE_MM, b.params.safe_z_mm)
    return math.hypot(target[0] - here[0], target[1] - here[1]) <= 2 * (b.params.safe_z_mm - top) and \
        _hop_ok(over, here, target)


def _xy(b: PathBuilder) -> XY:
    """Where the tool is, as the floats a shapely point made there holds (the origin before any move)."""
    return (float(b.pos[0]), float(b.pos[1])) if b.pos else (0.0, 0.0)


def _hop_ok(over: Polygon, a: XY, b: XY) -> bool:
    return bool(over.covers(LineString([a, b]) if a != b else Point(a)))


def _cut_node(b: PathBuilder, root: Node, z: float, z_above: float, clearing: PolygonClearing,
              hop_ok: Callable[[XY, XY], bool], start: XY) -> None:
    """Cut `root` and every piece inside it at depth z, each piece's children before itself.

    Walked with an explicit stack: a pocket can have a thousand rings inside
    one another, past Python's recursion limit.
    """
    stack: list[tuple[Node, list[Node]]] = [(root, list(root.children))]
    first: list[XY | None] = [start]
    while stack:
        node, children = stack[-1]
        if children:
            child = _nearest_piece(children, first[0] if first[0] is not None else _xy(b), clearing.memo)
            children.remove(child)
            stack.append((child, list(child.children)))
            continue
        stack.pop()
        _cut_own_loops(b, node, z, z_above, clearing, hop_ok, first)


def _cut_own_loops(b: PathBuilder, node: Node, z: float, z_above: float, clearing: PolygonClearing,
                   hop_ok: Callable[[XY, XY], bool], first: list[XY | None]) -> None:
    helix = node.helix(b.params.tool_radius_mm)
    if not node.children:
        # Nothing inside this piece is cut yet at this depth: its rings slot.
        b.full_width_mm += sum(loop_length(loop) for loop in node.loops)
    left = list(range(len(node.loops)))
    while left:
        turned: Loop | None
        if first[0] is not None:
            # The level's first loop: chosen, and started, as from `first`.
            k = _nearest_loop(node, left, first[0], clearing.memo)
            turned = clearing.memo.turned(node.loops[k], first[0])
            first[0] = None
        else:
            k, turned = _next_loop(b, node, left, _xy(b), z, clearing)
        left.remove(k)
        go_to_loop(b, node.loops[k], z, z_above, clearing, helix, hop_ok, turned, clearing.memo.turned)
        helix = None
