"""Write handoffs the way their producers do: Art Studio's promotion, an integrator's intent."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from chalicelib import aws, config
from chalicelib.contracts.jobs import design_key, promotion_request_key
from chalicelib.contracts.promotion import CamPromotionRequestV1, PromotionIntentV1
from chalicelib.contracts.rosette import (ComplexityV1, DesignSummaryV1, FeasibilityCheckV1,
                                          FeasibilitySummaryV1, RosetteDesignV1, ToolRequirementsV1)
from chalicelib.rmos.cam.jobs import JobStore
from chalicelib.storage import blobs


def rosette(**overrides: Any) -> RosetteDesignV1:
    data: dict[str, Any] = {
        "outer_diameter_mm": 100.0, "inner_diameter_mm": 90.0, "center_mm": [0.0, 0.0],
        "channel_depth_mm": 1.2, "top_thickness_mm": 3.0,
        "rings": [{"width_mm": 2.0, "pattern_type": "SOLID"}, {"width_mm": 3.0, "pattern_type": "HERRINGBONE"}],
        "cut_soundhole": False,
    }
    data.update(overrides)
    return RosetteDesignV1.model_validate(data)


def promotion_request(design: RosetteDesignV1, cam_profile_id: str | None = None,
                      passed: bool = True) -> CamPromotionRequestV1:
    now = datetime.now(timezone.utc)
    feasibility = FeasibilitySummaryV1(
        passed=passed, risk_level="GREEN" if passed else "RED",
        checks=[FeasibilityCheckV1(id="channel_width", status="pass" if passed else "fail",
                                   risk="GREEN" if passed else "RED", message="channel fits the bit",
                                   value=design.channel_width_mm, limit=1.5875)],
        ruleset="rosette-feasibility-v1", design_fingerprint=design.fingerprint(), evaluated_at=now)
    summary = DesignSummaryV1(
        ring_count=len(design.rings), inner_diameter_mm=design.inner_diameter_mm,
        outer_diameter_mm=design.outer_diameter_mm, channel_width_mm=design.channel_width_mm,
        min_ring_width_mm=min(r.width_mm for r in design.rings), channel_depth_mm=design.channel_depth_mm,
        complexity=ComplexityV1(score=10, level="LOW"),
        tool_requirements=ToolRequirementsV1(max_tool_diameter_mm=design.channel_width_mm,
                                             recommended_tool_diameter_mm=1.5875,
                                             needs_soundhole_cut=design.cut_soundhole))
    snapshot = PromotionIntentV1(session_id="session-1", design_fingerprint=design.fingerprint(),
                                 feasibility_fingerprint=feasibility.fingerprint(), design_summary=summary,
                                 feasibility_summary=feasibility, export_ready=True, created_at=now)
    return CamPromotionRequestV1(promotion_request_id=str(uuid.uuid4()), created_at=now, session_id="session-1",
                                 design_fingerprint=snapshot.design_fingerprint,
                                 feasibility_fingerprint=snapshot.feasibility_fingerprint,
                                 intent_snapshot=snapshot, cam_profile_id=cam_profile_id)


def promote(design: RosetteDesignV1, cam_profile_id: str | None = None, *, request: CamPromotionRequestV1 | None = None,
            design_bytes: bytes | None = None, request_bytes: bytes | None = None,
            with_record: bool = True) -> tuple[str, str]:
    """Art Studio's writes: design snapshot, pending job record, then the immutable request."""
    request = request or promotion_request(design, cam_profile_id)
    bucket = config.requests_bucket()
    blobs.put_immutable(bucket, design_key(request.design_fingerprint),
                        design_bytes if design_bytes is not None else design.model_dump_json().encode())
    job_id = request.promotion_request_id
    key = promotion_request_key(job_id)
    if with_record:
        JobStore().create_pending(job_id, "cam_promotion", key, request.created_at.isoformat())
    blobs.put_immutable(bucket, key, request_bytes if request_bytes is not None else request.model_dump_json().encode())
    return job_id, key


def s3_event(client: Any, key: str, bucket: str | None = None) -> Any:
    return client.events.generate_s3_event(bucket=bucket or config.requests_bucket(), key=key)


def deliver(client: Any, key: str, bucket: str | None = None) -> Any:
    return client.lambda_.invoke("cam_worker", s3_event(client, key, bucket))


def artifact_versions(job_id: str) -> dict[str, int]:
    resp = aws.s3().list_object_versions(Bucket=config.artifacts_bucket(), Prefix=f"jobs/{job_id}/")
    counts: dict[str, int] = {}
    for version in resp.get("Versions", []):
        name = version["Key"].rsplit("/", 1)[-1]
        counts[name] = counts.get(name, 0) + 1
    return counts


def artifact_text(job_id: str, name: str) -> str:
    raw = blobs.get_bytes(config.artifacts_bucket(), f"jobs/{job_id}/{name}")
    assert raw is not None, f"artifact {name} missing"
    return raw.decode()


def job(job_id: str) -> dict[str, Any]:
    item = JobStore().get(job_id)
    assert item is not None, f"no job record {job_id}"
    return item


def issues_of(item: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(item["result"] or "{}").get("issues", [])
