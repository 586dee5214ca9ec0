"""The session state machine: which state may follow which.

    draft -> in_review -> approved -> exported
    in_review -> rejected | draft;  rejected -> draft
    approved -> draft, exported -> draft  (reopen for changes)

Only `draft` accepts design edits. Anything not in ALLOWED is refused with a
409 `invalid_transition` whose details name the move and what was possible.
"""
from __future__ import annotations

from typing import Literal

from chalicelib.http import conflict

State = Literal["draft", "in_review", "approved", "rejected", "exported"]
STATES: tuple[str, ...] = ("draft", "in_review", "approved", "rejected", "exported")

ALLOWED: dict[str, tuple[str, ...]] = {
    "draft": ("in_review",),
    "in_review": ("approved", "rejected", "draft"),
    "approved": ("exported", "draft"),
    "rejected": ("draft",),
    "exported": ("draft",),
}

EDITABLE_STATES = ("draft",)
# Feasibility can be (re)evaluated while the design may still be judged; once
# approved, the stored result is the one the approval was granted on.
FEASIBILITY_STATES = ("draft", "in_review")
PROMOTABLE_STATES = ("approved", "exported")


def is_allowed(from_state: str, to_state: str) -> bool:
    return to_state in ALLOWED.get(from_state, ())


def require_transition(from_state: str, to_state: str) -> None:
    if not is_allowed(from_state, to_state):
        allowed = list(ALLOWED.get(from_state, ()))
        raise conflict("invalid_transition",
                       f"a session in {from_state!r} cannot move to {to_state!r}; allowed: {', '.join(allowed) or 'none'}",
                       {"from": from_state, "to": to_state, "allowed": allowed})


def require_editable(state: str) -> None:
    if state not in EDITABLE_STATES:
        raise conflict("not_editable", f"the design can only change in draft; this session is {state!r}",
                       {"state": state, "editable_states": list(EDITABLE_STATES)})


def feasibility_gate(design_fingerprint: str, feasibility: object | None) -> tuple[str, str] | None:
    """Why the stored feasibility result does not allow approval or promotion, or None.

    `feasibility` is a FeasibilitySummaryV1 (or None). Returns (code, reason).
    """
    if feasibility is None:
        return "feasibility_required", "Feasibility has not been evaluated for the current design"
    if getattr(feasibility, "design_fingerprint", None) != design_fingerprint:
        return "feasibility_stale", "The stored feasibility result was computed for a different design"
    if not getattr(feasibility, "passed", False):
        return "feasibility_failed", "The design failed feasibility (RED): fix the failing checks first"
    return None
