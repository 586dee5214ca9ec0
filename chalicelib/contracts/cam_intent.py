"""CamIntentV1: the frozen request envelope for every CAM entrypoint.

The envelope is deliberately loose about `design`, `context` and `options`
(plain objects): mode-specific detail is validated by the mode's own models
during normalisation, so the envelope and its pinned schema hash never move
when an operation gains a field. Any change to this class changes the hash
and must be made on purpose (see docs/cam-intent.md).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

CAM_INTENT_SCHEMA_VERSION = "cam_intent_v1"

# sha256 of the canonical JSON schema; regenerate with
# `python -m chalicelib.ci.check_cam_intent_schema_hash --print` only for an
# intended envelope change.
CAM_INTENT_SCHEMA_HASH_V1 = "68aa69c61e812085589b85a7e21c393c6283c6c458df02ff91b50d193cf4f684"


class CamModeV1(str, Enum):
    router_3axis = "router_3axis"
    saw = "saw"


class CamUnitsV1(str, Enum):
    mm = "mm"
    inch = "inch"


class CamIntentV1(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = CAM_INTENT_SCHEMA_VERSION
    intent_id: str | None = None
    mode: CamModeV1
    units: CamUnitsV1 = CamUnitsV1.mm
    tool_id: str | None = None
    material_id: str | None = None
    machine_id: str | None = None
    design: dict[str, Any]
    context: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    requested_by: str | None = None
    created_at_utc: datetime | None = None

    @field_validator("schema_version")
    @classmethod
    def _only_v1(cls, value: str) -> str:
        if value != CAM_INTENT_SCHEMA_VERSION:
            raise ValueError(f"must be {CAM_INTENT_SCHEMA_VERSION!r}")
        return value


def schema_hash() -> str:
    """The hash the pin is compared against."""
    schema = CamIntentV1.model_json_schema()
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
