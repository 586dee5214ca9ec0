"""Shared fixtures: moto for AWS, and Chalice's test client for the app.

Building boto3 clients and a moto account costs far more than the requests a
test makes, so each worker process builds them once (`aws_stage`) and every
test that asks for AWS gets them against a freshly reset moto account. Between
such tests moto's patching is switched off again, so tests that talk to a real
endpoint (the local stack, the browser flow) never reach the in-process fake.
"""
from __future__ import annotations

import json
import os
import pathlib
from typing import Any, Iterator

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

from chalicelib import aws, config  # noqa: E402
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

    def process_request(self: Any, request: Any) -> Any:
        with lock:
            return process(self, request)

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
    BotocoreStubber._serialised = True  # type: ignore[attr-defined]


_one_request_at_a_time()


class AwsStage:
    """moto and the boto3 clients the app uses, kept for a whole worker process."""

    def __init__(self) -> None:
        self._mock = mock_aws()
        self._clients: tuple[Any, Any] | None = None

    def enter(self, *, versioned_artifacts: bool) -> None:
        # moto's backends start empty on every entry; the clients, the costly part, are kept.
        self._mock.start(reset=True)
        self._own_clients()
        create_resources()
        if versioned_artifacts:
            s3, _ = self._clients  # type: ignore[misc]
            s3.put_bucket_versioning(Bucket=config.artifacts_bucket(),
                                     VersioningConfiguration={"Status": "Enabled"})

    def exit(self) -> None:
        self._mock.stop(remove_data=True)

    def _own_clients(self) -> None:
        # The app reaches AWS through the cached clients in `chalicelib.aws`;
        # anything that dropped or replaced them (a bench stage, aws.reset())
        # makes this stage build its own again, under the mock.
        if self._clients is None or (aws.s3(), aws.dynamodb()) != self._clients:
            aws.reset()
            self._clients = (aws.s3(), aws.dynamodb())


@pytest.fixture(scope="session")
def aws_stage() -> Iterator[AwsStage]:
    stage = AwsStage()
    yield stage
    aws.reset()


@pytest.fixture
def aws_env(aws_stage: AwsStage) -> Iterator[None]:
    """The stage's table and buckets, empty, in moto; unversioned, as a fresh account has them."""
    aws_stage.enter(versioned_artifacts=False)
    try:
        yield
    finally:
        aws_stage.exit()


@pytest.fixture(scope="session")
def jwks_server() -> Iterator[str]:
    """moto in server mode on loopback: it serves the user pool's key set to the verifier."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def identities(jwks_server: str) -> Any:
    from tests.signin import Identities

    return Identities(jwks_server)


@pytest.fixture
def signed_in(identities: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The verifier's settings pointing at the process's pool (minted before any moto stage starts)."""
    from chalicelib.auth import verify

    identities.fresh()
    for name, value in identities.env().items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_LAMBDA_FUNCTION_NAME", "AUTH_TOKEN_USE", "ALLOW_SELF_APPROVAL", "USER_POOL_ARN"):
        monkeypatch.delenv(name, raising=False)
    yield identities
    verify.reset()


@pytest.fixture
def client(signed_in: Any, aws_env: None) -> Iterator[Any]:
    """The app under Chalice's test client, signed in per `tests.signin.default_user`."""
    from app import app
    from tests.signin import SignedClient

    with Client(app) as test_client:
        yield SignedClient(test_client, signed_in)
