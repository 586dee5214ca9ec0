"""Deliver S3 ObjectCreated events to the CAM handler the way Lambda does.

Locally, S3 (moto) publishes the requests bucket's notifications to an SQS
queue; the pump long-polls that queue and calls the handler with
`(event_dict, context)`, exactly the call Lambda makes on `app.cam_worker`.
A handler exception is logged and the message is left on the queue to come
back after a short delay, like a Lambda retry; after `max_attempts` it is
dropped with an error in the log instead of retrying forever.

Like Lambda, invocations run side by side (up to `concurrency` at once, so a
slow job does not hold up a quick one) and each has the function's timeout.
An invocation still running at its deadline is ended: `LambdaTimeout` is raised
inside its thread, `on_timeout` is told (the stack marks the job failed), and
the event is not retried, since it would only time out again.
"""
from __future__ import annotations

import ctypes
import json
import logging
import threading
import time
import uuid
from typing import Any, Callable
from urllib.parse import unquote_plus

log = logging.getLogger("luthier_cam.local.pump")

Handler = Callable[[dict[str, Any], Any], Any]
TimeoutHook = Callable[[dict[str, Any], float], None]


class LambdaTimeout(BaseException):
    """Raised inside an invocation that outlived its timeout.

    A BaseException, so the handler's own `except Exception` blocks do not treat
    the end of the invocation as one of its errors, as when Lambda stops a function.
    """

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
                            suffix: str = ".json", queue_name: str = QUEUE_NAME, timeout_s: int = 300) -> str:
    """Create the queue and subscribe it to the bucket's ObjectCreated events; return its URL."""
    # A message stays hidden while the handler runs, a little longer than its timeout allows.
    queue_url = sqs.create_queue(QueueName=queue_name,
                                 Attributes={"VisibilityTimeout": str(int(timeout_s) + 30)})["QueueUrl"]
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


def _raise_in(thread: threading.Thread, exc_type: type[BaseException]) -> bool:
    """Raise exc_type in another thread at its next Python instruction; False if it is gone."""
    if thread.ident is None or not thread.is_alive():
        return False
    done = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type))
    return bool(done)


class EventPump:
    def __init__(self, sqs: Any, queue_url: str, handler: Handler, *, function_name: str = "cam_worker",
                 max_attempts: int = 3, retry_delay_s: int = 2, wait_s: int = 1, concurrency: int = 4,
                 timeout_s: float = 300, on_timeout: TimeoutHook | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.function_name = function_name
        self.max_attempts = max_attempts
        self.retry_delay_s = retry_delay_s
        self.wait_s = wait_s
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.on_timeout = on_timeout
        self.delivered = 0
        self.failed = 0
        self.timed_out = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._slots = threading.Condition()
        self._active = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="event-pump", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self.drain(timeout_s)

    def drain(self, timeout_s: float) -> bool:
        """Wait until no invocation is running; False if some still are after timeout_s."""
        with self._slots:
            return self._slots.wait_for(lambda: self._active == 0, timeout_s)

    def run(self) -> None:
        while not self._stop.is_set():
            with self._slots:
                self._slots.wait_for(lambda: self._active < self.concurrency or self._stop.is_set(), 0.5)
                free = self.concurrency - self._active
            if free <= 0:
                continue
            try:
                self.poll_once(limit=free, wait=False)
            except Exception:
                # The queue itself failed (e.g. the emulator is shutting down): back off, keep going.
                if not self._stop.is_set():
                    log.exception("polling the event queue failed")
                    self._stop.wait(1.0)

    def poll_once(self, limit: int = 10, wait: bool = True) -> int:
        """Receive up to `limit` messages and start delivering them; return how many.

        With `wait` the deliveries have ended when this returns.
        """
        reply = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=max(1, min(10, limit)),
                                         WaitTimeSeconds=self.wait_s, AttributeNames=["ApproximateReceiveCount"])
        workers = []
        for message in reply.get("Messages", []):
            with self._slots:
                self._active += 1
            worker = threading.Thread(target=self._deliver_in_slot, args=(message,), name="invocation", daemon=True)
            worker.start()
            workers.append(worker)
        if wait:
            for worker in workers:
                worker.join()
        return len(workers)

    def _deliver_in_slot(self, message: dict[str, Any]) -> None:
        try:
            self._deliver(message)
        except Exception:
            log.exception("delivering an event failed")
        finally:
            with self._slots:
                self._active -= 1
                self._slots.notify_all()

    def _invoke(self, record: dict[str, Any]) -> bool:
        """Call the handler for one record under the deadline; True if it returned in time.

        A handler exception is re-raised here so the retry policy sees it.
        """
        outcome: dict[str, BaseException] = {}

        def call() -> None:
            try:
                self.handler({"Records": [record]}, LambdaContext(self.function_name, int(self.timeout_s)))
            except LambdaTimeout:
                pass
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                outcome["error"] = exc

        job = threading.Thread(target=call, name=f"{self.function_name}-job", daemon=True)
        job.start()
        job.join(self.timeout_s)
        if job.is_alive():
            _raise_in(job, LambdaTimeout)
            job.join(2.0)
            return False
        if "error" in outcome:
            raise outcome["error"]
        return True

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
        in_time = True
        try:
            for record in records:
                # Lambda hands an S3 handler one record per event for S3 notifications.
                if not self._invoke(record):
                    in_time = False
                    self._timed_out(record)
        except Exception:
            attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            keys = [r.get("s3", {}).get("object", {}).get("key") for r in records]
            if attempts >= self.max_attempts:
                with self._slots:
                    self.failed += 1
                log.exception("%s failed on %s %d times; giving up on this event", self.function_name, keys, attempts)
                self._delete(receipt)
            else:
                log.exception("%s failed on %s (attempt %d of %d); retrying in %ds", self.function_name, keys,
                              attempts, self.max_attempts, self.retry_delay_s)
                self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=receipt,
                                                   VisibilityTimeout=self.retry_delay_s)
            return
        if in_time:
            with self._slots:
                self.delivered += 1
        self._delete(receipt)

    def _timed_out(self, record: dict[str, Any]) -> None:
        key = unquote_plus(record.get("s3", {}).get("object", {}).get("key", ""))
        with self._slots:
            self.timed_out += 1
        log.error("%s timed out after %g s on %s; ended, not retried", self.function_name, self.timeout_s, key)
        if self.on_timeout is not None:
            try:
                self.on_timeout(record, self.timeout_s)
            except Exception:
                log.exception("recording the timeout of %s failed", key)

    def _delete(self, receipt: str) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)
