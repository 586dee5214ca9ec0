"""Fuzz both APIs from their OpenAPI document with schemathesis.

Every generated request goes through Chalice's local gateway into the real
handlers, with the stage's table and buckets in moto. Three checks: no 5xx,
only statuses the document lists for the operation, and every body (errors
included) matching the documented schema. Responses that match a known
finding (tests/api/findings.py) are counted rather than failed; anything else
fails the test.

Bounded and reproducible: a fixed number of examples per operation, generated
deterministically, so a run costs the same and finds the same things each time.
`FUZZ_REPORT=path` writes the run's figures as JSON.

Secured operations carry a real moto Cognito ID token of a user holding every
role (`fuzz-all` in tests/signin.py), so generated requests reach the handlers
rather than stopping at 401. The seeded sessions belong to another designer and
are approved by a reviewer, as four-eyes requires.
"""
from __future__ import annotations

import collections
import json
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from moto import mock_aws
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from app import app
from chalicelib import aws
from chalicelib.auth import verify
from chalicelib.openapi import OPENAPI_PATH, OPERATIONS
from chalicelib.storage.provision import create_resources
from tests.api.findings import known_finding
from tests.art_studio_support import PREFIX, classical_design
from tests.cam import intents
from tests.api.wsgi import wsgi_app

MAX_EXAMPLES = 100

schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, wsgi_app(app))
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
# API Gateway answers OPTIONS itself (the CORS preflight), so it is not an unexpected method here.
schema.config.phases.coverage.unexpected_methods = {"get", "put", "post", "delete", "patch", "trace"}

# Ids of things that exist, by path parameter. Random UUIDs only ever reach the
# 404 branch; half the generated ids are swapped for these (chosen from the
# generated id, so the run stays deterministic) to reach the handlers' real work.
# DELETE draws from its own sessions, so it cannot remove the ones the other routes are given.
KNOWN: dict[str, list[str]] = {"session_id": [], "request_id": [], "job_id": []}
DISPOSABLE: list[str] = []
STATUSES: collections.Counter[tuple[str, int]] = collections.Counter()
FOUND: collections.Counter[tuple[str, str]] = collections.Counter()


TOKENS: dict[str, str] = {}
SECURED = {(op.method.upper(), op.path) for op in OPERATIONS if op.secured}


@pytest.fixture(scope="module", autouse=True)
def stage_resources(identities):
    # Tokens are minted in their own moto account before the fuzz's one starts.
    identities.fresh()
    TOKENS.update(identities.tokens)
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name, value in identities.env().items():
            patch.setenv(name, value)
        for name in ("ALLOW_SELF_APPROVAL", "USER_POOL_ARN", "AUTH_TOKEN_USE"):
            patch.delenv(name, raising=False)
        verify.reset()
        aws.reset()
        create_resources()
        _seed(wsgi_client())
        started = time.monotonic()
        yield
        elapsed = time.monotonic() - started
    aws.reset()
    if os.environ.get("FUZZ_REPORT"):
        report = {
            "cases": sum(STATUSES.values()), "seconds": round(elapsed, 1),
            "by_operation": {op: dict(sorted((str(s), n) for (o, s), n in STATUSES.items() if o == op))
                             for op in sorted({o for o, _ in STATUSES})},
            "known_findings": {f"{fid} {op}": n for (fid, op), n in sorted(FOUND.items())},
        }
        with open(os.environ["FUZZ_REPORT"], "w") as fh:
            json.dump(report, fh, indent=1)


def wsgi_client():
    from werkzeug.test import Client

    return Client(wsgi_app(app))


def _post(client, path: str, body: dict, user: str = "dana") -> dict:
    response = client.post(path, json=body, headers={"Authorization": f"Bearer {TOKENS[user]}"})
    assert response.status_code < 300, (path, response.status_code, response.get_data(as_text=True))
    return response.get_json()


def _seed(client) -> None:
    """Sessions in each state, a promotion request and a queued job."""
    for target in ("draft", "in_review", "approved", "exported"):
        sid = _post(client, f"{PREFIX}/sessions", {"design": classical_design()})["session_id"]
        KNOWN["session_id"].append(sid)
        if target == "draft":
            continue
        _post(client, f"{PREFIX}/sessions/{sid}/feasibility", {})
        _post(client, f"{PREFIX}/sessions/{sid}/transition", {"to_state": "in_review"})
        if target == "in_review":
            continue
        _post(client, f"{PREFIX}/sessions/{sid}/transition", {"to_state": "approved"}, user="rita")
        KNOWN["request_id"].append(_post(client, f"{PREFIX}/sessions/{sid}/promote_to_cam", {})
                                   ["request"]["promotion_request_id"])
        if target == "exported":
            _post(client, f"{PREFIX}/sessions/{sid}/export", {})
    DISPOSABLE.extend(_post(client, f"{PREFIX}/sessions", {"design": classical_design()})["session_id"]
                      for _ in range(3))
    KNOWN["job_id"].append(_post(client, "/api/rmos/cam/intents", intents.saw(), user="ivan-bot")["job"]["job_id"])


@schema.hook
def map_headers(context, headers):
    operation = context.operation
    if operation is None or (operation.method.upper(), operation.path) not in SECURED:
        return headers
    headers = dict(headers or {})
    headers["Authorization"] = f"Bearer {TOKENS['fuzz-all']}"
    return headers


@schema.hook
def map_path_parameters(context, path_parameters):
    if not path_parameters:
        return path_parameters
    deleting = context.operation is not None and context.operation.method.upper() == "DELETE"
    for name, ids in KNOWN.items():
        if deleting and name == "session_id":
            ids = DISPOSABLE
        value = path_parameters.get(name)
        if ids and isinstance(value, str) and value[:1] in "02468ace":
            path_parameters[name] = ids[sum(map(ord, value)) % len(ids)]
    return path_parameters


@pytest.mark.fuzz
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api(case):
    response = case.call()
    label = case.operation.label
    STATUSES[(label, response.status_code)] += 1
    checks = [not_a_server_error, status_code_conformance]
    finding = known_finding(response)
    if finding is None:
        checks.append(response_schema_conformance)
    else:
        FOUND[(finding.id, label)] += 1
    case.validate_response(response, checks=checks)
