"""Signed-in test clients: real moto Cognito tokens on every request.

One user pool per test process, made once in its own moto account before any
test's AWS stage starts (the stage resets moto, the tokens outlive it), with one
user per role. The verifier fetches the key set from moto in server mode on
loopback, exactly as it fetches Cognito's in AWS.

Who signs a request, unless the test says otherwise (`DEFAULT_USER_RULE`):

* Art Studio routes: the designer `dana`, who therefore owns every session a
  test creates; a transition to `approved` or `rejected`: the reviewer `rita`;
* CAM intents, validate, plan and drawing imports: the integrator `ivan-bot`;
* job reads (and with them download links): the operator `otto`;
* profiles, and anything else: `dana`; health and the OpenAPI document: nobody.

A test picks another user with `client.as_user("rita")` (a context manager;
`None` sends no token), or sends its own `Authorization` header, which is
never replaced.
"""
from __future__ import annotations

import contextlib
import json
import time
from typing import Any, Iterator

import boto3
from moto import mock_aws

from tests.auth.cognito import Pool, create_pool_and_users

USERS = {
    "dana": ["designer"],
    "devi": ["designer"],
    "dora": ["designer"],
    "rita": ["reviewer"],
    "remy": ["reviewer"],
    "otto": ["operator"],
    "ivan-bot": ["integrator"],
    "iris-bot": ["integrator"],
    "ada": ["admin"],
    "solo": ["designer", "reviewer", "operator"],
    "nobody": [],
    # Every role at once: the fuzz reaches every handler's real work with one token.
    "fuzz-all": ["designer", "reviewer", "operator", "integrator", "admin"],
}
ROLE_USER = {"designer": "dana", "reviewer": "rita", "operator": "otto", "integrator": "ivan-bot", "admin": "ada"}

ART = "/api/art/design-first-workflow"
CAM = "/api/rmos/cam"
# Re-sign everyone well before moto's one-hour tokens run out in a long run.
REFRESH_AFTER_SECONDS = 40 * 60


class Identities:
    """The process's pool and an ID token per user."""

    def __init__(self, jwks_base: str) -> None:
        self._jwks_base = jwks_base
        self.pool: Pool | None = None
        self.tokens: dict[str, str] = {}
        self.subs: dict[str, str] = {}
        self._minted_at = 0.0

    def fresh(self) -> "Identities":
        """Mint (again) if needed; call only while no test's moto stage is active."""
        if time.monotonic() - self._minted_at < REFRESH_AFTER_SECONDS:
            return self
        with mock_aws():
            pool = create_pool_and_users(boto3.client("cognito-idp", region_name="us-east-1"), USERS)
            self.tokens = {user: pool.sign_in(user)["IdToken"] for user in USERS}
        self.pool = pool
        self.subs = {user: pool.users[user]["sub"] for user in USERS}
        self._minted_at = time.monotonic()
        return self

    def env(self) -> dict[str, str]:
        assert self.pool is not None
        return self.pool.env(f"{self._jwks_base}/{self.pool.pool_id}/.well-known/jwks.json")

    def bearer(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def default_user(method: str, path: str, body: Any) -> str | None:
    """DEFAULT_USER_RULE: the user a request is signed by when the test does not choose."""
    path = path.split("?", 1)[0]
    if path.startswith(ART):
        if method == "POST" and path.endswith("/transition") and _to_state(body) in {"approved", "rejected"}:
            return "rita"
        return "dana"
    if path.startswith((f"{CAM}/intents", f"{CAM}/plan", f"{CAM}/import")):
        return "ivan-bot"
    if path.startswith(f"{CAM}/jobs"):
        return "otto"
    if path.startswith("/api/health") or path.startswith("/api/openapi"):
        return None
    return "dana"


def _to_state(body: Any) -> Any:
    try:
        doc = json.loads(body) if isinstance(body, (str, bytes)) and body else body
    except (ValueError, RecursionError):
        return None
    state = doc.get("to_state") if isinstance(doc, dict) else None
    return state if isinstance(state, str) else None


_UNSET = object()


class SignedHTTP:
    """Chalice's test HTTP client, adding the chosen user's token to each request."""

    def __init__(self, http: Any, identities: Identities) -> None:
        self._http = http
        self._identities = identities
        self.user: Any = _UNSET

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                body: Any = b"") -> Any:
        headers = dict(headers or {})
        if not any(k.lower() == "authorization" for k in headers):
            user = default_user(method.upper(), path, body) if self.user is _UNSET else self.user
            if user is not None:
                headers.update(self._identities.bearer(user))
        return self._http.request(method, path, headers=headers, body=body)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Any:
        return self.request("OPTIONS", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Any:
        return self.request("HEAD", path, **kwargs)


class SignedClient:
    """`chalice.test.Client` whose `http` signs requests; everything else passes through."""

    def __init__(self, client: Any, identities: Identities) -> None:
        self._client = client
        self.identities = identities
        self.http = SignedHTTP(client.http, identities)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    @contextlib.contextmanager
    def as_user(self, user: str | None) -> Iterator["SignedClient"]:
        """Sign every request in the block as `user` (None: no Authorization header)."""
        previous, self.http.user = self.http.user, user
        try:
            yield self
        finally:
            self.http.user = previous

    def sub(self, user: str) -> str:
        return self.identities.subs[user]
