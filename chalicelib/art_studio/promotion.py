"""Promotion of an approved design to CAM: PromotionIntentV1 and CamPromotionRequestV1.

Art Studio has no manufacturing authority; it only hands CAM an immutable JSON
request. One request exists per `design_fingerprint:feasibility_fingerprint`
pair (the seed's idempotency key). The write order makes every crash
repairable and every retry harmless:

0. `designs/{design_fingerprint}.json` - the canonical design, content-addressed
   (it hashes to its own name, so CAM can verify it). Approval writes it
   (`store_design`); a promotion writes it only for a session approved before
   approvals did;
1. the index item `PROMO#{key}` / `IDX`, claimed with a conditional put; it
   carries the whole request and the program's file name, and the loser of a
   race adopts the winner's;
2. the `pending` job record the CAM worker will claim, owned by the session's
   owner; the owner of any other session that promotes the same pair is added
   to it as a reader (`share_job`);
3. `requests/cam-promotion/{id}.json`, because its creation starts the CAM
   worker, which needs the job record;
4. the session's link `SESSION#{id}` / `PROMO#{created}#{request_id}` last, so
   a session that links a request proves the steps before it were done.

A repeat that finds its session's link and the job record answers from them
and writes nothing. Otherwise steps 2 to 4 are re-run (each is create-if-absent
or idempotent), and reconcile.repair_pending re-runs them for the promoting
session, so a crash after step 1 heals.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel

from chalicelib import config
from chalicelib.art_studio import setup_sheet, workflow
from chalicelib.art_studio.store import Session, SessionStore, iso, now_iso, session_pk
from chalicelib.contracts.fingerprint import canonical_json
from chalicelib.contracts.jobs import (attempt_prefix, design_key, job_key, job_readers, parse_attempt_key,
                                      pending_job_item, promotion_request_key, reader_attribute)
from chalicelib.art_studio.errors import PromotionBlocked, PromotionRequestNotFound, UnknownProfile
from chalicelib.contracts import profiles
from chalicelib.contracts.promotion import CamPromotionRequestV1, PromotionIntentV1, idempotency_key
from chalicelib.storage import blobs
from chalicelib.storage.table import Table, deserialise

log = logging.getLogger("luthier_cam.art_studio.promotion")
# Reused requests are an audit trail: keep them even where the root logger only shows warnings.
log.setLevel(logging.INFO)

INDEX_SK = "IDX"
INDEX_COLLECTION = "PROMOTIONS"
# Items `SESSION#{id}` / `PROMO#{created}#{request_id}` list a session's requests in order.
LINK_PREFIX = "PROMO#"
NOT_APPROVED = "Session is not in APPROVED or EXPORTED state"


def index_pk(design_fingerprint: str, feasibility_fingerprint: str) -> str:
    return f"PROMO#{idempotency_key(design_fingerprint, feasibility_fingerprint)}"


def request_bytes(request: CamPromotionRequestV1) -> bytes:
    return json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode("utf-8")


def checked_profile(session: Session) -> str:
    """The profile the session's stored feasibility result was computed for.

    A result from before results named their profile was computed for the
    catalogue default.
    """
    named = session.feasibility.cam_profile_id if session.feasibility is not None else None
    return named or profiles.catalogue().default_profile_id()


def check_profile(cam_profile_id: str | None) -> str | None:
    """The profile asked for, if any; an unknown one is refused before anything is written."""
    catalogue = profiles.catalogue()
    if cam_profile_id is None:
        return None
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


def store_design(session: Session) -> bool:
    """Step 0: the session's design as CAM will read it (True if this call wrote it).

    Marks the session, so that once it is saved its promotions skip the write.
    """
    wrote = blobs.put_immutable(config.requests_bucket(), design_key(session.design_fingerprint),
                                canonical_json(session.design))
    session.mark_design_stored()
    return wrote


def ensure_handoff(request: CamPromotionRequestV1, table: Table | None = None,
                   owner_sub: str | None = None) -> dict[str, bool]:
    """Steps 2 and 3: create the job record, then the request object, each only if absent."""
    return _handoff(request, table or Table(), owner_sub)[0]


def _handoff(request: CamPromotionRequestV1, table: Table, owner_sub: str | None,
             reader_sub: str | None = None, body: bytes | None = None) -> tuple[dict[str, bool], dict[str, Any] | None]:
    """`ensure_handoff`, and the job record as the claim left it (the new one, or the one already there).

    `reader_sub` is the owner of the session promoting now, who is given the
    job to read if it belongs to someone else, before the request object can
    start the worker.
    """
    rid = request.promotion_request_id
    key = promotion_request_key(rid)
    # The job belongs to the session's owner, who may follow it and download its program.
    job = table.claim({**pending_job_item(rid, "cam_promotion", key, iso(request.created_at)), "owner_sub": owner_sub})
    item = share_job(rid, job.item, reader_sub, table)
    wrote = blobs.put_immutable(config.requests_bucket(), key, body or request_bytes(request))
    return {"job_record": job.created, "request_object": wrote}, item


def share_job(request_id: str, job: dict[str, Any], reader_sub: str | None, table: Table) -> dict[str, Any]:
    """The job record, shared with `reader_sub` unless they own it or already share it.

    The one who promoted first owns the shared request's job; everyone else
    whose session promotes the same design may still read the job their own
    promotion points to.
    """
    if not reader_sub or reader_sub == owner_of(job) or reader_sub in job_readers(job):
        return job
    attribute = reader_attribute(reader_sub)
    if not table.set_existing(*job_key(request_id), {attribute: True}):
        raise RuntimeError(f"job record of promotion {request_id} vanished while it was being shared")
    return {**job, attribute: True}


def stored_request(item: dict[str, Any]) -> CamPromotionRequestV1:
    return CamPromotionRequestV1.model_validate_json(str(item["request"]))


def promote(session_id: str, cam_profile_id: str | None = None, store: SessionStore | None = None,
            table: Table | None = None) -> tuple[bool, CamPromotionRequestV1]:
    """(created, request). Raises PromotionBlocked, SessionNotFound or UnknownProfile before writing anything."""
    created, request, _ = _promote(session_id, cam_profile_id, store, table)
    return created, request


def promote_view(session: Session, cam_profile_id: str | None = None,
                 table: Table | None = None) -> tuple[bool, dict[str, Any]]:
    """`promote` for a session the caller has already read, answered as `live_view` shows the request.

    The job record the hand-off claimed (or found) is the live status, so the
    answer costs no second read of the session or the job.
    """
    created, request, job = _promote(session.session_id, cam_profile_id, None, table, session=session)
    return created, live_view(request.model_dump(mode="json"), table, job=job)


def _promote(session_id: str, cam_profile_id: str | None, store: SessionStore | None, table: Table | None,
             session: Session | None = None) -> tuple[bool, CamPromotionRequestV1, dict[str, Any] | None]:
    """(created, request, the job record as the hand-off left it).

    The request names the profile the feasibility result was computed for: that
    is what was judged and approved. Asking for another profile is refused until
    the design has been checked for it; the new check has its own feasibility
    fingerprint, hence its own idempotency key and request, and the earlier
    request stays as it was.
    """
    asked = check_profile(cam_profile_id)
    table = table or Table()
    if session is None:
        session = (store or SessionStore(table)).get(session_id)
    intent = build_intent(session)
    profile = checked_profile(session)
    if asked is not None and asked != profile:
        raise PromotionBlocked(
            f"feasibility was checked for CAM profile {profile}; check feasibility for {asked} "
            f"before promoting with it", "profile_not_checked", session.state)
    pk = index_pk(intent.design_fingerprint, intent.feasibility_fingerprint)

    if not session.design_stored:
        store_design(session)
    request = CamPromotionRequestV1(
        promotion_request_id=str(uuid.uuid4()), created_at=intent.created_at,
        session_id=session.session_id, design_fingerprint=intent.design_fingerprint,
        feasibility_fingerprint=intent.feasibility_fingerprint, intent_snapshot=intent,
        cam_profile_id=profile, status="pending")
    file_name = program_file_name(session, profile)
    body = request_bytes(request)
    stamp = now_iso()
    # No read first: the conditional put hands back the existing item when it
    # loses, so a first promotion costs one DynamoDB call here, not two.
    claim = table.claim({
        "pk": pk, "sk": INDEX_SK, "request_id": request.promotion_request_id,
        "session_id": session.session_id, "request": body.decode("utf-8"),
        "owner_sub": session.owner_sub, "file_name": file_name,
        "created_at": stamp, "gsi1pk": INDEX_COLLECTION, "gsi1sk": f"{stamp}#{request.promotion_request_id}",
    })
    created, item = claim.created, claim.item
    if created:
        return True, request, _finish(session, request, item, file_name, table, body)[1]
    request = stored_request(item)
    if request.cam_profile_id not in (None, profile):
        file_name = program_file_name(session, request.cam_profile_id)
    job = _finished(session, request, table)
    repaired: dict[str, bool] = {}
    if job is None:
        repaired, job = _finish(session, request, item, file_name, table)
    if job is not None and job.get("status") == "failed":
        # A job can fail because its design snapshot was lost; promoting again restores it (create if
        # absent), so that a retry of the job can succeed.
        repaired["design_snapshot"] = store_design(session)
    log.info("promotion request reused: key=%s request_id=%s session_id=%s asked_profile=%s repaired=%s",
             idempotency_key(request.design_fingerprint, request.feasibility_fingerprint),
             request.promotion_request_id, session.session_id, profile, repaired)
    return False, request, job


def _finish(session: Session, request: CamPromotionRequestV1, index: dict[str, Any], file_name: str,
            table: Table, body: bytes | None = None) -> tuple[dict[str, bool], dict[str, Any] | None]:
    """Steps 2 to 4 for `session`: what each wrote, and the job record as the hand-off left it."""
    repaired, job = _handoff(request, table, owner_of(index), reader_sub=session.owner_sub, body=body)
    # Under the session being promoted: an identical design in another session shares the request
    # (the seed's key is the fingerprint pair), and each session must still list it.
    repaired["session_link"] = link_to_session(session.session_id, request, table, file_name)
    return repaired, job


def _finished(session: Session, request: CamPromotionRequestV1, table: Table) -> dict[str, Any] | None:
    """The job record of a promotion this session already finished (its link is written last), else None."""
    rid = request.promotion_request_id
    link, job = table.get_many([link_key(session.session_id, request), job_key(rid)])
    if link is None or job is None:
        return None
    return share_job(rid, job, session.owner_sub, table)


def program_file_name(session: Session, profile_id: str) -> str:
    """The name the session's program goes by on the machine, for the profile it was promoted with."""
    cat = profiles.catalogue()
    chosen = cat.profile(profile_id, path="cam_profile_id")
    return setup_sheet.program_file_name(session.design, cat.tool(str(chosen["tool"])), str(chosen["post"]))


def live_status(request_id: str, table: Table | None = None) -> str | None:
    """The CAM job's current status (the stored request always says `pending`)."""
    job = (table or Table()).get(*job_key(request_id))
    status = job.get("status") if job else None
    return status if isinstance(status, str) else None


def attempts(request_id: str) -> list[dict[str, Any]]:
    """The CAM job's re-runs (requests/attempts/{id}/{n}.json), oldest first."""
    bucket = config.requests_bucket()
    found = []
    for key in blobs.list_keys(bucket, attempt_prefix(request_id), 50):
        parsed = parse_attempt_key(key)
        doc = blobs.get_json(bucket, key) if parsed else None
        if parsed and isinstance(doc, dict):
            found.append({"attempt": parsed[1], "reason": doc.get("reason"), "created_at": doc.get("created_at")})
    return sorted(found, key=lambda a: int(a["attempt"]))


_UNREAD: dict[str, Any] = {}


def live_view(doc: dict[str, Any], table: Table | None = None,
              job: dict[str, Any] | None = _UNREAD) -> dict[str, Any]:
    """A stored request document with its job's current status overlaid, and its attempts once it has any.

    A request that was never re-run reads back exactly as stored (bar `status`).
    `job` is the job record when the caller has it (None: there is none).
    Attempts are listed only for a job whose record counts them: a re-run
    moves the record before it writes its attempt object.
    """
    request_id = str(doc["promotion_request_id"])
    if job is _UNREAD:
        job = (table or Table()).get(*job_key(request_id))
    status = job.get("status") if job else None
    view = {**doc, "status": status if isinstance(status, str) else doc.get("status")}
    runs = attempts(request_id) if job and job.get("attempt") else []
    if runs:
        view["attempts"] = runs
    return view


class PromotionLink(BaseModel):
    """One promotion of a session as the session view lists it."""

    promotion_request_id: str
    cam_profile_id: str
    cam_profile_name: str
    feasibility_fingerprint: str | None = None
    created_at: str | None = None
    status: str
    reason: str | None = None
    job_url: str
    setup_sheet_url: str
    program_file_name: str | None = None


def link_key(session_id: str, request: CamPromotionRequestV1) -> tuple[str, str]:
    return session_pk(session_id), f"{LINK_PREFIX}{iso(request.created_at)}#{request.promotion_request_id}"


def link_item(session_id: str, request: CamPromotionRequestV1, file_name: str | None = None) -> dict[str, Any]:
    pk, sk = link_key(session_id, request)
    return {"pk": pk, "sk": sk,
            "request_id": request.promotion_request_id, "cam_profile_id": request.cam_profile_id,
            "feasibility_fingerprint": request.feasibility_fingerprint, "created_at": iso(request.created_at),
            "file_name": file_name}


def link_to_session(session_id: str, request: CamPromotionRequestV1, table: Table,
                    file_name: str | None = None) -> bool:
    """Record the request under the session (create-if-absent), so any browser finds the job; True if written."""
    return table.claim(link_item(session_id, request, file_name)).created


def session_promotions(session_id: str, table: Table | None = None) -> list[PromotionLink]:
    """The session's promotion requests, oldest first, each with its job's live status."""
    table = table or Table()
    kwargs: dict[str, Any] = {
        "TableName": table.name, "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
        "ExpressionAttributeValues": {":pk": {"S": session_pk(session_id)}, ":p": {"S": LINK_PREFIX}},
    }
    links: list[dict[str, Any]] = []
    while True:
        resp = table.client.query(**kwargs)
        links += [deserialise(raw) or {} for raw in resp.get("Items", [])]
        if not resp.get("LastEvaluatedKey"):
            break
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
    catalogue = profiles.catalogue()
    out = []
    for link in links:
        rid = str(link["request_id"])
        job = table.get(*job_key(rid)) or {}
        profile_id = str(link.get("cam_profile_id") or "")
        name = catalogue.profile(profile_id)["name"] if catalogue.has("profiles", profile_id) else profile_id
        reason = job.get("reason")
        out.append(PromotionLink(
            promotion_request_id=rid, cam_profile_id=profile_id, cam_profile_name=str(name),
            feasibility_fingerprint=str(link.get("feasibility_fingerprint") or "") or None,
            created_at=str(link.get("created_at") or "") or None, status=str(job.get("status") or "pending"),
            reason=None if reason is None else str(reason), job_url=f"/api/rmos/cam/jobs/{rid}",
            setup_sheet_url=f"/api/art/design-first-workflow/cam-promotion/requests/{rid}/setup",
            program_file_name=str(link.get("file_name") or "") or None))
    return out


def get_request(request_id: str, table: Table | None = None) -> dict[str, Any]:
    """The stored request as `live_view` shows it."""
    doc = blobs.get_json(config.requests_bucket(), promotion_request_key(request_id))
    if doc is None:
        raise PromotionRequestNotFound(request_id)
    job = (table or Table()).get(*job_key(request_id))
    view = live_view(doc, table, job=job)
    # For the HTTP edge's policy check; the route removes them before answering.
    view["owner_sub"] = job.get("owner_sub") if job else None
    view["shared_with"] = job_readers(job) if job else frozenset()
    return view
