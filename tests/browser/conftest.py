"""Browser fixtures: a local stack in a subprocess, headless Chromium, screenshots on failure."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from chalicelib.local.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
READY = "Luthier CAM Bridge is running"


@dataclass
class Stack:
    site: str
    api: str
    aws: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    output: list[str]


def start_stack(module: str, data_dir: Path, timeout_s: float = 90.0) -> Stack:
    host = "127.0.0.1"
    picked: set[int] = set()
    while len(picked) < 3:
        picked.add(free_port(host))
    ports = dict(zip(("WEB_PORT", "API_PORT", "AWS_PORT"), sorted(picked)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({name: str(port) for name, port in ports.items()})
    env.update({"HOST": host, "LOCAL_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1",
                "TABLE_NAME": "luthier-cam-browser", "REQUESTS_BUCKET": "luthier-cam-requests-browser",
                "ARTIFACTS_BUCKET": "luthier-cam-artifacts-browser"})
    env.pop("LOCAL_KEEP_DATA", None)
    process = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if READY in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the local stack did not start:\n" + "".join(output))
    return Stack(site=f"http://{host}:{ports['WEB_PORT']}", api=f"http://{host}:{ports['API_PORT']}/api",
                 aws=f"http://{host}:{ports['AWS_PORT']}", env=env, process=process, output=output)


def stop_stack(stack: Stack) -> None:
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
        try:
            stack.process.wait(20)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait(5)


@pytest.fixture(scope="module")
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
def page(request: pytest.FixtureRequest, chromium: object) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console))
    context.close()
