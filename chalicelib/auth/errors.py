"""Every way a request can fail identity or authorization, one class each.

The HTTP edge maps these to statuses in one table: `Unauthenticated` is 401,
`Forbidden` 403, `Hidden` 404 (the caller may not learn that the resource
exists), `KeysUnavailable` 503 and `AuthNotConfigured` 500. None of them carries
the token or its claims, so an error body can never echo a credential.
"""
from __future__ import annotations

# Reason codes a 401 may carry; callers branch on them, people read the message.
REASONS = (
    "missing",          # no Authorization header, or an empty one
    "malformed",        # not "Bearer <jwt>", or the JWT does not decode
    "expired",          # exp is in the past (beyond the leeway)
    "not_yet_valid",    # iat lies in the future (beyond the leeway)
    "bad_signature",    # signature fails, unknown key id, or an algorithm other than RS256
    "wrong_audience",   # aud / client_id is not this app's client
    "wrong_issuer",     # iss is not this user pool
    "wrong_token_use",  # a token kind (id / access) this API does not accept
)


class AuthError(Exception):
    """Base of the identity and authorization failures."""


class Unauthenticated(AuthError):
    """No valid credential: the caller must sign in (again)."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.message = message


class KeysUnavailable(AuthError):
    """The user pool's signing keys could not be fetched; nothing can be verified."""


class AuthNotConfigured(AuthError):
    """The stage lacks (or has an unsafe) identity setting; every request is refused."""


class Forbidden(AuthError):
    """Signed in, allowed to see the resource, not allowed to do this to it."""

    def __init__(self, action: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.action = action
        self.reason = reason
        self.message = message


class Hidden(AuthError):
    """Signed in, but the resource belongs to someone the caller may not see."""

    def __init__(self, action: str) -> None:
        super().__init__(f"not found for {action}")
        self.action = action
