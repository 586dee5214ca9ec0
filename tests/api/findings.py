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


def _is_issue(value: Any) -> bool:
    return (isinstance(value, dict) and set(value) == {"code", "message", "path"}
            and all(isinstance(v, str) for v in value.values()))


def error_details_not_issues(status: int, body: Any) -> bool:
    """A 4xx in the `{code, message, details}` envelope whose `details` is not a list of Issue."""
    if not 400 <= status < 500 or not isinstance(body, dict) or set(body) != {"code", "message", "details"}:
        return False
    if not isinstance(body["code"], str) or not isinstance(body["message"], str):
        return False
    details = body["details"]
    return not (isinstance(details, list) and all(_is_issue(d) for d in details))


@dataclass(frozen=True)
class Finding:
    id: str
    summary: str
    matches: Callable[[int, Any], bool]


FINDINGS: tuple[Finding, ...] = (
    Finding("error-details-shape",
            "error `details` is null, an object, or items with field/type keys instead of [Issue]",
            error_details_not_issues),
)


def known_finding(response: Any) -> Finding | None:
    body = _json(response)
    for finding in FINDINGS:
        if finding.matches(response.status_code, body):
            return finding
    return None
