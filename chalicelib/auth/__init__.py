"""Identity: who is calling (`verify`) and what they may do (`policy`).

The HTTP layer calls `principal_from_headers` once per request, then
`authorize(principal, action, owner_sub)` before touching a resource, and
records `principal.actor()` wherever history names who did something.
"""
from chalicelib.auth.errors import (
    REASONS,
    AuthError,
    AuthNotConfigured,
    Forbidden,
    Hidden,
    KeysUnavailable,
    Unauthenticated,
)
from chalicelib.auth.policy import ACTIONS, ROLES, Decision, Outcome, authorize, decide, sees_all, transition_action
from chalicelib.auth.verify import Principal, principal_from_headers, verify_token

__all__ = [
    "ACTIONS", "REASONS", "ROLES", "AuthError", "AuthNotConfigured", "Decision", "Forbidden", "Hidden",
    "KeysUnavailable", "Outcome", "Principal", "Unauthenticated", "authorize", "decide",
    "principal_from_headers", "sees_all", "transition_action", "verify_token",
]
