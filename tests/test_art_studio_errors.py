"""Art Studio raises named domain errors; only the HTTP edge turns them into statuses."""
from __future__ import annotations

import ast
import pathlib
import uuid

import pytest

from chalicelib.art_studio import errors, promotion, sessions, workflow
from chalicelib.contracts.errors import Conflict, DomainError, Invalid, NotFound
from chalicelib.contracts.rosette import RosetteDesignV1
from tests.art_studio_support import PREFIX, approved_session, classical_design, create, move, post

ART_STUDIO = pathlib.Path(__file__).resolve().parent.parent / "chalicelib" / "art_studio"


def test_only_the_routes_module_knows_http():
    users = set()
    for path in ART_STUDIO.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "chalicelib.http":
                users.add(path.name)
            if isinstance(node, ast.Name) and node.id == "ApiError":
                users.add(path.name)
    assert users == {"routes.py"}


def test_service_calls_raise_named_errors_without_http(aws_env):
    with pytest.raises(errors.SessionNotFound) as missing:
        sessions.get_session(str(uuid.uuid4()))
    assert isinstance(missing.value, NotFound) and missing.value.issues[0].path == "session_id"

    session = sessions.create_session(RosetteDesignV1.model_validate(classical_design()))
    with pytest.raises(errors.StaleVersion) as stale:
        sessions.update_design(session.session_id, session.design, version=7)
    assert isinstance(stale.value, Conflict) and (stale.value.expected, stale.value.actual) == (7, 1)

    with pytest.raises(errors.InvalidTransition) as bad_move:
        sessions.transition(session.session_id, "exported")
    assert (bad_move.value.from_state, bad_move.value.to_state, bad_move.value.allowed) == (
        "draft", "exported", ["in_review"])

    sessions.transition(session.session_id, "in_review")
    with pytest.raises(errors.NotEditable):
        sessions.update_design(session.session_id, session.design)
    with pytest.raises(errors.FeasibilityRequired):
        sessions.transition(session.session_id, "approved")
    with pytest.raises(errors.PromotionBlocked) as blocked:
        promotion.promote(session.session_id)
    assert blocked.value.code == "not_approved" and blocked.value.state == "in_review"
    with pytest.raises(errors.UnknownProfile) as unknown:
        promotion.promote(session.session_id, "laser-9000")
    assert isinstance(unknown.value, Invalid) and unknown.value.issues[0].path == "cam_profile_id"
    with pytest.raises(errors.PromotionRequestNotFound):
        promotion.get_request(str(uuid.uuid4()))


def test_feasibility_gate_names_each_reason():
    class Summary:
        def __init__(self, fingerprint, passed):
            self.design_fingerprint, self.passed = fingerprint, passed

    assert isinstance(workflow.feasibility_gate("a", None), errors.FeasibilityRequired)
    assert isinstance(workflow.feasibility_gate("a", Summary("b", True)), errors.FeasibilityStale)
    assert isinstance(workflow.feasibility_gate("a", Summary("a", False)), errors.FeasibilityFailed)
    assert workflow.feasibility_gate("a", Summary("a", True)) is None
    assert all(issubclass(e, DomainError) for e in (errors.FeasibilityRequired, errors.StaleVersion))


def _promotion_intent(client, sid):
    return client.http.get(f"{PREFIX}/sessions/{sid}/promotion-intent")


@pytest.mark.parametrize("family,status,code", [
    ("not_found", 404, "not_found"),
    ("conflict", 409, "not_approved"),
    ("invalid", 422, "validation_error"),
])
def test_each_family_reaches_its_status_through_the_routes(client, family, status, code):
    sid = create(client)["session_id"]
    if family == "not_found":
        resp = _promotion_intent(client, str(uuid.uuid4()))
    elif family == "conflict":
        resp = _promotion_intent(client, sid)
    else:
        sid = approved_session(client)["session_id"]
        resp = client.http.post(f"{PREFIX}/sessions/{sid}/promote_to_cam?cam_profile_id=nope")
    assert resp.status_code == status, resp.json_body
    assert resp.json_body["code"] == code
    assert [set(d) for d in resp.json_body["details"]] == [{"code", "message", "path"}]


def test_blocked_promotion_keeps_the_seed_body(client):
    sid = create(client)["session_id"]
    post(client, f"/sessions/{sid}/feasibility")
    assert move(client, sid, "in_review").status_code == 200
    resp = client.http.post(f"{PREFIX}/sessions/{sid}/promote_to_cam")
    assert resp.status_code == 409
    assert resp.json_body == {"ok": False, "blocked_reason": promotion.NOT_APPROVED, "request": None}
