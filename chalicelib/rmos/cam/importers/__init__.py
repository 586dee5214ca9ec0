"""Drawings (DXF, SVG) -> the router's polyline geometry: an outer boundary and its islands.

`dxf.read_dxf` and `svg.read_svg` find the closed outlines of a drawing (one
DXF layer, or an SVG's paths) and `loops.to_geometry` turns them into the
`{"type": "polyline", ...}` geometry an intent's operation takes. Both raise
`DrawingRefused` (an `Invalid`, so a 422 at the HTTP edge) naming the field
and, for a DXF, the layer.
"""
