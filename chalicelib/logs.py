"""Structured JSON logs and CloudWatch embedded-metric (EMF) lines.

Every record is one JSON object with `level`, `logger`, `message`, the
correlation fields bound for the current invocation (`api_request_id`,
`session_id`, `promotion_request_id`, `job_id`) and any `extra=` fields.
Only identifiers are logged: fields whose names suggest a secret or a design
payload are dropped, so a careless `extra=` cannot leak one.

Metrics are EMF lines on stdout: CloudWatch turns them into metrics with no
API call and no extra dependency (docs/dependencies.md says why this is not
Powertools).
"""
from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TextIO

NAMESPACE = "LuthierCamBridge"
CONTEXT_FIELDS = ("api_request_id", "session_id", "promotion_request_id", "job_id")
_REDACTED_WORDS = ("token", "authorization", "secret", "password", "design", "cookie")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("log_context", default=None)


def _safe(name: str) -> bool:
    lowered = name.lower()
    return not any(word in lowered for word in _REDACTED_WORDS) or lowered == "design_fingerprint"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {"level": record.levelname, "logger": record.name,
                               "message": record.getMessage(),
                               "timestamp": round(record.created, 3)}
        doc.update(_context.get() or {})
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                doc[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            doc["exception_type"] = record.exc_info[0].__name__
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps({k: v for k, v in doc.items() if _safe(k)}, default=str, sort_keys=True)


def setup(stream: TextIO | None = None) -> None:
    """JSON format on the root logger's handlers (Lambda installs one); idempotent."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(stream or sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    logging.getLogger("luthier_cam").setLevel(logging.INFO)


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """Add correlation fields to every record logged inside the block."""
    merged = {**(_context.get() or {}), **{k: v for k, v in fields.items() if v}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def http_context(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """HTTP middleware: the API request id and any session or request id in the path."""
    context = getattr(event, "context", None) or {}
    params = getattr(event, "uri_params", None) or {}
    # API Gateway's id when there is one; otherwise the Lambda invocation's own.
    request_id = context.get("requestId") or getattr(getattr(event, "lambda_context", None), "aws_request_id", None)
    with bound(api_request_id=request_id, session_id=params.get("session_id"),
               promotion_request_id=params.get("request_id"), job_id=params.get("job_id")):
        return get_response(event)


def metric(name: str, value: float, unit: str = "Count", stream: TextIO | None = None,
           **dimensions: str) -> None:
    """One EMF line; CloudWatch files it under NAMESPACE with `dimensions`."""
    doc: dict[str, Any] = {
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{
            "Namespace": NAMESPACE, "Dimensions": [sorted(dimensions)],
            "Metrics": [{"Name": name, "Unit": unit}]}]},
        name: value, **dimensions,
    }
    out = stream or sys.stdout
    out.write(json.dumps(doc, sort_keys=True) + "\n")
    out.flush()
