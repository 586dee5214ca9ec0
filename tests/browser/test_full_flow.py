"""The luthier's path in a real browser, on the stack `make run` starts.

The designer signs in, designs the 110/90 mm rosette, checks it and submits it;
the reviewer signs in and approves it; the operator signs in, promotes it,
watches the CAM job finish, sees the toolpath, downloads the G-code and compares
it with the artifact in the bucket. axe-core checks every state on the way, at
desktop and phone width. Set LUTHIER_DOCS_SCREENSHOT=dir to also save the desktop and phone
pages there as local-stack-page.png and web-phone.png (docs/img/ is made this way).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import boto3
import pytest
from playwright.sync_api import expect

from chalicelib.contracts.jobs import artifact_key
from tests.browser.conftest import PHONE, assert_accessible
from tests.browser.helpers import (JOB_TIMEOUT_MS, LUTHIER, UUID, check_feasibility, create, fill_design,
                                   session_from_api, sign_in, start, switch_user)
from tests.local import signin
from tests.stackproc import Stack

pytestmark = pytest.mark.browser


def test_design_to_downloaded_gcode(page, stack: Stack, tmp_path: Path) -> None:
    start(page, stack, user=None)
    assert page.locator("#api-info").inner_text().endswith(stack.api)
    expect(page.locator("#app")).to_be_hidden()
    assert_accessible(page, "signed out")
    sign_in(page, stack, "designer")
    assert page.locator("#signed-in-as").inner_text() == "Signed in as designer (designer)"
    assert_accessible(page, "a new design")
    fill_design(page, **LUTHIER)
    expect(page.locator("#rosette-svg g.ring")).to_have_count(3)
    assert "must match" not in page.locator("#ring-total").inner_text()
    session_id = create(page)
    assert page.locator("#session-state").inner_text() == "Draft"
    stored = session_from_api(stack, session_id)["design"]
    assert (stored["outer_diameter_mm"], stored["inner_diameter_mm"], stored["channel_depth_mm"]) == (110, 90, 1.6)
    assert [r["width_mm"] for r in stored["rings"]] == [2, 6, 2]

    check_feasibility(page)
    expect(page.locator("#risk-badge")).to_have_class(re.compile(r"risk-(GREEN|YELLOW)"))
    assert page.locator("#feasibility-result").inner_text().startswith("Feasible")
    assert page.locator("#feasibility li").count() == 8
    # The bit is called by the name on its box, not by a profile id.
    bit_card = page.locator("#feasibility li", has_text="Bit fits the channel").inner_text()
    # No soundhole is cut: that check measured nothing and shows no empty figures.
    soundhole_card = page.locator("#feasibility li", has_text="Soundhole size").inner_text()
    assert "not cut" in soundhole_card and "Measured" not in soundhole_card
    assert "1/16 in 2-flute down-cut end mill" in bit_card and "rosette-1-16" not in bit_card
    assert_accessible(page, "feasibility checked")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("#session-state.state-in_review")
    # The designer's own page offers no way to approve or reject their design.
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("button", name="Reject")).to_have_count(0)

    switch_user(page, stack, "reviewer")
    assert page.locator("#signed-in-as").inner_text() == "Signed in as reviewer (reviewer)"
    page.wait_for_selector("#session-state.state-in_review")
    expect(page.get_by_role("button", name="Promote to CAM")).to_be_hidden()
    expect(page.get_by_role("button", name="Check feasibility")).to_be_hidden()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("#session-state.state-approved")
    assert page.locator("#alert").is_hidden()
    # A reviewer cannot promote: the page says who does it next.
    expect(page.locator("#workflow-result")).to_contain_text("its owner or an operator promotes it to CAM")
    assert_accessible(page, "approved")
    history = session_from_api(stack, session_id, "reviewer")["history"]
    approval = next(h for h in history if h["to_state"] == "approved")
    assert signin.credentials(stack)["reviewer"]["username"] in str(approval.get("actor"))

    switch_user(page, stack, "operator")
    page.wait_for_selector("#session-state.state-approved")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.locator("#workflow-result")).to_have_text("This session is Approved. Next: promote it to CAM.")

    assert page.locator("#cam-profile option").count() >= 1
    page.get_by_role("button", name="Promote to CAM").click()
    page.wait_for_selector("#job-state:not([hidden])")
    job_id = UUID.search(page.locator("#job-info").inner_text()).group(0)
    expect(page.locator("#workflow-result")).to_contain_text("has been promoted to CAM; its job is below")
    page.wait_for_selector("#job-state.job-completed, #job-state.job-failed", timeout=JOB_TIMEOUT_MS)
    assert page.locator("#job-state").inner_text() == "completed", page.locator("#job-info").inner_text()
    page.wait_for_selector("#toolpath-svg path.cut")
    assert len(page.locator("#toolpath-svg path.cut").get_attribute("d")) > 100
    assert page.locator("#toolpath-svg path.rapid").get_attribute("d")
    assert re.search(r"\d", page.locator("[data-figure='Estimated time']").inner_text())
    assert re.search(r"^\d+(\.\d+)? mm$", page.locator("[data-figure='Cut length']").inner_text())
    # The bit's name takes a row of its own instead of wrapping down a narrow column.
    tool_row = page.locator("#report div", has=page.locator("[data-figure='Tool']")).bounding_box()
    assert tool_row["width"] >= 0.9 * page.locator("#report").bounding_box()["width"]
    before = page.locator("#toolpath-svg").get_attribute("viewBox")
    page.get_by_role("button", name="Zoom in").click()
    after = page.locator("#toolpath-svg").get_attribute("viewBox")
    assert float(after.split()[2]) < float(before.split()[2])
    page.get_by_role("button", name="Fit view").click()
    assert page.locator("#toolpath-svg").get_attribute("viewBox") == before
    assert_accessible(page, "CAM job completed")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download G-code").click()
    downloaded = tmp_path / "program.nc"
    info.value.save_as(downloaded)
    assert info.value.suggested_filename == "rosette-110x90-d1.6-1_16in-grbl.nc"
    s3 = boto3.client("s3", endpoint_url=stack.aws, region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
    stored_program = s3.get_object(Bucket=stack.env["ARTIFACTS_BUCKET"], Key=artifact_key(job_id, "program.nc"))
    assert downloaded.read_bytes() == stored_program["Body"].read()

    shots = os.environ.get("LUTHIER_DOCS_SCREENSHOT")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / "local-stack-page.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.evaluate("window.scrollTo(0, 0)")
        # From the top to the end of the feasibility cards: the phone's own layout, not the whole scroll.
        end = page.locator("section[aria-labelledby=feasibility-title]").bounding_box()
        scroll = page.evaluate("window.scrollY")
        height = end["y"] + scroll + end["height"] + 12
        page.screenshot(path=str(Path(shots) / "web-phone.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": PHONE["width"], "height": height})
