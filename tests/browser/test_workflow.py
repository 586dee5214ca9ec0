"""Review, unsaved edits, the session list, the phone layout and keyboard-only use, on the real local stack."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, assert_accessible
from tests.browser.helpers import (JOB_TIMEOUT_MS, LUTHIER, api_get, check_feasibility, create, fill_design,
                                   focused_id, start, switch_user, tab_until)
from tests.local import signin
from tests.stackproc import Stack

pytestmark = pytest.mark.browser

# 2.9 mm deep in a 3 mm top leaves almost nothing under the inlay.
TOO_DEEP = {**LUTHIER, "depth": "2.9"}


def test_approve_is_offered_only_when_the_current_design_passed(page, stack: Stack) -> None:
    start(page, stack)
    fill_design(page, **TOO_DEEP)
    create(page)
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("#session-state.state-in_review")
    switch_user(page, stack, "reviewer")
    page.wait_for_selector("#session-state.state-in_review")
    # Not checked yet: no Approve, and the page says what is missing.
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    assert "until the current design passes a feasibility check" in page.locator("#approve-note").inner_text()
    expect(page.get_by_role("button", name="Reject")).to_be_visible()

    switch_user(page, stack, "designer")
    page.wait_for_selector("#session-state.state-in_review")
    check_feasibility(page)
    switch_user(page, stack, "reviewer")
    page.wait_for_selector("#feasibility li")
    expect(page.locator("#risk-badge")).to_have_class(re.compile("risk-RED"))
    assert page.locator("#feasibility-result").inner_text().startswith("Not feasible")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    assert "failed its feasibility check" in page.locator("#approve-note").inner_text()
    assert "only 0.10 mm of top left under the channel" in page.locator("#approve-blocked").inner_text().lower()
    expect(page.get_by_role("button", name="Promote to CAM")).to_be_hidden()
    assert_accessible(page, "an infeasible design in review")

    page.get_by_role("button", name="Back to draft").click()
    page.wait_for_selector("#session-state.state-draft")
    switch_user(page, stack, "designer")
    page.wait_for_selector("#session-state.state-draft")
    page.get_by_label("Channel depth (mm)").fill("1,6")
    check_feasibility(page)   # saves the edit first
    assert page.locator("#feasibility-result").inner_text().startswith("Feasible")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("#session-state.state-in_review")
    switch_user(page, stack, "reviewer")
    page.wait_for_selector("#session-state.state-in_review")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("#session-state.state-approved")
    assert page.locator("#alert").is_hidden()


def wait_for_questions(page, asked: list[str], count: int, timeout_s: float = 5.0) -> None:
    """Give the page time to ask: a dialog raised from an event handler arrives after the action returns."""
    for _ in range(int(timeout_s / 0.05)):
        if len(asked) >= count:
            return
        page.wait_for_timeout(50)


def test_unsaved_edits_are_only_lost_after_a_confirmation(page, stack: Stack) -> None:
    start(page, stack)
    asked: list[str] = []
    answer = {"accept": False}

    def on_dialog(dialog) -> None:
        asked.append(dialog.type)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", on_dialog)
    fill_design(page, **LUTHIER)
    first = create(page)
    page.get_by_role("button", name="New rosette").click()
    assert asked == []          # nothing unsaved: no question
    fill_design(page, **LUTHIER)
    second = create(page)
    expect(page.locator(f"#session-list a[href='#/sessions/{first}']")).to_have_count(1)

    page.get_by_label("Ring 2 material").fill("holly")
    assert "Unsaved changes" in page.locator("#edit-note").inner_text()
    page.locator(f"#session-list a[href='#/sessions/{first}']").click()
    # The question comes from the hashchange handler, after the click has returned.
    wait_for_questions(page, asked, 1)
    assert asked == ["confirm"]
    page.wait_for_function("(hash) => location.hash === hash", arg=f"#/sessions/{second}")
    assert page.get_by_label("Ring 2 material").input_value() == "holly"

    page.get_by_role("button", name="New rosette").click()
    assert asked == ["confirm"] * 2
    assert page.get_by_label("Ring 2 material").input_value() == "holly"

    # A reload the luthier turns down leaves the page as it was.
    page.evaluate("setTimeout(() => location.reload(), 0)")
    wait_for_questions(page, asked, 3)
    assert asked[-1] == "beforeunload"
    assert page.get_by_label("Ring 2 material").input_value() == "holly"

    answer["accept"] = True
    page.locator(f"#session-list a[href='#/sessions/{first}']").click()
    page.wait_for_function(f"document.querySelector('#session-info').textContent.includes('{first[:8]}')")
    assert page.get_by_label("Ring 2 material").input_value() == "maple"
    assert len(asked) == 4


def test_the_session_list_shows_one_entry_per_design_and_the_time_it_is_sorted_by(page, stack: Stack) -> None:
    start(page, stack)
    fill_design(page, **LUTHIER)
    check_feasibility(page)     # creates the session
    session_id = re.search(r"#/sessions/(.+)$", page.evaluate("location.hash")).group(1)
    check_feasibility(page)     # the same design again: no new session
    page.wait_for_selector(f"#session-list a[href='#/sessions/{session_id}']")
    listed = api_get(stack, "/art/design-first-workflow/sessions?limit=100")["items"]
    assert sum(1 for s in listed if s["design"] == listed[0]["design"] and s["session_id"] == session_id) == 1
    assert len({s["session_id"] for s in listed}) == len(listed)
    mine = next(s for s in listed if s["session_id"] == session_id)
    shown_at = page.locator(f"#session-list a[href='#/sessions/{session_id}'] .session-time")
    # Sorted by last change, and showing that time.
    # Date and minute in the browser's locale; seconds are noise to a luthier.
    changed = page.evaluate("(iso) => new Date(iso).toLocaleString(undefined, "
                            "{dateStyle: 'medium', timeStyle: 'short'})", mine["updated_at"])
    assert not re.search(r"\d:\d\d:\d\d", changed)
    # The list reloads after the check; wait for it rather than read it mid-refresh.
    expect(shown_at).to_have_text(f"{session_id[:8]} · changed {changed}")
    assert [s["updated_at"] for s in listed] == sorted((s["updated_at"] for s in listed), reverse=True)
    label = page.locator(f"#session-list a[href='#/sessions/{session_id}'] .session-name").inner_text()
    assert label == "90–110 mm, 3 rings (2/6/2 mm)"


def test_phone_layout_puts_the_preview_above_the_rings_and_keeps_messages(page, stack: Stack) -> None:
    page.set_viewport_size(PHONE)
    start(page, stack)
    fill_design(page, **TOO_DEEP)
    preview = page.locator("#rosette-svg").bounding_box()
    rings = page.locator("#ring-list").bounding_box()
    assert preview["y"] + preview["height"] <= rings["y"]
    assert preview["width"] >= 250
    create(page)
    check_feasibility(page)
    cards = page.locator("#feasibility li")
    assert cards.count() == 8
    for i in range(cards.count()):
        message = cards.nth(i).locator(".check-message")
        expect(message).to_be_visible()
        box = message.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert "top left under the channel" in cards.filter(has_text="Cannot be made").first.inner_text()
    assert_accessible(page, "phone, feasibility checked")


def keyboard_switch(page, stack: Stack, user: str) -> None:
    """Sign out and in again with Tab, typing and Enter only."""
    # Sign out sits in the header, before the work: back up to it with Shift+Tab.
    for _ in range(80):
        page.keyboard.press("Shift+Tab")
        if focused_id(page) == "sign-out":
            break
    assert focused_id(page) == "sign-out"
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'username'")
    page.keyboard.type(user)
    page.keyboard.press("Tab")
    page.keyboard.type(signin.credentials(stack)[user]["password"])
    page.keyboard.press("Enter")
    page.wait_for_selector(f"body[data-user='{user}']")
    assert focused_id(page) == "design-title"


def test_keyboard_alone_reaches_the_gcode_download(page, stack: Stack, tmp_path: Path) -> None:
    """Tab and Enter only, from the page's new design to the downloaded program."""
    start(page, stack)
    tab_until(page, "e.id === 'save-design'", 60)
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash.startsWith('#/sessions/')")
    page.wait_for_function("document.activeElement.id === 'feasibility-title'")
    assert tab_until(page, "e.id === 'run-feasibility'", 1) == 1
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'feasibility-result'")
    assert page.locator("#feasibility-result").inner_text().startswith("Feasible")
    assert tab_until(page, "e.dataset.action === 'in_review'", 3) <= 3
    page.keyboard.press("Enter")
    page.wait_for_selector("#session-state.state-in_review")
    assert focused_id(page) == "workflow-result"
    keyboard_switch(page, stack, "reviewer")
    page.wait_for_selector("#session-state.state-in_review")
    assert tab_until(page, "e.dataset.action === 'approved'", 40) <= 40
    page.keyboard.press("Enter")
    page.wait_for_selector("#session-state.state-approved")
    assert focused_id(page) == "workflow-result"
    keyboard_switch(page, stack, "operator")
    page.wait_for_selector("#session-state.state-approved")
    assert tab_until(page, "e.id === 'promote'", 40) <= 40
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'job-title'")
    page.wait_for_selector("#job-state.job-completed", timeout=JOB_TIMEOUT_MS)
    page.wait_for_selector("#download-gcode[href^='blob:']")
    assert tab_until(page, "e.id === 'download-gcode'", 8) <= 8
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    program = tmp_path / "program.nc"
    info.value.save_as(program)
    text = program.read_text()
    assert "G21" in text and re.search(r"^M30|^M2", text, re.M)
