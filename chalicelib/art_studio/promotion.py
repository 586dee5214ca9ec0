"""Promotion of an approved design to CAM: PromotionIntentV1 and CamPromotionRequestV1.

Art Studio has no manufacturing authority; it only hands CAM an immutable JSON
request. One request exists per `design_fingerprint:feasibility_fingerprint`
pair (the seed's idempotency key). The write order makes every crash
repairable and every retry harmless:

1. `designs/{design_fingerprint}.json` - the canonical design, content-addressed
   (it hashes to its own name, so CAM can verify it);
2. the index item `PROMO#{key}` / `IDX`, claimed with a conditional put; it
   carries the whole request, and the loser of a race adopts the winner's;
3. the `pending` job record the CAM worker will claim;
4. `requests/cam-promotion/{id}.json` last, because its creation starts the
   CAM worker, which needs the job record.

Steps 3 and 4 are re-run (both are create-if-absent) on every call that finds
the index item, and by reconcile.repair_pending, so a crash after step 2 heals.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone
from typing import Any

from chalicelib import config
from chalicelib.art_studio import workflow
from chalicelib.art_studio.store import Session, SessionStore, iso, now_iso
from chalicelib.contracts.fingerprint import canonical_json
from chalicelib.contracts.jobs import design_key, job_key, pending_job_item, promotion_request_key
from chalicelib.art_studio.errors import PromotionBlocked, PromotionRequestNotFound, UnknownProfile
from chalicelib.contracts import profiles
from chalicelib.contracts.promotion import CamPromotionRequestV1, PromotionIntentV1, idempotency_key
from chalicelib.storage import blobs
from chalicelib.storage.table import Table

log = logging.getLogger("luthier_cam.art_studio.promotion")
# Reused requests are an audit trail: keep them even where the root logger only shows warnings.
log.setLevel(logging.INFO)

INDEX_SK = "IDX"
INDEX_COLLECTION = "PROMOTIONS"
NOT_APPROVED = "Session is not in APPROVED or EXPORTED state"


def index_pk(design_fingerprint: str, feasibility_fingerprint: str) -> str:
    return f"PROMO#{idempotency_key(design_fingerprint, feasibility_fingerprint)}"


def request_bytes(request: CamPromotionRequestV1) -> bytes:
    return json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode("utf-8")


def check_profile(cam_profile_id: str | None) -> str:
    """The profile the request will name; an unknown one is refused before anything is written.

    Without a hint the catalogue's default is written into the request, so the
    immutable document says exactly what CAM is asked for even if the default
    changes later.
    """
    catalogue = profiles.catalogue()
    if cam_profile_id is None:
        return catalogue.default_profile_id()
    try:
        return str(catalogue.profile(cam_profile_id, path="cam_profile_id")["id"])
    except profiles.UnknownProfile as exc:
        raise UnknownProfile(f"unknown cam_profile_id {cam_profile_id!r}", exc.issues) from None


def _blocked(session: Session) -> PromotionBlocked | None:
    if session.state not in workflow.PROMOTABLE_STATES:
        return PromotionBlocked(NOT_APPROVED, "not_approved", session.state)
    gate = workflow.feasibility_gate(session.design_fingerprint, session.feasibility)
    return PromotionBlocked(gate.reason, gate.code, session.state) if gate else None


def build_intent(session: Session, created_at: datetime | None = None) -> PromotionIntentV1:
    blocked = _blocked(session)
    if blocked:
        raise blocked
    assert session.feasibility is not None  # the gate guarantees it
    return PromotionIntentV1(
        session_id=session.session_id,
        design_fingerprint=session.design_fingerprint,
        feasibility_fingerprint=session.feasibility.fingerprint(),
        design_summary=session.design_summary,
        feasibility_summary=session.feasibility,
        export_ready=session.state in workflow.PROMOTABLE_STATES,
        created_at=created_at or datetime.now(timezone.utc),
    )


def promotion_intent(session_id: str, store: SessionStore | None = None) -> PromotionIntentV1:
    return build_intent((store or SessionStore()).get(session_id))


def owner_of(item: dict[str, Any]) -> str | None:
    owner = item.get("owner_sub")
    return str(owner) if owner else None


def ensure_handoff(request: CamPromotionRequestV1, table: Table | None = None,
                   owner_sub: str | None = None) -> dict[str, bool]:
    """Steps 3 and 4: create the job record, then the request object, each only if absent."""
    table = table or Table()
    rid = request.promotion_request_id
    key = promotion_request_key(rid)
    # The job belongs to the session's owner, who may follow it and download its program.
    job = table.claim({**pending_job_item(rid, "cam_promotion", key, iso(request.created_at)), "owner_sub": owner_sub})
    wrote = blobs.put_immutable(config.requests_bucket(), key, request_bytes(request))
    return {"job_record": job.created, "request_object": wrote}


def stored_request(item: dict[str, Any]) -> CamPromotionRequestV1:
    return CamPromotionRequestV1.model_validate_json(str(item["request"]))


def promote(session_id: str, cam_profile_id: str | None = None, store: SessionStore | None = None,
            table: Table | None = None) -> tuple[bool, CamPromotionRequestV1]:
    """(created, request). Raises PromotionBlocked, SessionNotFound or UnknownProfile before writing anything."""
    profile = check_profile(cam_profile_id)
    table = table or Table()
    session = (store or SessionStore(table)).get(session_id)
    intent = build_intent(session)
    pk = index_pk(intent.design_fingerprint, intent.feasibility_fingerprint)

    # No read first: the conditional put hands back the existing item when it
    # loses, so a first promotion costs one DynamoDB call here, not two. A
    # repeat re-puts the content-addressed snapshot, which changes nothing.
    bucket = config.requests_bucket()
    blobs.put_immutable(bucket, design_key(intent.design_fingerprint), canonical_json(session.design))
    request = CamPromotionRequestV1(
        promotion_request_id=str(uuid.uuid4()), created_at=intent.created_at,
        session_id=session.session_id, design_fingerprint=intent.design_fingerprint,
        feasibility_fingerprint=intent.feasibility_fingerprint, intent_snapshot=intent,
        cam_profile_id=profile, status="pending")
    stamp = now_iso()
    claim = table.claim({
        "pk": pk, "sk": INDEX_SK, "request_id": request.promotion_request_id,
        "session_id": session.session_id, "request": request_bytes(request).decode("utf-8"),
        "owner_sub": session.owner_sub,
        "created_at": stamp, "gsi1pk": INDEX_COLLECTION, "gsi1sk": f"{stamp}#{request.promotion_request_id}",
    })
    created, item = claim.created, claim.item
    request = stored_request(item)
    repaired = ensure_handoff(request, table, owner_of(item))
    if not created:
        log.info("promotion request reused: key=%s request_id=%s session_id=%s asked_profile=%s repaired=%s",
                 idempotency_key(request.design_fingerprint, request.feasibility_fingerprint),
                 request.promotion_request_id, session_id, profile, repaired)
    return created, request


def get_request(request_id: str, table: Table | None = None) -> dict[str, Any]:
    """The stored request with the job record's current status overlaid."""
    doc = blobs.get_json(config.requests_bucket(), promotion_request_key(request_id))
    if doc is None:
        raise PromotionRequestNotFound(request_id)
    job = (table or Table()).get(*job_key(request_id))
    if job is not None and job.get("status"):
        doc["status"] = job["status"]
    # For the HTTP edge's policy check; the route removes it before answering.
    doc["owner_sub"] = job.get("owner_sub") if job else None
    return doc
