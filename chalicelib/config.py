"""Deployment settings, read from the environment at call time.

Chalice sets these per stage from `.chalice/config.json`; tests and the local
stack set them before the first request. Reading them lazily lets a test change
a bucket name without re-importing the app.
"""
from __future__ import annotations

import os

DEFAULTS = {
    "TABLE_NAME": "luthier-cam-dev",
    "REQUESTS_BUCKET": "luthier-cam-requests-dev",
    "ARTIFACTS_BUCKET": "luthier-cam-artifacts-dev",
    "SITE_ORIGIN": "http://127.0.0.1:8000",
}


def setting(name: str) -> str:
    return os.environ.get(name) or DEFAULTS[name]


def table_name() -> str:
    return setting("TABLE_NAME")


def requests_bucket() -> str:
    return setting("REQUESTS_BUCKET")


def artifacts_bucket() -> str:
    return setting("ARTIFACTS_BUCKET")


def site_origin() -> str:
    return setting("SITE_ORIGIN")
