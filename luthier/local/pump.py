"""Deliver S3 ObjectCreated events to the CAM handler the way Lambda does.

Locally, S3 (moto) publishes the requests bucket's notifications to an SQS
queue; the pump long-polls that queue and calls the handler with
`(event_dict, context)`, exactly the call Lambda makes on `app.cam_worker`.
A handler exception is logged and the message is left on the queue to come
back after a short delay, like a Lambda retry; after `max_attempts` it is
dropped with an error in the log instead of retrying forever.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any, Callable

log = logging.getLogger("luthier_cam.local.pump")

Handler = Callable[[dict[str, Any], Any], Any]

QUEUE_NAME = "luthier-cam-requests-events"


class LambdaContext:
    """The parts of Lambda's context object a handler may read."""

    def __init__(self, function_name: str, timeout_s: int = 300, memory_mb: int = 1024) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def connect_bucket_to_queue(s3: Any, sqs: Any, bucket: str, prefix: str = "requests/",
                            suffix: str = ".json", queue_name: str = QUEUE_NAME) -> str:
    """Create the queue and subscribe it to the bucket's ObjectCreated events; return its URL."""
    # A message stays hidden while the handler runs, as long as Lambda's timeout allows.
    queue_url = sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{
            "QueueArn": queue_arn,
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [
                {"Name": "prefix", "Value": prefix},
                {"Name": "suffix", "Value": suffix},
            ]}},
        }]},
    )
    return str(queue_url)


class EventPump:
    def __init__(self, sqs: Any, queue_url: str, handler: Handler, *, function_name: str = "cam_worker",
                 max_attempts: int = 3, retry_delay_s: int = 2, wait_s: int = 1) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.function_name = function_name
        self.max_attempts = max_attempts
        self.retry_delay_s = retry_delay_s
        self.wait_s = wait_s
        self.delivered = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="event-pump", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                # The queue itself failed (e.g. the emulator is shutting down): back off, keep going.
                if not self._stop.is_set():
                    log.exception("polling the event queue failed")
                    self._stop.wait(1.0)

    def poll_once(self) -> int:
        """Receive up to ten messages and deliver them; return how many were handled."""
        reply = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=self.wait_s, AttributeNames=["ApproximateReceiveCount"])
        handled = 0
        for message in reply.get("Messages", []):
            self._deliver(message)
            handled += 1
        return handled

    def _deliver(self, message: dict[str, Any]) -> None:
        receipt = message["ReceiptHandle"]
        try:
            body = json.loads(message["Body"])
        except ValueError:
            log.error("dropping a message that is not JSON: %.200s", message["Body"])
            self._delete(receipt)
            return
        records = body.get("Records") if isinstance(body, dict) else None
        if not records:
            # S3 sends an s3:TestEvent when a notification is configured; nothing to run.
            self._delete(receipt)
            return
        try:
            for record in records:
                # Lambda hands an S3 handler one record per event for S3 notifications.
                self.handler({"Records": [record]}, LambdaContext(self.function_name))
        except Exception:
            attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            keys = [r.get("s3", {}).get("object", {}).get("key") for r in records]
            if attempts >= self.max_attempts:
                self.failed += 1
                log.exception("%s failed on %s %d times; giving up on this event", self.function_name, keys, attempts)
                self._delete(receipt)
            else:
                log.exception("%s failed on %s (attempt %d of %d); retrying in %ds", self.function_name, keys,
                              attempts, self.max_attempts, self.retry_delay_s)
                self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=receipt,
                                                   VisibilityTimeout=self.retry_delay_s)
            return
        self.delivered += 1
        self._delete(receipt)

    def _delete(self, receipt: str) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)
