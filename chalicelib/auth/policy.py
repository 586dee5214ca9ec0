"""Who may do what: the one table every route consults.

Each action names the roles that may take it and whether a role may take it on
any resource (`ANY`) or only on its own (`OWN`: the resource's owner `sub` is the
caller's). A user in several groups gets the union. The outcome is one of

* `allow`,
* `forbidden` (403): the caller may see the resource but not do this to it,
* `hidden` (404): the caller may not even see it, so the answer is the same as
  for an id that does not exist and ids of other owners cannot be probed.

A resource may also be shared: for actions marked `shared`, OWN covers the
people the resource is shared with (`shared_with`) as well as its owner. A
promotion's job is shared with the owner of every session that promoted the
same design, so each of them can follow and download the job their own
promotion points to (docs/security.md).

Four-eyes: nobody approves a design they own, whatever their groups, unless
`ALLOW_SELF_APPROVAL` is set for a one-person shop (docs/security.md).
Pure functions over a principal and an owner id: no HTTP, no storage.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from typing import AbstractSet, Mapping, Protocol

from chalicelib.auth.errors import Forbidden, Hidden

ROLES = ("designer", "reviewer", "operator", "integrator", "admin")


class Scope(str, Enum):
    ANY = "any"
    OWN = "own"


ANY, OWN = Scope.ANY, Scope.OWN


@dataclass(frozen=True)
class Rule:
    roles: Mapping[str, Scope]
    # Owned actions act on one resource with an owner; collection actions
    # (create, list, submit an intent) act on none, and OWN there means the
    # caller only ever sees or makes their own.
    owned: bool
    # The read action that decides 403 against 404 when this one is refused.
    read_as: str | None = None
    # OWN also covers the people the resource is shared with.
    shared: bool = False


RULES: dict[str, Rule] = {
    "session.create":   Rule({"designer": ANY}, owned=False),
    "session.list":     Rule({"designer": OWN, "reviewer": ANY, "operator": ANY, "admin": ANY}, owned=False),
    "session.read":     Rule({"designer": OWN, "reviewer": ANY, "operator": ANY, "admin": ANY}, owned=True),
    "session.edit":     Rule({"designer": OWN}, owned=True, read_as="session.read"),
    "session.check":    Rule({"designer": OWN}, owned=True, read_as="session.read"),
    "session.submit":   Rule({"designer": OWN}, owned=True, read_as="session.read"),
    "session.withdraw": Rule({"designer": OWN, "reviewer": ANY}, owned=True, read_as="session.read"),
    "session.approve":  Rule({"reviewer": ANY}, owned=True, read_as="session.read"),
    "session.reject":   Rule({"reviewer": ANY, "admin": ANY}, owned=True, read_as="session.read"),
    "session.reopen":   Rule({"designer": OWN, "admin": ANY}, owned=True, read_as="session.read"),
    "session.export":   Rule({"designer": OWN, "operator": ANY}, owned=True, read_as="session.read"),
    "session.delete":   Rule({"designer": OWN, "admin": ANY}, owned=True, read_as="session.read"),
    "session.promote":  Rule({"designer": OWN, "operator": ANY}, owned=True, read_as="session.read"),
    "promotion.read":   Rule({"designer": OWN, "reviewer": ANY, "operator": ANY, "admin": ANY}, owned=True,
                             shared=True),
    "job.read":         Rule({"designer": OWN, "integrator": OWN, "operator": ANY, "admin": ANY}, owned=True,
                             shared=True),
    # Presigned links are bearer credentials for the G-code: only the people who
    # run or own the job get them, never a reviewer or an admin reading along.
    "job.download":     Rule({"designer": OWN, "integrator": OWN, "operator": ANY}, owned=True,
                             read_as="job.read", shared=True),
    # A new attempt of a failed job: whoever may run or own it. Not shared: a
    # re-run spends the owner's attempts, so it stays with the owner and operators.
    "job.retry":        Rule({"designer": OWN, "integrator": OWN, "operator": ANY}, owned=True,
                             read_as="job.read"),
    "intent.submit":    Rule({"integrator": OWN, "operator": OWN}, owned=False),
    "intent.validate":  Rule({"integrator": ANY, "operator": ANY}, owned=False),
    # Designers preview time and toolpath before they commit a design to CAM.
    "plan":             Rule({"designer": ANY, "integrator": ANY, "operator": ANY}, owned=False),
    "profiles.read":    Rule({role: ANY for role in ROLES}, owned=False),
}
ACTIONS = tuple(RULES)

# Workflow moves (docs/art-studio.md) and the action each one needs.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "in_review"): "session.submit",
    ("in_review", "approved"): "session.approve",
    ("in_review", "rejected"): "session.reject",
    ("in_review", "draft"): "session.withdraw",
    ("rejected", "draft"): "session.reopen",
    ("approved", "draft"): "session.reopen",
    ("exported", "draft"): "session.reopen",
    ("approved", "exported"): "session.export",
}


class Caller(Protocol):
    @property
    def sub(self) -> str: ...

    @property
    def groups(self) -> AbstractSet[str]: ...


class Outcome(str, Enum):
    ALLOW = "allow"
    FORBIDDEN = "forbidden"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW


def allow_self_approval(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("ALLOW_SELF_APPROVAL", "").strip().lower() in {"1", "true", "yes"}


def _scopes(caller: Caller, action: str) -> set[Scope]:
    rule = RULES[action]
    return {rule.roles[g] for g in caller.groups if g in rule.roles}


def _may(caller: Caller, action: str, owner_sub: str | None, shared_with: AbstractSet[str]) -> bool:
    scopes = _scopes(caller, action)
    rule = RULES[action]
    if not rule.owned:
        return bool(scopes)
    if ANY in scopes:
        return True
    return OWN in scopes and (owner_sub == caller.sub or (rule.shared and caller.sub in shared_with))


def decide(caller: Caller, action: str, owner_sub: str | None = None, *,
           shared_with: AbstractSet[str] = frozenset(), self_approval: bool | None = None) -> Decision:
    """May `caller` take `action` on a resource owned by `owner_sub` and shared with `shared_with`?"""
    if action not in RULES:
        raise ValueError(f"unknown action {action!r}")
    rule = RULES[action]
    if rule.owned and not owner_sub:
        raise ValueError(f"{action} acts on an owned resource: pass its owner")
    if not _may(caller, action, owner_sub, shared_with):
        if rule.owned and not _may(caller, rule.read_as or action, owner_sub, shared_with):
            return Decision(Outcome.HIDDEN, "not_visible")
        return Decision(Outcome.FORBIDDEN, "role")
    if action == "session.approve" and owner_sub == caller.sub:
        if not (allow_self_approval() if self_approval is None else self_approval):
            return Decision(Outcome.FORBIDDEN, "four_eyes")
    return Decision(Outcome.ALLOW, "allowed")


_MESSAGES = {
    "role": "your role may not {action}",
    "four_eyes": "a design must be approved by someone other than its owner",
}


def authorize(caller: Caller, action: str, owner_sub: str | None = None, *,
              shared_with: AbstractSet[str] = frozenset(), self_approval: bool | None = None) -> None:
    """Raise `Forbidden` (403) or `Hidden` (404) unless `decide` allows."""
    decision = decide(caller, action, owner_sub, shared_with=shared_with, self_approval=self_approval)
    if decision.outcome is Outcome.HIDDEN:
        raise Hidden(action)
    if decision.outcome is Outcome.FORBIDDEN:
        raise Forbidden(action, decision.reason, _MESSAGES[decision.reason].format(action=action))


def sees_all(caller: Caller, action: str) -> bool:
    """For collection actions: True if the caller sees everyone's items, not only their own."""
    return ANY in _scopes(caller, action)


def transition_action(from_state: str, to_state: str) -> str | None:
    """The action a workflow move needs, or None for a move the workflow does not have."""
    return TRANSITIONS.get((from_state, to_state))
