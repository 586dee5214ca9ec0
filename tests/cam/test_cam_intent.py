"""The frozen CamIntentV1 envelope and its schema-hash guard."""
from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from chalicelib.ci import check_cam_intent_schema_hash as checker
from chalicelib.contracts import cam_intent
from chalicelib.contracts.cam_intent import CamIntentV1

SEED_FIELDS = ["schema_version", "intent_id", "mode", "units", "tool_id", "material_id", "machine_id",
               "design", "context", "options", "requested_by", "created_at_utc"]


def test_fields_are_exactly_the_seeds():
    assert list(CamIntentV1.model_fields) == SEED_FIELDS
    schema = CamIntentV1.model_json_schema()
    assert sorted(schema["required"]) == ["design", "mode"]


def test_defaults_and_enums():
    intent = CamIntentV1(mode="saw", design={})
    assert intent.schema_version == "cam_intent_v1"
    assert intent.units.value == "mm"
    assert intent.context == {} and intent.options == {}
    assert intent.intent_id is None and intent.created_at_utc is None
    assert {m.value for m in cam_intent.CamModeV1} == {"router_3axis", "saw"}
    assert {u.value for u in cam_intent.CamUnitsV1} == {"mm", "inch"}


@pytest.mark.parametrize("bad", [
    {"mode": "laser", "design": {}},
    {"mode": "saw", "design": {}, "units": "cm"},
    {"mode": "saw"},
    {"mode": "saw", "design": {}, "surprise": 1},
    {"mode": "saw", "design": {}, "schema_version": "cam_intent_v2"},
    {"mode": "saw", "design": {}, "created_at_utc": "yesterday"},
])
def test_envelope_refuses(bad):
    with pytest.raises(ValidationError):
        CamIntentV1.model_validate(bad)


def test_pin_matches_current_schema():
    assert cam_intent.schema_hash() == cam_intent.CAM_INTENT_SCHEMA_HASH_V1
    assert checker.main([]) == 0


def test_checker_fails_on_a_changed_pin(monkeypatch, capsys):
    monkeypatch.setattr(cam_intent, "CAM_INTENT_SCHEMA_HASH_V1", "0" * 64)
    assert checker.main([]) != 0
    err = capsys.readouterr().err
    assert "expected: " + "0" * 64 in err
    assert "actual:   " + cam_intent.schema_hash() in err


def test_checker_fails_when_the_envelope_changes(monkeypatch):
    original = CamIntentV1.model_json_schema

    def changed(*args, **kwargs):
        schema = original(*args, **kwargs)
        schema["properties"]["extra_field"] = {"type": "string"}
        return schema

    monkeypatch.setattr(CamIntentV1, "model_json_schema", changed)
    assert checker.main([]) == 1


def test_checker_command_line():
    ok = subprocess.run([sys.executable, "-m", "chalicelib.ci.check_cam_intent_schema_hash"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    printed = subprocess.run([sys.executable, "-m", "chalicelib.ci.check_cam_intent_schema_hash", "--print"],
                             capture_output=True, text=True)
    assert printed.stdout.strip() == cam_intent.schema_hash()
    assert len(printed.stdout.strip()) == 64
