"""Ground truth for emitted G-code: LinuxCNC's own interpreter, read back.

`run_rs274` runs `/usr/bin/rs274 -g` on a program and parses the canonical
moves it prints (always converted to mm). The `assert_*` functions check the
read-back geometry, never the planner's intent, so they catch post and
rounding mistakes as well as planning ones.
"""
from __future__ import annotations

import math
import os
import pathlib
import re
import shutil
import subprocess
from dataclasses import dataclass, field

import numpy as np
import pytest
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

RS274 = "/usr/bin/rs274"
MM_PER_INCH = 25.4
_CALL = re.compile(r"^\s*\d+\s+N\.+\s+([A-Z_]+)\((.*)\)\s*$")


@dataclass(frozen=True)
class Segment:
    kind: str  # "rapid" | "feed" | "arc"
    start: tuple[float, float, float]
    end: tuple[float, float, float]
    feed: float = 0.0  # mm/min
    center: tuple[float, float] | None = None
    rotation: int = 0  # >0 counter-clockwise, <0 clockwise; |n| - 1 extra full turns

    @property
    def is_cut(self) -> bool:
        return self.kind != "rapid"

    def sweep(self) -> float:
        """Signed swept angle of an arc (radians)."""
        cx, cy = self.center
        a0 = math.atan2(self.start[1] - cy, self.start[0] - cx)
        a1 = math.atan2(self.end[1] - cy, self.end[0] - cx)
        turns = abs(self.rotation) - 1
        if self.rotation > 0:
            base = (a1 - a0) % (2 * math.pi)
            if base < 1e-9:
                base = 2 * math.pi
            return base + 2 * math.pi * turns
        base = (a0 - a1) % (2 * math.pi)
        if base < 1e-9:
            base = 2 * math.pi
        return -(base + 2 * math.pi * turns)

    def points(self, max_step: float = 0.1) -> np.ndarray:
        """Points along the move (N x 3), exact on arcs and helices."""
        if self.kind != "arc":
            n = max(1, math.ceil(math.dist(self.start, self.end) / max_step))
            t = np.linspace(0.0, 1.0, n + 1)
            return np.array(self.start) + np.outer(t, np.subtract(self.end, self.start))
        cx, cy = self.center
        r = math.hypot(self.start[0] - cx, self.start[1] - cy)
        sweep = self.sweep()
        n = max(4, math.ceil(abs(sweep) * r / max_step))
        t = np.linspace(0.0, 1.0, n + 1)
        a0 = math.atan2(self.start[1] - cy, self.start[0] - cx)
        # rs274 reports the end point; the radius there can differ by rounding.
        r1 = math.hypot(self.end[0] - cx, self.end[1] - cy)
        rr = r + (r1 - r) * t
        ang = a0 + sweep * t
        z = self.start[2] + (self.end[2] - self.start[2]) * t
        return np.column_stack([cx + rr * np.cos(ang), cy + rr * np.sin(ang), z])


@dataclass
class Canon:
    segments: list[Segment] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    units_seen: set[str] = field(default_factory=set)
    spindle_on_before_first_cut: bool = False

    @property
    def cuts(self) -> list[Segment]:
        return [s for s in self.segments if s.is_cut]

    @property
    def rapids(self) -> list[Segment]:
        return [s for s in self.segments if s.kind == "rapid"]

    def min_z(self) -> float:
        return min(min(s.start[2], s.end[2]) for s in self.segments)


def _require_rs274() -> str:
    path = shutil.which("rs274") or (RS274 if os.path.exists(RS274) else None)
    if path is None:
        # Never a silent skip: `make test` installs it (scripts/ensure-system-deps.sh).
        pytest.fail("rs274 (LinuxCNC, Debian package linuxcnc-uspace) is not installed; "
                    "run `make sysdeps`" + (" (CI=true)" if os.environ.get("CI") == "true" else ""))
    return path


def parse_canon(output: str) -> Canon:
    canon = Canon()
    scale = 1.0
    pos = (0.0, 0.0, 0.0)
    feed = 0.0
    spindle = False
    for raw in output.splitlines():
        m = _CALL.match(raw)
        if not m:
            continue
        name, args = m.group(1), m.group(2)
        canon.lines.append(f"{name}({args})")
        if name == "USE_LENGTH_UNITS":
            scale = MM_PER_INCH if "INCHES" in args else 1.0
            canon.units_seen.add("inch" if "INCHES" in args else "mm")
            continue
        if name == "SELECT_PLANE":
            assert "XY" in args, f"unexpected plane {args}"
            continue
        if name == "START_SPINDLE_CLOCKWISE":
            spindle = True
            continue
        if name == "STOP_SPINDLE_TURNING":
            spindle = False
            continue
        nums = [float(v) for v in re.findall(r"[-+]?\d+\.?\d*(?:[eE][-+]?\d+)?", args)]
        if name == "SET_FEED_RATE":
            feed = nums[0] * scale
        elif name in ("STRAIGHT_TRAVERSE", "STRAIGHT_FEED"):
            end = (nums[0] * scale, nums[1] * scale, nums[2] * scale)
            kind = "rapid" if name == "STRAIGHT_TRAVERSE" else "feed"
            if kind == "feed" and not canon.cuts:
                canon.spindle_on_before_first_cut = spindle
            canon.segments.append(Segment(kind, pos, end, feed))
            pos = end
        elif name == "ARC_FEED":
            x, y, cx, cy = (v * scale for v in nums[:4])
            rotation = int(nums[4])
            z = nums[5] * scale
            if not canon.cuts:
                canon.spindle_on_before_first_cut = spindle
            end = (x, y, z)
            canon.segments.append(Segment("arc", pos, end, feed, (cx, cy), rotation))
            pos = end
    return canon


def run_rs274(program_text: str, tmp_path: pathlib.Path, name: str = "program.ngc") -> Canon:
    """Interpret `program_text` with rs274; fail the test with its message if rejected."""
    exe = _require_rs274()
    path = pathlib.Path(tmp_path) / name
    path.write_text(program_text, encoding="ascii", errors="strict")
    proc = subprocess.run([exe, "-g", str(path)], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        pytest.fail(f"rs274 rejected the program (exit {proc.returncode}):\n{proc.stderr.strip()}\n"
                    f"--- last canonical lines ---\n" + "\n".join(proc.stdout.splitlines()[-5:]))
    canon = parse_canon(proc.stdout)
    assert canon.segments, "rs274 produced no motion"
    return canon


# -- geometry checks ----------------------------------------------------------

def _cut_points(canon: Canon, below_z: float = 0.0, step: float = 0.05) -> np.ndarray:
    pts = [s.points(step) for s in canon.cuts]
    allp = np.vstack(pts) if pts else np.zeros((0, 3))
    return allp[allp[:, 2] < below_z - 1e-6]


def assert_max_depth(canon: Canon, depth: float, tol: float = 0.001) -> None:
    deepest = canon.min_z()
    assert deepest >= -depth - tol, f"cuts to Z {deepest:.4f} mm, deeper than the requested {depth} mm"


def assert_cuts_within(canon: Canon, region: BaseGeometry, tool_radius: float, tol: float = 0.01) -> None:
    """Every in-material tool-centre point lies in `region` shrunk by the tool radius."""
    allowed = region.buffer(-tool_radius)
    pts = _cut_points(canon)
    assert len(pts), "no cutting move below the top surface"
    assert not allowed.is_empty, "region is narrower than the tool"
    shapely.prepare(allowed)
    outside = ~shapely.contains_xy(allowed, pts[:, 0], pts[:, 1])
    if not outside.any():
        return
    pts = pts[outside]
    dist = shapely.distance(allowed, shapely.points(pts[:, 0], pts[:, 1]))
    worst = int(np.argmax(dist))
    assert dist[worst] <= tol, (f"tool centre at ({pts[worst, 0]:.4f}, {pts[worst, 1]:.4f}, {pts[worst, 2]:.4f}) "
                                f"is {dist[worst]:.4f} mm outside the allowed region (gouge)")


def assert_tool_within(canon: Canon, target: BaseGeometry, tool_radius: float, tol: float) -> None:
    """Every in-material tool disc lies inside `target`, overlapping its walls by at most `tol`.

    For a slot exactly the tool's width, where `assert_cuts_within`'s shrunk
    region is empty: measured directly as each centre's distance to the walls.
    """
    pts = _cut_points(canon)
    assert len(pts), "no cutting move below the top surface"
    shapely.prepare(target)
    inside = shapely.contains_xy(target, pts[:, 0], pts[:, 1])
    assert inside.all(), f"tool centre outside the target at {pts[~inside][0]}"
    dist = shapely.distance(target.boundary, shapely.points(pts[:, 0], pts[:, 1]))
    worst = int(np.argmin(dist))
    assert dist[worst] >= tool_radius - tol, (
        f"tool at ({pts[worst, 0]:.4f}, {pts[worst, 1]:.4f}, {pts[worst, 2]:.4f}) cuts "
        f"{tool_radius - dist[worst]:.4f} mm past a wall")


class _Grid:
    def __init__(self, bounds: tuple[float, float, float, float], cell: float, max_cells: int = 600_000):
        minx, miny, maxx, maxy = bounds
        span = max(maxx - minx, maxy - miny, 1e-6)
        cell = max(cell, span / math.sqrt(max_cells))
        self.cell = cell
        self.x0, self.y0 = minx, miny
        self.nx = int(math.ceil((maxx - minx) / cell)) + 1
        self.ny = int(math.ceil((maxy - miny) / cell)) + 1
        self.xs = minx + cell * np.arange(self.nx)
        self.ys = miny + cell * np.arange(self.ny)

    def window(self, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
        i0 = max(0, int(math.floor((x0 - self.x0) / self.cell)))
        i1 = min(self.nx, int(math.ceil((x1 - self.x0) / self.cell)) + 1)
        j0 = max(0, int(math.floor((y0 - self.y0) / self.cell)))
        j1 = min(self.ny, int(math.ceil((y1 - self.y0) / self.cell)) + 1)
        return slice(j0, j1), slice(i0, i1)

    def seg_distance(self, a: np.ndarray, b: np.ndarray, r: float):
        """(window, distance from each cell centre in it to segment a-b in XY)."""
        win = self.window(min(a[0], b[0]) - r, min(a[1], b[1]) - r, max(a[0], b[0]) + r, max(a[1], b[1]) + r)
        gx, gy = np.meshgrid(self.xs[win[1]], self.ys[win[0]])
        d = b[:2] - a[:2]
        dd = float(d @ d)
        if dd < 1e-18:
            t = np.zeros_like(gx)
        else:
            t = np.clip(((gx - a[0]) * d[0] + (gy - a[1]) * d[1]) / dd, 0.0, 1.0)
        return win, np.hypot(gx - (a[0] + t * d[0]), gy - (a[1] + t * d[1]))


def _polyline_pieces(segments: list[Segment], step: float):
    for s in segments:
        p = s.points(step)
        for k in range(len(p) - 1):
            yield s, p[k], p[k + 1]


def assert_cleared(canon: Canon, target: BaseGeometry, depth: float, tool_radius: float,
                   tol: float = 0.02, cell: float | None = None) -> None:
    """The tool discs at the deepest level cover every reachable part of `target`.

    Reachable = target.buffer(-r).buffer(r): corners sharper than the tool
    radius can never be cut by a round tool and are not demanded.
    """
    r = tool_radius
    cell = cell or max(r / 6, 0.02)
    reachable = target.buffer(-r).buffer(r)
    assert not reachable.is_empty, "the tool does not fit the target at all"
    grid = _Grid(reachable.bounds, cell)
    cut = np.zeros((grid.ny, grid.nx), dtype=bool)
    floor = -depth + tol
    deep = [s for s in canon.cuts if max(s.start[2], s.end[2]) <= floor]
    # Pieces of r/2: the distance to a straight piece is exact, and an arc's
    # chord of r/2 strays from it by r^2/(32 R), far below the tolerance.
    for _, a, b in _polyline_pieces(deep, max(grid.cell, r / 2)):
        win, dist = grid.seg_distance(a, b, r)
        cut[win] |= dist <= r + tol
    gx, gy = np.meshgrid(grid.xs, grid.ys)
    # Cells a cell-width inside the reachable region: the edge itself is
    # where raster and exact geometry legitimately disagree.
    inner = reachable.buffer(-max(tol, grid.cell * 1.5))
    want = shapely.contains_xy(inner, gx, gy)
    missing = want & ~cut
    if missing.any():
        j, i = np.argwhere(missing)[0]
        pytest.fail(f"{int(missing.sum())} of {int(want.sum())} cells of the target are not cleared to "
                    f"{depth} mm, e.g. at ({grid.xs[i]:.3f}, {grid.ys[j]:.3f})")


def assert_no_rapid_through_material(canon: Canon, tool_radius: float, tol: float = 0.01,
                                     cell: float | None = None) -> None:
    """A rapid below the top surface must stay inside material already removed.

    Replays the program over a heightmap of the stock (top at Z 0 everywhere):
    each feed move lowers it under the tool disc; each rapid point below Z 0
    must find the heightmap under its whole disc already at or below it.
    """
    r = tool_radius
    low = [k for k, s in enumerate(canon.segments) if s.kind == "rapid" and min(s.start[2], s.end[2]) < -tol]
    if not low:
        return  # no rapid ever goes below the top surface
    segments = canon.segments[: low[-1] + 1]
    pts = np.vstack([s.points(1.0) for s in segments])
    bounds = (pts[:, 0].min() - r, pts[:, 1].min() - r, pts[:, 0].max() + r, pts[:, 1].max() + r)
    grid = _Grid(bounds, cell or max(r / 5, 0.02))
    height = np.zeros((grid.ny, grid.nx))
    probe = max(r - 1.5 * grid.cell, 0.0)
    for s in segments:
        if s.kind == "rapid":
            for p in s.points(grid.cell):
                if p[2] >= -tol:
                    continue
                win, dist = grid.seg_distance(p, p, probe)
                under = height[win][dist <= probe]
                if under.size and under.max() > p[2] + tol:
                    pytest.fail(f"rapid through material at ({p[0]:.3f}, {p[1]:.3f}, {p[2]:.3f}): "
                                f"stock there is still at Z {under.max():.3f}")
            continue
        if min(s.start[2], s.end[2]) >= 0:
            continue
        p = s.points(max(grid.cell, r / 2))
        for k in range(len(p) - 1):
            a, b = p[k], p[k + 1]
            z = max(a[2], b[2])
            if z >= 0:
                continue
            win, dist = grid.seg_distance(a, b, r)
            sub = height[win]
            np.minimum(sub, np.where(dist <= r, z, 0.0), out=sub)
            # The tool's flat end reaches each sampled point's own depth
            # (a plunge removes down to its bottom, not to its top).
            if b[2] < z:
                win, dist = grid.seg_distance(b, b, r)
                sub = height[win]
                np.minimum(sub, np.where(dist <= r, b[2], 0.0), out=sub)


def disc(center: tuple[float, float], radius: float) -> BaseGeometry:
    """An exact-enough circle for region checks (0.1 micron sagitta)."""
    return Point(center).buffer(radius, quad_segs=256)
