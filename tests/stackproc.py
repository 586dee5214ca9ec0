"""Start `python -m luthier.local` (or a module with the same command line) as a subprocess."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from luthier.local.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
READY = "Luthier CAM Bridge is running"


@dataclass
class Stack:
    site: str
    api: str
    aws: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    output: list[str]


def start_stack(module: str, data_dir: Path, timeout_s: float = 90.0, args: list[str] | None = None,
                extra_env: dict[str, str] | None = None) -> Stack:
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
    for name in ("LOCAL_KEEP_DATA", "LOCAL_FRESH", "FRESH"):
        env.pop(name, None)
    env.update(extra_env or {})
    process = subprocess.Popen([sys.executable, "-m", module, *(args or [])], cwd=ROOT, env=env, stdout=subprocess.PIPE,
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


def kill_stack(stack: Stack) -> None:
    """SIGKILL: no shutdown code runs, as when the machine loses power or the process is killed."""
    if stack.process.poll() is None:
        os.killpg(stack.process.pid, signal.SIGKILL)
        stack.process.wait(10)


def open_page(page, stack: Stack, timeout_ms: int) -> None:
    """Load the site and wait until its script has rendered the first screen."""
    page.set_default_timeout(timeout_ms)
    page.goto(stack.site + "/")
    page.wait_for_selector("body[data-ready=true]")
