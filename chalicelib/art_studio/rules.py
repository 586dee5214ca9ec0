"""The design rules of ruleset `rosette-feasibility-v1` (reasons in docs/feasibility.md).

Every threshold a check uses lives here, so the rules can be read, reviewed and
versioned as one table. Changing any value means a new ruleset name: a stored
feasibility result names the ruleset it was computed with.
"""
from __future__ import annotations

RULESET = "rosette-feasibility-v2"

# The bits are not listed here: the channel is judged against the bit of the CAM
# profile the check runs for, and bits are recommended only from the shared
# catalogue (chalicelib/contracts/cam_profiles.json), so feasibility can never
# promise a bit CAM does not have.

# Spruce left under the channel floor (top_thickness - channel_depth).
REMAINING_TOP_PASS_MM = 1.2
REMAINING_TOP_FAIL_MM = 0.9  # below this: fail; between: warn

# Channel depth itself: the inlay must survive levelling the top flush.
CHANNEL_DEPTH_FAIL_MM = 0.5
CHANNEL_DEPTH_WARN_MM = 1.0

# Width of a single ring (one strip of veneer, purfling or mosaic).
RING_WIDTH_FAIL_MM = 0.3
RING_WIDTH_WARN_MM = 0.5

# Length of one repeat of a patterned ring.
TILE_LENGTH_FAIL_MM = 1.0
TILE_LENGTH_WARN_MM = 2.0
TILED_PATTERNS = ("MOSAIC", "HERRINGBONE", "HATCH", "DOTS", "STIPPLE")

# Through-cut soundhole (only checked when cut_soundhole is true).
SOUNDHOLE_FAIL_RANGE_MM = (40.0, 130.0)
SOUNDHOLE_PASS_RANGE_MM = (50.0, 115.0)
SOUNDHOLE_MARGIN_FAIL_MM = 2.0
SOUNDHOLE_MARGIN_WARN_MM = 3.0

# Complexity score (0-100) and its levels.
COMPLEXITY_PER_RING = 5.0
COMPLEXITY_RING_CAP = 30.0
PATTERN_WEIGHTS: dict[str, float] = {
    "SOLID": 0.0, "HATCH": 2.0, "DOTS": 3.0, "STIPPLE": 4.0, "HERRINGBONE": 6.0, "MOSAIC": 8.0,
}
COMPLEXITY_PATTERN_CAP = 40.0
COMPLEXITY_TILES_PER_POINT = 20.0
COMPLEXITY_TILE_CAP = 30.0
COMPLEXITY_MEDIUM_FROM = 35
COMPLEXITY_HIGH_FROM = 70
