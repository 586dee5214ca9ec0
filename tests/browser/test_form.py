"""The design form in Chromium on the real local stack: ring numbers, number parsing, errors next to fields, units."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.helpers import LUTHIER, check_feasibility, create, fill_design, session_from_api, start
from tests.stackproc import Stack

pytestmark = pytest.mark.browser


def posts(page) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method in ("POST", "PUT") else None)
    return sent


def test_rings_are_numbered_the_same_in_the_form_and_in_feasibility_messages(page, stack: Stack) -> None:
    start(page, stack)
    # Ring 2 is too narrow and its tiles too short: both messages must point at ring 2.
    fill_design(page, "110", "90", "1.6", "3", [("2", "SOLID", "", "ebony"), ("0.25", "MOSAIC", "0.8", "maple"),
                                                ("7.75", "SOLID", "", "ebony")])
    for n in (1, 2, 3):
        for words in ("width (mm)", "pattern", "tile length (mm)", "material"):
            expect(page.get_by_label(f"Ring {n} {words}", exact=True)).to_have_count(1)
    assert page.locator("#ring-list > li").nth(0).get_attribute("aria-label") == "Ring 1 (innermost)"
    assert page.locator("#ring-list > li").nth(2).get_attribute("aria-label") == "Ring 3 (outermost)"
    create(page)
    check_feasibility(page)
    expect(page.locator("#risk-badge")).to_have_class(re.compile("risk-RED"))
    narrow = page.locator("#feasibility li", has_text="Narrowest ring")
    tiles = page.locator("#feasibility li", has_text="Shortest tile")
    assert "Ring 2 is 0.25 mm wide" in narrow.inner_text()
    assert "Ring 2 repeats every 0.80 mm" in tiles.inner_text()
    assert page.get_by_label("Ring 2 width (mm)").input_value() == "0.25"
    assert "Ring 2 is 0.25 mm wide" in page.locator("#approve-blocked").inner_text()
    # Moving a ring renumbers its labels with it.
    page.get_by_role("button", name="Move ring 3 inwards").click()
    assert page.get_by_label("Ring 2 width (mm)").input_value() == "7.75"
    assert page.get_by_label("Ring 3 width (mm)").input_value() == "0.25"


def test_a_comma_or_a_point_is_the_decimal_mark(page, stack: Stack) -> None:
    start(page, stack)
    fill_design(page, **{**LUTHIER, "outer": " 110,5 ", "inner": "90.5", "depth": "1,6"})
    assert "must match" not in page.locator("#ring-total").inner_text()
    assert page.locator("[aria-invalid=true]").count() == 0
    session_id = create(page)
    stored = session_from_api(stack, session_id)["design"]
    assert (stored["outer_diameter_mm"], stored["inner_diameter_mm"], stored["channel_depth_mm"]) == (110.5, 90.5, 1.6)


REFUSED = [
    ("7e", "“7e” is not a number. Write it like 110.5 or 110,5."),
    ("1,2,3", "“1,2,3” is not a number."),
    ("1.105,5", "“1.105,5” is not a number."),
    ("abc", "“abc” is not a number."),
    ("", "Enter the outer diameter."),
    ("-110", "Outer diameter must be more than 0 mm."),
    ("0", "Outer diameter must be more than 0 mm."),
]


def test_a_length_that_does_not_parse_is_refused_next_to_its_field(page, stack: Stack) -> None:
    start(page, stack)
    sent = posts(page)
    fill_design(page, **LUTHIER)
    error = page.locator("#outer-error")
    for typed, words in REFUSED:
        page.get_by_label("Outer diameter (mm)").fill(typed)
        page.get_by_role("button", name="Create session").click()
        expect(error).to_be_visible()
        assert words in error.inner_text(), typed
        # Next to the field: in the same field box, and announced with it.
        assert page.locator(".field", has=page.locator("#outer")).locator("#outer-error").count() == 1
        assert page.locator("#outer").get_attribute("aria-invalid") == "true"
        assert "outer-error" in page.locator("#outer").get_attribute("aria-describedby")
        assert page.evaluate("document.activeElement.id") == "outer"
        assert page.locator("#alert").is_hidden()
        if typed == "7e":
            assert_accessible(page, "a field error")
    assert sent == [] and page.evaluate("location.hash") == ""
    page.get_by_label("Outer diameter (mm)").fill("110")
    expect(error).to_have_count(0)
    assert page.locator("#outer").get_attribute("aria-invalid") is None


def test_a_negative_ring_width_is_refused_and_not_drawn(page, stack: Stack) -> None:
    start(page, stack)
    sent = posts(page)
    fill_design(page, **LUTHIER)
    page.get_by_label("Ring 2 width (mm)").fill("-6")
    # Said while typing, not only on submit.
    expect(page.locator("#ring-2-width-error")).to_have_text("Ring 2 width must be more than 0 mm.")
    expect(page.locator("#rosette-svg g.ring")).to_have_count(2)
    page.get_by_label("Ring 2 tile length (mm)").fill("4,x")
    expect(page.locator("#ring-2-tile-error")).to_contain_text("“4,x” is not a number")
    page.get_by_role("button", name="Create session").click()
    assert page.evaluate("document.activeElement.id") == "ring-2-width"
    assert sent == []
    assert "2 fields need fixing" in page.locator("#status").inner_text()


def test_server_refusals_appear_next_to_the_fields_they_name_in_plain_words(page, stack: Stack) -> None:
    start(page, stack)
    # The rings (10 mm) do not fill a 12 mm channel: the server refuses `design.rings`.
    fill_design(page, **{**LUTHIER, "outer": "114"})
    assert "must match" in page.locator("#ring-total").inner_text()
    page.get_by_role("button", name="Create session").click()
    rings_error = page.locator("#rings-error")
    expect(rings_error).to_be_visible()
    text = rings_error.inner_text()
    assert text.startswith("The rings add up to 10 mm but the channel is 12 mm wide")
    assert page.locator("#ring-fields #rings-error").count() == 1
    assert page.evaluate("document.activeElement.id") == "rings-error"
    assert page.locator("#alert").is_hidden()
    assert page.evaluate("location.hash") == ""
    assert_accessible(page, "a server error next to the rings")

    # An inner diameter larger than the outer: the server names design.inner_diameter_mm.
    fill_design(page, **{**LUTHIER, "outer": "90", "inner": "110"})
    page.get_by_label("Ring 1 width (mm)").fill("2")
    page.get_by_role("button", name="Create session").click()
    inner_error = page.locator("#inner-error")
    expect(inner_error).to_be_visible()
    assert inner_error.inner_text() == "The inner diameter (110 mm) must be smaller than the outer diameter (90 mm)"
    for jargon in ("design.", "_mm", "HTTP", "422", "validation_error"):
        assert jargon not in page.get_by_role("main").inner_text()
    assert page.locator("#alert").is_hidden()

    # Over the contract's limit: the server's bound, said as a length.
    fill_design(page, **{**LUTHIER, "outer": "1105", "inner": "1085"})
    page.get_by_role("button", name="Create session").click()
    expect(page.locator("#outer-error")).to_have_text("Outer diameter can be at most 400 mm.")
    expect(page.locator("#inner-error")).to_have_text("Inner diameter can be at most 400 mm.")


def test_inch_display_keeps_the_design_in_mm_and_is_remembered(page, stack: Stack) -> None:
    start(page, stack)
    assert page.get_by_label("mm", exact=True).is_checked()
    fill_design(page, **LUTHIER)
    page.get_by_label("inches").check()
    assert page.locator("#outer-hint").inner_text() == "= 4.3307 in"
    assert "0.3937 in wide" in page.locator("#ring-total").inner_text()
    assert "4.3307 in diameter" in page.locator("#rosette-caption").inner_text()
    session_id = create(page)
    stored = session_from_api(stack, session_id)["design"]
    assert (stored["outer_diameter_mm"], stored["inner_diameter_mm"]) == (110, 90)
    assert page.get_by_label("Outer diameter (mm)").input_value() == "110"
    # Bits carry their catalogue name and both sizes, whatever the display unit.
    bit = page.locator("[data-figure='Recommended bit']").inner_text()
    assert re.fullmatch(r"\S+ (mm|in) \([\d.]+ mm / [\d.]+ in\)", bit), bit
    assert "1/16 in 2-flute down-cut end mill (1.5875 mm / 0.0625 in)" in page.locator("#profile-info").inner_text()
    assert page.locator("[data-figure='Channel width']").inner_text() == "0.3937 in"
    check_feasibility(page)
    assert "Measured 0.0551 in" in page.locator("#feasibility li", has_text="Top left under").inner_text()
    assert_accessible(page, "inch display")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_by_label("inches").is_checked()
    assert page.locator("[data-figure='Channel width']").inner_text() == "0.3937 in"
    page.get_by_label("mm", exact=True).check()
    assert page.locator("[data-figure='Channel width']").inner_text() == "10 mm"
    assert page.evaluate("localStorage.getItem('luthier-cam.units')") == "mm"
