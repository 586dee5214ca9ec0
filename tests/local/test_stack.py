"""`python -m luthier.local` as `make run` starts it, in a subprocess on free ports."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3

from luthier.local.ports import free_port
from tests.stackproc import ROOT, Stack, start_stack, stop_stack


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.status, reply.headers.get("Content-Type", ""), reply.read()


def emulator(stack: Stack, service: str):
    return boto3.client(service, endpoint_url=stack.aws, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def test_the_stack_serves_the_page_its_config_and_the_emulated_aws(tmp_path: Path):
    stack = start_stack("luthier.local", tmp_path / "data")
    try:
        banner = "".join(stack.output)
        assert f"web page:  {stack.site}/" in banner and f"API base:  {stack.api}" in banner
        status, kind, body = get(stack.site + "/config.json")
        assert (status, kind) == (200, "application/json")
        # The generated config names the API this stack runs, not the file in web/.
        assert json.loads(body) == {"apiBase": stack.api}
        status, kind, body = get(stack.site + "/")
        assert kind.startswith("text/html") and b"Rosette designer" in body
        _, kind, _ = get(stack.site + "/js/main.js")
        assert kind.startswith("text/javascript")
        buckets = {b["Name"] for b in emulator(stack, "s3").list_buckets()["Buckets"]}
        assert {stack.env["REQUESTS_BUCKET"], stack.env["ARTIFACTS_BUCKET"]} <= buckets
        tables = emulator(stack, "dynamodb").list_tables()["TableNames"]
        assert stack.env["TABLE_NAME"] in tables
        notification = emulator(stack, "s3").get_bucket_notification_configuration(
            Bucket=stack.env["REQUESTS_BUCKET"])
        assert notification["QueueConfigurations"][0]["Events"] == ["s3:ObjectCreated:*"]
    finally:
        stop_stack(stack)
    assert stack.process.returncode == 0
    assert "Stopped." in "".join(stack.output)


def run_entrypoint(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_overrides}
    return subprocess.run([sys.executable, "-m", "luthier.local", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_port_in_use_is_a_clear_message(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_entrypoint({"WEB_PORT": str(port), "API_PORT": str(free_port()), "AWS_PORT": str(free_port()),
                                 "LOCAL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use (WEB_PORT)" in result.stderr
    assert "Traceback" not in result.stderr


def test_only_loopback_hosts_are_accepted():
    result = run_entrypoint({"HOST": "0.0.0.0"})
    assert result.returncode != 0
    assert "HOST=0.0.0.0 is not a loopback address" in result.stderr


def test_keep_data_carries_the_data_into_the_next_run(tmp_path: Path):
    data = tmp_path / "kept"
    first = start_stack("luthier.local", data, args=["--keep-data"])
    try:
        emulator(first, "s3").put_object(Bucket=first.env["ARTIFACTS_BUCKET"], Key="jobs/x/program.nc",
                                         Body=b"G21\nM30\n", ContentType="text/plain")
        emulator(first, "dynamodb").put_item(TableName=first.env["TABLE_NAME"],
                                             Item={"pk": {"S": "JOB#x"}, "sk": {"S": "STATUS"}})
    finally:
        stop_stack(first)
    assert first.process.returncode == 0

    second = start_stack("luthier.local", data, args=["--keep-data"])
    try:
        obj = emulator(second, "s3").get_object(Bucket=second.env["ARTIFACTS_BUCKET"], Key="jobs/x/program.nc")
        assert obj["Body"].read() == b"G21\nM30\n" and obj["ContentType"] == "text/plain"
        item = emulator(second, "dynamodb").get_item(TableName=second.env["TABLE_NAME"],
                                                     Key={"pk": {"S": "JOB#x"}, "sk": {"S": "STATUS"}})
        assert "Item" in item
    finally:
        stop_stack(second)

    fresh = start_stack("luthier.local", data)
    try:
        listing = emulator(fresh, "s3").list_objects_v2(Bucket=fresh.env["ARTIFACTS_BUCKET"])
        assert listing.get("KeyCount", 0) == 0
    finally:
        stop_stack(fresh)
