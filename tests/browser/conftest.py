"""Browser fixtures: headless Chromium, the real local stack, axe-core, failure screenshots (test-artifacts/)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.stackproc import Stack, start_stack, stop_stack

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # One stack per test process: starting it costs seconds, and every test makes its own sessions.
    running = start_stack("luthier.local", tmp_path_factory.mktemp("stack-data"))
    yield running
    stop_stack(running)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(request: pytest.FixtureRequest, chromium: object) -> Iterator[Any]:
    context = chromium.new_context(viewport=DESKTOP, accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.console_log = console  # type: ignore[attr-defined]
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console))
    context.close()
    errors = [line for line in console if line.startswith("pageerror")]
    assert not errors, errors


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as it is now, one line each (empty when clean)."""
    assert AXE.exists(), f"{AXE} is missing: run `make nodedeps` (npm ci) first"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, { resultTypes: ["violations"] });
        return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} -> ` +
            v.nodes.map((n) => n.target.join(" ")).join(", "));
    }""")
    return list(found)


def assert_accessible(page: Any, where: str) -> None:
    """0 axe-core violations, checked at desktop and phone width for the state the page is in."""
    size = page.viewport_size
    try:
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            found = axe_violations(page)
            assert not found, f"axe-core at {viewport['width']}x{viewport['height']}, {where}:\n" + "\n".join(found)
    finally:
        page.set_viewport_size(size)
