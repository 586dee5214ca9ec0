"""Lazily created boto3 clients.

Clients are built on first use, never at import, so a cold start that serves a
route which touches no AWS service pays nothing for boto3 set-up, and tests can
start moto before any client exists. `reset()` drops the cached clients (tests
call it between moto sessions). `AWS_ENDPOINT_URL` (honoured by boto3 itself)
points every client at the local emulator in `make run`.
"""
from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


@functools.cache
def s3() -> Any:
    from botocore.config import Config

    return _session().client("s3", config=Config(signature_version="s3v4", retries={"mode": "standard"}))


@functools.cache
def dynamodb() -> Any:
    from botocore.config import Config

    return _session().client("dynamodb", config=Config(retries={"mode": "standard"}))


def reset() -> None:
    for cached in (_session, s3, dynamodb):
        cached.cache_clear()
