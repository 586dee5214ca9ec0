"""What the browser tests do to the page, in the words of the form."""
from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from tests.stackproc import Stack, open_page

TIMEOUT_MS = 30_000
JOB_TIMEOUT_MS = 180_000
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# The luthier's rosette: 110/90 mm, rings 2/6/2 mm, 1.6 mm deep in a 3 mm top.
LUTHIER = dict(outer="110", inner="90", depth="1.6", top="3",
               rings=[("2", "SOLID", "", "ebony"), ("6", "MOSAIC", "4", "maple"), ("2", "SOLID", "", "ebony")])


def start(page: Any, stack: Stack) -> None:
    open_page(page, stack, TIMEOUT_MS)


def fill_design(page: Any, outer: str, inner: str, depth: str, top: str,
                rings: list[tuple[str, str, str, str]]) -> None:
    page.get_by_label("Outer diameter (mm)").fill(outer)
    page.get_by_label("Inner diameter (mm)").fill(inner)
    page.get_by_label("Channel depth (mm)").fill(depth)
    page.get_by_label("Top thickness (mm)").fill(top)
    while page.locator("#ring-list > li").count() < len(rings):
        page.get_by_role("button", name="Add ring").click()
    while page.locator("#ring-list > li").count() > len(rings):
        page.get_by_role("button", name=f"Remove ring {page.locator('#ring-list > li').count()}").click()
    for n, (width, pattern, tile, material) in enumerate(rings, start=1):
        page.get_by_label(f"Ring {n} width (mm)").fill(width)
        page.get_by_label(f"Ring {n} pattern").select_option(pattern)
        page.get_by_label(f"Ring {n} tile length (mm)").fill(tile)
        page.get_by_label(f"Ring {n} material").fill(material)


def create(page: Any) -> str:
    page.get_by_role("button", name="Create session").click()
    page.wait_for_function("location.hash.startsWith('#/sessions/')")
    return UUID.search(page.evaluate("location.hash")).group(0)


def check_feasibility(page: Any) -> None:
    # A check run twice within the same second reads the same, so wait for the count of finished checks.
    before = page.evaluate("document.querySelector('#feasibility-result').dataset.checks || '0'")
    page.get_by_role("button", name="Check feasibility").click()
    page.wait_for_function("(before) => (document.querySelector('#feasibility-result').dataset.checks || '0') "
                           "!== before && document.querySelectorAll('#feasibility li').length > 0", arg=before)


def api_get(stack: Stack, path: str) -> Any:
    with urllib.request.urlopen(stack.api + path, timeout=10) as reply:
        return json.loads(reply.read())


def session_from_api(stack: Stack, session_id: str) -> Any:
    return api_get(stack, f"/art/design-first-workflow/sessions/{session_id}")


def focused_id(page: Any) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def tab_until(page: Any, is_target: str, limit: int) -> int:
    """Press Tab until `is_target` (a JS predicate on the focused element) holds; returns how many Tabs it took."""
    for count in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const e = document.activeElement; return Boolean(e && ({is_target})); }})()"):
            return count
    raise AssertionError(f"{is_target} not reached in {limit} Tabs; focus is on #{focused_id(page)}")
