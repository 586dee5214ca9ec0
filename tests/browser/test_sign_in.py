"""Signing in and out of the page, and what each role is offered, in a real browser."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.helpers import (LUTHIER, check_feasibility, create, fill_design, focused_id, sign_in, sign_out,
                                   start, switch_user)
from tests.stackproc import Stack

pytestmark = pytest.mark.browser


def stored_keys(page, storage: str) -> list[str]:
    return page.evaluate(f"Object.keys(window.{storage})")


def test_sign_in_form_errors_and_a_wrong_password(page, stack: Stack) -> None:
    start(page, stack, user=None)
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    assert focused_id(page) == "username"
    page.get_by_role("button", name="Sign in").click()
    # Both empty: each field says so, and the keyboard lands on the first.
    assert page.locator("#username-error").inner_text() == "Enter your user name."
    assert page.locator("#password-error").inner_text() == "Enter your password."
    assert page.get_by_label("User name").get_attribute("aria-invalid") == "true"
    assert focused_id(page) == "username"
    assert_accessible(page, "sign-in field errors")

    page.get_by_label("User name").fill("designer")
    page.get_by_label("Password").fill("Not-the-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#sign-in-error:not([hidden])")
    assert page.locator("#sign-in-error").inner_text() == "The user name or password is wrong."
    assert focused_id(page) == "sign-in-error"
    assert page.get_by_label("Password").input_value() == ""
    expect(page.locator("#app")).to_be_hidden()
    assert_accessible(page, "a refused sign-in")


def test_tokens_stay_out_of_local_storage_a_reload_keeps_the_sign_in_and_sign_out_ends_it(page, stack: Stack) -> None:
    start(page, stack, user="designer")
    assert page.locator("#signed-in-as").inner_text() == "Signed in as designer (designer)"
    assert stored_keys(page, "sessionStorage") == ["luthier-cam.refresh"]
    assert all("refresh" not in key and not key.startswith("ey") for key in stored_keys(page, "localStorage"))
    assert page.evaluate("document.cookie") == ""

    page.reload()
    page.wait_for_selector("body[data-user='designer']")
    expect(page.locator("#sign-in")).to_be_hidden()

    sign_out(page)
    assert stored_keys(page, "sessionStorage") == []
    expect(page.locator("#app")).to_be_hidden()
    expect(page.locator("#account")).to_be_hidden()
    assert page.locator("#status").inner_text() == "Signed out."
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#sign-in")).to_be_visible()


def test_a_refused_token_sends_the_user_back_to_sign_in(page, stack: Stack) -> None:
    start(page, stack, user="designer")
    # The API answers 401 to a token it does not accept, whatever made it so.
    page.route("**/api/**", lambda route: route.fulfill(status=401, content_type="application/json", body=(
        '{"code": "unauthenticated", "message": "the token has expired", "details": {"reason": "expired"}}')))
    page.get_by_role("button", name="New rosette").click()
    page.wait_for_selector("#sign-in:not([hidden])")
    assert "sign-in has ended" in page.locator("#sign-in-error").inner_text()
    assert page.locator("#alert").is_hidden()
    assert stored_keys(page, "sessionStorage") == []
    page.unroute("**/api/**")
    sign_in(page, stack, "designer")
    expect(page.locator("#app")).to_be_visible()


def test_each_role_is_offered_only_its_own_actions(page, stack: Stack) -> None:
    start(page, stack, user="designer")
    expect(page.get_by_role("button", name="New rosette")).to_be_visible()
    fill_design(page, **LUTHIER)
    create(page)
    check_feasibility(page)
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("#session-state.state-in_review")
    # The designer's page has no Approve (nor Reject) on their design in review.
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("button", name="Reject")).to_have_count(0)
    expect(page.get_by_role("button", name="Back to draft")).to_be_visible()

    switch_user(page, stack, "reviewer")
    page.wait_for_selector("#session-state.state-in_review")
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    expect(page.get_by_role("button", name="Reject")).to_be_visible()
    expect(page.get_by_role("button", name="New rosette")).to_be_hidden()
    expect(page.get_by_role("button", name="Check feasibility")).to_be_hidden()
    expect(page.get_by_role("button", name="Save design")).to_be_hidden()
    expect(page.get_by_label("Outer diameter (mm)")).to_be_disabled()
    expect(page.get_by_role("button", name="Promote to CAM")).to_be_hidden()
    assert_accessible(page, "a reviewer on a design in review")

    switch_user(page, stack, "operator")
    page.wait_for_selector("#session-state.state-in_review")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("button", name="Reject")).to_have_count(0)
    expect(page.get_by_role("button", name="Promote to CAM")).to_be_visible()
    expect(page.get_by_role("button", name="Promote to CAM")).to_be_disabled()
    assert page.locator("#signed-in-as").inner_text() == "Signed in as operator (operator)"
