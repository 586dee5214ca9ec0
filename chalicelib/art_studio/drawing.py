"""To-scale drawings of a rosette: SVG for the browser, DXF for CAD.

Both show concentric circles, one per ring boundary, with the channel's inner
and outer edges marked and the soundhole when it is cut. Units are mm; circles
are exact (SVG <circle>, DXF CIRCLE entities), never polygon approximations.
ezdxf is imported inside render_dxf so the API cold start does not pay for it.
"""
from __future__ import annotations

import io
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


def render_dxf(design: RosetteDesignV1) -> bytes:
    import ezdxf
    from ezdxf import units

    doc = ezdxf.new("R2010")
    doc.units = units.MM
    colours = {LAYER_CHANNEL: 1, LAYER_RINGS: 8, LAYER_SOUNDHOLE: 5}
    for name, colour in colours.items():
        doc.layers.add(name, color=colour)
    msp = doc.modelspace()
    cx, cy = design.center_mm
    for layer, radius in circles(design):
        msp.add_circle((cx, cy), radius, dxfattribs={"layer": layer})
    stream = io.StringIO()
    doc.write(stream)
    return stream.getvalue().encode("utf-8")
