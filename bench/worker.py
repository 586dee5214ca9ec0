"""Worker throughput: jobs per minute through the S3-triggered CAM handler, in process under moto."""
from __future__ import annotations

import copy
import json
from typing import Any, Callable

from bench.cases import Case, body_pocket, rosette_channel
from bench.harness import Row, timed_within, spread_text
from bench.stage import moto_stage

GROUP = "worker"
INTENTS = "/api/rmos/cam/intents"
JSON = {"Content-Type": "application/json"}
# (max runs, measured-time budget in s) per case, quick and full: a slow case gets fewer runs
# rather than stretching `make bench`, a fast one all of them.
RUNS = {"a": {True: (5, 5.0), False: (15, 15.0)}, "b": {True: (3, 5.0), False: (9, 40.0)}}


def _submit(client: Any, case: Case, n: int) -> tuple[str, str]:
    """POST the case's intent under a new intent_id; (job_id, request key) of the pending job."""
    from chalicelib.contracts.jobs import intent_request_key

    intent = copy.deepcopy(case.intent)
    intent["intent_id"] = f"{intent['intent_id']}-{n}"
    resp = client.http.post(INTENTS, headers=JSON, body=json.dumps(intent))
    if resp.status_code != 202:
        raise RuntimeError(f"POST {INTENTS}: {resp.status_code} {resp.json_body}")
    job_id = resp.json_body["job"]["job_id"]
    return job_id, intent_request_key(job_id)


def _deliveries(client: Any, case: Case, count: int) -> tuple[Callable[[], str], list[str]]:
    """A callable delivering the next of `count` submitted jobs to `cam_worker` as its S3 event."""
    from chalicelib import config

    jobs = [_submit(client, case, n) for n in range(count)]
    done: list[str] = []

    def deliver() -> str:
        job_id, key = jobs[len(done)]
        client.lambda_.invoke("cam_worker", client.events.generate_s3_event(config.requests_bucket(), key))
        done.append(job_id)
        return job_id

    return deliver, done


def _statuses(job_ids: list[str]) -> dict[str, int]:
    from chalicelib.rmos.cam.jobs import JobStore

    store, counts = JobStore(), dict[str, int]()
    for job_id in job_ids:
        status = str((store.get(job_id) or {}).get("status"))
        counts[status] = counts.get(status, 0) + 1
    return counts


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    with moto_stage() as client:
        for case, warmup in ((rosette_channel(), 1), (body_pocket(2000), 0)):
            runs, budget = RUNS[case.key][quick]
            deliver, done = _deliveries(client, case, runs + warmup)
            sample, _ = timed_within(deliver, runs, budget, warmup)
            statuses = _statuses(done)
            per_minute = 60 / sample.median
            note = (f"timed: cam_worker invoked with the request object's S3 event through chalice.test.Client "
                    f"(read, claim, plan, 3 artifact puts, complete); the intent is submitted beforehand, "
                    f"untimed, by POST {INTENTS}; "
                    f"time per job {spread_text(sample, 's')}; "
                    + (f"runs stop after {budget:g} s measured (max {runs}); " if sample.runs < runs else "")
                    + f"job statuses: {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}")
            ok = set(statuses) == {"completed"}
            rows.append(Row(GROUP, f"({case.key}) {case.title}", per_minute, "jobs/min",
                            f"{_rate(60 / sample.high)} .. {_rate(60 / sample.low)} (n={sample.runs})",
                            met=None if ok else False, note=note if ok else "NOT ALL JOBS COMPLETED; " + note))
    return rows
