"""The event pump against moto's server: S3 ObjectCreated -> SQS -> the handler, as Lambda calls it."""
from __future__ import annotations

import time
from typing import Any, Iterator

import boto3
import pytest
from chalice.app import S3Event

from luthier.local.ports import free_port
from luthier.local.pump import EventPump, connect_bucket_to_queue

BUCKET = "pump-requests"


@pytest.fixture
def emulator() -> Iterator[dict[str, Any]]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    queue_url = connect_bucket_to_queue(s3, sqs, BUCKET, queue_name=f"events-{port}")
    yield {"s3": s3, "sqs": sqs, "queue_url": queue_url}
    server.stop()


def pump_until(pump: EventPump, done, limit: int = 20) -> None:
    for _ in range(limit):
        pump.poll_once()
        if done():
            return
    raise AssertionError("the pump never got there")


def test_a_put_object_reaches_the_handler_as_a_lambda_s3_event(emulator):
    calls: list[tuple[dict[str, Any], Any]] = []
    pump = EventPump(emulator["sqs"], emulator["queue_url"], lambda event, context: calls.append((event, context)),
                     wait_s=1)
    emulator["s3"].put_object(Bucket=BUCKET, Key="requests/cam-intents/a b.json", Body=b"{}")
    pump_until(pump, lambda: calls)
    event, context = calls[0]
    assert len(event["Records"]) == 1
    assert event["Records"][0]["eventName"].startswith("ObjectCreated:")
    # Chalice's S3Event is what the real handler receives: bucket and the unquoted key.
    s3_event = S3Event(event, context)
    assert (s3_event.bucket, s3_event.key) == (BUCKET, "requests/cam-intents/a b.json")
    assert context.function_name == "cam_worker" and context.get_remaining_time_in_millis() > 0
    assert pump.delivered == 1


def test_objects_outside_the_prefix_or_suffix_are_not_delivered(emulator):
    calls: list[dict[str, Any]] = []
    pump = EventPump(emulator["sqs"], emulator["queue_url"], lambda event, context: calls.append(event), wait_s=0)
    emulator["s3"].put_object(Bucket=BUCKET, Key="designs/x.json", Body=b"{}")
    emulator["s3"].put_object(Bucket=BUCKET, Key="requests/notes.txt", Body=b"x")
    emulator["s3"].put_object(Bucket=BUCKET, Key="requests/cam-intents/real.json", Body=b"{}")
    pump_until(pump, lambda: calls)
    for _ in range(3):
        pump.poll_once()
    assert [S3Event(e, None).key for e in calls] == ["requests/cam-intents/real.json"]


def test_a_failing_handler_is_retried_and_then_succeeds(emulator):
    attempts: list[str] = []

    def flaky(event: dict[str, Any], context: Any) -> None:
        attempts.append(S3Event(event, context).key)
        if len(attempts) == 1:
            raise RuntimeError("throttled")

    pump = EventPump(emulator["sqs"], emulator["queue_url"], flaky, retry_delay_s=0, wait_s=1)
    emulator["s3"].put_object(Bucket=BUCKET, Key="requests/cam-intents/j.json", Body=b"{}")
    pump_until(pump, lambda: pump.delivered == 1)
    assert attempts == ["requests/cam-intents/j.json"] * 2
    assert pump.failed == 0


def test_a_handler_that_always_fails_is_given_up_after_max_attempts(emulator):
    attempts: list[int] = []

    def broken(event: dict[str, Any], context: Any) -> None:
        attempts.append(1)
        raise ValueError("bug")

    pump = EventPump(emulator["sqs"], emulator["queue_url"], broken, max_attempts=3, retry_delay_s=0, wait_s=1)
    emulator["s3"].put_object(Bucket=BUCKET, Key="requests/cam-intents/k.json", Body=b"{}")
    pump_until(pump, lambda: pump.failed == 1)
    assert len(attempts) == 3
    # Dropped, not retried forever: the queue is empty afterwards.
    time.sleep(0.1)
    assert pump.poll_once() == 0
    assert len(attempts) == 3


def test_the_pump_thread_survives_handler_errors_and_stops_cleanly(emulator):
    seen: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        key = S3Event(event, context).key
        seen.append(key)
        if key.endswith("bad.json"):
            raise RuntimeError("bad input")

    pump = EventPump(emulator["sqs"], emulator["queue_url"], handler, max_attempts=1, wait_s=1)
    pump.start()
    try:
        emulator["s3"].put_object(Bucket=BUCKET, Key="requests/cam-intents/bad.json", Body=b"{}")
        emulator["s3"].put_object(Bucket=BUCKET, Key="requests/cam-intents/good.json", Body=b"{}")
        deadline = time.monotonic() + 30
        while pump.delivered < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        pump.stop()
    assert pump.delivered == 1 and pump.failed == 1
    assert sorted(seen) == ["requests/cam-intents/bad.json", "requests/cam-intents/good.json"]
    assert not pump._thread.is_alive()
