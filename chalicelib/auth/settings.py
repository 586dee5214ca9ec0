"""Identity settings, read from the environment each time they are needed.

A deployed stage gets `USER_POOL_ID` and `USER_POOL_CLIENT_ID` from its Chalice
stage environment (values from the infra stack's outputs). Nothing here can
switch verification off: without a pool and a client every request is refused
with `AuthNotConfigured`, locally as much as in AWS.

`COGNITO_JWKS_URL` exists only for the local emulator, whose key set is served
at `http://<moto>/<pool_id>/.well-known/jwks.json` instead of Cognito's host.
In a deployed stage (the Lambda runtime sets `AWS_LAMBDA_FUNCTION_NAME`) it is
refused: pointing the verifier at another key set would let whoever holds that
key mint tokens, so in AWS the key set is always the pool's own.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

from chalicelib.auth.errors import AuthNotConfigured

TOKEN_USES = frozenset({"id", "access"})
# API Gateway's user-pool authorizer, on methods without OAuth scopes, accepts
# only ID tokens; the app accepts the same unless a stage widens it.
DEFAULT_TOKEN_USE = "id"
# Clock skew tolerated on exp and iat between Cognito and the Lambda host.
LEEWAY_SECONDS = 30

_POOL_ID = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+$")
_CLIENT_ID = re.compile(r"^[\w+]{1,128}$")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class AuthSettings:
    user_pool_id: str
    client_id: str
    region: str
    jwks_url: str
    token_uses: frozenset[str]
    leeway_seconds: int = LEEWAY_SECONDS

    @property
    def issuer(self) -> str:
        # Cognito and moto (in-process and server mode alike) both put this in `iss`.
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


def is_deployed(env: Mapping[str, str] | None = None) -> bool:
    """True inside a Lambda function; `chalice local` and the test client never set this."""
    env = os.environ if env is None else env
    return bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))


def load(env: Mapping[str, str] | None = None) -> AuthSettings:
    env = os.environ if env is None else env
    deployed = is_deployed(env)
    pool_id = env.get("USER_POOL_ID", "").strip()
    client_id = env.get("USER_POOL_CLIENT_ID", "").strip()
    missing = [name for name, value in (("USER_POOL_ID", pool_id), ("USER_POOL_CLIENT_ID", client_id)) if not value]
    if missing:
        raise AuthNotConfigured(f"identity is not configured: set {', '.join(missing)}")
    match = _POOL_ID.match(pool_id)
    if not match:
        raise AuthNotConfigured(f"USER_POOL_ID {pool_id!r} is not a Cognito user pool id (region_id)")
    if not _CLIENT_ID.match(client_id):
        raise AuthNotConfigured("USER_POOL_CLIENT_ID is not a Cognito app client id")
    region = match.group("region")

    token_uses = frozenset(u.strip() for u in env.get("AUTH_TOKEN_USE", DEFAULT_TOKEN_USE).split(",") if u.strip())
    if not token_uses or not token_uses <= TOKEN_USES:
        raise AuthNotConfigured(f"AUTH_TOKEN_USE must name id and/or access, got {sorted(token_uses)}")

    override = env.get("COGNITO_JWKS_URL", "").strip()
    if override and deployed:
        raise AuthNotConfigured("COGNITO_JWKS_URL is for the local emulator and is refused in a deployed stage")
    jwks_url = override or f"https://cognito-idp.{region}.amazonaws.com/{pool_id}/.well-known/jwks.json"
    _check_jwks_url(jwks_url)
    return AuthSettings(user_pool_id=pool_id, client_id=client_id, region=region,
                        jwks_url=jwks_url, token_uses=token_uses)


def _check_jwks_url(url: str) -> None:
    # urllib would also open file:// and ftp:// URLs; a key set only comes over
    # HTTPS, or plain HTTP from an emulator on this machine.
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return
    raise AuthNotConfigured(f"COGNITO_JWKS_URL must be https, or http on loopback: {url!r}")
