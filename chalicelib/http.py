"""The HTTP seam shared by every blueprint: request parsing, errors, responses.

Every error leaves the API as a `contracts.errors.ErrorBody`
(`{"code", "message", "details": [Issue, ...]}`) with a 4xx status for bad
input. The domains raise `DomainError` subclasses and `STATUS_BY_FAMILY` is the
one place that turns a family into a status; views may also raise `ApiError`
for what only HTTP knows (body size, media type, malformed JSON). `api_route`
turns those, a pydantic `ValidationError`, or an unexpected exception into a
JSON response, so a stack trace never reaches a caller. `error_middleware`
rewrites the few errors Chalice produces itself (415, 405) into the same shape.
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
from chalicelib.contracts.errors import Conflict, DomainError, ErrorBody, Invalid, Issue, NotFound, TooLarge, paths

log = logging.getLogger("luthier_cam")

DEFAULT_MAX_BODY_BYTES = 1_000_000

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """An HTTP-only refusal (size, media type, syntax); `details` names the offending field(s)."""

    def __init__(self, status: int, code: str, message: str,
                 details: list[Issue] | dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = _as_issues(code, message, details)

    def to_response(self) -> Response:
        return json_response(ErrorBody(code=self.code, message=self.message, details=self.details), self.status)


def _as_issues(code: str, message: str, details: list[Issue] | dict[str, Any] | None) -> list[Issue]:
    # A blueprint written against the older `{"field": ...}` details still
    # answers in the one shape: its field becomes the issue's path.
    if isinstance(details, dict):
        return [Issue(code, message, str(details.get("path") or details.get("field") or ""))]
    return list(details or [])


# The one table from domain error families to statuses; the first match wins,
# so a subclass listed earlier would override its family.
STATUS_BY_FAMILY: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (Invalid, 422),
    (TooLarge, 413),
)


def status_of(exc: DomainError) -> int:
    for family, status in STATUS_BY_FAMILY:
        if isinstance(exc, family):
            return status
    return 400


def from_domain(exc: DomainError) -> ApiError:
    return ApiError(status_of(exc), exc.code, exc.message, exc.issues)


def not_found(what: str, ident: str, field: str) -> ApiError:
    message = f"no {what} with id {ident!r}"
    return ApiError(404, "not_found", message, [Issue("not_found", message, field)])


def conflict(code: str, message: str, details: list[Issue] | dict[str, Any] | None = None) -> ApiError:
    return ApiError(409, code, message, details)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def unprocessable(exc: ValidationError, prefix: tuple[Any, ...] = ()) -> ApiError:
    return from_domain(Invalid.from_validation(exc, field_path(prefix) if prefix else ""))


def invalid(issues: list[Issue], code: str = "validation_error") -> ApiError:
    """A 422 listing `issues`, its message naming their fields."""
    return ApiError(422, code, f"invalid fields: {paths(issues)}", issues)


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
    merged: dict[str, str | list[str]] = {"Content-Type": "application/json"}
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
        message = f"request body is {len(raw)} bytes; the limit is {max_bytes}"
        raise ApiError(413, "payload_too_large", message, [Issue("payload_too_large", message, "body")])
    if _media_type(request) != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json",
                       [Issue("unsupported_media_type", f"got {_media_type(request)}", "content-type")])
    if not raw.strip():
        if required:
            raise ApiError(400, "malformed_json", "request body is empty; a JSON object is required",
                       [Issue("malformed_json", "empty body", "body")])
        return {}
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"request body is not valid JSON: {exc}",
                       [Issue("malformed_json", str(exc), "body")]) from None


def parse_model(model: type[M], data: Any, prefix: tuple[Any, ...] = ()) -> M:
    if not isinstance(data, dict):
        raise invalid([Issue("invalid_value", "expected an object", field_path(prefix))])
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
                       [Issue("invalid_value", "not an integer", name)]) from None
    if not lo <= value <= hi:
        raise ApiError(422, "validation_error", f"{name} must be between {lo} and {hi}",
                       [Issue("invalid_value", f"out of range [{lo}, {hi}]", name)])
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
        except DomainError as exc:
            return from_domain(exc).to_response()
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
            "details": [],
        }
        response.headers["Content-Type"] = "application/json"
    return response
