"""Art Studio's named failures: one class per refusal a caller can act on.

Raised by the store, the workflow, the session service and promotion; the HTTP
edge (`chalicelib.http.STATUS_BY_FAMILY`) gives each family its status, so the
reconciler or any other non-HTTP caller catches these by name. Every `code`
here is one the web page and the API's clients already rely on.
"""
from __future__ import annotations

from typing import Sequence

from chalicelib.contracts.errors import Conflict, Invalid, Issue, NotFound


class SessionNotFound(NotFound):
    def __init__(self, session_id: str) -> None:
        message = f"no session with id {session_id!r}"
        super().__init__(message, [Issue(self.code, message, "session_id")])
        self.session_id = session_id


class PromotionRequestNotFound(NotFound):
    def __init__(self, request_id: str) -> None:
        message = f"no promotion request with id {request_id!r}"
        super().__init__(message, [Issue(self.code, message, "request_id")])
        self.request_id = request_id


class StaleVersion(Conflict):
    """Somebody else wrote the session since the caller read it."""

    code = "stale_version"

    def __init__(self, expected: int, actual: object) -> None:
        message = f"the session changed: you sent version {expected}, it is now at {actual}; reload and retry"
        super().__init__(message, [Issue(self.code, f"expected version {expected}, found {actual}", "version")])
        self.expected = expected
        self.actual = actual


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, from_state: str, to_state: str, allowed: Sequence[str]) -> None:
        listed = ", ".join(allowed) or "none"
        message = f"a session in {from_state!r} cannot move to {to_state!r}; allowed: {listed}"
        super().__init__(message, [Issue(self.code, f"{from_state} -> {to_state} is not allowed; allowed from "
                                                    f"{from_state}: {listed}", "to_state")])
        self.from_state = from_state
        self.to_state = to_state
        self.allowed = list(allowed)


class NotEditable(Conflict):
    """The session's state does not allow this change (design edit, feasibility run)."""

    code = "not_editable"

    def __init__(self, message: str, state: str, allowed_states: Sequence[str]) -> None:
        super().__init__(message, [Issue(self.code, f"state is {state}; allowed in: {', '.join(allowed_states)}",
                                         "state")])
        self.state = state
        self.allowed_states = list(allowed_states)


class FeasibilityGate(Conflict):
    """The stored feasibility result does not allow approval or promotion."""

    reason = ""

    def __init__(self, design_fingerprint: str, feasibility_fingerprint: str | None = None) -> None:
        detail = f"design {design_fingerprint}; feasibility computed for {feasibility_fingerprint or 'nothing'}"
        super().__init__(self.reason, [Issue(self.code, detail, "feasibility")])
        self.design_fingerprint = design_fingerprint
        self.feasibility_design_fingerprint = feasibility_fingerprint


class FeasibilityRequired(FeasibilityGate):
    code = "feasibility_required"
    reason = "Feasibility has not been evaluated for the current design"


class FeasibilityStale(FeasibilityGate):
    code = "feasibility_stale"
    reason = "The stored feasibility result was computed for a different design"


class FeasibilityFailed(FeasibilityGate):
    code = "feasibility_failed"
    reason = "The design failed feasibility (RED): fix the failing checks first"


class PromotionBlocked(Conflict):
    """The session may not be promoted yet; `reason` says why in a sentence, `code` names it."""

    def __init__(self, reason: str, code: str, state: str) -> None:
        super().__init__(reason, [Issue(code, f"session state is {state}", "state")], code=code)
        self.reason = reason
        self.state = state


class UnknownProfile(Invalid):
    """The promotion names a CAM profile the catalogue does not hold."""

    code = "validation_error"


class InvalidCursor(Invalid):
    code = "validation_error"

    def __init__(self) -> None:
        super().__init__("cursor is not one this listing returned",
                         [Issue("invalid_value", "invalid cursor", "cursor")])
