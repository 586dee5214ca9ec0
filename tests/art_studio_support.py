"""Designs and HTTP shortcuts shared by the Art Studio tests."""
from __future__ import annotations

import copy
import json
from typing import Any

PREFIX = "/api/art/design-first-workflow"
JSON = {"Content-Type": "application/json"}


def classical_design(**overrides: Any) -> dict[str, Any]:
    """A plausible classical-guitar rosette: 86 mm hole side, 5 rings, one mosaic band."""
    design = {
        "outer_diameter_mm": 110.0,
        "inner_diameter_mm": 90.0,
        "center_mm": [0.0, 0.0],
        "channel_depth_mm": 1.6,
        "top_thickness_mm": 3.0,
        "rings": [
            {"width_mm": 1.5, "pattern_type": "SOLID", "material": "maple"},
            {"width_mm": 1.0, "pattern_type": "HERRINGBONE", "tile_length_mm": 3.0},
            {"width_mm": 5.0, "pattern_type": "MOSAIC", "tile_length_mm": 4.0, "material": "mixed"},
            {"width_mm": 1.0, "pattern_type": "HERRINGBONE", "tile_length_mm": 3.0},
            {"width_mm": 1.5, "pattern_type": "SOLID", "material": "maple"},
        ],
        "cut_soundhole": True,
        "soundhole_diameter_mm": 84.0,
    }
    design.update(overrides)
    return design


def failing_design() -> dict[str, Any]:
    """Cuts the channel to 2.5 mm in a 3.0 mm top: 0.5 mm of spruce left."""
    return classical_design(channel_depth_mm=2.5)


def body(data: Any) -> str:
    return json.dumps(data)


def create(client, design: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=body({"design": design or classical_design()}))
    assert resp.status_code == 201, resp.json_body
    return resp.json_body


def post(client, path: str, data: Any = None):
    return client.http.post(f"{PREFIX}{path}", headers=JSON, body="" if data is None else body(data))


def move(client, session_id: str, to_state: str, **extra: Any):
    return post(client, f"/sessions/{session_id}/transition", {"to_state": to_state, **extra})


def approved_session(client, design: dict[str, Any] | None = None) -> dict[str, Any]:
    session = create(client, design)
    sid = session["session_id"]
    assert post(client, f"/sessions/{sid}/feasibility").status_code == 200
    assert move(client, sid, "in_review").status_code == 200
    resp = move(client, sid, "approved")
    assert resp.status_code == 200, resp.json_body
    return resp.json_body


def deep(data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(data)


def s3_keys(bucket: str, prefix: str = "") -> list[str]:
    from chalicelib import aws

    resp = aws.s3().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in resp.get("Contents", []))


def table_items(pk_prefix: str = "") -> list[dict[str, Any]]:
    from chalicelib import aws, config
    from chalicelib.storage.table import deserialise

    items, kwargs = [], {"TableName": config.table_name()}
    while True:
        resp = aws.dynamodb().scan(**kwargs)
        items += [deserialise(i) for i in resp.get("Items", [])]
        if "LastEvaluatedKey" not in resp:
            break
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
    return [i for i in items if str(i["pk"]).startswith(pk_prefix)]
