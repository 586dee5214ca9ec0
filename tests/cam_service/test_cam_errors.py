"""One catalogue with named errors, and one error body shape across both APIs."""
from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.contracts.errors import ErrorBody, Invalid
from chalicelib.contracts.profiles import (UnknownMachine, UnknownMaterial, UnknownProfile, UnknownTool,
                                           catalogue, profile_ids)
from chalicelib.contracts.cam_intent import CamIntentV1
from chalicelib.rmos.cam import profiles, promotion_job
from chalicelib.rmos.cam.pipeline import validate_intent
from chalicelib.rmos.cam.prepare import prepare
from tests.art_studio_support import PREFIX, create, move

JSON = {"Content-Type": "application/json"}
CAM = "/api/rmos/cam"


def _pocket(**overrides):
    intent = {"mode": "router_3axis",
              "design": {"operation": "pocket", "depth_mm": 0.6,
                         "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 8.0}}}
    intent.update(overrides)
    return intent


@pytest.mark.parametrize("lookup,error,path", [
    ("profile", UnknownProfile, "options.profile_id"),
    ("tool", UnknownTool, "tool_id"),
    ("material", UnknownMaterial, "material_id"),
    ("machine", UnknownMachine, "machine_id"),
])
def test_catalogue_lookups_raise_named_errors(lookup, error, path):
    with pytest.raises(error) as caught:
        getattr(catalogue(), lookup)("nope")
    exc = caught.value
    assert isinstance(exc, Invalid) and exc.code == "unknown_reference" and exc.key == "nope"
    [issue] = exc.issues
    assert (issue.code, issue.path) == ("unknown_reference", path)
    assert issue.message == f"unknown {error.noun} 'nope'; known: {', '.join(exc.known)}"
    assert exc.known == catalogue().ids(error.table) and exc.known


def test_catalogue_entries_carry_their_id_and_the_caller_names_the_field():
    pid = profile_ids()[0]
    assert catalogue().profile(pid)["id"] == pid
    with pytest.raises(UnknownProfile) as caught:
        catalogue().profile("nope", path="cam_profile_id")
    assert caught.value.issues[0].path == "cam_profile_id"
    assert catalogue().default_profile_id("saw") != catalogue().default_profile_id("router_3axis")


def test_every_catalogue_check_uses_the_named_errors():
    # normalisation: every unknown reference at once, each on its own field
    outcome = validate_intent(_pocket(tool_id="t?", material_id="m?", machine_id="x?",
                                      options={"profile_id": "p?"}))
    assert [(i.code, i.path) for i in outcome.issues] == [
        ("unknown_reference", "tool_id"), ("unknown_reference", "material_id"),
        ("unknown_reference", "machine_id"), ("unknown_reference", "options.profile_id")]
    # profile resolution of a bare envelope
    with pytest.raises(profiles.ProfileError) as resolved:
        profiles.resolve(CamIntentV1.model_validate(_pocket(tool_id="t?")))
    assert [(i.code, i.path) for i in resolved.value.issues] == [("unknown_reference", "tool_id")]
    # the CAM side of a promotion keeps its own code for the same lookup
    with pytest.raises(promotion_job.PromotionRejected) as rejected:
        promotion_job.resolve_profile("p?")
    assert [(i.code, i.path) for i in rejected.value.issues] == [("unknown_profile", "cam_profile_id")]
    assert all(p in rejected.value.reason for p in profile_ids())


def test_prepare_resolves_once_and_feeds_validation_and_planning():
    prepared = prepare(_pocket())
    assert prepared.ok and prepared.setup.profile_id == catalogue().default_profile_id("router_3axis")
    assert prepare(prepared) is prepared
    assert validate_intent(prepared).normalized == validate_intent(_pocket()).normalized
    renamed = prepared.with_post("linuxcnc")
    assert renamed.setup.post == renamed.norm.options.post == "linuxcnc"
    assert renamed.setup.cut == prepared.setup.cut
    bad = prepared.with_post("fanuc")
    assert not bad.ok and [(i.code, i.path) for i in bad.issues] == [("unknown_post", "post")]


def _sample_error_responses(client):
    """(name, response) for a spread of 4xx answers from both APIs."""
    sid = create(client)["session_id"]
    art = [
        ("art 404", client.http.get(f"{PREFIX}/sessions/{uuid.uuid4()}")),
        ("art 409 transition", move(client, sid, "approved")),
        ("art 409 stale", move(client, sid, "in_review", version=9)),
        ("art 422 body", client.http.post(f"{PREFIX}/sessions", headers=JSON, body=json.dumps({"design": {}}))),
        ("art 422 limit", client.http.get(f"{PREFIX}/sessions?limit=0")),
        ("art 400", client.http.post(f"{PREFIX}/sessions", headers=JSON, body="{")),
        ("art 415", client.http.post(f"{PREFIX}/sessions", headers={"Content-Type": "text/plain"}, body="{}")),
        ("art 409 promotion-intent", client.http.get(f"{PREFIX}/sessions/{sid}/promotion-intent")),
    ]
    cam = [
        ("cam 404", client.http.get(f"{CAM}/jobs/{uuid.uuid4()}")),
        ("cam 422 intent", client.http.post(f"{CAM}/intents", headers=JSON, body=json.dumps(_pocket(mode="x")))),
        ("cam 422 catalogue", client.http.post(f"{CAM}/plan", headers=JSON,
                                               body=json.dumps(_pocket(tool_id="nope")))),
        ("cam 422 NaN", client.http.post(f"{CAM}/intents", headers=JSON, body='{"mode": NaN}')),
        ("cam 422 not an object", client.http.post(f"{CAM}/intents", headers=JSON, body="[1]")),
        ("cam 400", client.http.post(f"{CAM}/intents", headers=JSON, body="{")),
        ("cam 413", client.http.post(f"{CAM}/plan", headers=JSON, body=json.dumps({"pad": "x" * 300_000}))),
    ]
    return art + cam


def test_every_error_body_from_both_apis_is_an_error_body(client):
    seen = set()
    for name, resp in _sample_error_responses(client):
        assert 400 <= resp.status_code < 500, (name, resp.status_code, resp.body)
        body = ErrorBody.model_validate(resp.json_body)
        assert set(resp.json_body) == {"code", "message", "details"}, name
        assert all(set(d) == {"code", "message", "path"} for d in resp.json_body["details"]), name
        assert all(i.path and i.code and i.message for i in body.details), name
        # Only the answers Chalice writes itself (before our handlers) come without issues.
        assert body.details or resp.status_code == 415, name
        seen.add(resp.status_code)
    assert seen == {400, 404, 409, 413, 415, 422}


def test_unknown_catalogue_ids_are_422_naming_the_field(client):
    resp = client.http.post(f"{CAM}/plan", headers=JSON, body=json.dumps(_pocket(machine_id="nope")))
    assert resp.status_code == 422 and resp.json_body["code"] == "validation_error"
    assert [(d["code"], d["path"]) for d in resp.json_body["details"]] == [("unknown_reference", "machine_id")]
