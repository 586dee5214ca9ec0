"""The set-up lines of a program's header: where to zero the machine, and what the job is.

An operator reads the top of the file at the machine, so it must say where
X0 Y0 and Z0 are and what is about to be cut. A rosette job (an annulus
pocket) is zeroed on the rosette's centre, which is the drawing's origin;
every job is zeroed in Z on the top surface of the stock, the depths being
measured down from it. The set-up sheet quotes these lines from the program
itself, so the two cannot disagree.
"""
from __future__ import annotations

from typing import Any

from chalicelib.contracts.profiles import bit_label


def _annulus(operations: list[dict[str, Any]]) -> dict[str, Any] | None:
    for op in operations:
        geometry = op.get("geometry") or {}
        if op.get("operation") == "pocket" and geometry.get("type") == "annulus":
            return op
    return None


def origin_line(design: dict[str, Any]) -> str:
    op = _annulus(list(design.get("operations") or []))
    if op is not None:
        cx, cy = (float(v) for v in op["geometry"]["center"])
        where = "rosette centre" if (cx, cy) == (0.0, 0.0) else f"drawing origin; rosette centre at X{cx:g} Y{cy:g}"
        return f"origin: X0 Y0 = {where}, Z0 = top surface of the top"
    return "origin: X0 Y0 = drawing origin, Z0 = top surface of the stock"


def summary_line(design: dict[str, Any], tool: dict[str, Any], post: str) -> str:
    operations = list(design.get("operations") or [])
    op = _annulus(operations)
    bit = f"bit {bit_label(float(tool['diameter_mm']))}"
    if op is not None:
        g = op["geometry"]
        inner, outer = 2 * float(g["inner_radius_mm"]), 2 * float(g["outer_radius_mm"])
        extra = " + soundhole" if any(o.get("operation") == "profile" for o in operations) else ""
        return f"job: channel dia {inner:g}-{outer:g} mm, depth {float(op['depth_mm']):g} mm{extra}, {bit}, post {post}"
    kinds = ", ".join(str(o.get("operation", "?")) for o in operations[:6])
    more = f" +{len(operations) - 6}" if len(operations) > 6 else ""
    return f"job: {len(operations)} operations ({kinds}{more}), {bit}, post {post}"


def header_lines(design: dict[str, Any], tool: dict[str, Any], post: str) -> list[str]:
    """The origin and one-line summary, for `design` in millimetres (a normalised design's dump)."""
    return [origin_line(design), summary_line(design, tool, post)]
