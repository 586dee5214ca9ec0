from __future__ import annotations

import json
from pathlib import Path

from luthier.cli import main
from tests.local.test_sdk import JOB_ID, JOB_PATH, job

INTENT = {"mode": "router_3axis", "design": {"operation": "drill", "holes": [[0, 0]], "depth_mm": 2}}


def write_intent(tmp_path: Path, data=INTENT) -> Path:
    path = tmp_path / "intent.json"
    path.write_text(json.dumps(data))
    return path


def test_submit_prints_the_job(stub_api, tmp_path, capsys):
    stub_api.on("POST", "/api/rmos/cam/intents", lambda req: (202, {"job": job("pending", stub_api)}))
    assert main(["submit", str(write_intent(tmp_path)), "--api", stub_api.base]) == 0
    assert json.loads(capsys.readouterr().out)["job_id"] == JOB_ID
    assert stub_api.requests[-1]["body"] == INTENT


def test_submit_uses_the_api_from_the_environment(stub_api, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LUTHIER_CAM_API", stub_api.base)
    stub_api.on("POST", "/api/rmos/cam/intents", lambda req: (202, {"job": job("pending", stub_api)}))
    assert main(["submit", str(write_intent(tmp_path))]) == 0
    assert stub_api.requests


def test_submit_refusal_names_the_fields_and_exits_1(stub_api, tmp_path, capsys):
    stub_api.on("POST", "/api/rmos/cam/intents", (422, {
        "code": "validation_error", "message": "invalid fields: design.depth_mm",
        "details": [{"field": "design.depth_mm", "message": "Input should be greater than 0", "type": "gt"}]}))
    assert main(["submit", str(write_intent(tmp_path)), "--api", stub_api.base]) == 1
    err = capsys.readouterr().err
    assert "422 validation_error: invalid fields: design.depth_mm" in err
    assert "design.depth_mm: Input should be greater than 0" in err


def test_submit_rejects_a_file_that_is_not_json(tmp_path, capsys):
    path = tmp_path / "intent.json"
    path.write_text("{not json")
    try:
        main(["submit", str(path), "--api", "http://127.0.0.1:9/api"])
    except SystemExit as exc:
        assert "is not valid JSON" in str(exc.code)
    else:
        raise AssertionError("a broken intent file must stop the command")


def test_submit_wait_reports_a_failed_job_with_exit_3(stub_api, tmp_path, capsys):
    stub_api.on("POST", "/api/rmos/cam/intents", lambda req: (202, {"job": job("pending", stub_api)}))
    stub_api.on("GET", JOB_PATH, (200, job("failed", stub_api, reason="island outside the boundary")))
    code = main(["submit", str(write_intent(tmp_path)), "--api", stub_api.base, "--wait", "--timeout", "10"])
    assert code == 3
    assert "island outside the boundary" in capsys.readouterr().err


def test_status_prints_the_job(stub_api, capsys):
    stub_api.on("GET", JOB_PATH, (200, job("processing", stub_api)))
    assert main(["status", JOB_ID, "--api", stub_api.base]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "processing"


def test_status_of_an_unknown_job_exits_1(stub_api, capsys):
    assert main(["status", JOB_ID, "--api", stub_api.base]) == 1
    assert "404 not_found" in capsys.readouterr().err


def test_download_writes_the_files(stub_api, tmp_path, capsys):
    stub_api.on("GET", JOB_PATH, (200, job("completed", stub_api)))
    stub_api.on("GET", "/files/program.nc", (200, b"G21\nM30\n"))
    stub_api.on("GET", "/files/report.json", (200, {"totals": {}}))
    assert main(["download", JOB_ID, "-o", str(tmp_path / "out"), "--api", stub_api.base]) == 0
    assert (tmp_path / "out" / "program.nc").read_bytes() == b"G21\nM30\n"
    assert "program.nc" in capsys.readouterr().out


def test_download_before_completion_exits_1(stub_api, tmp_path, capsys):
    stub_api.on("GET", JOB_PATH, (200, job("pending", stub_api)))
    assert main(["download", JOB_ID, "-o", str(tmp_path), "--api", stub_api.base]) == 1
    assert "job_not_completed" in capsys.readouterr().err
