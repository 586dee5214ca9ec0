"""One verifier for a Cognito user-pool JWT, the same in AWS, locally and in tests.

API Gateway's authorizer checks the token before the Lambda runs; the app checks
it again here, following the steps AWS lists for user-pool tokens: RS256
signature by `kid` against the pool's JWKS, `iss` is the pool, `aud` (ID token)
or `client_id` (access token) is this app's client, `token_use` is one this API
accepts, and `exp` has not passed. Running the same checks everywhere means no
test or local path ever trusts a token that AWS would refuse.

The key set is fetched once per container and kept. A token naming a key id the
set lacks (Cognito rotated its keys) triggers one refetch, and at most one per
`REFETCH_COOLDOWN_SECONDS`, so a stream of made-up key ids cannot turn every
request into a call to Cognito.

PyJWT (and with it cryptography) and the HTTP client are imported on first use,
so the CAM worker and the unauthenticated routes, which share this package,
never pay for them at cold start.
"""
from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from chalicelib.auth import settings as auth_settings
from chalicelib.auth.errors import KeysUnavailable, Unauthenticated

ALGORITHM = "RS256"
REFETCH_COOLDOWN_SECONDS = 60.0
FETCH_TIMEOUT_SECONDS = 3.0
# Cognito tokens are a few KB; anything far larger is refused before parsing.
MAX_TOKEN_CHARS = 16_384
MAX_JWKS_BYTES = 256 * 1024


@dataclass(frozen=True)
class Principal:
    """Who made the request, as the verified token says."""

    sub: str
    username: str
    groups: frozenset[str]
    token_use: str
    client_id: str

    def actor(self) -> dict[str, str]:
        """The identity a history entry records: never anything the client sent."""
        return {"sub": self.sub, "username": self.username}


def fetch_json(url: str) -> Any:
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 (scheme checked in settings)
        body = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError("key set larger than any user pool's")
    return json.loads(body)


class KeySet:
    """The signing keys of one user pool, cached for the life of the container."""

    def __init__(self, url: str, fetch: Callable[[str], Any] = fetch_json,
                 clock: Callable[[], float] = time.monotonic,
                 cooldown_seconds: float = REFETCH_COOLDOWN_SECONDS) -> None:
        self.url = url
        self.fetches = 0
        self._fetch = fetch
        self._clock = clock
        self._cooldown = cooldown_seconds
        self._keys: dict[str, Any] | None = None
        self._refetched_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> Any | None:
        with self._lock:
            if self._keys is None:
                self._keys = self._load()
            elif kid not in self._keys and self._may_refetch():
                self._refetched_at = self._clock()
                try:
                    self._keys = self._load()
                except KeysUnavailable:
                    pass  # keep the keys we have; the unknown kid stays unknown
            return self._keys.get(kid)

    def _may_refetch(self) -> bool:
        return self._refetched_at is None or self._clock() - self._refetched_at >= self._cooldown

    def _load(self) -> dict[str, Any]:
        import http.client

        import jwt

        self.fetches += 1
        try:
            document = self._fetch(self.url)
            keys = {}
            for entry in document["keys"]:
                if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig" or "kid" not in entry:
                    continue
                keys[entry["kid"]] = jwt.PyJWK.from_dict({**entry, "alg": ALGORITHM}).key
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError, jwt.PyJWTError) as exc:
            raise KeysUnavailable(f"cannot load the user pool's signing keys: {type(exc).__name__}") from None
        if not keys:
            raise KeysUnavailable("the user pool's key set has no RSA signing key")
        return keys


_keysets: dict[str, KeySet] = {}
_keysets_lock = threading.Lock()


def keyset_for(url: str) -> KeySet:
    with _keysets_lock:
        if url not in _keysets:
            _keysets[url] = KeySet(url)
        return _keysets[url]


def reset() -> None:
    """Forget cached key sets (tests that switch between emulators)."""
    with _keysets_lock:
        _keysets.clear()


def bearer_token(headers: Mapping[str, str]) -> str:
    """The JWT from an Authorization header: `Bearer <jwt>`, or the bare JWT that API Gateway examples send."""
    value = _header(headers, "authorization")
    if value is None or not value.strip():
        raise Unauthenticated("missing", "an Authorization header with a bearer token is required")
    parts = value.strip().split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        token = parts[1]
    elif len(parts) == 1:
        token = parts[0]
    else:
        raise Unauthenticated("malformed", "the Authorization header must be 'Bearer <token>'")
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise Unauthenticated("malformed", "the bearer token is not a JWT")
    return token


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        # Chalice's headers are case-insensitive; a plain dict may not be.
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def verify_token(token: str, cfg: auth_settings.AuthSettings | None = None,
                 keys: KeySet | None = None) -> Principal:
    """The principal a user-pool token names, or `Unauthenticated` with the failed check."""
    import jwt

    cfg = cfg or auth_settings.load()
    keys = keys or keyset_for(cfg.jwks_url)
    header = _unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise Unauthenticated("bad_signature", "the token is not signed with RS256")
    kid = header.get("kid")
    key = keys.key(kid) if isinstance(kid, str) else None
    if key is None:
        raise Unauthenticated("bad_signature", "the token is signed by a key this user pool does not have")
    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], issuer=cfg.issuer, leeway=cfg.leeway_seconds,
            options={"verify_aud": False, "require": ["exp", "iat", "iss", "sub", "token_use"]},
        )
    except jwt.InvalidSignatureError:
        raise Unauthenticated("bad_signature", "the token's signature does not verify") from None
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("expired", "the token has expired; sign in again") from None
    except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError):
        raise Unauthenticated("not_yet_valid", "the token is issued in the future") from None
    except jwt.InvalidIssuerError:
        raise Unauthenticated("wrong_issuer", "the token was not issued by this user pool") from None
    except jwt.PyJWTError:
        raise Unauthenticated("malformed", "the token lacks a required claim or does not decode") from None
    return _principal(claims, cfg)


def _unverified_header(token: str) -> dict[str, Any]:
    """The token's header, read only to pick the key: `jwt.decode` then checks the whole token strictly.

    PyJWT's own header reader decodes and checks every segment, signature and
    claims included, character by character; `jwt.decode` does all of that
    again, so reading only the first segment here halves the cost of a request's
    token check without trusting anything it reads.
    """
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        raise Unauthenticated("malformed", "the bearer token is not a JWT") from None
    if not isinstance(header, dict):
        raise Unauthenticated("malformed", "the bearer token is not a JWT")
    return header


def _principal(claims: dict[str, Any], cfg: auth_settings.AuthSettings) -> Principal:
    token_use = claims["token_use"]
    if token_use not in cfg.token_uses:
        raise Unauthenticated("wrong_token_use",
                              f"this API accepts {' or '.join(sorted(cfg.token_uses))} tokens, not {token_use!r}")
    audience = claims.get("aud") if token_use == "id" else claims.get("client_id")
    if audience != cfg.client_id:
        raise Unauthenticated("wrong_audience", "the token was issued to another app client")
    username = claims.get("cognito:username") if token_use == "id" else claims.get("username")
    groups = claims.get("cognito:groups", [])
    if not isinstance(claims["sub"], str) or not claims["sub"] or not isinstance(username, str) or not username:
        raise Unauthenticated("malformed", "the token does not name a user")
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise Unauthenticated("malformed", "the token's groups claim is not a list of names")
    return Principal(sub=claims["sub"], username=username, groups=frozenset(groups),
                     token_use=token_use, client_id=cfg.client_id)


def principal_from_headers(headers: Mapping[str, str]) -> Principal:
    """The verified caller of an HTTP request; raises `Unauthenticated` (401)."""
    cfg = auth_settings.load()
    return verify_token(bearer_token(headers), cfg)
