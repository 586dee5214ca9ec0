"""The CAM job record and the intent idempotency index.

A job record (`contracts.jobs.job_key`) moves `pending -> processing ->
completed | failed`. Every move is a conditional write in `storage.table`, so
duplicate S3 events, concurrent workers and repeated HTTP calls settle there:

* `claim`    - `pending -> processing` with a fresh lease token. The loser of a
  race gets `JobBusy` (someone holds a live lease) or `JobFinished`.
* lease      - a worker owns a `processing` record for `lease_seconds()`: the
  worker's Lambda timeout plus a small margin. Past that the owner has died
  (timeout, out of memory, crash), so Lambda's own retry of the event (about
  1 and 3 minutes after the failure) or the reconciler may re-claim it. A
  re-claim is conditional on the old token, so of two re-claimers one wins.
  Every claim counts in `claims`; past `MAX_CLAIMS` the job is failed.
* `release`  - `processing -> pending`, by the lease owner only: a transient AWS
  error hands the job back so Lambda's retry can claim it at once instead of
  waiting for the lease to run out.
* `complete` / `fail` - by the lease owner only; `fail` without a lease also
  accepts a `pending` record (input refused before any work started).
* `requeue`  - the reconciler hands back a job whose event was lost (stale
  `pending`) or whose worker died (expired lease) as a new attempt.
* `retry`    - a person re-runs a `failed` job: `failed -> pending`, a new
  attempt with a fresh claim budget. A finished job cannot be retried.

Intent idempotency: `INTENT#{intent_id}` / `IDX` holds the job id and the
fingerprint of the validated intent (without `created_at_utc`). The same id
with the same payload returns the existing job; a different payload is an
`IntentConflict`.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from chalicelib import config
from chalicelib.contracts.errors import Conflict, DomainError, Issue, NotFound
from chalicelib.contracts.jobs import JobKind, job_key, pending_job_item, status_index
from chalicelib.storage.table import Item, Table, TransitionRefused

# A worker that outlives its timeout is already dead; the margin covers clock
# skew and the claim's own round trip. Lambda's first retry of a failed event
# comes about a minute later, so it always finds the lease expired.
LEASE_MARGIN_SECONDS = 30
# Runs (claims) a job gets before it is failed rather than tried again: the
# event and Lambda's two retries, then two re-drives by the reconciler.
MAX_CLAIMS = 5
# Re-drives a job gets without any worker claiming it (its trigger is broken).
MAX_REDRIVES = 8
INTENT_SK = "IDX"


def lease_seconds() -> int:
    return config.cam_worker_timeout_seconds() + LEASE_MARGIN_SECONDS


def default_clock() -> float:
    """Epoch seconds; tests replace this to move time for every store at once."""
    return time.time()


class JobError(DomainError):
    """Base of the conditions a caller of this module can act on."""


class JobNotFound(JobError, NotFound):
    def __init__(self, job_id: str) -> None:
        message = f"no job with id {job_id!r}"
        super().__init__(message, [Issue(self.code, message, "job_id")])
        self.job_id = job_id


class JobBusy(JobError, Conflict):
    """Another worker holds a live lease on the job: this delivery is a duplicate."""

    def __init__(self, item: Item) -> None:
        super().__init__(f"job {item.get('job_id')} is being processed")
        self.item = item


class JobFinished(JobError, Conflict):
    """The job already ended (completed or failed): nothing is left to do."""

    def __init__(self, item: Item) -> None:
        super().__init__(f"job {item.get('job_id')} is already {item.get('status')}")
        self.item = item


class LeaseLost(JobError, Conflict):
    """The caller's lease was taken over (it outlived LEASE_SECONDS) or the job ended."""

    def __init__(self, job_id: str, current: Item | None) -> None:
        super().__init__(f"lease on job {job_id} is no longer held")
        self.job_id = job_id
        self.current = current


class JobNotRetryable(JobError, Conflict):
    """Only a failed job can be retried: a completed one has its artifacts, a live one is running."""

    code = "job_not_retryable"

    def __init__(self, item: Item) -> None:
        status = item.get("status")
        why = ("it completed; its artifacts are ready to download" if status == "completed"
               else "it is still queued or running; wait for it to finish")
        message = f"job {item.get('job_id')} cannot be retried: {why}"
        super().__init__(message, [Issue(self.code, f"job is {status}", "job_id")])
        self.item = item


class IntentConflict(JobError, Conflict):
    """The intent_id is already bound to a different payload."""

    code = "intent_conflict"

    def __init__(self, intent_id: str, job_id: str) -> None:
        super().__init__(f"intent_id {intent_id!r} was already submitted with a different payload; use a new "
                         "intent_id for a new job",
                         [Issue(self.code, f"already bound to job {job_id}", "intent_id")])
        self.intent_id = intent_id
        self.job_id = job_id


@dataclass(frozen=True)
class Lease:
    job_id: str
    token: str
    item: Item


@dataclass(frozen=True)
class IntentBinding:
    created: bool
    job_id: str


def utc_now(epoch: float | None = None) -> str:
    moment = datetime.now(timezone.utc) if epoch is None else datetime.fromtimestamp(epoch, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JobStore:
    """Job records and the intent index on the one table.

    `clock` (epoch seconds) is injectable so lease expiry is testable without
    waiting; without one the store reads `default_clock` at each call.
    """

    def __init__(self, table: Table | None = None, clock: Callable[[], float] | None = None) -> None:
        self.table = table or Table()
        self._clock = clock

    def clock(self) -> float:
        return (self._clock or default_clock)()

    def _stamp(self, status: str, job_id: str) -> Item:
        """updated_at / updated_epoch and the status listing entry, from the store's clock."""
        now = self.clock()
        stamp = utc_now(now)
        return {"updated_at": stamp, "updated_epoch": int(now), **status_index(status, stamp, job_id)}

    # -- records ---------------------------------------------------------------

    def get(self, job_id: str) -> Item | None:
        return self.table.get(*job_key(job_id))

    def create_pending(self, job_id: str, kind: JobKind, request_key: str,
                       created_at: str | None = None, **extra: str | None) -> Item:
        """The `pending` record, or the one already stored under this id."""
        item = pending_job_item(job_id, kind, request_key, created_at or utc_now(self.clock()))
        item.update(extra)
        return self.table.claim(item).item

    def claim(self, job_id: str) -> Lease:
        """`pending -> processing` (or take over an expired lease); counts the claim."""
        pk, sk = job_key(job_id)
        try:
            item = self.table.transition(pk, sk, ["pending"], "processing", self._lease_updates(job_id),
                                         add={"claims": 1})
            return Lease(job_id, str(item["lease_token"]), item)
        except TransitionRefused as exc:
            current = exc.current
        if current is None:
            raise JobNotFound(job_id)
        if current.get("status") != "processing":
            raise JobFinished(current)
        if not self._expired(current):
            raise JobBusy(current)
        try:
            item = self.table.transition(pk, sk, ["processing"], "processing", self._lease_updates(job_id),
                                         expect={"lease_token": current.get("lease_token")}, add={"claims": 1})
        except TransitionRefused as exc:
            # Another worker re-claimed (or finished) it first.
            latest = exc.current or current
            raise (JobBusy(latest) if latest.get("status") == "processing" else JobFinished(latest)) from None
        return Lease(job_id, str(item["lease_token"]), item)

    def release(self, lease: Lease, reason: str) -> Item:
        """Hand the job back to `pending` so a retry can claim it immediately."""
        return self._owned(lease, "pending", {"reason": reason, "lease_token": None, "lease_until": None})

    def complete(self, lease: Lease, result: dict[str, Any]) -> Item:
        return self._owned(lease, "completed", {"reason": None, "result": json.dumps(result, sort_keys=True),
                                               "lease_token": None, "lease_until": None})

    def fail(self, job_id: str, reason: str, result: dict[str, Any] | None = None,
             lease: Lease | None = None) -> Item:
        """End the job as `failed` with a reason a person can act on."""
        updates: Item = {"reason": reason, "result": json.dumps(result or {}, sort_keys=True),
                         "lease_token": None, "lease_until": None}
        if lease is not None:
            return self._owned(lease, "failed", updates)
        pk, sk = job_key(job_id)
        updates.update(self._stamp("failed", job_id))
        try:
            return self.table.transition(pk, sk, ["pending", "processing"], "failed", updates)
        except TransitionRefused as exc:
            if exc.current is None:
                raise JobNotFound(job_id) from None
            raise JobFinished(exc.current) from None

    def fail_stuck(self, item: Item, reason: str) -> Item:
        """Fail a job the reconciler found stuck, unless it moved since `item` was read."""
        job_id = str(item["job_id"])
        pk, sk = job_key(job_id)
        updates: Item = {"reason": reason, "lease_token": None, "lease_until": None,
                         "result": json.dumps({"issues": [Issue("gave_up", reason, "").model_dump()]},
                                              sort_keys=True), **self._stamp("failed", job_id)}
        return self.table.transition(pk, sk, [str(item["status"])], "failed", updates,
                                     expect={"updated_at": item.get("updated_at")})

    def requeue(self, item: Item, reason: str) -> Item:
        """A new attempt for a stuck job (`pending` or `processing` with a dead lease), unless it moved."""
        job_id = str(item["job_id"])
        pk, sk = job_key(job_id)
        updates: Item = {"reason": reason, "lease_token": None, "lease_until": None,
                         **self._stamp("pending", job_id)}
        return self.table.transition(pk, sk, [str(item["status"])], "pending", updates,
                                     expect={"updated_at": item.get("updated_at")},
                                     add={"attempt": 1, "redrives": 1})

    def retry(self, job_id: str) -> Item:
        """`failed -> pending` as a new attempt with a fresh claim budget; raises JobNotRetryable otherwise."""
        pk, sk = job_key(job_id)
        updates: Item = {"reason": "retry requested", "claims": 0, "redrives": 0, "lease_token": None,
                         "lease_until": None, "result": None, **self._stamp("pending", job_id)}
        try:
            return self.table.transition(pk, sk, ["failed"], "pending", updates, add={"attempt": 1})
        except TransitionRefused as exc:
            if exc.current is None:
                raise JobNotFound(job_id) from None
            raise JobNotRetryable(exc.current) from None

    def list_status(self, status: str, limit: int) -> list[Item]:
        """Up to `limit` jobs in `status`, the longest unchanged first."""
        items, _ = self.table.list_newest(status_index(status, "", "")["gsi1pk"], limit, None,
                                          oldest_first=True)
        return items

    def _owned(self, lease: Lease, to_status: str, updates: Item) -> Item:
        pk, sk = job_key(lease.job_id)
        updates = {**updates, **self._stamp(to_status, lease.job_id)}
        try:
            return self.table.transition(pk, sk, ["processing"], to_status, updates,
                                         expect={"lease_token": lease.token})
        except TransitionRefused as exc:
            raise LeaseLost(lease.job_id, exc.current) from None

    def _lease_updates(self, job_id: str) -> Item:
        return {"lease_token": str(uuid.uuid4()), "lease_until": int(self.clock()) + lease_seconds(),
                "reason": None, **self._stamp("processing", job_id)}

    def _expired(self, item: Item) -> bool:
        until = item.get("lease_until")
        return not isinstance(until, int) or isinstance(until, bool) or until <= self.clock()

    # -- intent idempotency ----------------------------------------------------

    def bind_intent(self, intent_id: str, payload_fingerprint: str, job_id: str) -> IntentBinding:
        """Bind `intent_id` to `job_id` once; a repeat returns the first binding."""
        claim = self.table.claim({"pk": intent_index_pk(intent_id), "sk": INTENT_SK, "intent_id": intent_id,
                                  "job_id": job_id, "fingerprint": payload_fingerprint,
                                  "created_at": utc_now(self.clock())})
        bound_job = str(claim.item["job_id"])
        if not claim.created and claim.item.get("fingerprint") != payload_fingerprint:
            raise IntentConflict(intent_id, bound_job)
        return IntentBinding(claim.created, bound_job)


    def bind_payload(self, payload_fingerprint: str, job_id: str) -> IntentBinding:
        """An intent without `intent_id` is keyed by its payload: a repeat finds the first job."""
        claim = self.table.claim({"pk": f"INTENTFP#{payload_fingerprint}", "sk": INTENT_SK,
                                  "job_id": job_id, "fingerprint": payload_fingerprint,
                                  "created_at": utc_now(self.clock())})
        return IntentBinding(claim.created, str(claim.item["job_id"]))


def intent_index_pk(intent_id: str) -> str:
    return f"INTENT#{intent_id}"


def result_of(item: Item) -> dict[str, Any]:
    raw = item.get("result")
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
