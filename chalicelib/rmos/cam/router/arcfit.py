"""Rounded corners of offset rings back to true arcs.

Every rounded corner GEOS makes is a run of chords whose vertices lie on one
circle about a vertex of the original outline. Writing such a run as one arc
about that vertex is exact (and far shorter in G-code). Each arc is checked
against the walls before it replaces its chords, because an arc bulges a
little beyond its chords; where it would come too close, the chords stay.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray
import shapely
from shapely.geometry.base import BaseGeometry

from chalicelib.rmos.cam.router.path2d import Loop, Seg, once, polygon_loop

MIN_RUN = 3  # vertices: at least two chords make an arc worth writing


class CornerArcs:
    """The original outline's vertices (arc centres) and walls (clearance check)."""

    def __init__(self, outlines: Sequence[BaseGeometry]) -> None:
        # The indexes are built when first asked for: a pocket needs them
        # only for a ring GEOS could not offset (a slot the tool's width).
        self._outlines = list(outlines)

    @once
    def _rings(self) -> list[NDArray[Any]]:
        return [np.asarray(ring.coords)[:, :2] for poly in self._outlines
                for ring in [poly.exterior, *poly.interiors]]

    @once
    def centres(self) -> NDArray[Any]:
        return np.vstack([r[:-1] for r in self._rings]) if self._rings else np.zeros((0, 2))

    @once
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(shapely.points(self.centres))

    @once
    def walls(self) -> shapely.STRtree:
        # Every wall edge on its own, so a nearest-wall query is an index lookup
        # rather than a scan of the whole outline.
        edges = [np.stack([r[:-1], r[1:]], axis=1) for r in self._rings]
        return shapely.STRtree(shapely.linestrings(np.vstack(edges)) if edges else [])

    def wall_distance(self, points: NDArray[Any]) -> NDArray[Any]:
        """Distance from each point (n x 2) to the nearest wall."""
        if len(points) == 0:
            return np.zeros(0)
        index, dist = self.walls.query_nearest(shapely.points(points), return_distance=True, all_matches=False)
        out = np.full(len(points), np.inf)
        out[index[0]] = dist
        return out

    def loop(self, ring_coords: Sequence[Sequence[float]], radius: float, clearance: float) -> Loop:
        """The ring as a loop, with chord runs on a `radius` circle about a vertex as arcs.

        `clearance`: no arc may come nearer a wall than this.
        """
        pts = np.asarray(ring_coords, dtype=float)[:, :2]
        n = len(pts) - 1
        if n < MIN_RUN or len(self.centres) == 0:
            return polygon_loop(ring_coords)
        body = pts[:n]
        nearest, dist = self.tree.query_nearest(shapely.points(body), return_distance=True, all_matches=False)
        centre_of = np.full(n, -1)
        centre_of[nearest[0]] = nearest[1]
        d = np.full(n, np.inf)
        d[nearest[0]] = dist
        on = np.abs(d - radius) <= 1e-7 * max(1.0, radius)
        tag = np.where(on, centre_of, -1)
        # Start the walk at a vertex where a run changes, so no run wraps past the seam.
        breaks = np.flatnonzero((tag == -1) | (tag != np.roll(tag, 1)))
        if len(breaks) == 0:
            return polygon_loop(ring_coords)
        order = (breaks[0] + np.arange(n)) % n
        walk = body[order]
        tags = tag[order]
        # Runs of equal tags (k..j inclusive, in walk order) long enough to be an arc.
        runs: list[tuple[int, int]] = []
        k = 0
        while k < n:
            t = tags[k]
            j = k
            if t != -1:
                while j + 1 < n and tags[j + 1] == t:
                    j += 1
            if j - k + 1 >= MIN_RUN:
                runs.append((k, j))
            k = j + 1
        arcs = self._arcs(walk, tags, runs, clearance)

        segs: list[Seg] = []
        xy = [(float(x), float(y)) for x, y in walk]

        def line(a: int) -> None:
            p, q = xy[a], xy[(a + 1) % n]
            if p != q:
                segs.append(Seg(p, q))

        next_run = 0
        k = 0
        while k < n:
            if next_run < len(runs) and runs[next_run][0] == k:
                j = runs[next_run][1]
                arc = arcs[next_run]
                next_run += 1
                if arc is not None:
                    segs.append(arc)
                else:
                    for m in range(k, j):
                        line(m)
                k = j
            line(k)
            k += 1
        return segs

    def _arcs(self, walk: NDArray[Any], tags: NDArray[Any], runs: list[tuple[int, int]],
              clearance: float) -> list[Seg | None]:
        """Each run as one arc about its centre, or None where that arc would not be safe.

        A run's vertices are measured against the walls; every point of the arc
        lies within half a step (along the arc) of one of them, so subtracting
        that bounds the arc's distance from below. Arcs that bound cannot clear
        (the wall ring, which runs at exactly the clearance) are sampled finely.
        """
        out: list[Seg | None] = []
        checks: list[tuple[int, NDArray[Any], float]] = []
        for index, (k, j) in enumerate(runs):
            run = walk[k:j + 1]
            cx, cy = self.centres[tags[k]]
            angles = np.arctan2(run[:, 1] - cy, run[:, 0] - cx)
            steps = (np.diff(angles) + math.pi) % (2 * math.pi) - math.pi
            sweep = float(steps.sum())
            if not (np.all(steps > 0) or np.all(steps < 0)) or not 0 < abs(sweep) < 2 * math.pi - 1e-6:
                out.append(None)
                continue
            start, end = (float(run[0, 0]), float(run[0, 1])), (float(run[-1, 0]), float(run[-1, 1]))
            seg = Seg(start, end, (float(cx), float(cy)), sweep)
            out.append(seg)
            checks.append((index, run, float(np.abs(steps).max()) * seg.radius / 2))
        if not checks:
            return out
        vertex_dist = self.wall_distance(np.vstack([run for _, run, _ in checks]))
        fine: list[int] = []
        at = 0
        for index, run, half_step in checks:
            lowest = float(vertex_dist[at:at + len(run)].min())
            at += len(run)
            if lowest - half_step < clearance - 1e-9:
                fine.append(index)
        if fine:
            samples, owner = [], []
            for index in fine:
                arc = out[index]
                assert arc is not None and arc.center is not None
                count = max(8, math.ceil(arc.length / 0.01))
                a0 = math.atan2(arc.start[1] - arc.center[1], arc.start[0] - arc.center[0])
                a = a0 + arc.sweep * np.linspace(0.0, 1.0, count + 1)
                r = arc.radius
                samples.append(np.column_stack([arc.center[0] + r * np.cos(a), arc.center[1] + r * np.sin(a)]))
                owner.append(np.full(count + 1, index))
            near = self.wall_distance(np.vstack(samples))
            who = np.concatenate(owner)
            too_close = np.unique(who[near < clearance - 1e-9])
            for index in too_close:
                out[int(index)] = None
        return out
