"""Every secured route × every role, through the routes, with moto-issued tokens.

The expected statuses are written out here by hand (not derived from the policy
table), so a change to the policy that moves any cell fails this test. `dana`
is the designer who owns every session and promotion job; `devi` is another
designer; `ivan-bot` owns the integrator job; `iris-bot` is another integrator.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from chalicelib import config
from chalicelib.contracts.jobs import artifact_key, intent_request_key
from chalicelib.openapi import OPERATIONS
from chalicelib.rmos.cam.jobs import JobStore
from chalicelib.storage import blobs
from tests.art_studio_support import PREFIX, classical_design
from tests.cam import intents

CAM = "/api/rmos/cam"
JSON = {"Content-Type": "application/json"}
PEOPLE = ("dana", "devi", "rita", "otto", "ivan-bot", "ada")


# --- the world a cell acts on -------------------------------------------------------------

def _call(client, user: str | None, method: str, path: str, body: Any = None):
    raw = "" if body is None else json.dumps(body)
    with client.as_user(user):
        return client.http.request(method, path, headers=JSON, body=raw)


def _session(client, state: str = "draft") -> str:
    created = _call(client, "dana", "POST", f"{PREFIX}/sessions", {"design": classical_design()})
    assert created.status_code == 201, created.json_body
    sid = created.json_body["session_id"]
    if state == "draft":
        return sid
    assert _call(client, "dana", "POST", f"{PREFIX}/sessions/{sid}/feasibility", {}).status_code == 200
    assert _call(client, "dana", "POST", f"{PREFIX}/sessions/{sid}/transition",
                 {"to_state": "in_review"}).status_code == 200
    if state == "in_review":
        return sid
    approved = _call(client, "rita", "POST", f"{PREFIX}/sessions/{sid}/transition", {"to_state": "approved"})
    assert approved.status_code == 200, approved.json_body
    return sid


def _promotion(client) -> str:
    sid = _session(client, "approved")
    resp = _call(client, "dana", "POST", f"{PREFIX}/sessions/{sid}/promote_to_cam")
    assert resp.status_code == 201, resp.json_body
    return resp.json_body["request"]["promotion_request_id"]


def _finished_integrator_job(client) -> str:
    """A completed job submitted by ivan-bot, with artifacts, so download links are at stake."""
    store = JobStore()
    job_id = str(uuid.uuid4())
    store.create_pending(job_id, "cam_intent", intent_request_key(job_id), owner_sub=client.sub("ivan-bot"))
    lease = store.claim(job_id)
    keys = {}
    for name, body in (("report.json", b'{"units": "mm"}'), ("preview.svg", b"<svg/>"),
                       ("program.nc", b"G21\nG1 X1\nM30\n")):
        keys[name] = artifact_key(job_id, name)
        blobs.put(config.artifacts_bucket(), keys[name], body, "text/plain")
    store.complete(lease, {"artifacts": keys})
    return job_id


def _failed_integrator_job(client) -> str:
    """A job submitted by ivan-bot that failed, so a retry has something to re-run."""
    store = JobStore()
    job_id = str(uuid.uuid4())
    key = intent_request_key(job_id)
    store.create_pending(job_id, "cam_intent", key, owner_sub=client.sub("ivan-bot"))
    blobs.put(config.requests_bucket(), key, json.dumps(intents.saw()).encode(), "application/json")
    store.fail(job_id, "the intent cannot be planned", lease=store.claim(job_id))
    return job_id


def _square_dxf() -> str:
    import io

    import ezdxf

    doc = ezdxf.new()
    doc.modelspace().add_lwpolyline([(0, 0), (40, 0), (40, 40), (0, 40)], close=True)
    text = io.StringIO()
    doc.write(text)
    return text.getvalue()


SQUARE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="40mm" viewBox="0 0 40 40">'
              '<path d="M5 5 H35 V35 H5 Z"/></svg>')


@dataclass(frozen=True)
class Cell:
    name: str
    method: str
    route: str                      # the OpenAPI path it exercises
    path: Callable[[Any], str]      # the concrete path, given the client (which builds the world)
    expected: dict[str, int]
    body: Any = None
    check: Callable[[Any, str, Any], None] | None = field(default=None)


def _listing(client, user, resp):
    owners = {s["owner_sub"] for s in resp.json_body["items"]}
    if user == "devi":
        assert owners == set(), "another designer's sessions leaked"
    else:
        assert owners == {client.sub("dana")}


def _job_links(client, user, resp):
    links = resp.json_body["downloads"]
    # Presigned links go to those who run or own the job, never to an admin reading along.
    assert (set(links) == {"program.nc", "report.json", "preview.svg"}) == (user in {"ivan-bot", "otto"}), links
    assert resp.json_body["owner_sub"] == client.sub("ivan-bot")


def _approved_by(client, user, resp):
    entry = resp.json_body["history"][-1]
    assert (entry["to_state"], entry["actor"], entry["actor_sub"]) == ("approved", user, client.sub(user))


S = "/sessions/{session_id}"
CELLS = (
    Cell("create", "POST", f"{PREFIX}/sessions", lambda c: f"{PREFIX}/sessions",
         {"dana": 201, "devi": 201, "rita": 403, "otto": 403, "ivan-bot": 403, "ada": 403},
         body={"design": classical_design()}),
    Cell("list", "GET", f"{PREFIX}/sessions", lambda c: (_session(c), f"{PREFIX}/sessions")[1],
         {"dana": 200, "devi": 200, "rita": 200, "otto": 200, "ivan-bot": 403, "ada": 200}, check=_listing),
    Cell("read", "GET", f"{PREFIX}{S}", lambda c: f"{PREFIX}/sessions/{_session(c)}",
         {"dana": 200, "devi": 404, "rita": 200, "otto": 200, "ivan-bot": 404, "ada": 200}),
    Cell("delete", "DELETE", f"{PREFIX}{S}", lambda c: f"{PREFIX}/sessions/{_session(c)}",
         {"dana": 204, "devi": 404, "rita": 403, "otto": 403, "ivan-bot": 404, "ada": 204}),
    Cell("edit", "PUT", f"{PREFIX}{S}/design", lambda c: f"{PREFIX}/sessions/{_session(c)}/design",
         {"dana": 200, "devi": 404, "rita": 403, "otto": 403, "ivan-bot": 404, "ada": 403},
         body={"design": classical_design(channel_depth_mm=1.5)}),
    Cell("check", "POST", f"{PREFIX}{S}/feasibility", lambda c: f"{PREFIX}/sessions/{_session(c)}/feasibility",
         {"dana": 200, "devi": 404, "rita": 403, "otto": 403, "ivan-bot": 404, "ada": 403}, body={}),
    Cell("submit", "POST", f"{PREFIX}{S}/transition",
         lambda c: f"{PREFIX}/sessions/{_session(c)}/transition",
         {"dana": 200, "devi": 404, "rita": 403, "otto": 403, "ivan-bot": 404, "ada": 403},
         body={"to_state": "in_review"}),
    Cell("approve", "POST", f"{PREFIX}{S}/transition",
         lambda c: f"{PREFIX}/sessions/{_session(c, 'in_review')}/transition",
         {"dana": 403, "devi": 404, "rita": 200, "otto": 403, "ivan-bot": 404, "ada": 403},
         body={"to_state": "approved"}, check=_approved_by),
    Cell("reject", "POST", f"{PREFIX}{S}/transition",
         lambda c: f"{PREFIX}/sessions/{_session(c, 'in_review')}/transition",
         {"dana": 403, "devi": 404, "rita": 200, "otto": 403, "ivan-bot": 404, "ada": 200},
         body={"to_state": "rejected"}),
    Cell("export", "POST", f"{PREFIX}{S}/export",
         lambda c: f"{PREFIX}/sessions/{_session(c, 'approved')}/export",
         {"dana": 200, "devi": 404, "rita": 403, "otto": 200, "ivan-bot": 404, "ada": 403}, body={}),
    Cell("promotion intent", "GET", f"{PREFIX}{S}/promotion-intent",
         lambda c: f"{PREFIX}/sessions/{_session(c, 'approved')}/promotion-intent",
         {"dana": 200, "devi": 404, "rita": 200, "otto": 200, "ivan-bot": 404, "ada": 200}),
    Cell("promote", "POST", f"{PREFIX}{S}/promote_to_cam",
         lambda c: f"{PREFIX}/sessions/{_session(c, 'approved')}/promote_to_cam",
         {"dana": 201, "devi": 404, "rita": 403, "otto": 201, "ivan-bot": 404, "ada": 403}),
    Cell("promotion request", "GET", f"{PREFIX}/cam-promotion/requests/{{request_id}}",
         lambda c: f"{PREFIX}/cam-promotion/requests/{_promotion(c)}",
         {"dana": 200, "devi": 404, "rita": 200, "otto": 200, "ivan-bot": 404, "ada": 200}),
    Cell("set-up sheet", "GET", f"{PREFIX}/cam-promotion/requests/{{request_id}}/setup",
         lambda c: f"{PREFIX}/cam-promotion/requests/{_promotion(c)}/setup",
         {"dana": 200, "devi": 404, "rita": 200, "otto": 200, "ivan-bot": 404, "ada": 200}),
    Cell("drawings", "GET", f"{PREFIX}{S}/drawings", lambda c: f"{PREFIX}/sessions/{_session(c)}/drawings",
         {"dana": 200, "devi": 404, "rita": 200, "otto": 200, "ivan-bot": 404, "ada": 200}),
    Cell("retry job", "POST", f"{CAM}/jobs/{{job_id}}/retry",
         lambda c: f"{CAM}/jobs/{_failed_integrator_job(c)}/retry",
         {"dana": 404, "devi": 404, "rita": 404, "otto": 202, "ivan-bot": 202, "ada": 403}),
    Cell("import svg", "POST", f"{CAM}/import/svg", lambda c: f"{CAM}/import/svg",
         {"dana": 200, "devi": 200, "rita": 403, "otto": 200, "ivan-bot": 200, "ada": 403}, body={"svg": SQUARE_SVG}),
    Cell("import dxf", "POST", f"{CAM}/import/dxf", lambda c: f"{CAM}/import/dxf",
         {"dana": 200, "devi": 200, "rita": 403, "otto": 200, "ivan-bot": 200, "ada": 403},
         body={"dxf": _square_dxf()}),
    Cell("submit intent", "POST", f"{CAM}/intents", lambda c: f"{CAM}/intents",
         {"dana": 403, "devi": 403, "rita": 403, "otto": 202, "ivan-bot": 202, "ada": 403}, body=intents.saw()),
    Cell("validate intent", "POST", f"{CAM}/intents/validate", lambda c: f"{CAM}/intents/validate",
         {"dana": 403, "devi": 403, "rita": 403, "otto": 200, "ivan-bot": 200, "ada": 403}, body=intents.saw()),
    Cell("plan", "POST", f"{CAM}/plan", lambda c: f"{CAM}/plan",
         {"dana": 200, "devi": 200, "rita": 403, "otto": 200, "ivan-bot": 200, "ada": 403}, body=intents.saw()),
    Cell("integrator job", "GET", f"{CAM}/jobs/{{job_id}}", lambda c: f"{CAM}/jobs/{_finished_integrator_job(c)}",
         {"dana": 404, "devi": 404, "rita": 404, "otto": 200, "ivan-bot": 200, "ada": 200, "iris-bot": 404},
         check=_job_links),
    Cell("promotion job", "GET", f"{CAM}/jobs/{{job_id}}", lambda c: f"{CAM}/jobs/{_promotion(c)}",
         {"dana": 200, "devi": 404, "rita": 404, "otto": 200, "ivan-bot": 404, "ada": 200}),
    Cell("profiles", "GET", f"{CAM}/profiles", lambda c: f"{CAM}/profiles",
         {"dana": 200, "devi": 200, "rita": 200, "otto": 200, "ivan-bot": 200, "ada": 200}),
)
SECURED = {(op.method, op.path) for op in OPERATIONS if op.secured}


def test_the_matrix_covers_every_secured_route_and_every_role():
    assert {(c.method, c.route) for c in CELLS} == SECURED
    roles = {"dana": "designer", "rita": "reviewer", "otto": "operator", "ivan-bot": "integrator", "ada": "admin"}
    assert all(set(roles) <= set(c.expected) for c in CELLS)
    assert set(roles.values()) == {"designer", "reviewer", "operator", "integrator", "admin"}


@pytest.mark.parametrize("cell,user", [(c, u) for c in CELLS for u in c.expected],
                         ids=[f"{c.name}-{u}" for c in CELLS for u in c.expected])
def test_route_by_role(client, cell, user):
    path = cell.path(client)
    resp = _call(client, user, cell.method, path, cell.body)
    expected = cell.expected[user]
    assert resp.status_code == expected, (user, path, resp.json_body)
    if expected >= 400:
        assert set(resp.json_body) == {"code", "message", "details"}
        assert resp.json_body["code"] in {"forbidden", "four_eyes", "not_found"}
    if expected == 404:
        # Exactly what an id nobody stored gets: other owners' ids cannot be probed.
        ident = path.split("/")[-1] if cell.route.endswith("}") else path.split("/")[-2]
        fresh = str(uuid.uuid4())
        ghost = _call(client, user, cell.method, path.replace(ident, fresh), cell.body)
        assert ghost.status_code == 404
        assert resp.json_body == json.loads(json.dumps(ghost.json_body).replace(fresh, ident))
    if expected < 300 and cell.check:
        cell.check(client, user, resp)


# --- no token, and tokens the verifier must refuse ------------------------------------------

MOTO_KEY = jwt.PyJWK.from_dict(load_resource("cognitoidp/resources/jwks-private.json")).key
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _resigned(token: str, key: Any = MOTO_KEY, **changes: Any) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


BAD_TOKENS: dict[str, Callable[[str], str | None]] = {
    "none": lambda t: None,
    "expired": lambda t: _resigned(t, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
    "wrong_audience": lambda t: _resigned(t, aud="another-app-client"),
    "bad_signature": lambda t: _resigned(t, key=OTHER_KEY),
}
REASON = {"none": "missing", "expired": "expired", "wrong_audience": "wrong_audience",
          "bad_signature": "bad_signature"}


def _concrete(path: str) -> str:
    for name in ("session_id", "request_id", "job_id"):
        path = path.replace("{" + name + "}", str(uuid.uuid4()))
    return path


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.secured], ids=lambda op: op.operation_id)
@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_every_secured_route_refuses_a_missing_or_bad_token(client, op, kind):
    # The best-placed user for the route, so only the token's fault can explain a 401.
    token = BAD_TOKENS[kind](client.identities.tokens["fuzz-all"])
    headers = dict(JSON)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    with client.as_user(None):
        resp = client.http.request(op.method, _concrete(op.path), headers=headers, body="{}")
    assert resp.status_code == 401, resp.json_body
    assert resp.json_body["code"] == "unauthenticated"
    assert [d["code"] for d in resp.json_body["details"]] == [REASON[kind]]
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    if token is not None:
        assert token not in json.dumps(resp.json_body)


def test_a_refused_request_changes_nothing(client):
    with client.as_user(None):
        assert client.http.post(f"{PREFIX}/sessions", headers=JSON,
                                body=json.dumps({"design": classical_design()})).status_code == 401
    with client.as_user("rita"):
        assert client.http.get(f"{PREFIX}/sessions").json_body["items"] == []


@pytest.mark.parametrize("path", ["/api/health", "/api/openapi.json"])
def test_health_and_the_document_need_no_token(client, path):
    with client.as_user(None):
        assert client.http.get(path).status_code == 200
