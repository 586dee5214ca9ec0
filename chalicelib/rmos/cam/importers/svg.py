"""SVG -> closed outlines in mm (svgelements parses paths, shapes and transforms).

Every path and basic shape (rect, circle, ellipse, polygon) in the document
counts; circular arcs stay arcs (bulges), elliptical arcs and Bezier curves
are flattened within the tolerance. Y is flipped: SVG's Y runs down the page,
the machine's runs away from the operator, so the part is not mirrored.
Units: a document whose width/height carry physical units (mm, cm, in, pt,
pc) is read at its true size; plain user units are read in the caller's units.
"""
from __future__ import annotations

import io
import math
from typing import Any
from xml.etree.ElementTree import ParseError

from chalicelib.rmos.cam.importers.dxf import MM_PER, Imported
from chalicelib.rmos.cam.importers.loops import (DEFAULT_TOLERANCE_MM, DrawingRefused, Outline, Piece, arrange,
                                                 bulge_of, join, same, to_geometry)

_PHYSICAL = ("mm", "cm", "in", "pt", "pc")
# svgelements resolves physical sizes to "pixels" at this resolution.
PPI = 96.0


def _curve_points(seg: Any, tol: float, t0: float = 0.0, t1: float = 1.0, depth: int = 0) -> list[tuple[float, float]]:
    """Points after the start of `seg` up to its end, each chord within `tol` of the curve."""
    a, b = seg.point(t0), seg.point(t1)
    tm = (t0 + t1) / 2
    m = seg.point(tm)
    # Distance of the curve's midpoint from the chord, checked at a quarter too for S-bends.
    q = seg.point((t0 + tm) / 2)
    err = max(_off_chord(a, b, m), _off_chord(a, m, q))
    if err <= tol or depth >= 16:
        return [(float(b[0]), float(b[1]))]
    return _curve_points(seg, tol, t0, tm, depth + 1) + _curve_points(seg, tol, tm, t1, depth + 1)


def _off_chord(a: Any, b: Any, p: Any) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    if length < 1e-12:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    return float(abs(dx * (p[1] - a[1]) - dy * (p[0] - a[0])) / length)


def _subpath_piece(subpath: Any, tol: float) -> tuple[Piece | None, bool]:
    """One subpath as a piece in SVG user units (Y down), and whether it closes."""
    from svgelements import Arc, Close, Line, Move

    points: list[tuple[float, float]] = []
    bulges: list[float] = []
    closed = False
    for seg in subpath:
        if isinstance(seg, Move):
            points = [(float(seg.end[0]), float(seg.end[1]))]
            continue
        if not points:
            continue
        if isinstance(seg, Close):
            closed = True
            continue
        if seg.end is None:
            continue
        if isinstance(seg, Line):
            points.append((seg.end[0], seg.end[1]))
            bulges.append(0.0)
        elif isinstance(seg, Arc) and math.isclose(seg.rx, seg.ry, rel_tol=1e-6) and abs(seg.sweep) < 2 * math.pi:
            halves = 2 if abs(seg.sweep) > math.pi else 1
            for k in range(1, halves + 1):
                p = seg.point(k / halves)
                points.append((float(p[0]), float(p[1])))
                bulges.append(bulge_of(seg.sweep / halves))
        else:
            for p in _curve_points(seg, tol):
                points.append(p)
                bulges.append(0.0)
    if len(points) < 2:
        return None, False
    closed = closed or (len(points) > 2 and same(points[0], points[-1]))
    return Piece(points, bulges), closed


def read_svg(data: bytes, *, units: str | None = None, tolerance_mm: float = DEFAULT_TOLERANCE_MM) -> Imported:
    from svgelements import SVG, Length, Path, Shape

    try:
        doc = SVG.parse(io.BytesIO(data), reify=True, ppi=PPI)
    except ParseError as exc:
        raise DrawingRefused(f"not a readable SVG file: {exc}", "svg") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure on a caller's file is the file's fault
        raise DrawingRefused(f"not a readable SVG file ({type(exc).__name__})", "svg") from None
    width = str(doc.values.get("width", "")).strip().lower()
    physical = width.endswith(_PHYSICAL)
    source = "mm (from the document size)" if physical else (units or "mm")
    # svgelements' own millimetre, so a 10 mm line reads as 10 mm exactly.
    scale = 1 / float(Length("1mm").value(ppi=PPI)) if physical else MM_PER[units or "mm"]
    pieces: list[Piece] = []
    outlines: list[Outline] = []
    for element in doc.elements():
        if not isinstance(element, Shape):
            continue
        for subpath in Path(element).as_subpaths():
            piece, closed = _subpath_piece(list(subpath), tolerance_mm / scale)
            if piece is None:
                continue
            if closed:
                pts, bulges = piece.points, piece.bulges
                if same(pts[0], pts[-1]):
                    pts = pts[:-1]
                else:
                    bulges = bulges + [0.0]  # the straight segment a closepath draws back to the start
                outlines.append(Outline(pts, bulges))
            else:
                pieces.append(piece)
    outlines += join(pieces, "the SVG", "svg")
    # Flip Y (and so every arc's direction) and scale to mm.
    flipped = [Outline([(x * scale, -y * scale) for x, y in o.points], [-b for b in o.bulges]) for o in outlines]
    outer, islands = arrange(flipped, "the SVG", "svg")
    return Imported(to_geometry(outer, islands, tolerance_mm), None, source, len(islands), [])
