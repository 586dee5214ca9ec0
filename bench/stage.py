"""The dev stage in process: moto for AWS, the stage's resources, Chalice's test client."""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
from typing import Any, Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _stage_env() -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return config["stages"]["dev"]["environment_variables"]


@contextlib.contextmanager
def moto_stage() -> Iterator[Any]:
    """A fresh moto account holding the dev stage's table and buckets; yields a chalice.test.Client.

    The environment (fake credentials, the stage's resource names, no endpoint
    override) is restored on exit, so later groups and subprocesses see the
    caller's own environment.
    """
    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update({**_stage_env(), **FAKE_AWS})
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import aws
    from chalicelib.storage.provision import create_resources

    try:
        with mock_aws():
            aws.reset()
            create_resources()
            from app import app

            with Client(app, project_dir=str(ROOT)) as client:
                yield client
    finally:
        aws.reset()
        os.environ.clear()
        os.environ.update(saved)
