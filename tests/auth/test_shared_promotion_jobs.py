"""Two designers who promote the same design share one request and one job: both may follow it.

The job belongs to whoever promoted first; the owner of every other session
that promoted the same design reads it too (status, attempts, set-up sheet,
G-code download links). Anyone else, a designer included, still gets 404.
"""
from __future__ import annotations

import json
from urllib.parse import urlparse

from chalicelib import aws, config
from chalicelib.contracts.jobs import job_key
from chalicelib.storage import blobs
from chalicelib.storage.table import Table
from tests.art_studio_support import JSON, PREFIX, classical_design, table_items
from tests.cam.truth import run_rs274
from tests.cam_service.handoff import deliver

CAM = "/api/rmos/cam"


def _as(client, user, method, path, body=None):
    with client.as_user(user):
        return client.http.request(method, path, headers=JSON, body="" if body is None else json.dumps(body))


def _approved_by(client, user: str) -> str:
    """A session of `user` with the classical design, approved by a reviewer."""
    created = _as(client, user, "POST", f"{PREFIX}/sessions", {"design": classical_design()})
    assert created.status_code == 201, created.json_body
    sid = created.json_body["session_id"]
    assert _as(client, user, "POST", f"{PREFIX}/sessions/{sid}/feasibility", {}).status_code == 200
    for user_, state in ((user, "in_review"), ("rita", "approved")):
        moved = _as(client, user_, "POST", f"{PREFIX}/sessions/{sid}/transition", {"to_state": state})
        assert moved.status_code == 200, moved.json_body
    return sid


def _shared_promotion(client) -> tuple[str, str, str]:
    """dana promotes first, devi promotes the same design from her own session: (rid, dana's, devi's session)."""
    first_sid, second_sid = _approved_by(client, "dana"), _approved_by(client, "devi")
    first = _as(client, "dana", "POST", f"{PREFIX}/sessions/{first_sid}/promote_to_cam")
    second = _as(client, "devi", "POST", f"{PREFIX}/sessions/{second_sid}/promote_to_cam")
    assert (first.status_code, second.status_code) == (201, 200)
    rid = first.json_body["request"]["promotion_request_id"]
    assert second.json_body["request"]["promotion_request_id"] == rid
    return rid, first_sid, second_sid


def test_the_second_designer_follows_the_job_her_promotion_points_to(client, tmp_path):
    rid, _, devi_sid = _shared_promotion(client)
    (job,) = table_items("JOB#")
    assert job["owner_sub"] == client.sub("dana")  # the first promoter still owns it

    [link] = _as(client, "devi", "GET", f"{PREFIX}/sessions/{devi_sid}").json_body["promotions"]
    assert link["job_url"] == f"{CAM}/jobs/{rid}"
    pending = _as(client, "devi", "GET", link["job_url"])
    assert pending.status_code == 200 and pending.json_body["status"] == "pending"

    deliver(client, f"requests/cam-promotion/{rid}.json")
    done = _as(client, "devi", "GET", link["job_url"])
    assert done.status_code == 200 and done.json_body["status"] == "completed"
    # The G-code download links come with the job, as they do for its owner.
    program_link = done.json_body["downloads"]["program.nc"]
    assert urlparse(program_link).path.endswith(f"/jobs/{rid}/program.nc")
    program = blobs.get_bytes(config.artifacts_bucket(), f"jobs/{rid}/program.nc")
    assert program is not None
    run_rs274(program.decode(), tmp_path)
    owners = _as(client, "dana", "GET", link["job_url"])
    assert owners.status_code == 200 and set(owners.json_body["downloads"]) == set(done.json_body["downloads"])

    request = _as(client, "devi", "GET", f"{PREFIX}/cam-promotion/requests/{rid}")
    assert request.status_code == 200 and request.json_body["status"] == "completed"
    assert "owner_sub" not in request.json_body and "shared_with" not in request.json_body
    sheet = _as(client, "devi", "GET", f"{PREFIX}/cam-promotion/requests/{rid}/setup")
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/html")


def test_a_designer_without_a_linked_session_still_gets_404(client):
    rid, _, _ = _shared_promotion(client)
    # dora has the very same design approved, but never promoted it: nothing links her to the job.
    _approved_by(client, "dora")
    for path in (f"{CAM}/jobs/{rid}", f"{PREFIX}/cam-promotion/requests/{rid}",
                 f"{PREFIX}/cam-promotion/requests/{rid}/setup"):
        refused = _as(client, "dora", "GET", path)
        assert refused.status_code == 404, path
        assert refused.json_body["code"] == "not_found"
    # Exactly as for an id nobody stored.
    unknown = _as(client, "dora", "GET", f"{CAM}/jobs/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404 and unknown.json_body["code"] == "not_found"


def test_sharing_lets_the_second_designer_read_but_retrying_stays_with_the_owner_and_operators(client):
    rid, _, _ = _shared_promotion(client)
    Table().transition(*job_key(rid), ["pending"], "processing")
    Table().transition(*job_key(rid), ["processing"], "failed", updates={"reason": "tool broke"})
    refused = _as(client, "devi", "POST", f"{CAM}/jobs/{rid}/retry")
    assert refused.status_code == 403 and refused.json_body["code"] == "forbidden"
    assert "job.retry" in refused.json_body["message"]
    assert _as(client, "devi", "GET", f"{CAM}/jobs/{rid}").json_body["status"] == "failed"
    retried = _as(client, "dana", "POST", f"{CAM}/jobs/{rid}/retry")
    assert retried.status_code == 202 and retried.json_body["job"]["status"] == "pending"
    # The request view lists the attempt for both designers.
    for user in ("dana", "devi"):
        view = _as(client, user, "GET", f"{PREFIX}/cam-promotion/requests/{rid}")
        assert view.status_code == 200 and [a["attempt"] for a in view.json_body["attempts"]] == [1], user


def test_roles_that_read_any_job_or_request_keep_doing_so(client):
    rid, _, _ = _shared_promotion(client)
    assert _as(client, "otto", "GET", f"{CAM}/jobs/{rid}").status_code == 200
    assert _as(client, "ada", "GET", f"{CAM}/jobs/{rid}").status_code == 200
    assert _as(client, "rita", "GET", f"{PREFIX}/cam-promotion/requests/{rid}").status_code == 200
    # Reviewers never read jobs, shared or not.
    assert _as(client, "rita", "GET", f"{CAM}/jobs/{rid}").status_code == 404


def test_a_repeat_promotion_shares_a_job_linked_before_sharing_existed(client):
    rid, _, devi_sid = _shared_promotion(client)
    # A job record from before jobs were shared: devi's session links it, the record does not name her.
    item = Table().get(*job_key(rid))
    assert item is not None and item.get(f"reader#{client.sub('devi')}") is True
    aws.dynamodb().update_item(TableName=config.table_name(),
                               Key={"pk": {"S": job_key(rid)[0]}, "sk": {"S": job_key(rid)[1]}},
                               UpdateExpression="REMOVE #r",
                               ExpressionAttributeNames={"#r": f"reader#{client.sub('devi')}"})
    assert _as(client, "devi", "GET", f"{CAM}/jobs/{rid}").status_code == 404
    again = _as(client, "devi", "POST", f"{PREFIX}/sessions/{devi_sid}/promote_to_cam")
    assert again.status_code == 200 and again.json_body["request"]["promotion_request_id"] == rid
    assert _as(client, "devi", "GET", f"{CAM}/jobs/{rid}").status_code == 200
