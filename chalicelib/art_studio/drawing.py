"""To-scale drawings of a rosette: SVG for the browser, DXF for CAD.

Both show concentric circles, one per ring boundary, with the channel's inner
and outer edges marked and the soundhole when it is cut. Units are mm; circles
are exact (SVG <circle>, DXF CIRCLE entities), never polygon approximations.
The DXF is written directly as ASCII DXF R12 (a header, a layer table and
CIRCLE entities), which every CAD and CAM program reads; a DXF library would
add about 10 MB to the Lambda zip for these few dozen lines. The tests read the
file back and audit it with ezdxf.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from chalicelib.contracts.rosette import RosetteDesignV1

LAYER_CHANNEL = "CHANNEL_EDGES"
LAYER_RINGS = "RING_BOUNDARIES"
LAYER_SOUNDHOLE = "SOUNDHOLE"
MARGIN_MM = 5.0


def boundary_radii(design: RosetteDesignV1) -> list[float]:
    """Radii from the channel's inner edge out to its outer edge, one per ring boundary."""
    radii = [design.inner_diameter_mm / 2]
    for ring in design.rings[:-1]:
        radii.append(radii[-1] + ring.width_mm)
    # Widths match the channel within 0.01 mm; the outer edge is the design's own.
    radii.append(design.outer_diameter_mm / 2)
    return [round(r, 6) for r in radii]


def circles(design: RosetteDesignV1) -> list[tuple[str, float]]:
    """(layer, radius) for every circle in the drawing."""
    radii = boundary_radii(design)
    out = [(LAYER_CHANNEL, radii[0])]
    out += [(LAYER_RINGS, r) for r in radii[1:-1]]
    out.append((LAYER_CHANNEL, radii[-1]))
    if design.cut_soundhole and design.effective_soundhole_diameter_mm > 0:
        out.append((LAYER_SOUNDHOLE, round(design.effective_soundhole_diameter_mm / 2, 6)))
    return out


def _num(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def render_svg(design: RosetteDesignV1, title: str = "Rosette") -> bytes:
    cx, cy = design.center_mm
    r_out = design.outer_diameter_mm / 2 + MARGIN_MM
    size = 2 * r_out
    # SVG's y axis points down; draw with y up so the drawing matches the DXF.
    svg = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg",
        "width": f"{_num(size)}mm", "height": f"{_num(size)}mm",
        "viewBox": f"{_num(cx - r_out)} {_num(-cy - r_out)} {_num(size)} {_num(size)}",
    })
    ET.SubElement(svg, "title").text = title
    classes = {LAYER_CHANNEL: "channel-edge", LAYER_RINGS: "ring-boundary", LAYER_SOUNDHOLE: "soundhole"}
    group = ET.SubElement(svg, "g", {"fill": "none", "stroke": "black", "stroke-width": "0.1"})
    for layer, radius in circles(design):
        ET.SubElement(group, "circle", {"class": classes[layer], "cx": _num(cx), "cy": _num(-cy),
                                        "r": _num(radius)})
    return ET.tostring(svg, encoding="utf-8", xml_declaration=True)


_DXF_COLOURS = {LAYER_CHANNEL: 1, LAYER_RINGS: 8, LAYER_SOUNDHOLE: 5}


def _group(code: int, value: object) -> str:
    return f"{code:>3}\n{value}\n"


def render_dxf(design: RosetteDesignV1) -> bytes:
    cx, cy = design.center_mm
    out = [_group(0, "SECTION"), _group(2, "HEADER"),
           _group(9, "$ACADVER"), _group(1, "AC1009"),
           _group(9, "$INSUNITS"), _group(70, 4),  # 4 = millimetres
           _group(0, "ENDSEC"),
           _group(0, "SECTION"), _group(2, "TABLES"),
           _group(0, "TABLE"), _group(2, "LAYER"), _group(70, len(_DXF_COLOURS))]
    for name, colour in _DXF_COLOURS.items():
        out += [_group(0, "LAYER"), _group(2, name), _group(70, 0), _group(62, colour),
                _group(6, "CONTINUOUS")]
    out += [_group(0, "ENDTAB"), _group(0, "ENDSEC"), _group(0, "SECTION"), _group(2, "ENTITIES")]
    for layer, radius in circles(design):
        out += [_group(0, "CIRCLE"), _group(8, layer), _group(10, _num(cx)), _group(20, _num(cy)),
                _group(30, 0), _group(40, _num(radius))]
    out += [_group(0, "ENDSEC"), _group(0, "EOF")]
    return "".join(out).encode("ascii")
