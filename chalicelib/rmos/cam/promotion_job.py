"""Turn an Art Studio promotion request into a router_3axis CamIntentV1.

The request is only trusted after its fingerprints agree: the design snapshot
(`designs/{design_fingerprint}.json`) must hash to `design_fingerprint`, and
the intent snapshot inside the request must name the same design and
feasibility result. The rosette becomes two operations: the channel as an
annulus pocket, then (if asked) the soundhole as an inside profile held by tabs.
Everything a person could fix is raised as `PromotionRejected` with a sentence
saying what to change.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from pydantic import ValidationError

from chalicelib.contracts.errors import Invalid, Issue, issues_from_validation, paths
from chalicelib.contracts.fingerprint import fingerprint
from chalicelib.contracts.jobs import design_key
from chalicelib.contracts.profiles import UnknownProfile, catalogue
from chalicelib.contracts.promotion import CamPromotionRequestV1
from chalicelib.contracts.rosette import RosetteDesignV1

# The soundhole cut goes this far below the top's underside so no skin of
# wood is left around the hole; the workpiece sits on a spoilboard.
SOUNDHOLE_BREAKTHROUGH_MM = 0.2
SOUNDHOLE_TABS = 4
SOUNDHOLE_TAB_WIDTH_MM = 6.0
# Tabs keep this much of the top attached (at most half its thickness).
SOUNDHOLE_TAB_HOLD_MM = 1.0
# A bit wider than the channel by less than this is treated as fitting exactly.
FIT_TOLERANCE_MM = 1e-6


class PromotionRejected(Invalid):
    """The request or its design cannot become a CAM job; `reason` says what to change."""

    code = "promotion_rejected"

    def __init__(self, reason: str, issues: list[Issue] | None = None) -> None:
        super().__init__(reason, issues or [Issue(self.code, reason, "")])
        self.reason = reason


def parse_request(raw: bytes) -> CamPromotionRequestV1:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise PromotionRejected("the promotion request is not valid JSON; promote the session again",
                                [Issue("malformed_json", "not valid JSON", "body")]) from None
    try:
        return CamPromotionRequestV1.model_validate(data)
    except ValidationError as exc:
        issues = issues_from_validation(exc)
        fields = paths(issues)
        raise PromotionRejected(
            f"the promotion request is not a valid CamPromotionRequestV1 (fields: {fields}); "
            "promote the session again", issues) from None


def check_fingerprints(request: CamPromotionRequestV1) -> None:
    snap = request.intent_snapshot
    if snap.design_fingerprint != request.design_fingerprint:
        raise PromotionRejected(
            f"the request's design_fingerprint {request.design_fingerprint[:12]}... differs from its "
            f"intent snapshot's {snap.design_fingerprint[:12]}...; promote the session again",
            [Issue("fingerprint_mismatch", "intent snapshot names another design",
              "intent_snapshot.design_fingerprint")])
    if snap.feasibility_fingerprint != request.feasibility_fingerprint:
        raise PromotionRejected(
            "the request's feasibility_fingerprint differs from its intent snapshot's; "
            "re-run feasibility and promote again",
            [Issue("fingerprint_mismatch", "intent snapshot names another feasibility result",
              "intent_snapshot.feasibility_fingerprint")])
    summary = snap.feasibility_summary
    if (summary.design_fingerprint != request.design_fingerprint
            or summary.fingerprint() != request.feasibility_fingerprint):
        raise PromotionRejected(
            "the feasibility result in the request was not computed for this design; "
            "re-run feasibility and promote again",
            [Issue("fingerprint_mismatch", "feasibility summary does not match its fingerprints",
              "intent_snapshot.feasibility_summary")])
    if not summary.passed:
        raise PromotionRejected(
            f"the design failed feasibility (risk {summary.risk_level}); fix the failing checks and promote again",
            [Issue("feasibility_failed", "feasibility did not pass",
              "intent_snapshot.feasibility_summary.passed")])


def load_design(request: CamPromotionRequestV1, read: Callable[[str], bytes | None]) -> RosetteDesignV1:
    """The content-addressed design snapshot, verified against the request's fingerprint."""
    key = design_key(request.design_fingerprint)
    raw = read(key)
    if raw is None:
        raise PromotionRejected(
            f"the design snapshot {key} is missing; promote the session again (that restores the "
            "snapshot), then retry this job",
            [Issue("design_missing", f"{key} not found", "design_fingerprint")])
    try:
        design = RosetteDesignV1.model_validate(json.loads(raw))
    except (ValueError, UnicodeDecodeError, ValidationError) as exc:
        issues = issues_from_validation(exc, empty="design") if isinstance(exc, ValidationError) else \
            [Issue("malformed_json", "not valid JSON", "design")]
        raise PromotionRejected(f"the design snapshot {key} is not a valid RosetteDesignV1; "
                                "promote the session again", issues) from None
    actual = fingerprint(design)
    if actual != request.design_fingerprint:
        raise PromotionRejected(
            f"the design snapshot hashes to {actual[:12]}... but the request names "
            f"{request.design_fingerprint[:12]}...; the snapshot was altered, promote the session again",
            [Issue("fingerprint_mismatch", "design snapshot does not match design_fingerprint",
              "design_fingerprint")])
    return design


def resolve_profile(profile_id: str | None) -> tuple[str, dict[str, Any]]:
    cat = catalogue()
    chosen = profile_id or cat.default_profile_id()
    try:
        return chosen, cat.profile(chosen, path="cam_profile_id")
    except UnknownProfile as exc:
        raise PromotionRejected(f"unknown CAM profile {chosen!r}; choose one of {', '.join(exc.known)}",
                                [Issue("unknown_profile", f"no profile {chosen!r}", "cam_profile_id")]) from None


def build_intent(request: CamPromotionRequestV1, design: RosetteDesignV1) -> dict[str, Any]:
    """The CamIntentV1 payload (as JSON data) for a verified request and design."""
    profile_id, profile = resolve_profile(request.cam_profile_id)
    tool = catalogue().tool(profile["tool"])
    bit = float(tool["diameter_mm"])
    channel = design.channel_width_mm
    if bit > channel + FIT_TOLERANCE_MM:
        raise PromotionRejected(
            f"the {bit:g} mm bit of profile {profile_id} does not fit the {channel:g} mm channel; "
            "choose a smaller-bit profile or widen the channel",
            [Issue("tool_too_large", f"tool {bit:g} mm > channel {channel:g} mm",
              "cam_profile_id")])
    center = [design.center_mm[0], design.center_mm[1]]
    operations: list[dict[str, Any]] = [{
        "operation": "pocket",
        "geometry": {"type": "annulus", "center": center,
                     "inner_radius_mm": design.inner_diameter_mm / 2,
                     "outer_radius_mm": design.outer_diameter_mm / 2},
        "depth_mm": design.channel_depth_mm,
    }]
    if design.cut_soundhole:
        radius = design.effective_soundhole_diameter_mm / 2
        if bit >= 2 * radius:
            raise PromotionRejected(
                f"the {bit:g} mm bit of profile {profile_id} cannot cut a {2 * radius:g} mm soundhole; "
                "choose a smaller-bit profile",
                [Issue("tool_too_large", "tool wider than the soundhole", "cam_profile_id")])
        hold = min(SOUNDHOLE_TAB_HOLD_MM, design.top_thickness_mm / 2)
        operations.append({
            "operation": "profile",
            "geometry": {"type": "circle", "center": center, "radius_mm": radius},
            "side": "inside",
            "depth_mm": design.top_thickness_mm + SOUNDHOLE_BREAKTHROUGH_MM,
            "tabs": {"count": SOUNDHOLE_TABS, "width_mm": SOUNDHOLE_TAB_WIDTH_MM,
                     "height_mm": hold + SOUNDHOLE_BREAKTHROUGH_MM},
        })
    return {
        "schema_version": "cam_intent_v1",
        "intent_id": request.promotion_request_id,
        "mode": "router_3axis",
        "units": "mm",
        "tool_id": profile["tool"],
        "material_id": profile["material"],
        "machine_id": profile["machine"],
        "design": {"operations": operations},
        "context": {"stepover_pct": profile["stepover_pct"], "stepdown_mm": profile["stepdown_mm"],
                    "spindle_rpm": profile["spindle_rpm"]},
        "options": {"post": profile["post"], "profile_id": profile_id},
        "requested_by": f"art_studio_design_first:{request.session_id}",
        "created_at_utc": request.created_at.isoformat().replace("+00:00", "Z"),
    }


def intent_for_request(raw: bytes, read: Callable[[str], bytes | None],
                       expected_request_id: str) -> dict[str, Any]:
    """Parse and verify a stored promotion request; return the intent to plan."""
    request = parse_request(raw)
    if request.promotion_request_id != expected_request_id:
        raise PromotionRejected(
            f"the request stored under {expected_request_id} names promotion_request_id "
            f"{request.promotion_request_id!r}; promote the session again",
            [Issue("id_mismatch", "key and body disagree", "promotion_request_id")])
    check_fingerprints(request)
    design = load_design(request, read)
    return build_intent(request, design)
