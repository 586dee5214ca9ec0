"""What the browser tests do to the page, in the words of the form."""
from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from tests.local import signin
from tests.stackproc import Stack, open_page

TIMEOUT_MS = 30_000
JOB_TIMEOUT_MS = 180_000
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# The luthier's rosette: 110/90 mm, rings 2/6/2 mm, 1.6 mm deep in a 3 mm top.
LUTHIER = dict(outer="110", inner="90", depth="1.6", top="3",
               rings=[("2", "SOLID", "", "ebony"), ("6", "MOSAIC", "4", "maple"), ("2", "SOLID", "", "ebony")])


def start(page: Any, stack: Stack, user: str | None = "designer") -> None:
    """Open the page and, unless `user` is None, sign in as that user."""
    open_page(page, stack, TIMEOUT_MS)
    if user:
        sign_in(page, stack, user)


def sign_in(page: Any, stack: Stack, user: str) -> None:
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(signin.credentials(stack)[user]["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(f"body[data-user='{user}']")


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("#sign-in:not([hidden])")


def switch_user(page: Any, stack: Stack, user: str) -> None:
    """Sign out and in again as `user` in the same tab; the open session stays in the address."""
    sign_out(page)
    sign_in(page, stack, user)


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


def api_get(stack: Stack, path: str, user: str = "designer") -> Any:
    token = signin.auth(stack, user).id_token()
    request = urllib.request.Request(stack.api + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def session_from_api(stack: Stack, session_id: str, user: str = "designer") -> Any:
    return api_get(stack, f"/art/design-first-workflow/sessions/{session_id}", user)


def focused_id(page: Any) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def tab_until(page: Any, is_target: str, limit: int) -> int:
    """Press Tab until `is_target` (a JS predicate on the focused element) holds; returns how many Tabs it took."""
    for count in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const e = document.activeElement; return Boolean(e && ({is_target})); }})()"):
            return count
    raise AssertionError(f"{is_target} not reached in {limit} Tabs; focus is on #{focused_id(page)}")
