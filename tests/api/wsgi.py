"""The Chalice app as a WSGI callable, so schemathesis can drive it in process.

Requests go through Chalice's local API Gateway (the one `chalice.test.Client`
and `chalice local` use: routing, middleware, CORS preflight, Chalice's own
404/405/415), so the fuzzer sees what a caller would, without a server, a
thread or a port. The gateway is used directly rather than through the test
client because the test client cannot represent a response without a body,
which is what a CORS preflight gets.
"""
from __future__ import annotations

import json
import pathlib
from http import HTTPStatus
from typing import Any, Callable, Iterable
from urllib.parse import quote

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException

CONFIG_FILE = pathlib.Path(__file__).resolve().parents[2] / ".chalice" / "config.json"


def gateway(app: Chalice, stage: str = "dev") -> LocalGateway:
    config = Config.create(chalice_stage=stage, app_name=app.app_name,
                           config_from_disk=json.loads(CONFIG_FILE.read_text()))
    return LocalGateway(app, config)


def _raw_path(environ: dict[str, Any]) -> str:
    # PATH_INFO arrives percent-decoded as latin-1; API Gateway routes on the raw path.
    path = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not path:
        path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
    return path


def wsgi_app(app: Chalice) -> Callable[..., Iterable[bytes]]:
    local = gateway(app)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = {key[5:].replace("_", "-").lower(): value
                   for key, value in environ.items() if key.startswith("HTTP_")}
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = environ[key]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            response = local.handle_request(environ["REQUEST_METHOD"], _raw_path(environ), headers, body)
            status, out_headers, out = response["statusCode"], response["headers"], response.get("body")
        except LocalGatewayException as exc:
            status, out_headers, out = exc.CODE, exc.headers, exc.body
        if isinstance(out, str):
            out = out.encode("utf-8")
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        start_response(f"{status} {reason}", [(k, str(v)) for k, v in (out_headers or {}).items()])
        return [out or b""]

    return application
