"""CORS as the browser sees it through the local API host: the site's origin only, errors included."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Iterator

import pytest
from chalice import Chalice

from chalicelib import config
from chalicelib.http import ApiError, api_route, error_middleware, json_body
from luthier.local.ports import free_port
from luthier.local.stack import start_api

SITE = config.site_origin()


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    app = Chalice(app_name="cors-check")
    app.register_middleware(error_middleware, "http")

    @api_route(app, "/api/things/{thing_id}", methods=["GET", "PUT"], public=True)
    def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise ApiError(404, "not_found", "no thing with id 'missing'", {"field": "thing_id"})
        if app.current_request.method == "PUT":
            json_body(app.current_request)
        return {"thing_id": thing_id}

    @api_route(app, "/api/crash", methods=["GET"], public=True)
    def crash() -> None:
        raise RuntimeError("boom")

    port = free_port()
    stop = start_api(app, "127.0.0.1", port)
    yield f"http://127.0.0.1:{port}"
    stop()


def call(url: str, method: str = "GET", headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def preflight(api: str, origin: str) -> tuple[int, dict[str, str], bytes]:
    return call(f"{api}/api/things/t1", "OPTIONS", {
        "Origin": origin, "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type"})


def test_preflight_allows_the_site_and_only_the_headers_it_sends(api):
    status, headers, _ = preflight(api, SITE)
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == SITE
    assert headers["Access-Control-Allow-Headers"] == "Authorization,Content-Type"
    assert set(headers["Access-Control-Allow-Methods"].split(",")) == {"GET", "PUT", "OPTIONS"}


def test_preflight_from_another_origin_is_not_allowed(api):
    # The answer names only the site's origin, so a browser on any other origin refuses the call.
    other = "http://127.0.0.1:9999"
    status, headers, _ = preflight(api, other)
    assert headers.get("Access-Control-Allow-Origin") == SITE != other
    assert "*" not in headers.get("Access-Control-Allow-Origin", "")


@pytest.mark.parametrize("path,method,body,status,code", [
    ("/api/things/missing", "GET", None, 404, "not_found"),
    ("/api/things/t1", "PUT", b"{oops", 400, "malformed_json"),
    ("/api/crash", "GET", None, 500, "internal_error"),
])
def test_error_responses_carry_the_cors_header(api, path, method, body, status, code):
    headers = {"Origin": SITE}
    if body is not None:
        headers["Content-Type"] = "application/json"
    got, reply_headers, raw = call(api + path, method, headers, body)
    assert got == status
    assert reply_headers["Access-Control-Allow-Origin"] == SITE
    assert json.loads(raw)["code"] == code
