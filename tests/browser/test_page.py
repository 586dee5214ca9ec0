"""The page in headless Chromium, against the documented API shapes (tests/browser/fake_backend.py).

These drive every screen through the real local stack (static site, generated
config.json, CORS on the API host); the same walk against the real services
is in test_full_flow.py.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

from tests.stackproc import Stack, open_page, start_stack, stop_stack
from tests.browser.fake_backend import PROGRAM

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack("tests.browser.fake_backend", tmp_path_factory.mktemp("fake-data"))
    yield running
    stop_stack(running)


def set_design(page, outer: float, inner: float, depth: float, top: float = 3.0) -> None:
    page.get_by_label("Outer diameter (mm)").fill(str(outer))
    page.get_by_label("Inner diameter (mm)").fill(str(inner))
    page.get_by_label("Channel depth (mm)").fill(str(depth))
    page.get_by_label("Top thickness (mm)").fill(str(top))


def test_design_approve_promote_and_download(page, stack: Stack, tmp_path: Path) -> None:
    open_page(page, stack, TIMEOUT_MS)
    assert page.locator("#api-info").inner_text().endswith(stack.api)
    set_design(page, 124, 100, 1.5)
    # The channel is now 12 mm; a fourth ring and a fitted outer ring make the widths add up.
    page.get_by_role("button", name="Add ring").click()
    page.get_by_label("Material").nth(3).fill("holly")
    page.get_by_role("button", name="Move ring 4 inwards").click()
    assert page.get_by_label("Material").nth(2).input_value() == "holly"
    page.get_by_role("button", name="Fit the outer ring to the channel").click()
    assert "must match" not in page.locator("#ring-total").inner_text()
    assert page.locator("#rosette-svg g.ring").count() == 4
    page.get_by_role("button", name="Create session").click()
    page.wait_for_function("location.hash.startsWith('#/sessions/')")
    assert page.locator("#session-state").inner_text() == "Draft"
    expect(page.locator("#session-list li")).to_have_count(1)

    page.get_by_role("button", name="Check feasibility").click()
    page.wait_for_selector("#risk-badge.risk-GREEN")
    assert page.locator("table.checks tbody tr").count() == 1

    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("#session-state.state-in_review")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("#session-state.state-approved")
    assert page.locator("#alert").is_hidden()

    page.get_by_label("CAM profile").select_option("fake-linuxcnc")
    assert "3.175 mm bit" in page.locator("#profile-info").inner_text()
    page.get_by_role("button", name="Promote to CAM").click()
    # The job moves pending -> processing -> completed while the page polls it.
    page.wait_for_selector("#job-state.job-completed")
    assert page.locator("[data-figure='Estimated time']").inner_text() == "1 min 35 s"
    assert page.locator("[data-figure='Cut length']").inner_text() == "716.3 mm"
    page.wait_for_selector("#toolpath-svg path.cut")
    cut = page.locator("#toolpath-svg path.cut").get_attribute("d")
    rapid = page.locator("#toolpath-svg path.rapid").get_attribute("d")
    assert cut.count("M") == 2 and len(cut) > 200   # two full circles, drawn as arcs
    assert rapid.count("M") >= 1
    before = page.locator("#toolpath-svg").get_attribute("viewBox")
    page.get_by_role("button", name="Zoom in").click()
    after = page.locator("#toolpath-svg").get_attribute("viewBox")
    assert float(after.split()[2]) < float(before.split()[2])

    with page.expect_download() as info:
        page.get_by_role("link", name="Download G-code").click()
    target = tmp_path / "program.nc"
    info.value.save_as(target)
    assert target.read_text() == PROGRAM
    assert re.fullmatch(r"rosette-[0-9a-f]{8}\.nc", info.value.suggested_filename)
    shot = os.environ.get("LUTHIER_DOCS_SCREENSHOT")
    if shot:
        page.screenshot(path=shot, full_page=True)


def test_infeasible_design_says_why_it_cannot_be_approved(page, stack: Stack) -> None:
    open_page(page, stack, TIMEOUT_MS)
    set_design(page, 120, 100, 2.6, top=3.0)
    page.get_by_role("button", name="Create session").click()
    page.wait_for_function("location.hash.startsWith('#/sessions/')")
    page.get_by_role("button", name="Check feasibility").click()
    page.wait_for_selector("#risk-badge.risk-RED")
    blocked = page.locator("#approve-blocked")
    assert "cannot be approved" in blocked.inner_text()
    assert "0.4 mm of top remains" in blocked.inner_text()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("#session-state.state-in_review")
    page.get_by_role("button", name="Approve").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "approval needs a passing feasibility result" in alert.inner_text()
    assert "409" in alert.inner_text()
    assert page.locator("#session-state").inner_text() == "In review"
    assert page.get_by_role("button", name="Promote to CAM").is_disabled()


def test_server_validation_error_is_shown(page, stack: Stack) -> None:
    open_page(page, stack, TIMEOUT_MS)
    set_design(page, 130, 100, 1.5)   # a 15 mm channel; the default rings fill only 10 mm
    assert "must match" in page.locator("#ring-total").inner_text()
    page.get_by_role("button", name="Create session").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    text = alert.inner_text()
    assert "422" in text and "validation_error" in text
    assert "design.rings" in text and "15.000" in text
    assert page.evaluate("location.hash") == ""
