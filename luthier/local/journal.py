"""A write-ahead journal in front of the emulator, so a killed stack loses nothing acknowledged.

moto keeps everything in memory. This WSGI layer sits between moto's HTTP server
and its backends and, for every successful write to DynamoDB or to an S3 object,
appends the raw request to a journal file and fsyncs it before the response
leaves the process. Whoever sent the write (the API, the CAM worker, a script
with boto3) therefore only hears "done" once the write is on disk. On the next
start the journal is replayed, in order, straight into the backends.

Writes are applied and journalled one at a time under a lock, so the journal's
order is the order the emulator applied them, and replaying it rebuilds the same
state (a conditional write that succeeded once succeeds again on the same data).
"""
from __future__ import annotations

import base64
import functools
import io
import json
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qs

# DynamoDB calls that change data; CreateTable and friends are the stack's own set-up.
DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
# Body-less or header-only facts a replay needs, beside the HTTP_* headers.
_PLAIN_KEYS = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH")
# Multipart upload ids are random per run, so a replayed part would name an unknown upload.
_S3_SKIPPED_QUERIES = {"uploads", "uploadId", "partNumber", "notification", "cors", "policy", "acl",
                       "versioning", "lifecycle", "tagging", "encryption", "publicAccessBlock"}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _service(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target.startswith("DynamoDB_"):
        return "dynamodb"
    credential = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in credential:
        scope = credential.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        return scope[3] if len(scope) > 3 else ""
    presigned = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0].split("/")
    return presigned[3] if len(presigned) > 3 else ""


def is_data_write(environ: dict[str, Any]) -> bool:
    """A change to the table's items or to an object in a bucket (not set-up, not reads)."""
    service = _service(environ)
    method = environ.get("REQUEST_METHOD", "GET")
    if service == "dynamodb":
        return environ.get("HTTP_X_AMZ_TARGET", "").split(".", 1)[-1] in DYNAMODB_WRITES
    if service != "s3" or method not in ("PUT", "POST", "DELETE"):
        return False
    query = set(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    path = environ.get("PATH_INFO", "/").lstrip("/")
    bucket, _, key = path.partition("/")
    if method == "POST":
        return bool(bucket) and not key and query == {"delete"}  # DeleteObjects
    return bool(key) and not (query & _S3_SKIPPED_QUERIES)


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """One append-only file of JSON lines; each line is fsynced before `append` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("ab")
        _fsync_dir(path.parent)
        self.written = 0

    def append(self, entry: dict[str, Any]) -> None:
        self._file.write(json.dumps(entry, separators=(",", ":")).encode() + b"\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.written += 1

    def close(self) -> None:
        self._file.close()


def read_entries(path: Path) -> Iterator[dict[str, Any]]:
    """The entries of a journal; a torn last line (killed mid-append, never acknowledged) ends it."""
    with path.open("rb") as lines:
        for line in lines:
            try:
                yield json.loads(line)
            except ValueError:
                return


class JournallingApp:
    """WSGI middleware: journal each successful data write before answering it."""

    def __init__(self, inner: WSGIApp) -> None:
        self.inner = inner
        self.journal: Journal | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.journal is None or not is_data_write(environ):
            return self.inner(environ, start_response)
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        seen: dict[str, str] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        with self._lock:
            # moto acts inside the call and the server sends nothing before we return.
            chunks = list(self.inner(environ, capture))
            if seen.get("status", "500")[:1] == "2" and self.journal is not None:
                self.journal.append(_entry(environ, body))
        return chunks

    def replay(self, entries: Iterable[dict[str, Any]]) -> int:
        """Apply journalled writes straight to the backends; how many were applied."""
        applied = 0
        for entry in entries:
            status: dict[str, str] = {}
            environ = _environ(entry)
            for _ in self.inner(environ, functools.partial(_record_status, status)):
                pass
            applied += status.get("status", "")[:1] == "2"
        return applied


def _entry(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    headers = {k: v for k, v in environ.items() if k.startswith("HTTP_") and isinstance(v, str)}
    plain = {k: environ.get(k, "") for k in _PLAIN_KEYS}
    return {"environ": {**plain, **headers}, "body": base64.b64encode(body).decode("ascii")}


def _environ(entry: dict[str, Any]) -> dict[str, Any]:
    body = base64.b64decode(entry["body"])
    environ = dict(entry["environ"])
    environ.update({
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": False,
        "wsgi.multiprocess": False, "wsgi.run_once": False, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "0",
        "SERVER_PROTOCOL": "HTTP/1.1", "SCRIPT_NAME": "", "REMOTE_ADDR": "127.0.0.1",
    })
    return environ


def _record_status(status: dict[str, str], line: str, headers: Any, exc_info: Any = None) -> None:
    """A WSGI start_response that only remembers the status line."""
    status.setdefault("status", line)
