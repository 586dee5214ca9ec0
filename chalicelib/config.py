"""Deployment settings, read from the environment at call time.

Chalice sets these per stage from `.chalice/config.json`; tests and the local
stack set them before the first request. Reading them lazily lets a test change
a bucket name without re-importing the app.

The dev names below are a convenience for tests and the local stack only. Inside
Lambda a missing setting is a broken deployment: falling back to the dev table
would let a prod function read and write dev data, so it raises instead.
"""
from __future__ import annotations

import os

DEFAULTS = {
    "TABLE_NAME": "luthier-cam-dev",
    "REQUESTS_BUCKET": "luthier-cam-requests-dev",
    "ARTIFACTS_BUCKET": "luthier-cam-artifacts-dev",
    "SITE_ORIGIN": "http://127.0.0.1:8000",
    # The CAM worker's Lambda timeout: job leases are derived from it.
    "CAM_WORKER_TIMEOUT_SECONDS": "300",
    # Where Lambda sends a worker event whose retries ran out; the reconciler drains it.
    "CAM_WORKER_FAILURES_QUEUE": "luthier-cam-worker-failures-dev",
}

# Set by the Lambda runtime in every function's environment.
LAMBDA_MARKER = "AWS_LAMBDA_FUNCTION_NAME"


class MissingSetting(RuntimeError):
    """A deployed function lacks one of the environment variables it needs."""

    def __init__(self, name: str, function: str) -> None:
        super().__init__(
            f"environment variable {name} is not set in Lambda function {function!r}; "
            f"set it in the stage's environment_variables in .chalice/config.json and redeploy "
            f"(deployed functions never fall back to the dev name)")
        self.name = name


def deployed() -> bool:
    return bool(os.environ.get(LAMBDA_MARKER))


def setting(name: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if deployed():
        raise MissingSetting(name, os.environ[LAMBDA_MARKER])
    return DEFAULTS[name]


def table_name() -> str:
    return setting("TABLE_NAME")


def requests_bucket() -> str:
    return setting("REQUESTS_BUCKET")


def artifacts_bucket() -> str:
    return setting("ARTIFACTS_BUCKET")


def site_origin() -> str:
    return setting("SITE_ORIGIN")


def cam_worker_timeout_seconds() -> int:
    return int(setting("CAM_WORKER_TIMEOUT_SECONDS"))


def cam_worker_failures_queue() -> str:
    return setting("CAM_WORKER_FAILURES_QUEUE")


def require_all() -> None:
    """Raise MissingSetting for the first setting a deployed function lacks."""
    for name in DEFAULTS:
        setting(name)


# app.py imports this module during the cold start: a deployed function with an
# incomplete environment fails there, naming the variable, before any request
# or S3 event can reach the wrong table or bucket.
if deployed():
    require_all()
