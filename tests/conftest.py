"""Shared fixtures: moto for AWS, and Chalice's test client for the app."""
from __future__ import annotations

import json
import os
import pathlib

# chalice.test.Client runs handlers with the dev stage's environment from
# .chalice/config.json, so the fixtures create exactly those resources.
_DEV_ENV = json.loads((pathlib.Path(__file__).resolve().parent.parent / ".chalice" / "config.json")
                      .read_text())["stages"]["dev"]["environment_variables"]

# Before anything imports boto3 or the app: fake credentials, one region, and
# never an endpoint left over from `make run` in the same shell.
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.update(_DEV_ENV)
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
})

import pytest  # noqa: E402
from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import aws  # noqa: E402
from chalicelib.storage.provision import create_resources  # noqa: E402


def _one_request_at_a_time() -> None:
    """Serialise moto's in-process request handling.

    DynamoDB applies a conditional write, and S3 an `If-None-Match` put,
    atomically per request. moto's in-process backends take no lock, so two
    threads can both pass a condition and both write. Handling one request at
    a time restores the atomicity the services have and nothing more: a write
    without a condition still overwrites, so the concurrency tests can fail.
    """
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber, "_serialised", False):
        return
    lock = threading.Lock()
    process = BotocoreStubber.process_request

    def process_request(self, request):
        with lock:
            return process(self, request)

    BotocoreStubber.process_request = process_request
    BotocoreStubber._serialised = True


_one_request_at_a_time()


@pytest.fixture
def aws_env():
    """A fresh moto account with the stage's table and buckets."""
    with mock_aws():
        aws.reset()
        create_resources()
        yield
    aws.reset()


@pytest.fixture
def client(aws_env):
    from app import app

    with Client(app) as test_client:
        yield test_client
