"""Fixtures for the CAM service: moto under the stage's own resource names.

Chalice's test client runs handlers with the environment of the `dev` stage in
.chalice/config.json, so the tables and buckets are created under those names
and the test process uses them too; both sides then see the same resources.
The account itself is the worker's shared `aws_stage` (tests/conftest.py),
emptied before each test.
"""
from __future__ import annotations

import json
import pathlib
from typing import Any, Iterator

import pytest
from chalice.test import Client

from tests.conftest import AwsStage

ROOT = pathlib.Path(__file__).resolve().parents[2]
STAGE_ENV = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["dev"]["environment_variables"]


@pytest.fixture
def cam_env(aws_stage: AwsStage, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in STAGE_ENV.items():
        monkeypatch.setenv(name, value)
    # Production buckets are versioned; here versions also count every write of an artifact.
    # Conditional writes stay atomic through the request serialisation in tests/conftest.py.
    aws_stage.enter(versioned_artifacts=True)
    try:
        yield
    finally:
        aws_stage.exit()


@pytest.fixture
def cam_client(signed_in: Any, cam_env: None) -> Iterator[Any]:
    """Signed in per `tests.signin.default_user` (integrator for intents, operator for jobs)."""
    from app import app
    from tests.signin import SignedClient

    with Client(app, project_dir=str(ROOT)) as test_client:
        yield SignedClient(test_client, signed_in)
