"""Promotion beyond the seed's five: profiles, gating, races and crash repair."""
from __future__ import annotations

import threading

import pytest

from chalicelib import aws, config
from chalicelib.art_studio import promotion
from chalicelib.art_studio.feasibility import evaluate
from chalicelib.art_studio.reconcile import repair_pending
from chalicelib.art_studio.store import SessionStore
from chalicelib.contracts.jobs import job_key
from chalicelib.contracts.profiles import profile_ids
from chalicelib.contracts.rosette import RosetteDesignV1
from chalicelib.storage import blobs
from chalicelib.storage.table import Table
from tests.art_studio_support import PREFIX, approved_session, classical_design, post, s3_keys, table_items

PROMO_PREFIX = "requests/cam-promotion/"


def _promote(client, sid, query=""):
    return post(client, f"/sessions/{sid}/promote_to_cam{query}")


def test_named_profile_is_carried_and_unknown_profile_refused_before_any_write(client):
    session = approved_session(client)
    sid = session["session_id"]
    # Approval stored the design CAM will plan from; a refused promotion adds nothing to it.
    assert s3_keys(config.requests_bucket()) == [f"designs/{session['design_fingerprint']}.json"]
    resp = _promote(client, sid, "?cam_profile_id=laser-9000")
    assert resp.status_code == 422
    assert resp.json_body["code"] == "validation_error"
    [issue] = resp.json_body["details"]
    assert (issue["code"], issue["path"]) == ("unknown_reference", "cam_profile_id")
    assert "'laser-9000'" in issue["message"] and all(p in issue["message"] for p in profile_ids())
    assert s3_keys(config.requests_bucket()) == [f"designs/{session['design_fingerprint']}.json"]
    assert table_items("PROMO#") == [] and table_items("JOB#") == []

    # Without a hint the request names the profile the design was checked for.
    first = _promote(client, sid)
    assert first.status_code == 201
    assert first.json_body["request"]["cam_profile_id"] == "rosette-1-16-spruce-grbl"

    chosen = "rosette-1-16-spruce-linuxcnc"
    refused = _promote(client, sid, f"?cam_profile_id={chosen}")
    assert refused.status_code == 409
    assert refused.json_body["ok"] is False and refused.json_body["request"] is None
    assert chosen in refused.json_body["blocked_reason"] and "check feasibility" in refused.json_body["blocked_reason"]
    assert len(table_items("PROMO#")) == 1

    # Checking the unchanged, approved design for the other profile is allowed and
    # gives a new feasibility fingerprint, hence a new request under its own key.
    checked = post(client, f"/sessions/{sid}/feasibility", {"cam_profile_id": chosen})
    assert checked.status_code == 200 and checked.json_body["cam_profile_id"] == chosen
    second = _promote(client, sid, f"?cam_profile_id={chosen}")
    assert second.status_code == 201
    req1, req2 = first.json_body["request"], second.json_body["request"]
    assert req2["cam_profile_id"] == chosen
    assert req2["promotion_request_id"] != req1["promotion_request_id"]
    assert req2["design_fingerprint"] == req1["design_fingerprint"]
    assert req2["feasibility_fingerprint"] != req1["feasibility_fingerprint"]
    # The first request keeps its own profile.
    again = client.http.get(f"{PREFIX}/cam-promotion/requests/{req1['promotion_request_id']}")
    assert again.json_body["cam_profile_id"] == "rosette-1-16-spruce-grbl"
    # A repeat without a hint is the same request as the last checked profile's.
    repeat = _promote(client, sid)
    assert repeat.status_code == 200 and repeat.json_body["request"] == req2


def test_unknown_profile_is_refused_even_for_unknown_sessions(client):
    import uuid

    resp = _promote(client, str(uuid.uuid4()), "?cam_profile_id=nope")
    assert resp.status_code == 422


def _tamper_feasibility(sid: str, feasibility) -> None:
    store = SessionStore()
    current = store.get(sid)
    store.save(current.model_copy(update={"feasibility": feasibility, "version": current.version + 1}),
               current.version)


@pytest.mark.parametrize("case,reason", [
    ("missing", "Feasibility has not been evaluated for the current design"),
    ("stale", "The stored feasibility result was computed for a different design"),
    ("failed", "The design failed feasibility"),
])
def test_promotion_blocked_by_feasibility(client, case, reason):
    session = approved_session(client)
    sid = session["session_id"]
    if case == "missing":
        result = None
    elif case == "stale":
        result = evaluate(RosetteDesignV1.model_validate(classical_design(channel_depth_mm=1.2)))
    else:
        failing = evaluate(RosetteDesignV1.model_validate(classical_design(channel_depth_mm=2.6)))
        result = failing.model_copy(update={"design_fingerprint": session["design_fingerprint"]})
    _tamper_feasibility(sid, result)
    resp = _promote(client, sid)
    assert resp.status_code == 409
    assert resp.json_body["ok"] is False and resp.json_body["request"] is None
    assert resp.json_body["blocked_reason"].startswith(reason)
    # Only what approval stored (the approved design); the blocked promotion wrote nothing.
    assert s3_keys(config.requests_bucket()) == [f"designs/{session['design_fingerprint']}.json"]
    assert table_items("PROMO#") == [] and table_items("JOB#") == []
    intent = client.http.get(f"{PREFIX}/sessions/{sid}/promotion-intent")
    assert intent.status_code == 409
    assert intent.json_body["code"] == f"feasibility_{case if case != 'missing' else 'required'}"


def test_32_concurrent_promotions_make_one_request(client):
    sid = approved_session(client)["session_id"]
    aws.s3(), aws.dynamodb()  # clients are shared by the threads; build them once
    barrier = threading.Barrier(32)
    results, errors = [], []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(promotion.promote(sid))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 32
    assert sum(created for created, _ in results) == 1
    ids = {req.promotion_request_id for _, req in results}
    assert len(ids) == 1
    (rid,) = ids
    assert len(table_items("PROMO#")) == 1
    assert s3_keys(config.requests_bucket(), PROMO_PREFIX) == [f"{PROMO_PREFIX}{rid}.json"]
    jobs = table_items("JOB#")
    assert len(jobs) == 1 and jobs[0]["job_id"] == rid and jobs[0]["status"] == "pending"
    assert len(s3_keys(config.requests_bucket(), "designs/")) == 1
    # Every caller got the same document.
    assert len({promotion.request_bytes(req) for _, req in results}) == 1


def _promoted(client, depth: float = 1.6) -> tuple[str, dict]:
    # One request per design + feasibility pair, so each promotion here needs its own design.
    sid = approved_session(client, classical_design(channel_depth_mm=depth))["session_id"]
    resp = _promote(client, sid)
    assert resp.status_code == 201
    return sid, resp.json_body["request"]


def test_reconciler_rewrites_a_lost_request_object(client):
    _, req = _promoted(client)
    rid = req["promotion_request_id"]
    key = f"{PROMO_PREFIX}{rid}.json"
    original = blobs.get_bytes(config.requests_bucket(), key)
    assert repair_pending() == {"checked": 1, "repaired": []}

    aws.s3().delete_object(Bucket=config.requests_bucket(), Key=key)
    report = repair_pending()
    assert report["checked"] == 1
    assert report["repaired"] == [{"request_id": rid, "job_record": False, "request_object": True}]
    assert blobs.get_bytes(config.requests_bucket(), key) == original


def test_reconciler_rewrites_a_lost_job_record_without_touching_progress(client):
    _, req = _promoted(client, 1.5)
    _, other = _promoted(client, 1.6)
    rid = req["promotion_request_id"]
    aws.dynamodb().delete_item(TableName=config.table_name(),
                               Key={"pk": {"S": job_key(rid)[0]}, "sk": {"S": "STATUS"}})
    Table().transition(*job_key(other["promotion_request_id"]), ["pending"], "processing")
    report = repair_pending()
    assert report["checked"] == 2
    assert report["repaired"] == [{"request_id": rid, "job_record": True, "request_object": False}]
    assert Table().get(*job_key(rid))["status"] == "pending"
    assert Table().get(*job_key(other["promotion_request_id"]))["status"] == "processing"


def test_reconciler_respects_its_limit(client):
    for depth in (1.4, 1.5, 1.6):
        _promoted(client, depth)
    for item in table_items("PROMO#"):
        aws.s3().delete_object(Bucket=config.requests_bucket(), Key=f"{PROMO_PREFIX}{item['request_id']}.json")
    first = repair_pending(limit=2)
    assert first["checked"] == 2 and len(first["repaired"]) == 2
    assert len(s3_keys(config.requests_bucket(), PROMO_PREFIX)) == 2
    second = repair_pending(limit=10)
    assert second["checked"] == 3 and len(second["repaired"]) == 1
    assert len(s3_keys(config.requests_bucket(), PROMO_PREFIX)) == 3


def test_crash_before_the_s3_write_is_repaired_by_the_next_call(client, monkeypatch):
    sid = approved_session(client)["session_id"]
    real_put = blobs.put_immutable

    def crash_on_request(bucket, key, body, content_type="application/json"):
        if key.startswith(PROMO_PREFIX):
            raise ConnectionError("lambda timed out")
        return real_put(bucket, key, body, content_type)

    monkeypatch.setattr(blobs, "put_immutable", crash_on_request)
    with pytest.raises(ConnectionError):
        promotion.promote(sid)
    # The index item and job record exist; the request object (the worker's trigger) does not.
    (index,) = table_items("PROMO#")
    rid = index["request_id"]
    assert Table().get(*job_key(rid))["status"] == "pending"
    assert s3_keys(config.requests_bucket(), PROMO_PREFIX) == []
    assert client.http.get(f"{PREFIX}/cam-promotion/requests/{rid}").status_code == 404

    monkeypatch.setattr(blobs, "put_immutable", real_put)
    resp = _promote(client, sid)
    assert resp.status_code == 200  # the request already existed; this call only finished it
    assert resp.json_body["request"]["promotion_request_id"] == rid
    assert s3_keys(config.requests_bucket(), PROMO_PREFIX) == [f"{PROMO_PREFIX}{rid}.json"]
    fetched = client.http.get(f"{PREFIX}/cam-promotion/requests/{rid}")
    assert fetched.status_code == 200 and fetched.json_body == resp.json_body["request"]


def _promote_crashing_on_claim(monkeypatch, sid: str, hits, error: Exception) -> None:
    """Promote `sid` with the create-once write raising `error` for the items `hits` picks; then heal it."""
    real_claim = Table.claim

    def crashing(self, item):
        if hits(item):
            raise error
        return real_claim(self, item)

    monkeypatch.setattr(Table, "claim", crashing)
    with pytest.raises(type(error)):
        promotion.promote(sid)
    monkeypatch.setattr(Table, "claim", real_claim)


def _is_job(item) -> bool:
    return str(item["pk"]).startswith("JOB#")


def test_crash_before_the_job_record_is_repaired_by_the_reconciler(client, monkeypatch):
    sid = approved_session(client)["session_id"]
    _promote_crashing_on_claim(monkeypatch, sid, _is_job, ConnectionError("throttled"))
    assert table_items("JOB#") == [] and s3_keys(config.requests_bucket(), PROMO_PREFIX) == []
    report = repair_pending()
    (fixed,) = report["repaired"]
    assert fixed["job_record"] is True and fixed["request_object"] is True
    rid = fixed["request_id"]
    assert Table().get(*job_key(rid))["status"] == "pending"
    assert s3_keys(config.requests_bucket(), PROMO_PREFIX) == [f"{PROMO_PREFIX}{rid}.json"]


def test_same_design_in_two_sessions_shares_one_request(client):
    """The seed keys requests by design + feasibility, not by session."""
    first = approved_session(client)
    second = approved_session(client)
    a = _promote(client, first["session_id"])
    b = _promote(client, second["session_id"])
    assert (a.status_code, b.status_code) == (201, 200)
    assert b.json_body["request"] == a.json_body["request"]
    assert b.json_body["request"]["session_id"] == first["session_id"]


def test_crash_before_the_session_link_is_repaired_and_the_session_lists_the_promotion(client, monkeypatch):
    sid = approved_session(client)["session_id"]
    _promote_crashing_on_claim(
        monkeypatch, sid,
        lambda item: str(item["pk"]).startswith("SESSION#") and str(item["sk"]).startswith(promotion.LINK_PREFIX),
        ConnectionError("lambda timed out"))
    # The link is the last write: the job record and the request object are already there.
    (job,) = table_items("JOB#")
    assert promotion.session_promotions(sid) == []
    assert s3_keys(config.requests_bucket(), PROMO_PREFIX) == [f"{PROMO_PREFIX}{job['job_id']}.json"]
    report = repair_pending()
    (fixed,) = report["repaired"]
    assert fixed == {"request_id": job["job_id"], "job_record": False, "request_object": False,
                     "session_link": True}
    (link,) = promotion.session_promotions(sid)
    assert link.promotion_request_id == fixed["request_id"] and link.status == "pending"
    assert link.program_file_name and link.program_file_name.endswith(".nc")
    # A second pass finds nothing to do.
    assert repair_pending()["repaired"] == []


def test_crash_before_the_job_record_loses_the_link_too_and_the_reconciler_restores_all_three(client, monkeypatch):
    sid = approved_session(client)["session_id"]
    _promote_crashing_on_claim(monkeypatch, sid, _is_job, ConnectionError("throttled"))
    assert promotion.session_promotions(sid) == [] and table_items("JOB#") == []
    (fixed,) = repair_pending()["repaired"]
    assert fixed["job_record"] is True and fixed["request_object"] is True and fixed["session_link"] is True
    (link,) = promotion.session_promotions(sid)
    assert link.promotion_request_id == fixed["request_id"] and link.program_file_name.endswith(".nc")


def test_repeat_that_finds_its_link_answers_from_it_and_writes_nothing(client):
    sid = approved_session(client)["session_id"]
    first = _promote(client, sid)
    assert first.status_code == 201
    rid = first.json_body["request"]["promotion_request_id"]
    Table().transition(*job_key(rid), ["pending"], "processing")
    writes: list[str] = []

    def seen(model, **_):
        if not model.name.startswith(("Get", "BatchGet", "Head", "List", "Query")):
            writes.append(model.name)

    for service in (aws.s3(), aws.dynamodb()):
        service.meta.events.register("before-call.*.*", seen)
    try:
        again = _promote(client, sid)
    finally:
        for service in (aws.s3(), aws.dynamodb()):
            service.meta.events.unregister("before-call.*.*", seen)
    assert again.status_code == 200
    assert again.json_body["request"]["promotion_request_id"] == rid
    # The live status comes from the job record the repeat read.
    assert again.json_body["request"]["status"] == "processing"
    # Only the index claim, which loses and hands back the stored request.
    assert writes == ["PutItem"]


def test_promotion_of_a_session_approved_before_approval_stored_the_design_writes_it(client):
    sid = approved_session(client)["session_id"]
    store = SessionStore()
    session = store.get(sid)
    key = f"designs/{session.design_fingerprint}.json"
    aws.s3().delete_object(Bucket=config.requests_bucket(), Key=key)
    session._design_stored = None
    store.save(session.model_copy(update={"version": session.version + 1}), session.version)
    assert not store.get(sid).design_stored
    assert _promote(client, sid).status_code == 201
    assert s3_keys(config.requests_bucket(), "designs/") == [key]


def test_promoting_again_restores_a_lost_design_snapshot_for_a_failed_job(client):
    session = approved_session(client)
    sid = session["session_id"]
    rid = _promote(client, sid).json_body["request"]["promotion_request_id"]
    key = f"designs/{session['design_fingerprint']}.json"
    original = blobs.get_bytes(config.requests_bucket(), key)
    aws.s3().delete_object(Bucket=config.requests_bucket(), Key=key)
    # While the job has not failed, a repeat answers from the session's link and writes nothing.
    assert _promote(client, sid).status_code == 200
    assert blobs.get_bytes(config.requests_bucket(), key) is None
    Table().transition(*job_key(rid), ["pending"], "processing")
    Table().transition(*job_key(rid), ["processing"], "failed", updates={"reason": "design snapshot missing"})
    again = _promote(client, sid)
    assert again.status_code == 200 and again.json_body["request"]["status"] == "failed"
    assert blobs.get_bytes(config.requests_bucket(), key) == original


def test_reconciler_relinks_an_index_item_from_before_it_named_the_file_through_the_session(client):
    sid, req = _promoted(client)
    rid = req["promotion_request_id"]
    (index,) = table_items("PROMO#")
    # Such a promotion wrote the link before the job record: losing the job record could lose the link too.
    aws.dynamodb().update_item(TableName=config.table_name(), Key={"pk": {"S": index["pk"]}, "sk": {"S": "IDX"}},
                               UpdateExpression="REMOVE file_name")
    for key in (job_key(rid), promotion.link_key(sid, promotion.stored_request(index))):
        aws.dynamodb().delete_item(TableName=config.table_name(), Key={"pk": {"S": key[0]}, "sk": {"S": key[1]}})
    assert promotion.session_promotions(sid) == []
    (fixed,) = repair_pending()["repaired"]
    assert fixed == {"request_id": rid, "job_record": True, "request_object": False, "session_link": True}
    (link,) = promotion.session_promotions(sid)
    assert link.promotion_request_id == rid and link.program_file_name.endswith(".nc")
