"""The local stack stays live under load: jobs side by side with a time limit, bursts of requests answered."""
from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from chalice.app import S3Event

from chalicelib.contracts.jobs import INTENT_PREFIX
from luthier import sdk
from tests.local import signin
from luthier.local.pump import EventPump
from luthier.local.stack import fail_timed_out_job, worker_timeout_s
from tests.local.test_pump import BUCKET, emulator  # noqa: F401 - the fixture
from tests.stackproc import start_stack, stop_stack


def _wait(done, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_a_slow_job_does_not_hold_up_a_quick_one(emulator):  # noqa: F811
    finished: dict[str, float] = {}
    release_slow = threading.Event()

    def handler(event: dict[str, Any], context: Any) -> None:
        key = S3Event(event, context).key
        if "slow" in key:
            release_slow.wait(20)
        finished[key] = time.monotonic()

    pump = EventPump(emulator["sqs"], emulator["queue_url"], handler, wait_s=1, concurrency=4, timeout_s=60)
    pump.start()
    try:
        emulator["s3"].put_object(Bucket=BUCKET, Key="requests/cam-intents/slow.json", Body=b"{}")
        _wait(lambda: pump._active == 1)
        emulator["s3"].put_object(Bucket=BUCKET, Key="requests/cam-intents/quick.json", Body=b"{}")
        _wait(lambda: "requests/cam-intents/quick.json" in finished)
        # The quick job ended while the slow one was still running.
        assert "requests/cam-intents/slow.json" not in finished
        release_slow.set()
        _wait(lambda: pump.delivered == 2)
    finally:
        release_slow.set()
        pump.stop()
    assert finished["requests/cam-intents/quick.json"] < finished["requests/cam-intents/slow.json"]


def test_concurrency_is_bounded(emulator):  # noqa: F811
    running = 0
    peak = 0
    lock = threading.Lock()

    def handler(event: dict[str, Any], context: Any) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.5)
        with lock:
            running -= 1

    pump = EventPump(emulator["sqs"], emulator["queue_url"], handler, wait_s=1, concurrency=2, timeout_s=60)
    pump.start()
    try:
        for n in range(6):
            emulator["s3"].put_object(Bucket=BUCKET, Key=f"requests/cam-intents/{n}.json", Body=b"{}")
        _wait(lambda: pump.delivered == 6)
    finally:
        pump.stop()
    assert peak == 2


def test_a_job_past_the_time_limit_is_ended_reported_and_not_retried(emulator):  # noqa: F811
    ticks = [0]
    calls: list[str] = []
    timeouts: list[tuple[str, float]] = []

    def runaway(event: dict[str, Any], context: Any) -> None:
        calls.append(S3Event(event, context).key)
        while True:  # plans forever, in Python, as a stuck planner would
            ticks[0] += 1
            time.sleep(0.01)

    pump = EventPump(emulator["sqs"], emulator["queue_url"], runaway, wait_s=1, timeout_s=1.5,
                     on_timeout=lambda record, limit: timeouts.append(
                         (unquote_plus(record["s3"]["object"]["key"]), limit)))
    pump.start()
    try:
        emulator["s3"].put_object(Bucket=BUCKET, Key="requests/cam-intents/stuck.json", Body=b"{}")
        _wait(lambda: pump.timed_out == 1)
        assert timeouts == [("requests/cam-intents/stuck.json", 1.5)]
        # The invocation really ended: its loop stops counting.
        _wait(lambda: pump._active == 0, 5)
        stopped_at = ticks[0]
        time.sleep(0.3)
        assert ticks[0] == stopped_at
        time.sleep(2)
    finally:
        pump.stop()
    assert calls == ["requests/cam-intents/stuck.json"]
    assert pump.delivered == 0 and pump.failed == 0


def test_a_timed_out_job_is_reported_failed_through_the_api(client):
    intent = {"mode": "router_3axis", "design": {"operation": "pocket", "depth_mm": 1.0,
                                                 "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 10}}}
    job = client.http.post("/api/rmos/cam/intents", body=json.dumps(intent),
                           headers={"Content-Type": "application/json"}).json_body["job"]
    assert job["status"] == "pending"
    record = {"s3": {"bucket": {"name": "requests"}, "object": {"key": f"{INTENT_PREFIX}{job['job_id']}.json"}}}
    fail_timed_out_job(record, 300)
    body = client.http.get(f"/api/rmos/cam/jobs/{job['job_id']}").json_body
    assert body["status"] == "failed"
    assert "300 s time limit" in body["reason"]
    # Ending it again (the job already finished) is quiet.
    fail_timed_out_job(record, 300)


def test_the_time_limit_is_the_cam_worker_lambda_timeout():
    config = json.loads((Path(__file__).resolve().parents[2] / ".chalice" / "config.json").read_text())
    assert worker_timeout_s("dev") == config["stages"]["dev"]["lambda_functions"]["cam_worker"]["lambda_timeout"]
    assert worker_timeout_s("prod") == config["stages"]["prod"]["lambda_functions"]["cam_worker"]["lambda_timeout"]


def test_a_burst_of_64_requests_is_answered_each_with_its_own_data(tmp_path: Path):
    stack = start_stack("luthier.local", tmp_path / "data")
    try:
        designer = signin.auth(stack, "designer")
        api = sdk.Client(stack.api, auth=designer)
        bearer = f"Bearer {designer.id_token()}"
        sessions = []
        for n in range(8):
            outer = 100 + 2 * n
            sessions.append(api.create_session({
                "outer_diameter_mm": outer, "inner_diameter_mm": outer - 20, "channel_depth_mm": 1.6,
                "rings": [{"width_mm": 10, "pattern_type": "MOSAIC", "tile_length_mm": 4}]}))

        def get(n: int) -> tuple[int, str, float]:
            wanted = sessions[n % len(sessions)]
            url = f"{stack.api}/art/design-first-workflow/sessions/{wanted['session_id']}"
            request = urllib.request.Request(url, headers={"Authorization": bearer})
            with urllib.request.urlopen(request, timeout=60) as reply:
                body = json.loads(reply.read())
            return reply.status, body["session_id"] == wanted["session_id"], body["design"]["outer_diameter_mm"]

        start = threading.Barrier(64)

        def burst(n: int):
            start.wait()
            return get(n)

        with ThreadPoolExecutor(64) as pool:
            results = list(pool.map(burst, range(64)))
    finally:
        stop_stack(stack)
    assert [status for status, _, _ in results] == [200] * 64
    # Each answer is about the session it asked for, not a neighbour's request.
    assert all(own for _, own, _ in results)
    assert [outer for _, _, outer in results] == [100 + 2 * (n % 8) for n in range(64)]
    output = "".join(stack.output)
    assert "pool is full" not in output, output[-2000:]
    assert "Traceback" not in output
