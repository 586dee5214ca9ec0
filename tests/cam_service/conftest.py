"""Fixtures for the CAM service: moto under the stage's own resource names.

Chalice's test client runs handlers with the environment of the `dev` stage in
.chalice/config.json, so the tables and buckets are created under those names
and the test process uses them too; both sides then see the same resources.
"""
from __future__ import annotations

import functools
import json
import pathlib
import threading

import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import aws, config
from chalicelib.storage.provision import create_resources

ROOT = pathlib.Path(__file__).resolve().parents[2]
STAGE_ENV = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["dev"]["environment_variables"]


def _serialised(lock: threading.Lock, method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with lock:
            return method(*args, **kwargs)
    return wrapper


@pytest.fixture
def cam_env(monkeypatch):
    for name, value in STAGE_ENV.items():
        monkeypatch.setenv(name, value)
    # DynamoDB evaluates a condition and writes atomically; moto does not lock,
    # so concurrent tests serialise its item writes the way the service does.
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()
    for name in ("put_item", "update_item", "delete_item"):
        monkeypatch.setattr(DynamoDBBackend, name, _serialised(lock, getattr(DynamoDBBackend, name)))
    with mock_aws():
        aws.reset()
        create_resources()
        # Production buckets are versioned; here versions also count every write of an artifact.
        aws.s3().put_bucket_versioning(Bucket=config.artifacts_bucket(),
                                       VersioningConfiguration={"Status": "Enabled"})
        yield
    aws.reset()


@pytest.fixture
def cam_client(cam_env):
    from app import app

    with Client(app, project_dir=str(ROOT)) as test_client:
        yield test_client
