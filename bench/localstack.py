"""Local stack throughput: CAM jobs per minute through `make run`'s stack, submitted 4 at a time.

The stack runs as `make run` starts it (a subprocess on free loopback ports, a
fresh temporary data folder); jobs go in through the HTTP API with the SDK and
are waited for until `completed`, so the figure covers the API, the journalled
emulator, the S3 -> SQS event pump and the worker. The floor is the same stack
fed one job at a time.
"""
from __future__ import annotations

import copy
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.cases import rosette_channel
from bench.harness import Row

GROUP = "localstack"
ROOT = pathlib.Path(__file__).resolve().parent.parent
READY = "Luthier CAM Bridge is running"
CONCURRENT = 4
JOBS = {True: 8, False: 24}


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _start(data_dir: str) -> tuple[subprocess.Popen[str], str, str, list[str]]:
    web, api, aws = _free_ports(3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOST": "127.0.0.1", "WEB_PORT": str(web), "API_PORT": str(api), "AWS_PORT": str(aws),
                "LOCAL_DATA_DIR": data_dir, "PYTHONUNBUFFERED": "1"})
    proc = subprocess.Popen([sys.executable, "-m", "luthier.local", "--fresh"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if READY in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 120
    while not ready.wait(0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the local stack did not start:\n" + "".join(output[-20:]))
    return proc, f"http://127.0.0.1:{api}/api", f"http://127.0.0.1:{web}", output


def _client(api: str, site: str, data_dir: str) -> Any:
    """An SDK client signed in as the stack's integrator, the role that submits CAM intents."""
    from luthier import sdk

    users = json.loads((pathlib.Path(data_dir) / "identity.json").read_text(encoding="utf-8"))["users"]
    password = next(u["password"] for u in users if u["username"] == "integrator")
    auth = sdk.CognitoAuth.from_site_config(site + "/config.json", "integrator", password)
    return sdk.Client(api, timeout_s=60, auth=auth)


def _throughput(client: Any, jobs: int, concurrent: int, tag: str) -> tuple[float, dict[str, int]]:
    from luthier import sdk

    base = rosette_channel().intent

    def one(n: int) -> str:
        intent = copy.deepcopy(base)
        intent["intent_id"] = f"bench-local-{tag}-{n}"
        job = client.submit_intent(intent)
        try:
            return str(client.wait_for_job(job["job_id"], timeout_s=600, interval_s=0.1,
                                                max_interval_s=0.1)["status"])
        except sdk.JobFailed:
            return "failed"

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrent) as pool:
        statuses = list(pool.map(one, range(jobs)))
    elapsed = time.perf_counter() - start
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return jobs / elapsed * 60, counts


def run(quick: bool) -> list[Row]:
    jobs = JOBS[quick]
    with tempfile.TemporaryDirectory() as data:
        proc, api, site, output = _start(data)
        try:
            client = _client(api, site, data)
            _throughput(client, 2, 1, "warmup")
            floor, floor_counts = _throughput(client, max(2, jobs // 2), 1, "serial")
            rate, counts = _throughput(client, jobs, CONCURRENT, "concurrent")
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    ok = set(counts) == {"completed"} and set(floor_counts) == {"completed"}
    pool_warnings = sum("pool is full" in line for line in output)
    note = (f"{jobs} rosette-channel jobs (the worker bench's case a) submitted through the API by "
            f"{CONCURRENT} clients at once, each polling its job every 0.1 s until it completes; floor: the same "
            f"stack fed one job at a time; stack pump runs up to 4 jobs at once; {os.cpu_count()} CPUs; "
            f"statuses {counts}; 'pool is full' warnings: {pool_warnings}")
    return [Row(GROUP, f"jobs/min, {CONCURRENT} concurrent submissions", rate, "jobs/min", floor=floor,
                target=">= floor, no pool warnings", met=ok and pool_warnings == 0 and rate >= floor * 0.95,
                note=note if ok else "NOT ALL JOBS COMPLETED; " + note)]
