"""The ring fitter's search and rule: every arc kept passes the rule and cannot grow by one vertex, rings of arcs
of about one length cost about two probes an arc, and the rule decides exactly as written out."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
from shapely.geometry import Polygon

from chalicelib.rmos.cam.router import fit


def _scallops(count, edges, radius=40.0, bulge=0.3):
    """A closed ring of `count` equal arcs of `edges` edges each, bulging outwards and meeting in sharp corners."""
    half = 2 * math.atan(2 * bulge)  # half of each arc's angle, for a sagitta of `bulge` chords
    pts = []
    for k in range(count):
        a0, a1 = 2 * math.pi * k / count, 2 * math.pi * (k + 1) / count
        chord = 2 * radius * math.sin((a1 - a0) / 2)
        rho = chord / (2 * math.sin(half))
        apex = (a0 + a1) / 2
        # The centre lies inside the ring, so the arc runs counter-clockwise about it as about the origin.
        inward = radius * math.cos((a1 - a0) / 2) - rho * math.cos(half)
        cx, cy = inward * math.cos(apex), inward * math.sin(apex)
        angles = [apex - half + 2 * half * s / edges for s in range(edges)]
        pts += [(cx + rho * math.cos(a), cy + rho * math.sin(a)) for a in angles]
    return pts + [pts[0]]


def _rounded_square(fillet_edges):
    square = Polygon([(0, 0), (60, 0), (60, 60), (0, 60)]).buffer(5, quad_segs=fillet_edges)
    return list(square.exterior.coords)


def _noisy_ellipse(n, noise, seed):
    rnd = random.Random(seed)
    pts = [(80 * math.cos(t) + rnd.uniform(-noise, noise), 50 * math.sin(t) + rnd.uniform(-noise, noise))
           for t in (2 * math.pi * k / n for k in range(n))]
    return pts + [pts[0]]


def _wavy(n, seed):
    """Bumps of several sizes and a little noise: arc lengths that jump about, so every branch of the search runs."""
    rnd = random.Random(seed)
    pts = []
    for k in range(n):
        t = 2 * math.pi * k / n
        r = 40 + 6 * math.sin(3 * t) + 1.5 * math.sin(11 * t) + rnd.uniform(-0.004, 0.004)
        pts.append((r * math.cos(t), r * math.sin(t)))
    return pts + [pts[0]]


class _Probes:
    """Counts the rule's runs, and records what the search settled on at each start vertex."""

    def __init__(self, monkeypatch):
        self.calls = 0
        self.settled = []
        rule, search = fit._fits, fit._longest

        def counted(xy, i, j, tol):
            self.calls += 1
            return rule(xy, i, j, tol)

        def recorded(xy, i, n, tol, guess):
            found = search(xy, i, n, tol, guess)
            self.settled.append((xy, i, n, tol, found))
            return found

        monkeypatch.setattr(fit, "_fits", counted)
        monkeypatch.setattr(fit, "_longest", recorded)


@pytest.mark.parametrize("count, edges", [(12, 24), (20, 40), (8, 16)])
def test_a_ring_of_equal_arcs_costs_about_two_probes_an_arc(monkeypatch, count, edges):
    probes = _Probes(monkeypatch)
    loop = fit.fit_points(np.asarray(_scallops(count, edges)), 0.05)
    assert len(loop) == count and all(seg.is_arc for seg in loop), [seg.is_arc for seg in loop]
    # The first arc is found from the starting guess; each later one is asked at the last arc's length (passes)
    # and one vertex further (fails); the last one ends at the ring's end and needs one probe.
    assert probes.calls <= 2 * count + 2 * math.ceil(math.log2(edges)) + 2, probes.calls


def test_a_straight_run_into_a_fillet_is_settled_in_one_probe(monkeypatch):
    probes = _Probes(monkeypatch)
    loop = fit.fit_points(np.asarray(_rounded_square(16)), 0.02)
    assert sum(seg.is_arc for seg in loop) == 4 and sum(not seg.is_arc for seg in loop) == 4
    lines = [found for *_, found in probes.settled if found is None]
    assert len(lines) == 4
    # Four lines at one probe each, four fillets of 16 edges at two each after the first.
    assert probes.calls <= 4 + 2 * 4 + 2 * math.ceil(math.log2(16)) + 2, probes.calls


def _passing_run(xy, i, n, tol):
    """Brute force: the last j of the unbroken run of passing stretches xy[i..i+2], xy[i..i+3], ...; None if none."""
    j = i + 1
    while j + 1 <= n and fit._fits(xy, i, j + 1, tol) is not None:
        j += 1
    return j if j >= i + 2 else None


@pytest.mark.parametrize("pts, tol", [
    (_noisy_ellipse(3000, 0.002, 1), 0.004),
    (_noisy_ellipse(1500, 0.0005, 2), 0.002),
    (_wavy(2000, 3), 0.003),
    (_wavy(900, 4)[::-1], 0.01),
    (_scallops(10, 30), 0.01),
    (_rounded_square(32), 0.005),
])
def test_every_arc_kept_passes_the_rule_and_cannot_grow(monkeypatch, pts, tol):
    probes = _Probes(monkeypatch)
    loop = fit.fit_points(np.asarray(pts, dtype=float), tol)
    monkeypatch.undo()
    arcs = [found for *_, found in probes.settled if found is not None]
    assert [(seg.center, seg.sweep) for seg in loop if seg.is_arc] == [(centre, sweep) for _, centre, sweep in arcs]
    assert len(arcs) >= 4
    for xy, i, n, tol_, found in probes.settled:
        run = _passing_run(xy, i, n, tol_)
        if found is None:
            assert run is None, f"a line at {i} where xy[{i}..{run}] is an arc"
            continue
        j = found[0]
        assert fit._fits(xy, i, j, tol_) == found, "the arc kept is the rule's own answer for its stretch"
        assert j == n or fit._fits(xy, i, j + 1, tol_) is None, f"xy[{i}..{j + 1}] is an arc too"
        # Never shorter than the first unbroken run of passes; past a refused stretch it may find a longer one.
        assert run is None or j >= run, (i, j, run)


@pytest.mark.parametrize("radius, step", [(0.8, 0.05), (12.0, 0.02), (12.0, 0.4), (300.0, 0.002), (1500.0, 0.001)])
def test_the_rule_refuses_exactly_where_the_written_out_rule_does(radius, step):
    """Right at the tolerance where a stretch stops passing, `_fits` and the rule written out with a cosine for
    every edge decide alike: no shortcut inside `_fits` may let an edge through that the rule refuses."""
    from tests.cam.router.test_fit import _reference_arc

    xy = [(3 + (radius + 1e-4 * math.sin(3 * k)) * math.cos(0.3 + step * k),
           -2 + (radius + 1e-4 * math.sin(3 * k)) * math.sin(0.3 + step * k)) for k in range(9)]
    for j in (2, 5, 8):
        lo, hi = 0.0, 1.0
        assert _reference_arc(xy, 0, j, hi) is not None and _reference_arc(xy, 0, j, lo) is None
        while math.nextafter(lo, 2.0) < hi:
            mid = (lo + hi) / 2
            if _reference_arc(xy, 0, j, mid) is None:
                lo = mid
            else:
                hi = mid
        for tol in (lo, hi, math.nextafter(lo, 0.0), math.nextafter(hi, 2.0), lo * (1 - 1e-12), hi * (1 + 1e-12)):
            assert (fit._fits(xy, 0, j, tol) is None) == (_reference_arc(xy, 0, j, tol) is None), (j, tol)
        assert fit._fits(xy, 0, j, lo) is None and fit._fits(xy, 0, j, hi) is not None
