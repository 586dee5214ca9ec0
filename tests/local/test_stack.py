"""`python -m luthier.local` as `make run` starts it, in a subprocess on free ports."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest

from luthier import sdk
from luthier.local.ports import free_port
from luthier.local.stack import parse_settings
from tests.cam.truth import run_rs274
from tests.local import signin
from tests.stackproc import ROOT, Stack, kill_stack, start_stack, stop_stack


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
        assert json.loads(body) == {"apiBase": stack.api, "cognito": {
            "endpoint": stack.aws, "region": "us-east-1", "clientId": credentials_file(stack)["client_id"]}}
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
        assert_the_emulator_keeps_connections_open(stack)
    finally:
        stop_stack(stack)
    assert stack.process.returncode == 0
    assert "Stopped." in "".join(stack.output)


def assert_the_emulator_keeps_connections_open(stack: Stack) -> None:
    """Three AWS calls on one connection: pooled boto3 connections are reused, not reopened per call."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(stack.aws)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    scope = "local/20261202/us-east-1/dynamodb/aws4_request"
    headers = {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0",
               "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"}
    try:
        sockets = []
        for _ in range(3):
            conn.request("POST", "/", body=b"{}", headers=headers)
            reply = conn.getresponse()
            body = reply.read()
            assert reply.status == 200 and stack.env["TABLE_NAME"] in json.loads(body)["TableNames"]
            assert (reply.getheader("Connection") or "").lower() != "close"
            sockets.append(conn.sock)
        assert sockets[0] is not None and sockets.count(sockets[0]) == 3
    finally:
        conn.close()


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


@pytest.mark.parametrize(("environ", "message"), [
    ({"API_PORT": "http"}, "API_PORT='http' is not a port number"),
    ({"WEB_PORT": "70000"}, "WEB_PORT=70000 is outside 1-65535"),
    ({"LOCAL_WORKERS": "many"}, "LOCAL_WORKERS='many' is not a number"),
    ({"LOCAL_WORKERS": "0"}, "LOCAL_WORKERS=0 is outside 1-64"),
])
def test_bad_numeric_settings_are_refused_by_name(environ: dict[str, str], message: str):
    with pytest.raises(SystemExit, match=re.escape(message)):
        parse_settings([], environ)


DESIGN = {"outer_diameter_mm": 110, "inner_diameter_mm": 90, "channel_depth_mm": 1.6,
          "rings": [{"width_mm": 10, "pattern_type": "MOSAIC", "tile_length_mm": 4}]}
POCKET = {"intent_id": "kept-pocket", "mode": "router_3axis",
          "design": {"operation": "pocket", "depth_mm": 2.0,
                     "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 20}}}


def credentials_file(stack: Stack) -> dict:
    return json.loads((Path(stack.env["LOCAL_DATA_DIR"]) / "identity.json").read_text())


def _work_survived(stack: Stack, session: dict, job_id: str, program: bytes, tmp_path: Path) -> None:
    # The designer owns the session and the integrator the job: both must still be theirs.
    designer = signin.client(stack, "designer")
    kept = designer.session(session["session_id"])
    assert kept["design"] == session["design"] and kept["version"] == session["version"]
    listed = [s["session_id"] for s in designer.list_sessions()["items"]]
    assert session["session_id"] in listed
    api = signin.client(stack, "integrator")
    job = api.job(job_id)
    assert job["status"] == "completed"
    written = api.download_artifacts(job_id, tmp_path / f"again-{stack.process.pid}")
    assert written["program.nc"].read_bytes() == program


def _make_work(stack: Stack, tmp_path: Path) -> tuple[dict, str, bytes]:
    session = signin.client(stack, "designer").create_session(DESIGN)
    api = signin.client(stack, "integrator")
    job = api.wait_for_job(api.submit_intent(POCKET)["job_id"], timeout_s=120, interval_s=0.2)
    assert job["status"] == "completed", job
    program = api.download_artifacts(job["job_id"], tmp_path / "first")["program.nc"].read_bytes()
    run_rs274(program.decode("ascii"), tmp_path)
    return session, job["job_id"], program


def test_data_is_kept_by_default_across_a_stop_and_a_kill(tmp_path: Path):
    data = tmp_path / "kept"
    first = start_stack("luthier.local", data)
    try:
        assert f"data:      {data}" in "".join(first.output)
        session, job_id, program = _make_work(first, tmp_path)
    finally:
        stop_stack(first)
    assert first.process.returncode == 0

    second = start_stack("luthier.local", data)
    try:
        _work_survived(second, session, job_id, program, tmp_path)
        # Acknowledged just before the kill: must survive it too.
        larger = {**DESIGN, "outer_diameter_mm": 112, "rings": [{**DESIGN["rings"][0], "width_mm": 11}]}
        edited = signin.client(second, "designer").update_design(session["session_id"], larger,
                                                                 version=session["version"])
        emulator(second, "s3").put_object(Bucket=second.env["ARTIFACTS_BUCKET"], Key="notes/kill.txt",
                                          Body=b"written before the kill", ContentType="text/plain")
    finally:
        kill_stack(second)
    assert second.process.returncode == -signal.SIGKILL

    third = start_stack("luthier.local", data)
    try:
        _work_survived(third, edited, job_id, program, tmp_path)
        assert signin.client(third, "designer").session(session["session_id"])["design"]["outer_diameter_mm"] == 112
        obj = emulator(third, "s3").get_object(Bucket=third.env["ARTIFACTS_BUCKET"], Key="notes/kill.txt")
        assert obj["Body"].read() == b"written before the kill" and obj["ContentType"] == "text/plain"
    finally:
        kill_stack(third)

    # Killed again right after replaying: the replayed data must not be lost or doubled.
    fourth = start_stack("luthier.local", data)
    try:
        _work_survived(fourth, edited, job_id, program, tmp_path)
    finally:
        stop_stack(fourth)

    fresh = start_stack("luthier.local", data, args=["--fresh"])
    try:
        assert "started empty" in "".join(fresh.output)
        with pytest.raises(sdk.NotFound):
            signin.client(fresh, "designer").session(session["session_id"])
        listing = emulator(fresh, "s3").list_objects_v2(Bucket=fresh.env["ARTIFACTS_BUCKET"])
        assert listing.get("KeyCount", 0) == 0
    finally:
        stop_stack(fresh)


def test_fresh_from_the_environment_starts_empty(tmp_path: Path):
    data = tmp_path / "kept"
    first = start_stack("luthier.local", data)
    try:
        emulator(first, "dynamodb").put_item(TableName=first.env["TABLE_NAME"],
                                             Item={"pk": {"S": "JOB#x"}, "sk": {"S": "STATUS"}})
    finally:
        kill_stack(first)
    kept = start_stack("luthier.local", data, args=["--keep-data"])
    try:
        key = {"pk": {"S": "JOB#x"}, "sk": {"S": "STATUS"}}
        assert "Item" in emulator(kept, "dynamodb").get_item(TableName=kept.env["TABLE_NAME"], Key=key)
    finally:
        stop_stack(kept)
    fresh = start_stack("luthier.local", data, extra_env={"LOCAL_FRESH": "1"})
    try:
        assert "Item" not in emulator(fresh, "dynamodb").get_item(TableName=fresh.env["TABLE_NAME"], Key=key)
    finally:
        stop_stack(fresh)


def test_the_emulator_remembers_which_service_a_host_is_for_and_answers_as_moto_does():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from luthier.local.stack import moto_app

    remembering, plain = moto_app(), DomainDispatcherApplication(create_backend_app)
    hosts = ["dynamodb.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com",
             "cognito-idp.us-east-1.amazonaws.com", "moto_api", "s3", "not-a-service.example", None]
    for _ in range(2):  # the second round answers from what was kept
        assert [remembering.get_backend_for_host(h) for h in hosts] == [plain.get_backend_for_host(h) for h in hosts]
    # Only hosts that name a service are kept, so arbitrary Host headers cannot grow it.
    assert set(remembering._backends) == {h for h in hosts if plain.get_backend_for_host(h)}
