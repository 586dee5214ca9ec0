"""Lazily created boto3 clients.

Clients are built on first use, never at import, so a cold start that serves a
route which touches no AWS service pays nothing for boto3 set-up, and tests can
start moto before any client exists. `reset()` drops the cached clients (tests
call it between moto sessions). `AWS_ENDPOINT_URL` (honoured by boto3 itself)
points every client at the local emulator in `make run`.

One client serves every thread of the process. A Lambda container runs one
invocation at a time, but the local stack hosts the API and several CAM jobs in
one process, each thread holding a connection while it waits; a pool smaller
than that makes urllib3 drop connections with "Connection pool is full"
warnings. Pooled connections open only when needed, so the larger bound costs a
Lambda nothing.
"""
from __future__ import annotations

import functools
from typing import Any

# Above the local stack's peak: a burst of 64 API requests plus the CAM jobs running beside it.
MAX_POOL_CONNECTIONS = 100


@functools.cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


@functools.cache
def s3() -> Any:
    from botocore.config import Config

    return _session().client("s3", config=Config(signature_version="s3v4", retries={"mode": "standard"},
                                                max_pool_connections=MAX_POOL_CONNECTIONS))


@functools.cache
def dynamodb() -> Any:
    from botocore.config import Config

    return _session().client("dynamodb", config=Config(retries={"mode": "standard"},
                                                      max_pool_connections=MAX_POOL_CONNECTIONS))


@functools.cache
def sqs() -> Any:
    from botocore.config import Config

    return _session().client("sqs", config=Config(retries={"mode": "standard"}))


def reset() -> None:
    for cached in (_session, s3, dynamodb, sqs):
        cached.cache_clear()
