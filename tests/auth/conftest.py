"""Real Cognito tokens from moto, and moto server serving the pool's key set.

In-process moto answers boto3 but not a plain HTTPS fetch of the JWKS, so the
verifier reads the key set from moto in server mode on loopback, exactly as the
local stack points `COGNITO_JWKS_URL` at its emulator.
"""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from chalicelib.auth import verify
from tests.auth.cognito import create_pool_and_users

# One user per role, a second designer (another owner), and a one-person shop.
USERS = {
    "dana": ["designer"],
    "devi": ["designer"],
    "rita": ["reviewer"],
    "otto": ["operator"],
    "ivan-bot": ["integrator"],
    "ada": ["admin"],
    "solo": ["designer", "reviewer", "operator"],
    "nobody": [],
}


@pytest.fixture(scope="session")
def moto_server(jwks_server):
    """The suite's one loopback moto server (tests/conftest.py)."""
    return jwks_server


@pytest.fixture(scope="module")
def module_pool():
    """One in-process pool per module: making users is the slow part, and tests only read them."""
    with mock_aws():
        yield create_pool_and_users(boto3.client("cognito-idp", region_name="us-east-1"), USERS)


@pytest.fixture
def pool(module_pool, moto_server, monkeypatch):
    """The module's pool, with the verifier's settings pointing at it and an empty key cache."""
    jwks_url = f"{moto_server}/{module_pool.pool_id}/.well-known/jwks.json"
    for name, value in module_pool.env(jwks_url).items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_LAMBDA_FUNCTION_NAME", "AUTH_TOKEN_USE", "ALLOW_SELF_APPROVAL"):
        monkeypatch.delenv(name, raising=False)
    verify.reset()
    yield module_pool
    verify.reset()
