"""DesignSummaryV1: what a design asks of the shop, computed on every design write."""
from __future__ import annotations

import math
from typing import Literal

from chalicelib.art_studio import rules
from chalicelib.contracts.profiles import catalogue
from chalicelib.contracts.rosette import ComplexityV1, DesignSummaryV1, RosetteDesignV1, ToolRequirementsV1


def tile_count(design: RosetteDesignV1) -> float:
    """Tiles around all patterned rings, measured on each ring's centre line."""
    total = 0.0
    radius = design.inner_diameter_mm / 2
    for ring in design.rings:
        mid = radius + ring.width_mm / 2
        radius += ring.width_mm
        if ring.pattern_type in rules.TILED_PATTERNS and ring.tile_length_mm:
            total += 2 * math.pi * mid / ring.tile_length_mm
    return total


def complexity(design: RosetteDesignV1) -> ComplexityV1:
    ring_points = min(rules.COMPLEXITY_RING_CAP, rules.COMPLEXITY_PER_RING * len(design.rings))
    pattern_points = min(rules.COMPLEXITY_PATTERN_CAP,
                         sum(rules.PATTERN_WEIGHTS[r.pattern_type] for r in design.rings))
    tile_points = min(rules.COMPLEXITY_TILE_CAP, tile_count(design) / rules.COMPLEXITY_TILES_PER_POINT)
    score = max(0, min(100, round(ring_points + pattern_points + tile_points)))
    level: Literal["LOW", "MEDIUM", "HIGH"]
    if score >= rules.COMPLEXITY_HIGH_FROM:
        level = "HIGH"
    elif score >= rules.COMPLEXITY_MEDIUM_FROM:
        level = "MEDIUM"
    else:
        level = "LOW"
    return ComplexityV1(score=score, level=level)


def recommended_bit(channel_width_mm: float) -> float:
    """The largest catalogue bit no wider than half the channel, so each wall gets its own pass.

    A channel too narrow for that is cut as one full-width slot with the largest
    bit that fits; a channel narrower than every bit gets the smallest one (and
    fails feasibility for every profile).
    """
    channel_width_mm = round(channel_width_mm, 6)
    bits = catalogue().end_mill_diameters()
    two_pass = [b for b in bits if b <= channel_width_mm / 2]
    if two_pass:
        return two_pass[-1]
    fitting = [b for b in bits if b <= channel_width_mm]
    return fitting[-1] if fitting else bits[0]


def summarise(design: RosetteDesignV1) -> DesignSummaryV1:
    width = design.channel_width_mm
    return DesignSummaryV1(
        ring_count=len(design.rings),
        inner_diameter_mm=design.inner_diameter_mm,
        outer_diameter_mm=design.outer_diameter_mm,
        channel_width_mm=round(width, 6),
        min_ring_width_mm=min(r.width_mm for r in design.rings),
        channel_depth_mm=design.channel_depth_mm,
        complexity=complexity(design),
        tool_requirements=ToolRequirementsV1(
            # No bit wider than the channel can cut it.
            max_tool_diameter_mm=round(width, 6),
            recommended_tool_diameter_mm=recommended_bit(width),
            needs_soundhole_cut=design.cut_soundhole,
        ),
    )
