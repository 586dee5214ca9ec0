"""Sessions with a name, drawings in any state, and deleting a session, in a real browser."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.helpers import LUTHIER, api_get, create, fill_design, start
from tests.stackproc import Stack

pytestmark = pytest.mark.browser


def test_a_named_draft_has_drawings_and_can_be_deleted(page, stack: Stack) -> None:
    start(page, stack)
    fill_design(page, **LUTHIER)
    page.get_by_label("Name (optional)").fill("OM herringbone")
    session_id = create(page)
    entry = page.locator(f"#session-list a[href='#/sessions/{session_id}'] .session-name")
    expect(entry).to_have_text("OM herringbone — 90–110 mm, 3 rings (2/6/2 mm)")

    # Drawings while still a draft: no approval needed.
    page.get_by_role("button", name="Drawings (SVG, DXF)").click()
    expect(page.locator("#drawing-links a")).to_have_count(2)
    svg_url = page.get_by_role("link", name="SVG drawing").get_attribute("href")
    with urllib.request.urlopen(svg_url, timeout=10) as reply:
        assert b"<circle" in reply.read()
    assert page.locator("#session-state").inner_text() == "Draft"
    assert_accessible(page, "a named draft with its drawings")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete session").click()
    page.wait_for_function("!location.hash")
    expect(page.locator(f"#session-list a[href='#/sessions/{session_id}']")).to_have_count(0)
    with pytest.raises(urllib.error.HTTPError) as gone:
        api_get(stack, f"/art/design-first-workflow/sessions/{session_id}")
    assert gone.value.code == 404
