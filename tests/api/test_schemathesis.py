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
from chalicelib.openapi import OPENAPI_PATH
from chalicelib.storage.provision import create_resources
from tests.api.findings import known_finding
from tests.api.wsgi import wsgi_app

MAX_EXAMPLES = 120

schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, wsgi_app(app))
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
# API Gateway answers OPTIONS itself (the CORS preflight), so it is not an unexpected method here.
schema.config.phases.coverage.unexpected_methods = {"get", "put", "post", "delete", "patch", "trace"}

STATUSES: collections.Counter[tuple[str, int]] = collections.Counter()
FOUND: collections.Counter[tuple[str, str]] = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def stage_resources():
    with mock_aws():
        aws.reset()
        create_resources()
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
