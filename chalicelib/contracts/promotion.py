"""The seed's promotion contracts: PromotionIntentV1 and CamPromotionRequestV1.

Field names and constant values are the specification's; do not rename them.
A CamPromotionRequestV1 document is written once and never changed: its
`status` stays "pending" in the stored document, and the current status is kept
in the job record (chalicelib.contracts.jobs) and overlaid when it is read.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import Field, field_validator

from chalicelib.contracts.fingerprint import is_fingerprint
from chalicelib.contracts.rosette import Contract, DesignSummaryV1, FeasibilitySummaryV1

PROMOTION_SOURCE: Final = "art_studio_design_first"

Fingerprint = Annotated[str, Field(min_length=64, max_length=64)]


def _check_fingerprint(value: str) -> str:
    if not is_fingerprint(value):
        raise ValueError("must be a sha256 hex digest (64 lowercase hex characters)")
    return value


class PromotionIntentV1(Contract):
    intent_version: Literal["1.0"] = "1.0"
    session_id: str
    design_fingerprint: Fingerprint
    feasibility_fingerprint: Fingerprint
    design_summary: DesignSummaryV1
    feasibility_summary: FeasibilitySummaryV1
    export_ready: bool
    created_at: datetime

    _fingerprints = field_validator("design_fingerprint", "feasibility_fingerprint")(_check_fingerprint)


class CamPromotionRequestV1(Contract):
    promotion_request_version: Literal["1.0"] = "1.0"
    promotion_request_id: str
    created_at: datetime
    source: Literal["art_studio_design_first"] = PROMOTION_SOURCE
    session_id: str
    design_fingerprint: Fingerprint
    feasibility_fingerprint: Fingerprint
    intent_snapshot: PromotionIntentV1
    cam_profile_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] | None = None
    status: str = "pending"

    _fingerprints = field_validator("design_fingerprint", "feasibility_fingerprint")(_check_fingerprint)

    def idempotency_key(self) -> str:
        return idempotency_key(self.design_fingerprint, self.feasibility_fingerprint)


def idempotency_key(design_fingerprint: str, feasibility_fingerprint: str) -> str:
    """The seed's key: one request per design + feasibility pair."""
    return f"{design_fingerprint}:{feasibility_fingerprint}"
