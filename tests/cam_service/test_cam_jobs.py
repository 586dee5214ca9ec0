"""The job store: every status move is a conditional write, and races have one winner."""
from __future__ import annotations

import uuid

import pytest

from chalicelib.contracts.jobs import intent_request_key
from chalicelib.rmos.cam import jobs
from chalicelib.rmos.cam.jobs import (IntentConflict, JobBusy, JobFinished, JobNotFound, JobStore, LeaseLost,
                                      result_of)


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _new(store: JobStore) -> str:
    job_id = str(uuid.uuid4())
    store.create_pending(job_id, "cam_intent", intent_request_key(job_id))
    return job_id


def test_create_pending_is_idempotent(cam_env):
    store = JobStore()
    job_id = str(uuid.uuid4())
    first = store.create_pending(job_id, "cam_intent", intent_request_key(job_id), "2026-01-01T00:00:00Z")
    again = store.create_pending(job_id, "cam_intent", intent_request_key(job_id), "2030-01-01T00:00:00Z")
    assert first["status"] == again["status"] == "pending"
    assert again["created_at"] == "2026-01-01T00:00:00Z"


def test_claim_once_then_busy_then_finished(cam_env):
    store = JobStore()
    job_id = _new(store)
    lease = store.claim(job_id)
    assert store.get(job_id)["status"] == "processing"
    with pytest.raises(JobBusy):
        store.claim(job_id)
    store.complete(lease, {"artifacts": {"program.nc": "k"}})
    item = store.get(job_id)
    assert item["status"] == "completed" and item["lease_token"] is None
    assert result_of(item) == {"artifacts": {"program.nc": "k"}}
    with pytest.raises(JobFinished):
        store.claim(job_id)


def test_claim_unknown_job(cam_env):
    with pytest.raises(JobNotFound):
        JobStore().claim(str(uuid.uuid4()))


def test_expired_lease_can_be_taken_over_and_the_old_holder_is_locked_out(cam_env):
    clock = Clock()
    store = JobStore(clock=clock)
    job_id = _new(store)
    crashed = store.claim(job_id)
    clock.now += jobs.lease_seconds() - 1
    with pytest.raises(JobBusy):
        store.claim(job_id)
    clock.now += 2
    rescuer = store.claim(job_id)
    assert rescuer.token != crashed.token
    with pytest.raises(LeaseLost):
        store.complete(crashed, {})
    with pytest.raises(LeaseLost):
        store.release(crashed, "late")
    store.complete(rescuer, {"ok": True})
    assert store.get(job_id)["status"] == "completed"


def test_two_rescuers_of_an_expired_lease_have_one_winner(cam_env):
    clock = Clock()
    first, second = JobStore(clock=clock), JobStore(clock=clock)
    job_id = _new(first)
    first.claim(job_id)
    clock.now += jobs.lease_seconds() + 1
    real_transition = first.table.transition
    winner = {}

    def interleaved(*args, **kwargs):
        # The first rescuer has read the expired lease; the second takes it over before it writes.
        if kwargs.get("expect") and "lease" not in winner:
            winner["lease"] = second.claim(job_id)
        return real_transition(*args, **kwargs)

    first.table.transition = interleaved
    with pytest.raises(JobBusy):
        first.claim(job_id)
    assert store_token(second, job_id) == winner["lease"].token


def store_token(store: JobStore, job_id: str) -> str:
    return str(store.get(job_id)["lease_token"])


def test_release_returns_the_job_to_pending_for_an_immediate_retry(cam_env):
    store = JobStore()
    job_id = _new(store)
    lease = store.claim(job_id)
    store.release(lease, "throttled")
    item = store.get(job_id)
    assert item["status"] == "pending" and item["reason"] == "throttled"
    again = store.claim(job_id)
    assert again.token != lease.token
    with pytest.raises(LeaseLost):
        store.complete(lease, {})


def test_fail_without_lease_from_pending_and_never_after_an_end(cam_env):
    store = JobStore()
    job_id = _new(store)
    store.fail(job_id, "the intent is not JSON", {"issues": [{"code": "malformed_json"}]})
    item = store.get(job_id)
    assert item["status"] == "failed" and item["reason"] == "the intent is not JSON"
    assert result_of(item)["issues"] == [{"code": "malformed_json"}]
    with pytest.raises(JobFinished):
        store.fail(job_id, "again")
    with pytest.raises(JobNotFound):
        store.fail(str(uuid.uuid4()), "nobody")


def test_intent_binding(cam_env):
    store = JobStore()
    job_a, job_b = str(uuid.uuid4()), str(uuid.uuid4())
    first = store.bind_intent("order-17", "f" * 64, job_a)
    repeat = store.bind_intent("order-17", "f" * 64, job_b)
    assert first.created and not repeat.created
    assert repeat.job_id == job_a
    with pytest.raises(IntentConflict) as info:
        store.bind_intent("order-17", "e" * 64, job_b)
    assert info.value.job_id == job_a
    assert store.bind_intent("order-18", "e" * 64, job_b).created
