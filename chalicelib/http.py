"""The HTTP seam shared by every blueprint: request parsing, errors, responses.

Every error leaves the API as `{"code", "message", "details"}` with a 4xx
status for bad input. Views raise `ApiError`; `api_route` turns that, a pydantic
`ValidationError`, or an unexpected exception into a JSON response, so a stack
trace never reaches a caller. `error_middleware` rewrites the few errors Chalice
produces itself (415, 405) into the same shape.
"""
from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from typing import Any, Callable, TypeVar

from chalice import CORSConfig, Response
from pydantic import BaseModel, ValidationError

from chalicelib import config

log = logging.getLogger("luthier_cam")

DEFAULT_MAX_BODY_BYTES = 1_000_000

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """An error a caller can act on; `details` names the offending field(s)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def to_response(self) -> Response:
        return json_response({"code": self.code, "message": self.message, "details": self.details}, self.status)


def not_found(what: str, ident: str, field: str) -> ApiError:
    return ApiError(404, "not_found", f"no {what} with id {ident!r}", {"field": field})


def conflict(code: str, message: str, details: Any = None) -> ApiError:
    return ApiError(409, code, message, details)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def validation_details(exc: ValidationError, prefix: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors(include_url=False, include_input=False):
        details.append({
            "field": field_path(prefix + tuple(err["loc"])),
            "message": err["msg"],
            "type": err["type"],
        })
    return details


def unprocessable(exc: ValidationError, prefix: tuple[Any, ...] = ()) -> ApiError:
    details = validation_details(exc, prefix)
    fields = ", ".join(sorted({d["field"] for d in details}))
    return ApiError(422, "validation_error", f"invalid fields: {fields}", details)


class SiteCORSConfig(CORSConfig):
    # Chalice always adds the headers of API Gateway's own auth schemes
    # (Authorization, X-Api-Key, X-Amz-*); the site sends none of them.
    _REQUIRED_HEADERS: list[str] = []


def cors_config() -> CORSConfig:
    # Only the site's own origin, and only the header the site sends.
    return SiteCORSConfig(allow_origin=config.site_origin(), allow_headers=["Content-Type"], max_age=600)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    merged = {"Content-Type": "application/json"}
    merged.update(headers or {})
    return Response(body=body, status_code=status, headers=merged)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON numbers")


def _media_type(request: Any) -> str:
    raw = (request.headers or {}).get("content-type") or "application/json"
    return raw.split(";", 1)[0].strip().lower()


def json_body(request: Any, *, required: bool = True, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Any:
    """Parse the request body as strict JSON (no NaN/Infinity), with a size cap."""
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise ApiError(413, "payload_too_large", f"request body is {len(raw)} bytes; the limit is {max_bytes}",
                       {"limit_bytes": max_bytes})
    if _media_type(request) != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json",
                       {"content_type": _media_type(request)})
    if not raw.strip():
        if required:
            raise ApiError(400, "malformed_json", "request body is empty; a JSON object is required")
        return {}
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"request body is not valid JSON: {exc}") from None


def parse_model(model: type[M], data: Any, prefix: tuple[Any, ...] = ()) -> M:
    if not isinstance(data, dict):
        raise ApiError(422, "validation_error", "request body must be a JSON object",
                       [{"field": field_path(prefix), "message": "expected an object", "type": "dict_type"}])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise unprocessable(exc, prefix) from None


_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def uuid_param(value: str, what: str, field: str) -> str:
    """A path id that is not a canonical UUID can name nothing we stored."""
    text = (value or "").lower()
    if not _UUID_RE.match(text):
        raise not_found(what, value, field)
    return str(uuid.UUID(text))


def int_param(params: dict[str, str] | None, name: str, default: int, lo: int, hi: int) -> int:
    raw = (params or {}).get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(422, "validation_error", f"{name} must be an integer",
                       [{"field": name, "message": "not an integer", "type": "int_parsing"}]) from None
    if not lo <= value <= hi:
        raise ApiError(422, "validation_error", f"{name} must be between {lo} and {hi}",
                       [{"field": name, "message": f"out of range [{lo}, {hi}]", "type": "range"}])
    return value


F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Wrap a view so every failure becomes a JSON error response."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, **kwargs)
        except ApiError as exc:
            return exc.to_response()
        except ValidationError as exc:
            return unprocessable(exc).to_response()
        except Exception:
            log.exception("unhandled error in %s", fn.__name__)
            return ApiError(500, "internal_error", "the server failed to handle this request").to_response()
        if isinstance(result, Response):
            return result
        return json_response(result)

    return wrapper  # type: ignore[return-value]


def api_route(router: Any, path: str, **kwargs: Any) -> Callable[[F], F]:
    """`router.route(...)` with CORS for the site and JSON error handling."""
    kwargs.setdefault("cors", cors_config())

    def decorate(fn: F) -> F:
        return router.route(path, **kwargs)(handle_errors(fn))

    return decorate


_CHALICE_CODES = {
    "UnsupportedMediaType": "unsupported_media_type",
    "MethodNotAllowedError": "method_not_allowed",
    "BadRequestError": "bad_request",
    "NotFoundError": "not_found",
    "InternalServerError": "internal_error",
}


def error_middleware(event: Any, get_response: Callable[[Any], Response]) -> Response:
    response = get_response(event)
    body = response.body
    if isinstance(body, dict) and set(body) == {"Code", "Message"}:
        response.body = {
            "code": _CHALICE_CODES.get(body["Code"], "error"),
            "message": body["Message"],
            "details": None,
        }
        response.headers["Content-Type"] = "application/json"
    return response
