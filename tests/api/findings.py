"""Known ways the running API departs from its OpenAPI document.

Each finding has a narrow predicate over one response and a strict-xfail test
in test_findings.py that reproduces it through `chalice.test.Client`. The fuzz
test counts responses matching a finding instead of failing on them; when a
fix lands its xfail test starts passing, fails the suite (strict), and the
finding is deleted here together with that test.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


def _json(response: Any) -> Any:
    try:
        return response.json()
    except Exception:
        return None


@dataclass(frozen=True)
class Finding:
    id: str
    summary: str
    matches: Callable[[int, Any], bool]


FINDINGS: tuple[Finding, ...] = ()


def known_finding(response: Any) -> Finding | None:
    body = _json(response)
    for finding in FINDINGS:
        if finding.matches(response.status_code, body):
            return finding
    return None
