"""The one error model both domains and both APIs speak.

An `Issue` names one problem a person can act on: a stable `code`, a sentence,
and the dotted `path` of the field it concerns (`design.rings.0.width_mm`), or
"" / "body" when it is about no single field. Every 4xx body is an `ErrorBody`
whose `details` lists such issues, so a client reads one shape whichever API
answered.

The domains raise `DomainError` subclasses and never choose HTTP statuses; the
HTTP layer maps the families below (not found, conflict, invalid, too large) to
statuses in one table, and a worker or reconciler can catch them by name.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, ValidationError


class Issue(BaseModel):
    """One problem with a request or an intent; `path` names the field."""

    # A response always carries `path`, so the documented (serialisation) schema requires it.
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    code: str
    message: str
    path: str = ""

    def __init__(self, *args: str, **data: Any) -> None:
        # Positional (code, message, path) reads better at the many call sites
        # that build one issue inline.
        data.update(zip(("code", "message", "path"), args))
        super().__init__(**data)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "path": self.path}


class ErrorBody(BaseModel):
    """The JSON body of every error response from either API."""

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    details: list[Issue]


def dotted(loc: Iterable[Any], prefix: str = "") -> str:
    parts = [prefix] if prefix else []
    parts += [str(p) for p in loc]
    return ".".join(parts)


def _code(err: Mapping[str, Any]) -> str:
    kind = err.get("type")
    if kind == "extra_forbidden":
        return "unknown_field"
    if kind == "missing":
        return "missing_field"
    return "invalid_value"


def _message(err: Mapping[str, Any]) -> str:
    kind = err.get("type")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "finite_number":
        return "must be a finite number (not NaN or infinity)"
    return str(err.get("msg", "invalid value"))


def issues_from_validation(exc: ValidationError, prefix: str = "",
                           path_of: Callable[[tuple[Any, ...]], str] | None = None,
                           empty: str = "body") -> list[Issue]:
    """Each pydantic error as an Issue whose path starts with `prefix`.

    `path_of` lets a model whose internal shape differs from the caller's JSON
    (a tagged union, a legacy single-operation form) name the field the caller
    actually sent; `empty` is the path of an error about the whole document.
    """
    issues = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "union_tag_invalid":
            # The wrong value is the tag itself: name the key that holds it.
            loc = loc + (str(err.get("ctx", {}).get("discriminator", "")).strip("'"),)
        path = path_of(loc) if path_of else dotted(loc, prefix)
        issues.append(Issue(_code(err), _message(err), path or empty))
    return issues


def paths(issues: Sequence[Issue]) -> str:
    """The fields named by `issues`, for a one-line message."""
    return ", ".join(sorted({i.path or "body" for i in issues})) or "body"


class DomainError(Exception):
    """A failure a caller can act on, with a stable `code` and the issues behind it.

    Subclasses pick a family (and so an HTTP status, at the edge) and usually a
    class-level `code`; an instance may carry its own when one class covers
    several codes a client already relies on.
    """

    code = "error"

    def __init__(self, message: str, issues: Sequence[Issue] = (), *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.issues = list(issues)

    def body(self) -> ErrorBody:
        return ErrorBody(code=self.code, message=self.message, details=self.issues)


class NotFound(DomainError):
    """The thing named does not exist (or never could: a malformed id)."""

    code = "not_found"


class Conflict(DomainError):
    """The request is well formed but the current state refuses it."""

    code = "conflict"


class Invalid(DomainError):
    """The request names fields or values that are wrong."""

    code = "validation_error"

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: str = "") -> "Invalid":
        issues = issues_from_validation(exc, prefix)
        return cls(f"invalid fields: {paths(issues)}", issues)


class TooLarge(DomainError):
    """The request is valid but more than the service takes at once."""

    code = "payload_too_large"
