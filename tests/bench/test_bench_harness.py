"""The bench's own machinery: budgeted timing and the in-process stage."""
from __future__ import annotations

import os
import time

from bench import harness
from bench.harness import timed_within
from bench.stage import moto_stage


def test_timed_within_stops_starting_runs_once_the_budget_is_spent(monkeypatch):
    # A clock that only moves when the work runs: the result cannot depend on machine load.
    now = [0.0]
    monkeypatch.setattr(harness.time, "perf_counter", lambda: now[0])
    calls = []

    def slow() -> int:
        calls.append(1)
        now[0] += 0.02
        return len(calls)

    sample, result = timed_within(slow, runs=50, budget_s=0.05, warmup=1)
    assert 3 <= sample.runs <= 4 and result == len(calls) == sample.runs + 1


def test_timed_within_runs_once_even_over_budget_and_never_past_runs():
    assert timed_within(lambda: time.sleep(0.01), runs=5, budget_s=0.0)[0].runs == 1
    assert timed_within(lambda: None, runs=5, budget_s=60.0)[0].runs == 5


def test_moto_stage_serves_the_app_and_restores_the_environment(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    before = dict(os.environ)
    with moto_stage() as client:
        assert client.http.get("/api/rmos/cam/profiles").status_code == 200
        assert os.environ["TABLE_NAME"] == "luthier-cam-dev" and "AWS_ENDPOINT_URL" not in os.environ
    assert dict(os.environ) == before


def test_overhead_group_takes_a_session_through_the_routes_and_promotes_it_with_five_aws_calls():
    from bench import overhead
    from chalicelib import aws

    with moto_stage() as client:
        sid = overhead._approved_session(client, 0)
        counter = overhead._CallCounter([aws.s3(), aws.dynamodb()])
        calls, reply = counter.during(lambda: overhead._post(client, f"/sessions/{sid}/promote_to_cam"))
        # The session read, the index claim, the job record, the request object and the session's link:
        # approval stored the design snapshot, and the job's live status comes from the claim.
        assert calls == ["GetItem", "PutItem", "PutItem", "PutObject", "PutItem"]
        assert reply["ok"] is True and reply["request"]["status"] == "pending"
        assert "attempts" not in reply["request"]
        again_calls, again = counter.during(lambda: overhead._post(client, f"/sessions/{sid}/promote_to_cam"))
        assert again["request"] == reply["request"]
        # A repeat finds the session's link (written last) and the job record in one read, and stops.
        assert again_calls == ["GetItem", "PutItem", "BatchGetItem"]
