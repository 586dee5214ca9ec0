"""The session state machine: which state may follow which.

    draft -> in_review -> approved -> exported
    in_review -> rejected | draft;  rejected -> draft
    approved -> draft, exported -> draft  (reopen for changes)

Only `draft` accepts design edits. Anything not in ALLOWED is refused with
`InvalidTransition`, whose issue names the move and what was possible.
"""
from __future__ import annotations

from typing import Literal

from chalicelib.art_studio.errors import (FeasibilityFailed, FeasibilityGate, FeasibilityRequired,
                                         FeasibilityStale, InvalidTransition, NotEditable)

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
        raise InvalidTransition(from_state, to_state, ALLOWED.get(from_state, ()))


def require_editable(state: str) -> None:
    if state not in EDITABLE_STATES:
        raise NotEditable(f"the design can only change in draft; this session is {state!r}", state, EDITABLE_STATES)


def feasibility_gate(design_fingerprint: str, feasibility: object | None) -> FeasibilityGate | None:
    """Why the stored feasibility result does not allow approval or promotion, or None.

    `feasibility` is a FeasibilitySummaryV1 (or None). The error is returned,
    not raised: approval raises it as is, promotion reports it as blocked.
    """
    if feasibility is None:
        return FeasibilityRequired(design_fingerprint)
    judged = getattr(feasibility, "design_fingerprint", None)
    if judged != design_fingerprint:
        return FeasibilityStale(design_fingerprint, judged)
    if not getattr(feasibility, "passed", False):
        return FeasibilityFailed(design_fingerprint, judged)
    return None
