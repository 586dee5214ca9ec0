"""Attempts: every re-run of a job is a new immutable object under requests/attempts/.

The job's request never changes. A re-run (the reconciler's re-drive or a
person's retry of a failed job) first moves the job record to `pending` with
`attempt` incremented, then writes `requests/attempts/{job_id}/{attempt}.json`
with `IfNoneMatch`; its arrival triggers the worker, which runs the job's
original request. If the write is lost, the job sits `pending` and the
reconciler re-drives it, so the order cannot strand a job.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib import config
from chalicelib.contracts.jobs import attempt_key, attempt_prefix, parse_attempt_key
from chalicelib.rmos.cam.jobs import JobStore
from chalicelib.storage import blobs
from chalicelib.storage.table import Item

MAX_LISTED = 50


def start(item: Item, reason: str) -> int:
    """Write the attempt object for a record `requeue`/`retry` just moved; returns its number."""
    job_id = str(item["job_id"])
    number = int(item.get("attempt") or 1)
    body = json.dumps({"job_id": job_id, "attempt": number, "request_key": item.get("request_key"),
                       "reason": reason, "created_at": item.get("updated_at")}, sort_keys=True).encode()
    blobs.put_immutable(config.requests_bucket(), attempt_key(job_id, number), body)
    return number


def retry(job_id: str, store: JobStore | None = None) -> Item:
    """A person's retry of a failed job; raises JobNotRetryable (409) for any other status."""
    item = (store or JobStore()).retry(job_id)
    start(item, "retry requested")
    return item


def listed(job_id: str) -> list[dict[str, Any]]:
    """The job's attempts after the first, oldest first: number, reason, when."""
    bucket = config.requests_bucket()
    found = []
    for key in blobs.list_keys(bucket, attempt_prefix(job_id), MAX_LISTED):
        parsed = parse_attempt_key(key)
        doc = blobs.get_json(bucket, key) if parsed else None
        if parsed and isinstance(doc, dict):
            found.append({"attempt": parsed[1], "reason": doc.get("reason"), "created_at": doc.get("created_at")})
    return sorted(found, key=lambda a: int(a["attempt"]))
