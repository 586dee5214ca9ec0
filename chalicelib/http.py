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

import contextvars
import functools
import json
import logging
import os
import re
import uuid
from typing import AbstractSet, Any, Callable, TypeVar

from chalice import CognitoUserPoolAuthorizer, CORSConfig, Response
from pydantic import BaseModel, ValidationError

from chalicelib import auth, config
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


# Identity failures, in the same spirit: one status per failure a caller can act on.
STATUS_BY_AUTH_ERROR: tuple[tuple[type[auth.AuthError], int], ...] = (
    (auth.Unauthenticated, 401),
    (auth.Forbidden, 403),
    (auth.Hidden, 404),
    (auth.KeysUnavailable, 503),
    (auth.AuthNotConfigured, 500),
)

# Every API response, errors included: browsers must not sniff a JSON body into
# something executable, and nothing that names a user's designs may be cached.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def status_of(exc: DomainError) -> int:
    for family, status in STATUS_BY_FAMILY:
        if isinstance(exc, family):
            return status
    return 400


def from_domain(exc: DomainError) -> ApiError:
    return ApiError(status_of(exc), exc.code, exc.message, exc.issues)


def from_auth(exc: auth.AuthError) -> ApiError:
    status = next((s for family, s in STATUS_BY_AUTH_ERROR if isinstance(exc, family)), 500)
    if isinstance(exc, auth.Unauthenticated):
        return AuthRequired(exc.reason, exc.message)
    if isinstance(exc, auth.Forbidden):
        return ApiError(status, exc.reason if exc.reason == "four_eyes" else "forbidden", exc.message,
                        [Issue(exc.reason, exc.message, "Authorization")])
    if isinstance(exc, auth.Hidden):
        # The same answer as for an id nobody stored: other owners' ids cannot be probed.
        return ApiError(status, "not_found", "no such resource", [Issue("not_found", "no such resource", "id")])
    if isinstance(exc, auth.KeysUnavailable):
        return ApiError(status, "auth_unavailable", "sign-in keys are unavailable; try again shortly")
    log.error("identity is not configured: %s", exc)
    return ApiError(status, "auth_not_configured", "the service's sign-in is not configured")


class AuthRequired(ApiError):
    """401, with the challenge header RFC 6750 asks for."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(401, "unauthenticated", message, [Issue(reason, message, "Authorization")])
        self.reason = reason

    def to_response(self) -> Response:
        response = super().to_response()
        response.headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{self.reason}"' \
            if self.reason != "missing" else "Bearer"
        return response


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
    return SiteCORSConfig(allow_origin=config.site_origin(), allow_headers=["Authorization", "Content-Type"],
                          max_age=600)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    merged: dict[str, str | list[str]] = {"Content-Type": "application/json", **SECURITY_HEADERS}
    merged.update(headers or {})
    return Response(body=body, status_code=status, headers=merged)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON numbers")


def _media_type(request: Any) -> str:
    raw = (request.headers or {}).get("content-type") or "application/json"
    return raw.split(";", 1)[0].strip().lower()


# Deeper than any document the APIs take (an intent's island points sit at
# depth 6); past it a body is refused before anything walks it recursively.
MAX_JSON_DEPTH = 64
_OPENERS = re.compile(rb"[\[{]")
# A \uD800-\uDFFF escape; only bodies holding one need their strings checked.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _too_deep() -> ApiError:
    message = f"request body nests arrays/objects deeper than {MAX_JSON_DEPTH} levels"
    return ApiError(400, "malformed_json", message, [Issue("malformed_json", message, "body")])


def _check_depth(doc: Any) -> None:
    """Refuse a parsed document nested past MAX_JSON_DEPTH (walked without recursion)."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_JSON_DEPTH:
                    raise _too_deep()
                stack.append((child, depth + 1))


def _lone_surrogates(doc: Any) -> list[Issue]:
    """Strings (keys or values) holding a lone UTF-16 surrogate, by path.

    JSON's grammar lets `"\\ud800"` through, but it is not text: it cannot be
    stored as UTF-8 or compared reliably, so it is refused where it stands.
    """
    issues: list[Issue] = []
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                issues.append(Issue("invalid_text", "contains a lone UTF-16 surrogate (\\ud800-\\udfff); "
                                                    "send valid Unicode text", path or "body"))
            continue
        items: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in items:
            child_path = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _SURROGATE.search(key):
                issues.append(Issue("invalid_text", "field name contains a lone UTF-16 surrogate", child_path))
            stack.append((child, child_path))
    return sorted(issues, key=lambda i: i.path)


def json_body(request: Any, *, required: bool = True, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Any:
    """Parse the request body as strict JSON (no NaN/Infinity), with a size cap.

    Nesting past MAX_JSON_DEPTH is a 400 like any other malformed body; a lone
    surrogate in a string is a 422 naming the field that holds it.
    """
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
        doc = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"request body is not valid JSON: {exc}",
                       [Issue("malformed_json", str(exc), "body")]) from None
    # Counting openers is cheap; only a body with that many can be too deep.
    if len(_OPENERS.findall(raw)) > MAX_JSON_DEPTH:
        _check_depth(doc)
    if _SURROGATE_ESCAPE.search(raw):
        issues = _lone_surrogates(doc)
        if issues:
            raise ApiError(422, "validation_error", f"invalid fields: {paths(issues)}", issues)
    return doc


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
        except auth.AuthError as exc:
            return from_auth(exc).to_response()
        except ValidationError as exc:
            return unprocessable(exc).to_response()
        except Exception:
            log.exception("unhandled error in %s", fn.__name__)
            return ApiError(500, "internal_error", "the server failed to handle this request").to_response()
        if isinstance(result, Response):
            return result
        return json_response(result)

    return wrapper  # type: ignore[return-value]


_principal: contextvars.ContextVar[auth.Principal | None] = contextvars.ContextVar("principal", default=None)


def principal() -> auth.Principal:
    """The verified caller of the request being handled (set by `api_route`)."""
    caller = _principal.get()
    if caller is None:
        raise auth.AuthNotConfigured("a secured handler ran without a verified caller")
    return caller


def authorize(action: str, owner_sub: str | None = None,
              shared_with: AbstractSet[str] = frozenset()) -> auth.Principal:
    """Ask the policy about the current caller and a resource owned by `owner_sub` (shared with `shared_with`)."""
    caller = principal()
    auth.authorize(caller, action, owner_sub or NO_OWNER, shared_with=shared_with)
    return caller


# Records written before owners were stored belong to nobody: only roles that
# act on any resource reach them.
NO_OWNER = "no-owner"


# Path parameters and what they name, so a hidden resource is refused in exactly
# the words an id nobody stored gets.
_ID_PARAMS = {"session_id": "session", "request_id": "promotion request", "job_id": "job"}


def _as_missing(params: dict[str, Any]) -> ApiError:
    for name, what in _ID_PARAMS.items():
        if name in params:
            return not_found(what, str(params[name]).lower(), name)
    return not_found("resource", "", "id")


def cognito_authorizer() -> CognitoUserPoolAuthorizer | None:
    """API Gateway's first gate, where the stage names a user pool (`USER_POOL_ARN`).

    Chalice imports the app with the stage's environment when it packages or
    deploys, so the prod template gets the authorizer on every secured route.
    Locally and under test no pool ARN exists and the app's own verifier is the gate.
    """
    arn = os.environ.get("USER_POOL_ARN", "").strip()
    if not arn:
        return None
    return CognitoUserPoolAuthorizer("luthier-cam-users", provider_arns=[arn])


def api_route(router: Any, path: str, *, action: str | None = None, public: bool = False,
              **kwargs: Any) -> Callable[[F], F]:
    """`router.route(...)` with CORS for the site, JSON error handling and identity.

    A secured route names its policy action. Collection actions (no owner) are
    decided here; owned ones are decided by the handler through `authorize`
    once it has read the resource's owner.
    """
    if public == (action is not None):
        raise ValueError(f"{path}: a route is either public or names its action")
    if action is not None and action not in auth.ACTIONS and action != "session.transition":
        raise ValueError(f"{path}: unknown action {action!r}")
    kwargs.setdefault("cors", cors_config())
    if not public:
        authorizer = cognito_authorizer()
        if authorizer is not None:
            kwargs.setdefault("authorizer", authorizer)

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def secured(*args: Any, **kw: Any) -> Any:
            caller = auth.principal_from_headers(router.current_request.headers or {})
            token = _principal.set(caller)
            try:
                if action in auth.ACTIONS and not auth.policy.RULES[action].owned:
                    auth.authorize(caller, action)
                return fn(*args, **kw)
            except auth.Hidden:
                raise _as_missing(kw) from None
            finally:
                _principal.reset(token)

        view = fn if public else secured
        return router.route(path, **kwargs)(handle_errors(view))

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
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
