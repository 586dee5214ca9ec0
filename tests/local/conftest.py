"""A scripted HTTP server standing in for the API, for the SDK and CLI tests."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest

Reply = tuple[int, Any]


class StubApi:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable[[dict[str, Any]], Reply] | Reply] = {}
        self.requests: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.base = self.url + "/api"

    def on(self, method: str, path: str, reply: Callable[[dict[str, Any]], Reply] | Reply) -> None:
        self.routes[(method, path)] = reply

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                seen = {"method": self.command, "path": path, "query": query, "headers": dict(self.headers),
                        "body": json.loads(raw) if raw else None}
                stub.requests.append(seen)
                route = stub.routes.get((self.command, path))
                status, body = (route(seen) if callable(route) else route) if route else (404, {
                    "code": "not_found", "message": f"no route {path}", "details": None})
                if isinstance(body, bytes):
                    data, kind = body, "application/octet-stream"
                elif isinstance(body, str):
                    data, kind = body.encode(), "text/plain"
                else:
                    data, kind = json.dumps(body).encode(), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def stub_api() -> Iterator[StubApi]:
    stub = StubApi()
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()
