"""Request overhead: promote_to_cam in process under moto against the bare AWS calls it must make."""
from __future__ import annotations

import gc
import json
import time
import uuid
from typing import Any, Callable

from bench.harness import Row, Sample, spread_text
from bench.stage import moto_stage

GROUP = "request overhead"
PREFIX = "/api/art/design-first-workflow"
JSON = {"Content-Type": "application/json"}
TARGET_RATIO = 2.0


def _design(n: int) -> dict[str, Any]:
    """A five-ring classical rosette; `n` shifts the centre so every session has its own fingerprint."""
    return {
        "outer_diameter_mm": 110.0, "inner_diameter_mm": 90.0, "center_mm": [0.0, n / 1000],
        "channel_depth_mm": 1.6, "top_thickness_mm": 3.0,
        "rings": [{"width_mm": 1.5, "pattern_type": "SOLID", "material": "maple"},
                  {"width_mm": 1.0, "pattern_type": "HERRINGBONE", "tile_length_mm": 3.0},
                  {"width_mm": 5.0, "pattern_type": "MOSAIC", "tile_length_mm": 4.0},
                  {"width_mm": 1.0, "pattern_type": "HERRINGBONE", "tile_length_mm": 3.0},
                  {"width_mm": 1.5, "pattern_type": "SOLID", "material": "maple"}],
        "cut_soundhole": True, "soundhole_diameter_mm": 84.0,
    }


def _post(client: Any, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = client.http.post(PREFIX + path, headers=JSON, body="" if body is None else json.dumps(body))
    if resp.status_code not in (200, 201):
        raise RuntimeError(f"POST {path}: {resp.status_code} {resp.json_body}")
    return resp.json_body


def _approved_session(client: Any, n: int) -> str:
    """A new session taken through the public routes to `approved`, ready for its first promotion."""
    sid = _post(client, "/sessions", {"design": _design(n)})["session_id"]
    _post(client, f"/sessions/{sid}/feasibility")
    _post(client, f"/sessions/{sid}/transition", {"to_state": "in_review"})
    _post(client, f"/sessions/{sid}/transition", {"to_state": "approved"})
    return sid


class _CallCounter:
    """Counts AWS API calls made through the app's boto3 clients."""

    def __init__(self, clients: list[Any]) -> None:
        self.calls: list[str] = []
        for client in clients:
            client.meta.events.register("before-call.*.*", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def during(self, fn: Callable[[], Any]) -> tuple[list[str], Any]:
        self.calls = []
        result = fn()
        return list(self.calls), result


def _bare_calls(sid: str, request: bytes, index_item: dict[str, Any]) -> Callable[[], None]:
    """The three calls a first promotion cannot avoid, with the handler's own data and fresh keys."""
    from chalicelib import aws, config
    from chalicelib.art_studio.store import META, session_pk
    from chalicelib.contracts.jobs import promotion_request_key
    from chalicelib.storage.table import serialise

    s3, ddb = aws.s3(), aws.dynamodb()
    bucket, table = config.requests_bucket(), config.table_name()
    item = serialise(index_item)
    session_key = serialise({"pk": session_pk(sid), "sk": META})

    def calls() -> None:
        fresh = str(uuid.uuid4())
        s3.put_object(Bucket=bucket, Key=promotion_request_key(fresh), Body=request,
                      ContentType="application/json", IfNoneMatch="*")
        ddb.put_item(TableName=table, Item={**item, "pk": {"S": f"PROMO#bench-{fresh}"}},
                     ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
        ddb.get_item(TableName=table, Key=session_key, ConsistentRead=True)

    return calls


def _clock(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(quick: bool) -> list[Row]:
    from chalicelib import aws
    from chalicelib.art_studio import promotion
    from chalicelib.contracts.promotion import CamPromotionRequestV1
    from chalicelib.storage.table import Table

    runs = 15 if quick else 60
    with moto_stage() as client:
        # One session per first promotion: route, service call, plus one unmeasured of each.
        sids = [_approved_session(client, n) for n in range(2 * runs + 2)]
        route_sids, service_sids = sids[:runs + 1], sids[runs + 1:]

        def route(sid: str) -> Callable[[], Any]:
            return lambda: _post(client, f"/sessions/{sid}/promote_to_cam")

        def service(sid: str) -> Callable[[], Any]:
            return lambda: promotion.promote(sid)

        counter = _CallCounter([aws.s3(), aws.dynamodb()])
        first = route_sids[0]
        route_calls, reply = counter.during(route(first))
        request = CamPromotionRequestV1.model_validate(reply["request"])
        replay_calls, _ = counter.during(route(first))
        index_item = Table().get(promotion.index_pk(request.design_fingerprint, request.feasibility_fingerprint),
                                 promotion.INDEX_SK)
        bare = _bare_calls(first, promotion.request_bytes(request), index_item or {})
        bare_calls, _ = counter.during(bare)
        counter.during(service(service_sids[0]))

        gc.collect()  # garbage left by earlier groups is not this group's cost
        # Interleaved, so drift in moto's growing state hits both sides alike.
        times: dict[str, list[float]] = {"route": [], "service": [], "replay": [], "bare": []}
        for n in range(runs):
            times["route"].append(_clock(route(route_sids[n + 1])))
            times["bare"].append(_clock(bare))
            times["service"].append(_clock(service(service_sids[n + 1])))
            times["replay"].append(_clock(route(route_sids[n + 1])))

    s = {name: Sample.of(values) for name, values in times.items()}
    floor = s["bare"].median
    floor_note = (f"floor = bare boto3 calls on the same data with fresh keys: S3 PutObject of the request "
                  f"bytes (IfNoneMatch=*), DynamoDB PutItem of the index item (attribute_not_exists, "
                  f"ALL_OLD), DynamoDB GetItem of the session ({len(bare_calls)} calls, "
                  f"{spread_text(s['bare'], 's')})")
    target = f"<= {TARGET_RATIO:g}x bare calls"
    return [
        Row(GROUP, "promote_to_cam route, first promotion", s["route"].median, "s",
            spread_text(s["route"], "s"), floor=floor, target=target,
            met=s["route"].median <= TARGET_RATIO * floor,
            note=f"POST .../sessions/{{id}}/promote_to_cam through chalice.test.Client (routing, middleware, "
                 f"JSON reply included), a new approved session each time (approval stored its design "
                 f"snapshot); {len(route_calls)} AWS calls: "
                 f"{', '.join(route_calls)}. {floor_note}"),
        Row(GROUP, "promotion.promote(), first promotion", s["service"].median, "s",
            spread_text(s["service"], "s"), floor=floor,
            note="the service function the route calls, without the HTTP layer; a new session each time"),
        Row(GROUP, "promote_to_cam route, replay", s["replay"].median, "s",
            spread_text(s["replay"], "s"), floor=floor,
            note=f"the same session promoted again: the stored request comes back (200); {len(replay_calls)} AWS "
                 f"calls: {', '.join(replay_calls)}"),
    ]
