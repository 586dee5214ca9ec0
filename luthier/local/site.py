"""Serve `web/` as it is, plus a `config.json` that names the API this stack runs.

The same files deploy to S3/CloudFront with a `config.json` written for that
stage; locally the generated one wins so the page always calls the API that is
actually listening.
"""
from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WEB_DIR = Path(__file__).resolve().parents[2] / "web"


class SiteHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".css": "text/css",
        ".svg": "image/svg+xml",
        ".json": "application/json",
    }

    def __init__(self, *args: Any, site_config: bytes, **kwargs: Any) -> None:
        self.site_config = site_config
        super().__init__(*args, **kwargs)

    def end_headers(self) -> None:
        # A reload always picks up edited files; nothing here is worth caching locally.
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == "/config.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.site_config)))
            self.end_headers()
            self.wfile.write(self.site_config)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


class _Server(ThreadingHTTPServer):
    # A page load fetches a dozen files at once; socketserver's default backlog of 5 resets some.
    request_queue_size = 256


class SiteServer:
    def __init__(self, host: str, port: int, api_base: str, web_dir: Path = WEB_DIR,
                 cognito: dict[str, str] | None = None) -> None:
        site: dict[str, object] = {"apiBase": api_base}
        if cognito:
            site["cognito"] = cognito
        config = json.dumps(site).encode()
        handler = partial(SiteHandler, directory=str(web_dir), site_config=config)
        self.server = _Server((host, port), handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="site", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
