"""Rounded corners of offset rings back to true arcs.

Every rounded corner GEOS makes is a run of chords whose vertices lie on one
circle about a vertex of the original outline. Writing such a run as one arc
about that vertex is exact (and far shorter in G-code). Each arc is checked
against the walls before it replaces its chords, because an arc bulges a
little beyond its chords; where it would come too close, the chords stay.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from chalicelib.rmos.cam.router.path2d import Loop, Seg, polygon_loop

MIN_RUN = 3  # vertices: at least two chords make an arc worth writing


class CornerArcs:
    """The original outline's vertices (arc centres) and walls (clearance check)."""

    def __init__(self, outlines: Sequence[BaseGeometry]) -> None:
        coords = [np.asarray(ring.coords)[:-1, :2] for poly in outlines
                  for ring in [poly.exterior, *poly.interiors]]
        self.centres = np.vstack(coords) if coords else np.zeros((0, 2))
        self.tree = shapely.STRtree(shapely.points(self.centres))
        self.walls = shapely.union_all([poly.boundary for poly in outlines])

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
        breaks = [i for i in range(n) if tag[i] == -1 or tag[i] != tag[i - 1]]
        if not breaks:
            return polygon_loop(ring_coords)
        start = breaks[0]
        order = [(start + k) % n for k in range(n)]

        def line(k: int) -> None:
            a, b = body[order[k]], body[order[(k + 1) % n]]
            if (a != b).any():
                segs.append(Seg((float(a[0]), float(a[1])), (float(b[0]), float(b[1]))))

        segs: list[Seg] = []
        k = 0
        while k < n:
            t = tag[order[k]]
            j = k
            if t != -1:
                while j + 1 < n and tag[order[j + 1]] == t:
                    j += 1
            if j - k + 1 >= MIN_RUN:
                arc = self._arc([body[order[m]] for m in range(k, j + 1)], self.centres[t], clearance)
                if arc is not None:
                    segs.append(arc)
                else:
                    for m in range(k, j):
                        line(m)
                k = j
            line(k)
            k += 1
        return segs

    def _arc(self, run: list[np.ndarray], centre: np.ndarray, clearance: float) -> Seg | None:
        cx, cy = float(centre[0]), float(centre[1])
        sweep = 0.0
        for a, b in zip(run, run[1:]):
            a0 = math.atan2(a[1] - cy, a[0] - cx)
            a1 = math.atan2(b[1] - cy, b[0] - cx)
            step = (a1 - a0 + math.pi) % (2 * math.pi) - math.pi
            if sweep and (step > 0) != (sweep > 0):
                return None
            sweep += step
        if not 0 < abs(sweep) < 2 * math.pi - 1e-6:
            return None
        start = (float(run[0][0]), float(run[0][1]))
        end = (float(run[-1][0]), float(run[-1][1]))
        seg = Seg(start, end, (cx, cy), sweep)
        samples = max(8, math.ceil(seg.length / 0.01))
        pts = [seg.point_at(t / samples) for t in range(samples + 1)]
        if shapely.distance(shapely.points(pts), self.walls).min() < clearance - 1e-9:
            return None
        return seg
