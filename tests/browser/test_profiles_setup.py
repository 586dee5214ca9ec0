"""Feasibility for a chosen CAM profile, promotion with it, the job found from another browser,
and the printable set-up sheet, in a real browser on the local stack.

A 1.2 mm channel is refused for the 1/16 in profile and accepted for the 1 mm
one; switching profile needs no edit of the design and gives a completed job.
A second browser context (no shared storage) finds that job from the session,
names the profile that cut it, and opens a set-up sheet whose origin and
header match the G-code. Set LUTHIER_DOCS_SCREENSHOT=dir to save the set-up
sheet as setup-sheet.png and setup-sheet-phone.png there (docs/img/ is made this way).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import boto3
import pytest
from playwright.sync_api import expect

from chalicelib.contracts.jobs import artifact_key
from tests.browser.conftest import DESKTOP, PHONE, assert_accessible
from tests.browser.helpers import (JOB_TIMEOUT_MS, LUTHIER, TIMEOUT_MS, check_feasibility, create, fill_design,
                                   focused_id, session_from_api, start, switch_user)
from tests.stackproc import Stack

pytestmark = pytest.mark.browser

NARROW = dict(outer="92.4", inner="90", depth="1.6", top="3", rings=[("1.2", "SOLID", "", "ebony")])
ONE_MM = "rosette-1mm-spruce-grbl"
FILE = "rosette-92.4x90-d1.6-1mm-grbl.nc"


def _program(stack: Stack, job_id: str) -> str:
    s3 = boto3.client("s3", endpoint_url=stack.aws, region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
    body = s3.get_object(Bucket=stack.env["ARTIFACTS_BUCKET"], Key=artifact_key(job_id, "program.nc"))["Body"]
    return body.read().decode()


def test_profile_choice_promotion_second_browser_and_setup_sheet(page, chromium, stack: Stack) -> None:
    start(page, stack)
    fill_design(page, **NARROW)
    session_id = create(page)
    design_before = session_from_api(stack, session_id)["design"]
    # The 1/16 in bit of the default profile does not fit: the 1 mm profile is offered.
    expect(page.locator("#profile-advice")).to_contain_text("A 1.2 mm channel is best cut with a 1 mm bit: "
                                                            "the largest that fits it.")
    # The recommended bit names the catalogue profiles that cut with it.
    assert page.locator("[data-figure='Recommended bit']").inner_text().startswith("1 mm")
    profiles_with_bit = page.locator("[data-figure='Profiles with that bit']").inner_text()
    assert profiles_with_bit == "Rosette channel, 1 mm bit, spruce, GRBL"

    # 1. Refused for the 1/16 in profile (the default), with advice naming a real profile.
    assert page.locator("#cam-profile").input_value() == "rosette-1-16-spruce-grbl"
    check_feasibility(page)
    result = page.locator("#feasibility-result").inner_text()
    assert result.startswith("Not feasible with Rosette channel, 1/16 in bit"), result
    assert ONE_MM in page.locator("#approve-blocked").inner_text()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("#session-state.state-in_review")
    assert page.get_by_role("button", name="Approve").count() == 0
    assert_accessible(page, "refused for the 1/16 in profile")

    # 2. Another profile: the old result is stale until checked again; then approve and promote.
    page.get_by_label("for the CAM profile (bit, machine, material)").select_option(ONE_MM)
    assert "check feasibility again" in page.locator("#feasibility-result").inner_text()
    check_feasibility(page)
    accepted = page.locator("#feasibility-result").inner_text()
    assert accepted.startswith("Feasible (yellow) with Rosette channel, 1 mm bit"), accepted
    switch_user(page, stack, "reviewer")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("#session-state.state-approved")
    switch_user(page, stack, "operator")
    assert "1 mm bit" in page.locator("#promote-note").inner_text()
    # 10. Time and toolpath before committing.
    page.get_by_role("button", name="Preview toolpath and time").click()
    page.wait_for_selector("#plan-svg path.cut")
    preview = page.locator("#plan-result").inner_text()
    assert preview.startswith("With Rosette channel, 1 mm bit, spruce, GRBL: estimated machining time "), preview
    assert session_from_api(stack, session_id)["promotions"] == []
    assert_accessible(page, "approved for the 1 mm profile, with a preview")
    page.get_by_role("button", name="Promote to CAM").click()
    page.wait_for_selector("#job-state.job-completed, #job-state.job-failed", timeout=JOB_TIMEOUT_MS)
    assert page.locator("#job-state").inner_text() == "completed", page.locator("#job-info").inner_text()
    stored = session_from_api(stack, session_id)
    assert stored["design"] == design_before
    [promotion] = stored["promotions"]
    assert (promotion["cam_profile_id"], promotion["status"]) == (ONE_MM, "completed")
    job_id = promotion["promotion_request_id"]
    assert job_id in page.locator("#job-info").inner_text()
    # The preview planned the same job the worker did.
    page.wait_for_selector("[data-figure='Estimated time']")
    assert page.locator("[data-figure='Estimated time']").inner_text() in preview

    # 3. A second browser context, with none of the first one's storage, finds the job.
    other = chromium.new_context(viewport=DESKTOP)
    try:
        second = other.new_page()
        second.set_default_timeout(TIMEOUT_MS)
        start(second, stack, "operator")
        second.goto(f"{stack.site}/#/sessions/{session_id}")
        second.wait_for_selector("body[data-ready=true]")
        second.wait_for_selector("#job-state.job-completed", timeout=JOB_TIMEOUT_MS)
        assert job_id in second.locator("#job-info").inner_text()
        # 8. The job names the profile that cut it, and the picker shows the checked profile.
        assert "Rosette channel, 1 mm bit" in second.locator("#job-profile").inner_text()
        assert second.locator("#cam-profile").input_value() == ONE_MM
        assert_accessible(second, "the job seen from a second browser")

        # 4. The set-up sheet: origin marked, same header as the G-code.
        link = second.locator("#setup-sheet")
        expect(link).to_be_visible()
        assert link.get_attribute("data-source").endswith(f"/cam-promotion/requests/{job_id}/setup")
        with second.expect_popup() as opened:
            link.click()
        sheet = opened.value
        sheet.wait_for_load_state()
        assert sheet.locator("h1").inner_text().startswith("Set-up sheet: rosette 92.4 x 90 mm")
        assert sheet.locator("[data-row='Origin X0 Y0']").inner_text().startswith("the rosette centre")
        assert sheet.locator("[data-row='Origin Z0']").inner_text().startswith("the top surface of the top")
        assert sheet.locator("[data-row='File to load']").inner_text() == FILE
        assert sheet.locator("#origin-mark").count() == 1
        program = _program(stack, job_id)
        header = re.findall(r"^\((.*)\)$", program.split("G21")[0], re.M)
        assert "origin: X0 Y0 = rosette centre, Z0 = top surface of the top" in header
        assert sheet.locator("#gcode-header").inner_text().splitlines() == header
        assert sheet.locator("#download-program").get_attribute("download") == FILE
        assert_accessible(sheet, "the set-up sheet")
        shots = os.environ.get("LUTHIER_DOCS_SCREENSHOT")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            sheet.screenshot(path=str(Path(shots) / "setup-sheet.png"), full_page=True)
            sheet.set_viewport_size(PHONE)
            sheet.screenshot(path=str(Path(shots) / "setup-sheet-phone.png"), full_page=True)
    finally:
        other.close()


def test_the_recommended_bit_is_offered_as_a_profile_on_the_same_machine(page, stack: Stack) -> None:
    start(page, stack)
    fill_design(page, **LUTHIER)     # a 10 mm channel: the 1/8 in bit is recommended
    create(page)
    advice = page.locator("#profile-advice")
    expect(advice).to_be_visible()
    assert advice.inner_text().startswith("A 10 mm channel is best cut with a 1/8 in bit: the largest that still "
                                          "leaves each wall a pass of its own")
    check_feasibility(page)          # with the default 1/16 in profile, which can cut it too

    # A reviewer does not choose profiles for checks: the summary shows, the advice does not.
    switch_user(page, stack, "reviewer")
    expect(page.locator("[data-figure='Recommended bit']")).to_have_text(re.compile(r"^1/8 in"))
    expect(page.locator("#cam-profile")).to_have_value("rosette-1-16-spruce-grbl")
    expect(advice).to_be_hidden()

    switch_user(page, stack, "designer")
    expect(advice).to_be_visible()
    assert_accessible(page, "a better bit advised")
    page.get_by_role("button", name="Use Rosette channel, 1/8 in bit, spruce, GRBL").click()
    assert page.locator("#cam-profile").input_value() == "rosette-1-8-spruce-grbl"
    expect(advice).to_be_hidden()
    assert focused_id(page) == "run-feasibility"
    check_feasibility(page)
    assert page.locator("#feasibility-result").inner_text().startswith(
        "Feasible (green) with Rosette channel, 1/8 in bit, spruce, GRBL")

    # No 1/8 in profile drives a LinuxCNC machine: nothing is advised rather than another machine's profile.
    page.get_by_label("for the CAM profile (bit, machine, material)").select_option("rosette-1-16-spruce-linuxcnc")
    expect(advice).to_be_hidden()
    page.get_by_label("for the CAM profile (bit, machine, material)").select_option("rosette-1-16-spruce-grbl")
    expect(advice).to_be_visible()


def test_no_advice_when_the_chosen_bit_is_the_recommended_one(page, stack: Stack) -> None:
    start(page, stack)
    # 92-96 mm: a 4 mm channel, for which the 1/16 in bit of the default profile is recommended.
    fill_design(page, outer="96", inner="88", depth="1.6", top="3",
                rings=[("1", "SOLID", "", "ebony"), ("2", "SOLID", "", "maple"), ("1", "SOLID", "", "ebony")])
    create(page)
    assert page.locator("[data-figure='Recommended bit']").inner_text().startswith("1/16 in")
    expect(page.locator("#profile-advice")).to_be_hidden()
