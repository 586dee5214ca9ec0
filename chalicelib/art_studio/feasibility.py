"""Server-side manufacturability checks of a rosette design (ruleset rosette-feasibility-v2).

Each check yields pass / warn / fail (GREEN / YELLOW / RED). The design passes
when no check fails; its risk level is the worst check's. `value` is what was
measured and `limit` the hard limit whose crossing fails the check (for the
warn-only complexity check, the score at which it warns). Thresholds and the
reasons for them: rules.py and docs/feasibility.md. The channel is judged
against the bit of one CAM profile of the shared catalogue, so a result names
the profile it holds for and a different profile needs its own check.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from chalicelib.art_studio import rules
from chalicelib.art_studio.errors import UnknownProfile
from chalicelib.art_studio.summary import complexity
from chalicelib.contracts import profiles
from chalicelib.contracts.errors import Issue
from chalicelib.contracts.rosette import FeasibilityCheckV1, FeasibilitySummaryV1, RiskLevel, RosetteDesignV1

Status = Literal["pass", "warn", "fail"]
RISK: dict[Status, RiskLevel] = {"pass": "GREEN", "warn": "YELLOW", "fail": "RED"}
_RANK = {"GREEN": 0, "YELLOW": 1, "RED": 2}


def _check(check_id: str, status: Status, message: str, value: float | None, limit: float | None) -> FeasibilityCheckV1:
    return FeasibilityCheckV1(id=check_id, status=status, risk=RISK[status], message=message,
                              value=None if value is None else round(value, 4),
                              limit=None if limit is None else round(limit, 4))


def _ring_name(index: int, count: int) -> str:
    # The form numbers rings from 1, soundhole outwards; messages must point at the same ring.
    where = " (innermost)" if index == 0 else " (outermost)" if index == count - 1 else ""
    return f"ring {index + 1}{where}" if count > 1 else "ring 1"


def _at_least(value: float, fail_below: float, warn_below: float) -> Status:
    # Compare at the fingerprint's precision: 3.0 - 2.1 is 0.9 mm, not 0.8999999.
    value = round(value, 6)
    if value < fail_below:
        return "fail"
    if value < warn_below:
        return "warn"
    return "pass"


def _mm(value: float) -> str:
    return f"{value:g} mm"


def _bit_name(tool: dict[str, Any]) -> str:
    """A bit as the shop knows it: its catalogue label, without the size when the name starts with it."""
    name = str(tool["name"])
    return name if name.startswith(_mm(float(tool["diameter_mm"]))) else profiles.tool_label(tool)


def resolve_profile(cam_profile_id: str | None) -> dict[str, Any]:
    """The catalogue profile a check runs for (the default without one), with its tool resolved.

    Only profiles that cut with an end mill can cut a rosette channel; a saw
    profile or an unknown id is refused naming `cam_profile_id`.
    """
    cat = profiles.catalogue()
    key = cam_profile_id or cat.default_profile_id()
    for profile in cat.end_mill_profiles():
        if profile["id"] == key:
            return profile
    known = [str(p["id"]) for p in cat.end_mill_profiles()]
    message = f"cam_profile_id {key!r} is not a router profile of the catalogue; known: {', '.join(known)}"
    raise UnknownProfile(message, [Issue("unknown_reference", message, "cam_profile_id")])


def check_bit_fits_channel(d: RosetteDesignV1, profile: dict[str, Any]) -> FeasibilityCheckV1:
    width = round(d.channel_width_mm, 6)
    tool = profile["tool"]
    bit = float(tool["diameter_mm"])
    status = _at_least(width, bit, 2 * bit)
    named = f"the {_bit_name(tool)}"
    if status == "fail":
        fitting = [p for p in profiles.catalogue().end_mill_profiles() if float(p["tool"]["diameter_mm"]) <= width]
        if fitting:
            best = fitting[-1]
            advice = (f"choose a profile whose bit fits, e.g. {best['name']} "
                      f"({best['id']}, {_bit_name(best['tool'])})")
        else:
            smallest = min(profiles.catalogue().end_mill_diameters())
            advice = f"no catalogue profile has a bit that small (the smallest is {_mm(smallest)}); widen the channel"
        msg = f"channel is {width:.2f} mm wide; {named} does not fit: {advice}"
    elif status == "warn":
        msg = (f"channel is {width:.2f} mm wide: {named} cuts it as a single full-width slot, "
               "walls get no finishing pass")
    else:
        msg = f"channel is {width:.2f} mm wide; {named} leaves room for a pass along each wall"
    return _check("bit_fits_channel", status, msg, width, bit)


def check_remaining_top(d: RosetteDesignV1) -> FeasibilityCheckV1:
    left = d.top_thickness_mm - d.channel_depth_mm
    status = _at_least(left, rules.REMAINING_TOP_FAIL_MM, rules.REMAINING_TOP_PASS_MM)
    msg = {
        "fail": f"only {left:.2f} mm of top left under the channel (minimum {rules.REMAINING_TOP_FAIL_MM:g} mm)",
        "warn": f"{left:.2f} mm of top left under the channel; under {rules.REMAINING_TOP_PASS_MM:g} mm is fragile",
        "pass": f"{left:.2f} mm of top left under the channel",
    }[status]
    return _check("remaining_top_thickness", status, msg, left, rules.REMAINING_TOP_FAIL_MM)


def check_channel_depth(d: RosetteDesignV1) -> FeasibilityCheckV1:
    depth = d.channel_depth_mm
    if depth >= d.top_thickness_mm:
        return _check("channel_depth", "fail",
                      f"channel depth {depth:.2f} mm cuts through the {d.top_thickness_mm:.2f} mm top",
                      depth, d.top_thickness_mm)
    status = _at_least(depth, rules.CHANNEL_DEPTH_FAIL_MM, rules.CHANNEL_DEPTH_WARN_MM)
    msg = {
        "fail": f"channel depth {depth:.2f} mm leaves no inlay after levelling "
                f"(minimum {rules.CHANNEL_DEPTH_FAIL_MM:g} mm)",
        "warn": f"channel depth {depth:.2f} mm is shallow; levelling may sand through the inlay",
        "pass": f"channel depth {depth:.2f} mm",
    }[status]
    return _check("channel_depth", status, msg, depth, rules.CHANNEL_DEPTH_FAIL_MM)


def check_ring_width(d: RosetteDesignV1) -> FeasibilityCheckV1:
    narrowest = min(r.width_mm for r in d.rings)
    index = [r.width_mm for r in d.rings].index(narrowest)
    status = _at_least(narrowest, rules.RING_WIDTH_FAIL_MM, rules.RING_WIDTH_WARN_MM)
    msg = {
        "fail": f"{_ring_name(index, len(d.rings))} is {narrowest:.2f} mm wide; "
                "no strip that thin survives bending and gluing",
        "warn": f"{_ring_name(index, len(d.rings))} is {narrowest:.2f} mm wide; "
                "thinner than a standard veneer, fragile",
        "pass": f"narrowest ring is {narrowest:.2f} mm",
    }[status]
    return _check("min_ring_width", status, msg, narrowest, rules.RING_WIDTH_FAIL_MM)


def check_tile_length(d: RosetteDesignV1) -> FeasibilityCheckV1:
    tiles = [(i, r.tile_length_mm) for i, r in enumerate(d.rings)
             if r.pattern_type in rules.TILED_PATTERNS and r.tile_length_mm is not None]
    if not tiles:
        return _check("min_tile_length", "pass", "no patterned ring gives a tile length", None,
                      rules.TILE_LENGTH_FAIL_MM)
    index, shortest = min(tiles, key=lambda t: t[1])
    status = _at_least(shortest, rules.TILE_LENGTH_FAIL_MM, rules.TILE_LENGTH_WARN_MM)
    msg = {
        "fail": f"{_ring_name(index, len(d.rings))} repeats every {shortest:.2f} mm; "
                "tiles that short break when sliced",
        "warn": f"{_ring_name(index, len(d.rings))} repeats every {shortest:.2f} mm; short tiles are slow to assemble",
        "pass": f"shortest tile is {shortest:.2f} mm",
    }[status]
    return _check("min_tile_length", status, msg, shortest, rules.TILE_LENGTH_FAIL_MM)


def check_soundhole_diameter(d: RosetteDesignV1) -> FeasibilityCheckV1:
    lo_fail, hi_fail = rules.SOUNDHOLE_FAIL_RANGE_MM
    if not d.cut_soundhole:
        return _check("soundhole_diameter", "pass", "soundhole is not cut", None, None)
    dia = d.effective_soundhole_diameter_mm
    lo_pass, hi_pass = rules.SOUNDHOLE_PASS_RANGE_MM
    nearest = lo_fail if dia < (lo_fail + hi_fail) / 2 else hi_fail
    if not lo_fail <= dia <= hi_fail:
        status: Status = "fail"
        msg = (f"soundhole {dia:.1f} mm is outside {lo_fail:g}-{hi_fail:g} mm "
               "(a units mistake, or not a guitar-family hole)")
    elif not lo_pass <= dia <= hi_pass:
        status = "warn"
        msg = f"soundhole {dia:.1f} mm is unusual; common holes are {lo_pass:g}-{hi_pass:g} mm"
    else:
        status = "pass"
        msg = f"soundhole {dia:.1f} mm"
    return _check("soundhole_diameter", status, msg, dia, nearest)


def check_soundhole_margin(d: RosetteDesignV1) -> FeasibilityCheckV1:
    if not d.cut_soundhole:
        return _check("soundhole_margin", "pass", "soundhole is not cut", None, None)
    margin = (d.inner_diameter_mm - d.effective_soundhole_diameter_mm) / 2
    status = _at_least(margin, rules.SOUNDHOLE_MARGIN_FAIL_MM, rules.SOUNDHOLE_MARGIN_WARN_MM)
    msg = {
        "fail": f"{margin:.2f} mm of top between soundhole and channel; it will split out",
        "warn": f"{margin:.2f} mm of top between soundhole and channel is narrow",
        "pass": f"{margin:.2f} mm of top between soundhole and channel",
    }[status]
    return _check("soundhole_margin", status, msg, margin, rules.SOUNDHOLE_MARGIN_FAIL_MM)


def check_complexity(d: RosetteDesignV1) -> FeasibilityCheckV1:
    c = complexity(d)
    status: Status = "warn" if c.level == "HIGH" else "pass"
    msg = f"complexity {c.score}/100 ({c.level})"
    if status == "warn":
        msg += ": expect long assembly and tight tolerances"
    return _check("complexity", status, msg, float(c.score), float(rules.COMPLEXITY_HIGH_FROM))


CHECKS = (check_remaining_top, check_channel_depth, check_ring_width,
          check_tile_length, check_soundhole_diameter, check_soundhole_margin, check_complexity)


def evaluate(design: RosetteDesignV1, now: datetime | None = None,
             cam_profile_id: str | None = None) -> FeasibilitySummaryV1:
    """Judge `design` for one CAM profile (the catalogue default without one)."""
    profile = resolve_profile(cam_profile_id)
    checks = [check_bit_fits_channel(design, profile), *(check(design) for check in CHECKS)]
    risk = max((c.risk for c in checks), key=_RANK.__getitem__)
    return FeasibilitySummaryV1(
        passed=all(c.status != "fail" for c in checks),
        risk_level=risk,
        checks=checks,
        ruleset=rules.RULESET,
        design_fingerprint=design.fingerprint(),
        cam_profile_id=str(profile["id"]),
        evaluated_at=now or datetime.now(timezone.utc),
    )
