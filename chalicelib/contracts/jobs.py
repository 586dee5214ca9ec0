"""Where handoffs and CAM outputs live, and the job status record both domains read.

Art Studio writes a promotion request and a `pending` job record; the CAM
worker moves the record `pending -> processing -> completed | failed`. The job
id of a promotion is its `promotion_request_id`, so the request's current
status is the job's status. Keys are built only from validated UUIDs and
64-hex fingerprints.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Mapping

from chalicelib.contracts.fingerprint import is_fingerprint

JobStatus = Literal["pending", "processing", "completed", "failed"]
JobKind = Literal["cam_promotion", "cam_intent"]

# Allowed moves of the status attribute.
NEXT_STATUS: dict[str, tuple[str, ...]] = {
    "pending": ("processing",),
    "processing": ("completed", "failed"),
    "completed": (),
    "failed": (),
}

PROMOTION_PREFIX = "requests/cam-promotion/"
INTENT_PREFIX = "requests/cam-intents/"
DESIGN_PREFIX = "designs/"
# A re-run of a job (by the reconciler or a user's retry) is a new immutable
# object here; its arrival starts the worker on the job's original request.
ATTEMPT_PREFIX = "requests/attempts/"
# Listing index partitions: each job sits in the partition of its status.
JOB_COLLECTION = "JOBS#"
# A job record names, besides its owner, everyone else it is shared with: one
# attribute `reader#{sub}` per person, so adding one is a single atomic SET
# that never rewrites the record the CAM worker is moving.
READER_PREFIX = "reader#"


def _uuid(value: str) -> str:
    parsed = uuid.UUID(value)
    if str(parsed) != value:
        raise ValueError(f"not a canonical UUID: {value!r}")
    return value


def job_key(job_id: str) -> tuple[str, str]:
    return f"JOB#{_uuid(job_id)}", "STATUS"


def promotion_request_key(request_id: str) -> str:
    return f"{PROMOTION_PREFIX}{_uuid(request_id)}.json"


def intent_request_key(job_id: str) -> str:
    return f"{INTENT_PREFIX}{_uuid(job_id)}.json"


def design_key(design_fingerprint: str) -> str:
    if not is_fingerprint(design_fingerprint):
        raise ValueError("design fingerprint must be 64 lowercase hex characters")
    return f"{DESIGN_PREFIX}{design_fingerprint}.json"


def artifact_key(job_id: str, name: str) -> str:
    if "/" in name or name.startswith("."):
        raise ValueError(f"bad artifact name {name!r}")
    return f"jobs/{_uuid(job_id)}/{name}"


def attempt_key(job_id: str, attempt: int) -> str:
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    return f"{ATTEMPT_PREFIX}{_uuid(job_id)}/{attempt}.json"


def attempt_prefix(job_id: str) -> str:
    return f"{ATTEMPT_PREFIX}{_uuid(job_id)}/"


def parse_attempt_key(key: str) -> tuple[str, int] | None:
    """(job_id, attempt number) of an attempt object's key; None if it is not one."""
    if not key.startswith(ATTEMPT_PREFIX) or not key.endswith(".json"):
        return None
    parts = key[len(ATTEMPT_PREFIX):-len(".json")].split("/")
    if len(parts) != 2 or not parts[1].isdigit() or parts[1] != str(int(parts[1])) or int(parts[1]) < 1:
        return None
    try:
        return _uuid(parts[0]), int(parts[1])
    except ValueError:
        return None


def reader_attribute(sub: str) -> str:
    return f"{READER_PREFIX}{sub}"


def job_readers(item: Mapping[str, object]) -> frozenset[str]:
    """The people a job record is shared with, besides its owner."""
    return frozenset(name[len(READER_PREFIX):] for name, value in item.items()
                     if name.startswith(READER_PREFIX) and value is True)


def status_index(status: str, stamp: str, job_id: str) -> dict[str, str]:
    """Listing-index attributes that file a job under its status, oldest change first."""
    return {"gsi1pk": f"{JOB_COLLECTION}{status}", "gsi1sk": f"{stamp}#{job_id}"}


def epoch_of(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def parse_request_key(key: str) -> tuple[JobKind, str] | None:
    """Which kind of handoff an S3 key holds, and its job id; None if neither."""
    for prefix, kind in ((PROMOTION_PREFIX, "cam_promotion"), (INTENT_PREFIX, "cam_intent")):
        if key.startswith(prefix) and key.endswith(".json"):
            ident = key[len(prefix):-len(".json")]
            try:
                return kind, _uuid(ident)  # type: ignore[return-value]
            except ValueError:
                return None
    return None


def pending_job_item(job_id: str, kind: JobKind, request_key: str, created_at: str) -> dict[str, str | int | None]:
    """The table item a handoff starts with; the CAM worker claims it."""
    pk, sk = job_key(job_id)
    return {"pk": pk, "sk": sk, "job_id": job_id, "kind": kind, "status": "pending",
            "request_key": request_key, "created_at": created_at, "updated_at": created_at,
            "updated_epoch": epoch_of(created_at), "attempt": 0, "claims": 0,
            "reason": None, "result": None, **status_index("pending", created_at, job_id)}
