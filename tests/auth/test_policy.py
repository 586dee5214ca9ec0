"""The authorization table, checked cell by cell: every action x role x owner/other.

The expected matrix is written out here by hand, independently of
`policy.RULES`, so a changed rule fails until this table (and docs/security.md,
checked below) are changed with it. Letters: a = allow, f = 403, h = 404; in each
pair the first is the caller's own resource, the second another owner's.
"""
from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass

import pytest

from chalicelib.art_studio.workflow import ALLOWED
from chalicelib.auth import Forbidden, Hidden, Outcome, authorize, decide, sees_all, transition_action
from chalicelib.auth import policy

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = ("designer", "reviewer", "operator", "integrator", "admin")

#                    designer reviewer operator integrator admin
EXPECTED = {
    "session.create":   "aa ff ff ff ff",
    "session.list":     "aa aa aa ff aa",
    "session.read":     "ah aa aa hh aa",
    "session.edit":     "ah ff ff hh ff",
    "session.check":    "ah ff ff hh ff",
    "session.submit":   "ah ff ff hh ff",
    "session.withdraw": "ah aa ff hh ff",
    "session.approve":  "fh fa ff hh ff",
    "session.reject":   "fh aa ff hh aa",
    "session.reopen":   "ah ff ff hh aa",
    "session.export":   "ah ff aa hh ff",
    "session.delete":   "ah ff ff hh aa",
    "session.promote":  "ah ff aa hh ff",
    "promotion.read":   "ah aa aa hh aa",
    "job.read":         "ah hh aa ah aa",
    "job.download":     "ah hh aa ah ff",
    "job.retry":        "ah hh aa ah ff",
    "intent.submit":    "ff ff aa aa ff",
    "intent.validate":  "ff ff aa aa ff",
    "plan":             "aa ff aa aa ff",
    "profiles.read":    "aa aa aa aa aa",
}
LETTER = {"a": Outcome.ALLOW, "f": Outcome.FORBIDDEN, "h": Outcome.HIDDEN}


@dataclass(frozen=True)
class Caller:
    sub: str
    groups: frozenset[str]


def caller(*groups: str, sub: str = "me") -> Caller:
    return Caller(sub=sub, groups=frozenset(groups))


def cells():
    for action, row in EXPECTED.items():
        for role, pair in zip(ROLES, row.split(), strict=True):
            for whose, letter in zip(("own", "other"), pair, strict=True):
                yield pytest.param(action, role, whose, LETTER[letter], id=f"{action}-{role}-{whose}")


def test_the_matrix_covers_every_action():
    assert set(EXPECTED) == set(policy.ACTIONS)
    assert policy.ROLES == ROLES


@pytest.mark.parametrize(("action", "role", "whose", "expected"), list(cells()))
def test_matrix(action, role, whose, expected):
    owner = "me" if whose == "own" else "someone-else"
    outcome = decide(caller(role), action, owner if policy.RULES[action].owned else None,
                     self_approval=False).outcome
    assert outcome is expected


@pytest.mark.parametrize("action", policy.ACTIONS)
def test_a_user_in_no_group_may_do_nothing(action):
    owned = policy.RULES[action].owned
    decision = decide(caller(), action, "me" if owned else None)
    assert decision.outcome is (Outcome.HIDDEN if owned else Outcome.FORBIDDEN)


@pytest.mark.parametrize("action", policy.ACTIONS)
def test_unknown_groups_grant_nothing(action):
    owned = policy.RULES[action].owned
    assert not decide(caller("Admin", "superuser", "admins"), action, "x" if owned else None).allowed


def test_groups_add_up():
    shop = caller("designer", "operator")
    assert decide(shop, "job.download", "someone-else").allowed      # as operator
    assert decide(shop, "session.edit", "me").allowed                # as designer
    assert decide(shop, "session.edit", "someone-else").outcome is Outcome.FORBIDDEN  # sees it as operator


# --- four-eyes ------------------------------------------------------------------------

def test_nobody_approves_their_own_design_by_default(monkeypatch):
    monkeypatch.delenv("ALLOW_SELF_APPROVAL", raising=False)
    solo = caller("designer", "reviewer", "admin")
    decision = decide(solo, "session.approve", "me")
    assert (decision.outcome, decision.reason) == (Outcome.FORBIDDEN, "four_eyes")
    assert decide(solo, "session.approve", "someone-else").allowed
    assert decide(solo, "session.reject", "me").allowed


@pytest.mark.parametrize(("value", "allowed"), [("true", True), ("1", True), ("YES", True),
                                                ("false", False), ("", False), ("0", False), ("no", False)])
def test_one_person_shop_setting(monkeypatch, value, allowed):
    monkeypatch.setenv("ALLOW_SELF_APPROVAL", value)
    assert decide(caller("designer", "reviewer"), "session.approve", "me").allowed is allowed
    # The setting relaxes four-eyes only; it never makes a designer a reviewer.
    assert not decide(caller("designer"), "session.approve", "me").allowed


def test_explicit_setting_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("ALLOW_SELF_APPROVAL", "true")
    assert not decide(caller("reviewer"), "session.approve", "me", self_approval=False).allowed
    monkeypatch.setenv("ALLOW_SELF_APPROVAL", "false")
    assert decide(caller("reviewer"), "session.approve", "me", self_approval=True).allowed


# --- errors and helpers ----------------------------------------------------------------

def test_authorize_raises_the_named_errors(monkeypatch):
    monkeypatch.delenv("ALLOW_SELF_APPROVAL", raising=False)
    authorize(caller("designer"), "session.edit", "me")
    with pytest.raises(Hidden) as hidden:
        authorize(caller("designer"), "session.edit", "someone-else")
    assert hidden.value.action == "session.edit"
    with pytest.raises(Forbidden) as forbidden:
        authorize(caller("reviewer"), "session.edit", "someone-else")
    assert (forbidden.value.action, forbidden.value.reason) == ("session.edit", "role")
    with pytest.raises(Forbidden) as four_eyes:
        authorize(caller("designer", "reviewer"), "session.approve", "me")
    assert four_eyes.value.reason == "four_eyes"
    assert "someone other than its owner" in four_eyes.value.message


def test_listing_scope():
    assert not sees_all(caller("designer"), "session.list")
    assert all(sees_all(caller(role), "session.list") for role in ("reviewer", "operator", "admin"))
    assert not sees_all(caller("integrator"), "session.list")


def test_owned_actions_need_an_owner_and_actions_must_exist():
    with pytest.raises(ValueError, match="owner"):
        decide(caller("admin"), "session.read")
    with pytest.raises(ValueError, match="unknown action"):
        decide(caller("admin"), "session.destroy", "me")


def test_every_workflow_move_has_an_action_and_no_other_move_does():
    moves = {(source, target) for source, targets in ALLOWED.items() for target in targets}
    assert set(policy.TRANSITIONS) == moves
    assert all(transition_action(*move) in policy.RULES for move in moves)
    assert transition_action("in_review", "approved") == "session.approve"
    assert transition_action("draft", "approved") is None


# --- the documented table is the enforced one -----------------------------------------

def documented_table() -> dict[str, dict[str, str]]:
    text = (ROOT / "docs" / "security.md").read_text()
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^\|\s*`([a-z.]+)`\s*\|(.+)\|\s*$", line)
        if match and match.group(1) in policy.RULES:
            cells_ = [c.strip() for c in match.group(2).split("|")]
            rows[match.group(1)] = dict(zip(ROLES, cells_[:len(ROLES)], strict=True))
    return rows


def test_docs_table_matches_the_policy():
    documented = documented_table()
    assert set(documented) == set(policy.RULES)
    for action, rule in policy.RULES.items():
        enforced = {role: rule.roles[role].value if role in rule.roles else "-" for role in ROLES}
        assert documented[action] == enforced, action


# --- shared resources -------------------------------------------------------------------

SHARED = {"promotion.read", "job.read", "job.download"}


def test_sharing_extends_own_on_the_shared_actions_only():
    assert {action for action, rule in policy.RULES.items() if rule.shared} == SHARED
    reader = caller("designer", sub="reader")
    for action in policy.ACTIONS:
        if not policy.RULES[action].owned:
            continue
        shared = decide(reader, action, "owner", shared_with={"reader"}).outcome
        alone = decide(reader, action, "owner").outcome
        assert alone is not Outcome.ALLOW, action
        assert (shared is Outcome.ALLOW) is (action in SHARED), action
    # A shared reader who may read but not retry is told so (403), not shown a 404.
    assert decide(reader, "job.retry", "owner", shared_with={"reader"}).outcome is Outcome.FORBIDDEN
    assert decide(reader, "job.retry", "owner").outcome is Outcome.HIDDEN


def test_sharing_never_widens_a_role_that_has_no_own_scope():
    # Reviewers read no jobs; being named on one changes nothing.
    assert decide(caller("reviewer", sub="r"), "job.read", "owner", shared_with={"r"}).outcome is Outcome.HIDDEN
    # Someone else being named does not help the caller.
    assert not decide(caller("designer", sub="me"), "job.read", "owner", shared_with={"other"}).allowed


def test_docs_mark_exactly_the_shared_actions():
    text = (ROOT / "docs" / "security.md").read_text()
    marked = {m.group(1) for m in re.finditer(r"^\|\s*`([a-z.]+)`\s*\|.*\(own: shared too\)\s*\|\s*$", text, re.M)}
    assert marked == SHARED


def _page_rules() -> dict[str, dict[str, str]]:
    """The RULES table of the web page (web/js/main.js), action -> {group: "own" | "any"}."""
    text = (ROOT / "web" / "js" / "main.js").read_text(encoding="utf-8")
    body = re.search(r"const RULES = \{(.*?)\n\};", text, re.S)
    assert body, "web/js/main.js has no RULES table"
    rules = {}
    for action, cells in re.findall(r'"([a-z.]+)":\s*\{([^}]*)\}', body.group(1)):
        rules[action] = dict(re.findall(r'(\w+):\s*"(own|any)"', cells))
    return rules


def test_the_page_offers_exactly_what_the_policy_allows() -> None:
    """Every action the page decides on has the policy's groups and scopes, so it never offers a
    button the API refuses (e.g. Retry to a designer who only shares a job) nor hides an allowed one."""
    page = _page_rules()
    assert {"session.promote", "job.download", "job.retry"} <= set(page)
    for action, cells in page.items():
        assert action in policy.RULES, action
        expected = {role: scope.value for role, scope in policy.RULES[action].roles.items()}
        assert cells == expected, (action, cells, expected)
