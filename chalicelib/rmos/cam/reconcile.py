"""The job reconciler: no job stays `pending` or `processing` for long.

Run on a schedule (`app.reconciler`, every `PERIOD_MINUTES`) and on a timer
in the local stack. Each run does bounded work, oldest first:

* a `pending` job unchanged for `PENDING_GRACE_SECONDS` lost its event (or
  Lambda's retries of a transient error ran out): it is re-driven;
* a `processing` job whose lease expired belongs to a worker that died
  (timeout, out of memory): it is re-driven;
* the worker's failure queue (Lambda's on-failure destination) is drained,
  and every job it names is checked the same way, so an event Lambda gave up
  on is never lost silently.

A re-drive is a new attempt: the record moves to `pending` with `attempt`
incremented (conditional on the record not having moved since it was read),
then the immutable attempt object `requests/attempts/{job_id}/{n}.json` is
written, whose arrival starts the worker on the job's original request. A job
already claimed `MAX_CLAIMS` times, or re-driven `MAX_REDRIVES` times with no
worker ever claiming it, is failed with a reason instead, and a job whose
request object never got written is failed with what to do.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable
from urllib.parse import unquote_plus

from chalicelib import aws, config, logs
from chalicelib.contracts.jobs import epoch_of, parse_attempt_key, parse_request_key
from chalicelib.rmos.cam import attempts
from chalicelib.rmos.cam.jobs import MAX_CLAIMS, MAX_REDRIVES, JobStore, lease_seconds
from chalicelib.rmos.cam.worker import gave_up_reason
from chalicelib.storage import blobs
from chalicelib.storage.table import Item, TransitionRefused

log = logging.getLogger("luthier_cam.reconcile")

PERIOD_MINUTES = 5
# Lambda retries a failed event about 1 and 3 minutes after it failed; a
# pending job older than that will not be picked up by anything but us.
PENDING_GRACE_SECONDS = 4 * 60
BATCH = 50
QUEUE_BATCHES = 5


def _updated_epoch(item: Item) -> int:
    value = item.get("updated_epoch")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    stamp = item.get("updated_at")
    return epoch_of(stamp) if isinstance(stamp, str) else 0


def _stuck(item: Item, now: float) -> bool:
    if item.get("status") == "pending":
        return _updated_epoch(item) + PENDING_GRACE_SECONDS <= now
    if item.get("status") == "processing":
        until = item.get("lease_until")
        return not isinstance(until, int) or until <= now
    return False


def redrive(store: JobStore, item: Item, why: str) -> str:
    """Fail or re-drive one stuck job; returns what was done."""
    job_id = str(item["job_id"])
    claims = item.get("claims")
    request_key = str(item.get("request_key") or "")
    try:
        if isinstance(claims, int) and claims >= MAX_CLAIMS:
            store.fail_stuck(item, gave_up_reason(claims))
            logs.metric("JobsFailed", 1, kind=str(item.get("kind")))
            log.warning("job %s failed after %s claims", job_id, claims, extra={"job_id": job_id})
            return "failed"
        redrives = item.get("redrives")
        if isinstance(redrives, int) and redrives >= MAX_REDRIVES:
            store.fail_stuck(item, f"the job was re-run {redrives} times and no CAM worker picked it up; "
                                   "the CAM service is not receiving its events: tell the CAM operators, "
                                   "then retry the job")
            logs.metric("JobsFailed", 1, kind=str(item.get("kind")))
            return "failed"
        if not request_key or not blobs.exists(config.requests_bucket(), request_key):
            again = ("promote the session again" if item.get("kind") == "cam_promotion"
                     else "submit the intent again")
            store.fail_stuck(item, f"the submission was interrupted before its request was stored; {again}")
            logs.metric("JobsFailed", 1, kind=str(item.get("kind")))
            return "failed"
        moved = store.requeue(item, f"re-run by the reconciler: {why}")
    except TransitionRefused:
        return "moved"  # a worker or another reconciler got there first
    attempt = attempts.start(moved, why)
    log.warning("job %s re-driven as attempt %s: %s", job_id, attempt, why, extra={"job_id": job_id})
    return "redriven"


def _why(item: Item) -> str:
    if item.get("status") == "processing":
        return "its worker stopped before finishing (lease expired)"
    return "it waited too long for a worker"


def drain_failures(store: JobStore, now: float, batches: int = QUEUE_BATCHES) -> dict[str, int]:
    """Read the worker's on-failure queue; every job it names is re-driven or failed now."""
    sqs = aws.sqs()
    try:
        url = sqs.get_queue_url(QueueName=config.cam_worker_failures_queue())["QueueUrl"]
    except Exception as exc:  # no queue in this stage (or no permission): say so, loudly
        log.error("cannot read the worker failure queue %s: %s", config.cam_worker_failures_queue(), exc)
        return {"messages": 0, "unreadable": 1}
    counts = {"messages": 0, "redriven": 0, "failed": 0}
    for _ in range(batches):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                       VisibilityTimeout=60).get("Messages", [])
        if not messages:
            break
        for message in messages:
            counts["messages"] += 1
            for job_id in _jobs_named(message.get("Body", "")):
                item = store.get(job_id)
                if item is None or item.get("status") not in ("pending", "processing"):
                    continue
                # Lambda gave up on this event: do not wait for the grace period.
                if item.get("status") == "pending" or _stuck(item, now):
                    outcome = redrive(store, item, "Lambda gave up on its event")
                    counts[outcome] = counts.get(outcome, 0) + 1
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return counts


def _jobs_named(body: str) -> list[str]:
    """Job ids in an on-failure record (`requestPayload` is the S3 event) or a bare S3 event."""
    try:
        doc = json.loads(body)
    except ValueError:
        log.error("unreadable worker failure message")
        return []
    event = doc.get("requestPayload", doc) if isinstance(doc, dict) else {}
    found = []
    for record in (event.get("Records") or []) if isinstance(event, dict) else []:
        key = unquote_plus(str(((record.get("s3") or {}).get("object") or {}).get("key") or ""))
        parsed = parse_request_key(key)
        attempt = parse_attempt_key(key)
        if parsed:
            found.append(parsed[1])
        elif attempt:
            found.append(attempt[0])
    return found


def reconcile_jobs(store: JobStore | None = None, limit: int = BATCH,
                   clock: Callable[[], float] | None = None) -> dict[str, Any]:
    """One reconciler pass; returns counts of what it found and did."""
    store = store or JobStore(clock=clock)
    now = store.clock()
    summary: dict[str, Any] = {"lease_seconds": lease_seconds(), "checked": 0, "redriven": [], "failed": []}
    for status in ("pending", "processing"):
        for item in store.list_status(status, limit):
            summary["checked"] += 1
            if not _stuck(item, now):
                continue
            with logs.bound(job_id=str(item["job_id"])):
                outcome = redrive(store, item, _why(item))
            if outcome in ("redriven", "failed"):
                summary[outcome].append(str(item["job_id"]))
    summary["failure_queue"] = drain_failures(store, now)
    return summary
