from __future__ import annotations

from pathlib import Path

import pytest

from luthier import sdk

JOB_ID = "0b8f5c1e-2f43-4f61-9d55-0d0c8a3b6a10"
JOB_PATH = f"/api/rmos/cam/jobs/{JOB_ID}"


def job(status: str, stub, **extra):
    downloads = {}
    if status == "completed":
        downloads = {"program.nc": f"{stub.url}/files/program.nc", "report.json": f"{stub.url}/files/report.json"}
    return {"job_id": JOB_ID, "kind": "cam_intent", "status": status, "reason": None, "report": None,
            "downloads": downloads, **extra}


def test_submit_sends_json_and_returns_the_job(stub_api):
    stub_api.on("POST", "/api/rmos/cam/intents", lambda req: (202, {"job": job("pending", stub_api)}))
    intent = {"mode": "router_3axis", "design": {"operation": "pocket"}}
    result = sdk.Client(stub_api.base).submit_intent(intent)
    assert result["job_id"] == JOB_ID and result["status"] == "pending"
    sent = stub_api.requests[-1]
    assert sent["body"] == intent
    assert sent["headers"]["Content-Type"] == "application/json"


def test_validation_error_carries_code_message_and_fields(stub_api):
    details = [{"field": "design.depth_mm", "message": "must be > 0", "type": "greater_than"}]
    stub_api.on("POST", "/api/rmos/cam/intents",
                (422, {"code": "validation_error", "message": "invalid fields: design.depth_mm", "details": details}))
    with pytest.raises(sdk.ValidationFailed) as caught:
        sdk.Client(stub_api.base).submit_intent({"mode": "router_3axis", "design": {}})
    assert (caught.value.status, caught.value.code) == (422, "validation_error")
    assert caught.value.message == "invalid fields: design.depth_mm"
    assert caught.value.details == details


@pytest.mark.parametrize("status,body,kind,code", [
    (404, {"code": "not_found", "message": "no job", "details": {"field": "job_id"}}, sdk.NotFound, "not_found"),
    (409, {"ok": False, "blocked_reason": "Session is not in APPROVED or EXPORTED state", "request": None},
     sdk.Conflict, "promotion_blocked"),
    (413, {"code": "payload_too_large", "message": "too big", "details": None}, sdk.PayloadTooLarge,
     "payload_too_large"),
    (415, {"code": "unsupported_media_type", "message": "json please", "details": None}, sdk.BadRequest,
     "unsupported_media_type"),
    (502, "Bad Gateway", sdk.ServerError, "http_502"),
])
def test_each_refusal_has_its_own_error_type(stub_api, status, body, kind, code):
    stub_api.on("POST", "/api/art/design-first-workflow/sessions/s1/promote_to_cam", (status, body))
    with pytest.raises(kind) as caught:
        sdk.Client(stub_api.base).promote_to_cam("s1", "profile-a")
    assert caught.value.status == status and caught.value.code == code
    assert stub_api.requests[-1]["query"] == "cam_profile_id=profile-a"


def test_promote_returns_the_request(stub_api):
    request = {"promotion_request_id": JOB_ID, "status": "pending"}
    stub_api.on("POST", "/api/art/design-first-workflow/sessions/s1/promote_to_cam",
                (201, {"ok": True, "request": request}))
    assert sdk.Client(stub_api.base).promote_to_cam("s1") == request
    assert stub_api.requests[-1]["query"] == ""


def test_unreachable_api_is_a_typed_error():
    from luthier.local.ports import free_port

    with pytest.raises(sdk.Unreachable) as caught:
        sdk.Client(f"http://127.0.0.1:{free_port()}/api", timeout_s=5).job(JOB_ID)
    assert caught.value.code == "unreachable"


def test_wait_for_job_polls_until_completed(stub_api):
    states = iter(["pending", "processing", "completed"])
    stub_api.on("GET", JOB_PATH, lambda req: (200, job(next(states), stub_api)))
    done = sdk.Client(stub_api.base).wait_for_job(JOB_ID, timeout_s=30, interval_s=0.01)
    assert done["status"] == "completed"
    assert sum(1 for r in stub_api.requests if r["path"] == JOB_PATH) == 3


def test_wait_for_job_raises_on_failure_with_the_reason(stub_api):
    stub_api.on("GET", JOB_PATH, (200, job("failed", stub_api, reason="design fingerprint mismatch")))
    with pytest.raises(sdk.JobFailed) as caught:
        sdk.Client(stub_api.base).wait_for_job(JOB_ID, timeout_s=5, interval_s=0.01)
    assert caught.value.message == "design fingerprint mismatch"


def test_download_writes_every_artifact(stub_api, tmp_path: Path):
    stub_api.on("GET", JOB_PATH, (200, job("completed", stub_api)))
    stub_api.on("GET", "/files/program.nc", (200, b"G21\nG90\nM30\n"))
    stub_api.on("GET", "/files/report.json", (200, {"totals": {"moves": 3}}))
    written = sdk.Client(stub_api.base).download_artifacts(JOB_ID, tmp_path / "out")
    assert sorted(written) == ["program.nc", "report.json"]
    assert (tmp_path / "out" / "program.nc").read_bytes() == b"G21\nG90\nM30\n"


def test_download_refuses_a_job_that_is_not_completed(stub_api, tmp_path: Path):
    stub_api.on("GET", JOB_PATH, (200, job("processing", stub_api)))
    with pytest.raises(sdk.Conflict) as caught:
        sdk.Client(stub_api.base).download_artifacts(JOB_ID, tmp_path)
    assert caught.value.code == "job_not_completed"
    assert list(tmp_path.iterdir()) == []


def test_download_refuses_an_artifact_name_with_a_path(stub_api, tmp_path: Path):
    bad = job("completed", stub_api)
    bad["downloads"] = {"../evil.nc": f"{stub_api.url}/files/program.nc"}
    stub_api.on("GET", JOB_PATH, (200, bad))
    with pytest.raises(sdk.ServerError):
        sdk.Client(stub_api.base).download_artifacts(JOB_ID, tmp_path / "out")
    assert not (tmp_path / "evil.nc").exists()


def test_base_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LUTHIER_CAM_API", "http://example.invalid:9/api/")
    assert sdk.Client().base_url == "http://example.invalid:9/api"
    monkeypatch.delenv("LUTHIER_CAM_API")
    assert sdk.Client().base_url == "http://127.0.0.1:8001/api"


class FakeClock:
    """Stands in for the sdk's `time`: sleeping moves the clock on at once and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_wait_for_job_backs_off_to_its_longest_interval(stub_api, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(sdk, "time", clock)
    states = iter(["pending"] + ["processing"] * 6 + ["completed"])
    stub_api.on("GET", JOB_PATH, lambda req: (200, job(next(states), stub_api)))
    done = sdk.Client(stub_api.base).wait_for_job(JOB_ID, timeout_s=60, interval_s=0.5, max_interval_s=2)
    assert done["status"] == "completed"
    # Half as long again each time, then held at the longest interval.
    assert clock.slept == [0.5, 0.75, 1.125, 1.6875, 2, 2, 2]


def test_wait_for_job_polls_at_a_fixed_rate_when_asked(stub_api, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(sdk, "time", clock)
    states = iter(["pending"] * 4 + ["completed"])
    stub_api.on("GET", JOB_PATH, lambda req: (200, job(next(states), stub_api)))
    sdk.Client(stub_api.base).wait_for_job(JOB_ID, timeout_s=60, interval_s=0.1, max_interval_s=0.1)
    assert clock.slept == [0.1] * 4


def test_wait_for_job_asks_a_last_time_at_the_deadline_then_times_out(stub_api, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(sdk, "time", clock)
    stub_api.on("GET", JOB_PATH, lambda req: (200, job("processing", stub_api)))
    with pytest.raises(sdk.JobTimeout) as caught:
        sdk.Client(stub_api.base).wait_for_job(JOB_ID, timeout_s=4, interval_s=1, max_interval_s=5)
    # 1 + 1.5 = 2.5 s; the next wait would be 2.25 s, cut to the 1.5 s left; then one last poll.
    assert clock.slept == [1, 1.5, 1.5]
    assert sum(1 for r in stub_api.requests if r["path"] == JOB_PATH) == 4
    assert "still processing after 4s" in caught.value.message
