"""DXF -> closed outlines of one layer, in mm (ezdxf reads the file).

Read: LWPOLYLINE (with bulges) and 2D POLYLINE, CIRCLE, ARC and LINE chains
joined end to end, SPLINE and ELLIPSE flattened within the tolerance. Other
entities (text, dimensions, hatches, blocks) are drawing furniture and are
skipped. `$INSUNITS` sets the scale; a drawing that does not say is read in
the units the caller names (mm by default).
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from chalicelib.rmos.cam.importers.loops import (DEFAULT_TOLERANCE_MM, DrawingRefused, Outline, Piece, arrange,
                                                 bulge_of, join, same, to_geometry)

# $INSUNITS code -> mm per drawing unit (0 = unitless: the caller's units decide).
MM_PER_UNIT = {1: 25.4, 2: 304.8, 4: 1.0, 5: 10.0, 6: 1000.0, 8: 25.4e-6, 9: 0.0254, 10: 914.4}
UNIT_NAMES = {1: "inch", 2: "foot", 4: "mm", 5: "cm", 6: "m", 8: "microinch", 9: "mil", 10: "yard"}
MM_PER = {"mm": 1.0, "inch": 25.4}


@dataclass(frozen=True)
class Imported:
    geometry: dict[str, Any]
    layer: str | None
    source_units: str
    islands: int
    layers: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"geometry": self.geometry, "layer": self.layer, "source_units": self.source_units,
                "units": "mm", "islands": self.islands, "layers": self.layers}


def _document(data: bytes) -> Any:
    import ezdxf
    from ezdxf import recover
    from ezdxf.lldxf.const import DXFError

    try:
        doc, _auditor = recover.read(io.BytesIO(data))
    except DXFError as exc:
        raise DrawingRefused(f"not a readable DXF file: {exc}", "dxf") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure on a caller's file is the file's fault
        raise DrawingRefused(f"not a readable DXF file ({type(exc).__name__})", "dxf") from None
    assert isinstance(doc, ezdxf.document.Drawing)
    return doc


def _flat(e: Any) -> bool:
    """Drawn in the XY plane (possibly mirrored: extrusion 0, 0, -1)."""
    ex = e.dxf.get("extrusion", (0, 0, 1))
    return bool(abs(ex[0]) < 1e-9 and abs(ex[1]) < 1e-9)


def _mirror(e: Any) -> bool:
    return bool(e.dxf.get("extrusion", (0, 0, 1))[2] < 0)


Parts = tuple[list[Piece], list[Outline]]


def _lwpolyline(e: Any, m: float, tol: float) -> Parts:
    pts = [(m * x, y) for x, y, *_ in e.get_points("xy")]
    bulges = [m * b for *_, b in e.get_points("b")]
    return _polyline(pts, bulges, bool(e.closed))


def _old_polyline(e: Any, m: float, tol: float) -> Parts:
    if e.is_3d_polyline or e.is_poly_face_mesh or e.is_polygon_mesh:
        pts3 = [(v.dxf.location[0], v.dxf.location[1]) for v in e.vertices]
        return _polyline(pts3, [0.0] * len(pts3), e.is_closed)
    pts = [(m * v.dxf.location[0], v.dxf.location[1]) for v in e.vertices]
    return _polyline(pts, [m * v.dxf.get("bulge", 0.0) for v in e.vertices], e.is_closed)


def _circle(e: Any, m: float, tol: float) -> Parts:
    c, r = e.dxf.center, e.dxf.radius
    cx = m * c[0]
    return [], [Outline([(cx + r, c[1]), (cx - r, c[1])], [1.0, 1.0])]


def _arc(e: Any, m: float, tol: float) -> Parts:
    c, r = e.dxf.center, e.dxf.radius
    a0, a1 = math.radians(e.dxf.start_angle), math.radians(e.dxf.end_angle)
    sweep = (a1 - a0) % (2 * math.pi) or 2 * math.pi
    start = (m * (c[0] + r * math.cos(a0)), c[1] + r * math.sin(a0))
    end = (m * (c[0] + r * math.cos(a1)), c[1] + r * math.sin(a1))
    if sweep > math.pi:  # two halves, so no bulge is near infinite
        mid_a = a0 + sweep / 2
        mid = (m * (c[0] + r * math.cos(mid_a)), c[1] + r * math.sin(mid_a))
        return [Piece([start, mid, end], [m * bulge_of(sweep / 2)] * 2)], []
    return [Piece([start, end], [m * bulge_of(sweep)])], []


def _line(e: Any, m: float, tol: float) -> Parts:
    s, t = e.dxf.start, e.dxf.end
    return [Piece([(s[0], s[1]), (t[0], t[1])], [0.0])], []


def _curve(e: Any, m: float, tol: float) -> Parts:
    from ezdxf import path as dxfpath

    pts = [(v[0], v[1]) for v in dxfpath.make_path(e).flattening(tol)]
    closed = bool(e.dxftype() == "SPLINE" and e.closed) or (len(pts) > 2 and same(pts[0], pts[-1]))
    return _polyline(pts, [0.0] * len(pts), closed)


# Each reader takes (entity, x mirror factor, flattening tolerance).
_READERS: dict[str, Callable[[Any, float, float], Parts]] = {
    "LWPOLYLINE": _lwpolyline, "POLYLINE": _old_polyline, "CIRCLE": _circle, "ARC": _arc,
    "LINE": _line, "SPLINE": _curve, "ELLIPSE": _curve,
}


def _pieces_of(e: Any, tol: float) -> Parts:
    """(open pieces, closed outlines) of one entity, in drawing units and WCS."""
    reader = _READERS.get(e.dxftype())
    if reader is None:
        return [], []
    m = -1.0 if _flat(e) and _mirror(e) else 1.0
    return reader(e, m, tol)


def _polyline(pts: list[tuple[float, float]], bulges: list[float],
              closed: bool) -> tuple[list[Piece], list[Outline]]:
    # Some exporters repeat the first vertex at the end of a closed polyline.
    if len(pts) > 2 and same(pts[0], pts[-1]):
        # The duplicate's bulge is meaningless; the one before it is the closing segment's.
        pts, bulges, closed = pts[:-1], bulges[:-1], True
    if len(pts) < 2:
        return [], []
    if closed:
        return [], [Outline(pts, bulges[:len(pts)])]
    return [Piece(pts, bulges[:len(pts) - 1])], []


def _layers(doc: Any) -> list[str]:
    return sorted({e.dxf.layer for e in doc.modelspace()})


def _entities(doc: Any, layer: str | None) -> Iterable[Any]:
    msp = doc.modelspace()
    if layer is None:
        return list(msp)
    return [e for e in msp if e.dxf.layer.lower() == layer.lower()]


def read_dxf(data: bytes, *, layer: str | None = None, units: str | None = None,
             tolerance_mm: float = DEFAULT_TOLERANCE_MM) -> Imported:
    """The closed outlines of `layer` (every layer when None) as one polyline geometry in mm.

    `units` ("mm" or "inch") is used only when the drawing's `$INSUNITS` does
    not say; a drawing that does say is never rescaled by the caller.
    """
    doc = _document(data)
    code = int(doc.header.get("$INSUNITS", 0) or 0)
    if code in MM_PER_UNIT:
        scale, source = MM_PER_UNIT[code], UNIT_NAMES[code]
    else:
        source = units or "mm"
        scale = MM_PER[source]
    layers = _layers(doc)
    where = f"layer {layer!r}" if layer is not None else "the drawing"
    path = "layer" if layer is not None else "dxf"
    entities = _entities(doc, layer)
    if layer is not None and not entities:
        raise DrawingRefused(f"layer {layer!r} has nothing drawn on it; layers with entities: "
                             f"{', '.join(layers) or 'none'}", "layer")
    pieces: list[Piece] = []
    outlines: list[Outline] = []
    for e in entities:
        try:
            more_pieces, more_outlines = _pieces_of(e, tolerance_mm / scale)
        except (AttributeError, TypeError, ValueError, ZeroDivisionError, IndexError):
            raise DrawingRefused(f"{where}: the {e.dxftype()} entity {e.dxf.handle} is malformed", path) from None
        pieces += more_pieces
        outlines += more_outlines
    outlines += join(pieces, where, path)
    outer, islands = arrange([o.scaled(scale) for o in outlines], where, path)
    return Imported(to_geometry(outer, islands, tolerance_mm), layer, source, len(islands), layers)
