"""Session routes: create, read, list, edit, delete, and every kind of bad input."""
from __future__ import annotations

import base64
import json
import uuid

import pytest

from chalicelib import config
from tests.art_studio_support import (JSON, PREFIX, classical_design, create, post, s3_keys, table_items)


def _get(client, sid):
    return client.http.get(f"{PREFIX}/sessions/{sid}")


def _put_design(client, sid, body, headers=JSON):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.http.put(f"{PREFIX}/sessions/{sid}/design", headers=headers, body=raw)


def test_create_returns_a_draft_session(client):
    resp = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=json.dumps({"design": classical_design()}))
    assert resp.status_code == 201
    s = resp.json_body
    assert set(s) == {"session_id", "state", "version", "design", "design_fingerprint", "design_summary",
                      "feasibility", "history", "owner_sub", "owner_username", "created_at", "updated_at",
                      "name", "promotions"}
    assert (s["state"], s["version"], s["feasibility"], s["history"]) == ("draft", 1, None, [])
    assert (s["name"], s["promotions"]) == (None, [])
    assert (s["owner_sub"], s["owner_username"]) == (client.sub("dana"), "dana")
    assert str(uuid.UUID(s["session_id"])) == s["session_id"]
    assert len(s["design_fingerprint"]) == 64
    summary = s["design_summary"]
    assert summary["ring_count"] == 5
    assert summary["channel_width_mm"] == 10.0
    assert summary["min_ring_width_mm"] == 1.0
    assert summary["tool_requirements"]["needs_soundhole_cut"] is True
    # Defaults are filled in, so the stored design says everything.
    assert s["design"]["rings"][1]["material"] is None
    assert _get(client, s["session_id"]).json_body == s
    item = table_items(f"SESSION#{s['session_id']}")[0]
    assert (item["sk"], item["version"], item["gsi1pk"]) == ("META", 1, "SESSIONS")
    assert item["gsi1sk"] == f"{s['created_at']}#{s['session_id']}"


def test_get_unknown_session_is_404(client):
    for sid in (str(uuid.uuid4()), "nope", "12345"):
        resp = _get(client, sid)
        assert resp.status_code == 404
        message = f"no session with id {sid!r}"
        assert resp.json_body == {"code": "not_found", "message": message,
                                  "details": [{"code": "not_found", "message": message, "path": "session_id"}]}
    bodies = {"/design": {"design": classical_design()}, "/feasibility": {}, "/export": {},
              "/transition": {"to_state": "in_review"}, "/promote_to_cam": None}
    for path, body in bodies.items():
        method = client.http.put if path == "/design" else client.http.post
        raw = "" if body is None else json.dumps(body)
        resp = method(f"{PREFIX}/sessions/{uuid.uuid4()}{path}", headers=JSON, body=raw)
        assert resp.status_code == 404, path
        assert [(d["code"], d["path"]) for d in resp.json_body["details"]] == [("not_found", "session_id")]
    assert client.http.get(f"{PREFIX}/sessions/{uuid.uuid4()}/promotion-intent").status_code == 404


def test_delete(client):
    sid = create(client)["session_id"]
    other = create(client)["session_id"]
    resp = client.http.delete(f"{PREFIX}/sessions/{sid}")
    assert resp.status_code == 204
    assert _get(client, sid).status_code == 404
    assert client.http.delete(f"{PREFIX}/sessions/{sid}").status_code == 404
    assert _get(client, other).status_code == 200
    listed = client.http.get(f"{PREFIX}/sessions").json_body["items"]
    assert [s["session_id"] for s in listed] == [other]
    # With the current version it deletes; a bad version parameter is a 422.
    assert client.http.delete(f"{PREFIX}/sessions/{other}?version=x").status_code == 422
    assert client.http.delete(f"{PREFIX}/sessions/{other}?version=1").status_code == 204


def test_pagination_walks_every_session_newest_first(client):
    created = [create(client, classical_design(channel_depth_mm=1.0 + i / 10)) for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        url = f"{PREFIX}/sessions?limit=3" + (f"&cursor={cursor}" if cursor else "")
        resp = client.http.get(url)
        assert resp.status_code == 200
        assert len(resp.json_body["items"]) <= 3
        seen += resp.json_body["items"]
        pages += 1
        cursor = resp.json_body["next_cursor"]
        if not cursor:
            break
    assert pages >= 3
    ids = [s["session_id"] for s in seen]
    assert len(ids) == len(set(ids)) == 7
    expected = sorted(created, key=lambda s: (s["created_at"], s["session_id"]), reverse=True)
    assert ids == [s["session_id"] for s in expected]
    # The listing leaves out the promotions, which need a read per session.
    assert {**seen[0], "promotions": []} == _get(client, expected[0]["session_id"]).json_body

    default = client.http.get(f"{PREFIX}/sessions").json_body
    assert len(default["items"]) == 7 and default["next_cursor"] is None


@pytest.mark.parametrize("query,field", [
    ("limit=0", "limit"), ("limit=101", "limit"), ("limit=abc", "limit"),
    ("cursor=%%%", "cursor"), ("cursor=bm90LWpzb24", "cursor"),
    ("cursor=" + base64.urlsafe_b64encode(json.dumps({"a": 1}).encode()).decode(), "cursor"),
    ("cursor=" + base64.urlsafe_b64encode(json.dumps(
        {"pk": "X", "sk": "Y", "gsi1pk": "OTHER", "gsi1sk": "Z"}).encode()).decode().rstrip("="), "cursor"),
])
def test_bad_listing_parameters_are_422(client, query, field):
    create(client)
    resp = client.http.get(f"{PREFIX}/sessions?{query}")
    assert resp.status_code == 422, resp.json_body
    assert resp.json_body["code"] == "validation_error"
    assert [d["path"] for d in resp.json_body["details"]] == [field]
    assert all(d["code"] and d["message"] for d in resp.json_body["details"])


def _fields(resp) -> set[str]:
    assert all(set(d) == {"code", "message", "path"} for d in resp.json_body["details"])
    return {d["path"] for d in resp.json_body["details"]}


@pytest.mark.parametrize("design_patch,fields", [
    ({"rings": []}, {"design.rings"}),
    ({"rings": [{"width_mm": 4.0, "pattern_type": "SOLID"}]}, {"design.rings"}),
    ({"rings": [{"width_mm": -1, "pattern_type": "SOLID"}]}, {"design.rings.0.width_mm"}),
    ({"rings": [{"width_mm": 10, "pattern_type": "PAISLEY"}]}, {"design.rings.0.pattern_type"}),
    ({"rings": [{"width_mm": 10, "pattern_type": "SOLID", "colour": "red"}]}, {"design.rings.0.colour"}),
    ({"outer_diameter_mm": "110"}, {"design.outer_diameter_mm"}),
    ({"outer_diameter_mm": 80.0}, {"design.inner_diameter_mm"}),
    ({"channel_depth_mm": True}, {"design.channel_depth_mm"}),
    ({"center_mm": [0]}, {"design.center_mm.1"}),
    ({"cut_soundhole": "yes"}, {"design.cut_soundhole"}),
    ({"soundhole_diameter_mm": 95.0}, {"design.soundhole_diameter_mm"}),
    ({"spindle": 1}, {"design.spindle"}),
])
def test_schema_violations_name_each_field(client, design_patch, fields):
    design = classical_design(**design_patch)
    resp = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=json.dumps({"design": design}))
    assert resp.status_code == 422, resp.json_body
    assert resp.json_body["code"] == "validation_error"
    assert _fields(resp) == fields
    assert table_items("SESSION#") == []


def test_ring_sum_mismatch_names_both_numbers(client):
    design = classical_design(rings=[{"width_mm": 4.0, "pattern_type": "SOLID"}])
    resp = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=json.dumps({"design": design}))
    message = resp.json_body["details"][0]["message"]
    assert "4.000" in message and "10.000" in message


def test_body_shape_errors(client):
    cases = [
        ({}, {"design"}),
        ({"design": classical_design(), "owner": "me"}, {"owner"}),
        ([1, 2], {"body"}),
        ({"design": "round"}, {"design"}),
    ]
    for body, fields in cases:
        resp = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=json.dumps(body))
        assert resp.status_code == 422, body
        assert _fields(resp) == fields, body
    sid = create(client)["session_id"]
    for body, fields in [({"to_state": "shipped"}, {"to_state"}), ({"to_state": "in_review", "version": "1"},
                                                                    {"version"}),
                         ({"to_state": "in_review", "actor": ""}, {"actor"}), ({}, {"to_state"})]:
        resp = post(client, f"/sessions/{sid}/transition", body)
        assert resp.status_code == 422, body
        assert _fields(resp) == fields
    resp = _put_design(client, sid, {"design": classical_design(), "version": 0})
    assert resp.status_code == 422 and _fields(resp) == {"version"}
    assert post(client, f"/sessions/{sid}/feasibility", {"version": -3}).status_code == 422
    assert _get(client, sid).json_body["version"] == 1


def test_malformed_json_is_400(client):
    for raw in ('{"design": ', "not json", '{"design": NaN}', ""):
        resp = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=raw)
        assert resp.status_code == 400, raw
        assert resp.json_body["code"] == "malformed_json"
    sid = create(client)["session_id"]
    assert _put_design(client, sid, "{oops").status_code == 400
    assert post(client, f"/sessions/{sid}/transition").status_code == 400


def test_wrong_content_type_is_415(client):
    raw = json.dumps({"design": classical_design()})
    resp = client.http.post(f"{PREFIX}/sessions", headers={"Content-Type": "text/plain"}, body=raw)
    assert resp.status_code == 415
    assert resp.json_body["code"] == "unsupported_media_type"
    sid = create(client)["session_id"]
    resp = _put_design(client, sid, raw, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 415
    assert _get(client, sid).json_body["version"] == 1


def test_oversized_body_is_413(client):
    design = classical_design()
    design["rings"][0]["material"] = "x" * 80
    body = {"design": design, "padding": "y" * 70_000}
    resp = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=json.dumps(body))
    assert resp.status_code == 413
    assert resp.json_body["code"] == "payload_too_large"
    assert table_items("SESSION#") == []


def test_refused_edits_write_nothing(client):
    session = create(client)
    sid = session["session_id"]
    bad = classical_design(rings=[{"width_mm": 10.0, "pattern_type": "SOLID", "tile_length_mm": 0}])
    assert _put_design(client, sid, {"design": bad}).status_code == 422
    assert _put_design(client, sid, "{").status_code == 400
    assert _put_design(client, sid, {"design": classical_design(), "version": 9}).status_code == 409
    assert _get(client, sid).json_body == session
    assert s3_keys(config.artifacts_bucket()) == [] and s3_keys(config.requests_bucket()) == []


def test_feasibility_route_stores_result(client):
    session = create(client)
    sid = session["session_id"]
    resp = post(client, f"/sessions/{sid}/feasibility")
    assert resp.status_code == 200
    result = resp.json_body
    assert result["ruleset"] == "rosette-feasibility-v2"
    assert result["design_fingerprint"] == session["design_fingerprint"]
    assert {c["id"] for c in result["checks"]} >= {"bit_fits_channel", "remaining_top_thickness",
                                                  "min_ring_width", "min_tile_length", "soundhole_margin"}
    stored = _get(client, sid).json_body
    assert stored["feasibility"] == result and stored["version"] == 2
    # An explicit empty JSON object body works as well as no body.
    assert post(client, f"/sessions/{sid}/feasibility", {}).status_code == 200


def test_promotion_intent(client):
    from tests.art_studio_support import approved_session

    draft = create(client)
    resp = client.http.get(f"{PREFIX}/sessions/{draft['session_id']}/promotion-intent")
    assert resp.status_code == 409
    assert resp.json_body["code"] == "not_approved"
    session = approved_session(client)
    # Approval stored the approved design for CAM, and nothing else.
    stored = s3_keys(config.requests_bucket())
    assert stored == [f"designs/{session['design_fingerprint']}.json"]
    resp = client.http.get(f"{PREFIX}/sessions/{session['session_id']}/promotion-intent")
    assert resp.status_code == 200
    intent = resp.json_body
    assert intent["intent_version"] == "1.0" and intent["export_ready"] is True
    assert intent["session_id"] == session["session_id"]
    assert intent["design_fingerprint"] == session["design_fingerprint"]
    assert intent["feasibility_summary"] == session["feasibility"]
    # Reading the intent writes nothing.
    assert s3_keys(config.requests_bucket()) == stored and table_items("PROMO#") == []


ODD_BODIES = [
    "null", "true", "[]", '"text"', "0", "{}", '{"design": null}', '{"design": []}',
    '{"design": {"outer_diameter_mm": 1e400}}', '{"design": {"rings": [null]}}',
    '{"design": {"outer_diameter_mm": 400, "inner_diameter_mm": 1e-300, "channel_depth_mm": 20,'
    ' "rings": [{"width_mm": 50, "pattern_type": "MOSAIC", "tile_length_mm": 1e-320}]}}',
    '{"design": {"outer_diameter_mm": 110, "inner_diameter_mm": 90, "channel_depth_mm": 1,'
    ' "center_mm": [1e308, -1e308], "rings": [{"width_mm": 10, "pattern_type": "SOLID"}]}}',
    '{"to_state": ["draft"]}', '{"version": 9223372036854775808}', '{"version": 1.5}',
    '{"actor": "\\u0000", "to_state": "in_review"}', '{"note": 1}',
    "1" * 5000, "\xff\xfe", '{"design": {"outer_diameter_mm": 110}, "design": 3}',
]


def test_odd_bodies_never_cause_a_server_error(client):
    sid = create(client)["session_id"]
    calls = [("post", "/sessions"), ("put", f"/sessions/{sid}/design"),
             ("post", f"/sessions/{sid}/feasibility"), ("post", f"/sessions/{sid}/transition"),
             ("post", f"/sessions/{sid}/export")]
    for raw in ODD_BODIES:
        for method, path in calls:
            resp = getattr(client.http, method)(f"{PREFIX}{path}", headers=JSON, body=raw)
            assert resp.status_code < 500, (raw, path, resp.json_body)
            if resp.status_code >= 400:
                assert set(resp.json_body) == {"code", "message", "details"}, (raw, path)
    for query in ("limit=-1", "limit=1e2", "cursor=" + "A" * 500, "cursor=%00", "limit=&cursor="):
        assert client.http.get(f"{PREFIX}/sessions?{query}").status_code < 500, query
    for query in ("cam_profile_id=%00", "cam_profile_id=" + "x" * 300, "cam_profile_id="):
        assert post(client, f"/sessions/{sid}/promote_to_cam?{query}").status_code < 500
