"""A small Python client for the Luthier CAM Bridge HTTP API.

Standard library only (urllib), so it adds nothing to install and nothing to
the Lambda package. Every failure the API reports arrives as an `ApiError`
subclass carrying the API's `code`, `message` and `details`:

    from luthier.sdk import Client, ValidationFailed
    api = Client("http://127.0.0.1:8001/api")
    job = api.submit_intent({"mode": "router_3axis", "design": {...}})
    job = api.wait_for_job(job["job_id"])
    paths = api.download_artifacts(job["job_id"], "out/")

The base URL ends with the `/api` prefix every route shares: for the local
stack `http://127.0.0.1:8001/api`; deployed, the stage URL plus `/api`
(`https://{id}.execute-api.{region}.amazonaws.com/api/api`, as scripts/deploy.py
writes into the site's config.json).
"""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_API = "http://127.0.0.1:8001/api"
API_ENV = "LUTHIER_CAM_API"
ART = "/art/design-first-workflow"
CAM = "/rmos/cam"
FINAL_STATUSES = ("completed", "failed")


def default_base_url() -> str:
    return os.environ.get(API_ENV) or DEFAULT_API


class ApiError(Exception):
    """The API refused or failed a request: `status`, `code`, `message`, `details`."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}" if status else f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class BadRequest(ApiError):
    """400 or 415: the body was not JSON, or not sent as JSON."""


class NotFound(ApiError):
    """404."""


class Conflict(ApiError):
    """409: a workflow state, version or idempotency conflict."""


class PayloadTooLarge(ApiError):
    """413."""


class ValidationFailed(ApiError):
    """422: `details` lists each offending field."""


class ServerError(ApiError):
    """5xx."""


class Unreachable(ApiError):
    """No HTTP answer at all (connection refused, DNS, timeout)."""


class JobFailed(ApiError):
    """The CAM job ended `failed`; `details` is the job."""


class JobTimeout(ApiError):
    """The job did not finish in the time allowed; `details` is the last job seen."""


_BY_STATUS: dict[int, type[ApiError]] = {400: BadRequest, 415: BadRequest, 404: NotFound, 409: Conflict,
                                         413: PayloadTooLarge, 422: ValidationFailed}


def error_from_response(status: int, raw: bytes) -> ApiError:
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (ValueError, UnicodeDecodeError):
        body = None
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    if isinstance(body, dict) and "code" in body and "message" in body:
        return cls(status, str(body["code"]), str(body["message"]), body.get("details"))
    if isinstance(body, dict) and body.get("ok") is False and "blocked_reason" in body:
        # promote_to_cam's refusal has the seed's own shape.
        return cls(status, "promotion_blocked", str(body["blocked_reason"]), body)
    text = raw[:300].decode("utf-8", "replace").strip() if raw else ""
    if isinstance(body, dict) and "message" in body:
        text = str(body["message"])
    return cls(status, f"http_{status}", text or f"HTTP {status}", None)


class Client:
    def __init__(self, base_url: str | None = None, timeout_s: float = 30.0) -> None:
        self.base_url = (base_url or default_base_url()).rstrip("/")
        self.timeout_s = timeout_s

    # -- transport ---------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        url = self.base_url + path
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        status, raw = self._send(req)
        if status >= 400:
            raise error_from_response(status, raw)
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise ServerError(status, "bad_response", f"{method} {path} did not return JSON") from None

    def _send(self, req: urllib.request.Request) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310 - caller's own API URL
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Unreachable(0, "unreachable", f"cannot reach {req.full_url}: {reason}") from None

    def fetch(self, url: str) -> bytes:
        """GET an absolute URL (a presigned artifact link) and return the bytes."""
        status, raw = self._send(urllib.request.Request(url, method="GET"))
        if status >= 400:
            raise error_from_response(status, raw)
        return raw

    # -- CAM ---------------------------------------------------------------
    def profiles(self) -> dict[str, Any]:
        return self.request("GET", f"{CAM}/profiles")

    def submit_intent(self, intent: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"{CAM}/intents", intent)["job"]

    def validate_intent(self, intent: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"{CAM}/intents/validate", intent)

    def plan(self, intent: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"{CAM}/plan", intent)

    def job(self, job_id: str) -> dict[str, Any]:
        return self.request("GET", f"{CAM}/jobs/{urllib.parse.quote(job_id, safe='')}")

    def wait_for_job(self, job_id: str, timeout_s: float = 120.0, interval_s: float = 0.5) -> dict[str, Any]:
        """Poll until the job is completed (returned) or failed (JobFailed)."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.job(job_id)
            if job.get("status") == "completed":
                return job
            if job.get("status") == "failed":
                raise JobFailed(200, "job_failed", str(job.get("reason") or "the CAM job failed"), job)
            if time.monotonic() >= deadline:
                raise JobTimeout(0, "job_timeout", f"job {job_id} is still {job.get('status')} after {timeout_s:g}s",
                                 job)
            time.sleep(interval_s)

    def download_artifacts(self, job_id: str, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
        """Write every artifact of a completed job into out_dir; return name -> path."""
        job = self.job(job_id)
        downloads = job.get("downloads") or {}
        if job.get("status") != "completed" or not downloads:
            raise Conflict(409, "job_not_completed",
                           f"job {job_id} is {job.get('status')}; artifacts exist only once it is completed", job)
        target = Path(out_dir)
        target.mkdir(parents=True, exist_ok=True)
        written = {}
        for name, url in sorted(downloads.items()):
            safe = Path(name).name
            if safe != name or name.startswith("."):
                raise ServerError(200, "bad_response", f"refusing to write an artifact named {name!r}")
            path = target / safe
            path.write_bytes(self.fetch(url))
            written[name] = path
        return written

    # -- Art Studio --------------------------------------------------------
    def create_session(self, design: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"{ART}/sessions", {"design": design})

    def list_sessions(self, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        return self.request("GET", f"{ART}/sessions", query={"limit": limit, "cursor": cursor})

    def session(self, session_id: str) -> dict[str, Any]:
        return self.request("GET", f"{ART}/sessions/{_seg(session_id)}")

    def delete_session(self, session_id: str) -> None:
        self.request("DELETE", f"{ART}/sessions/{_seg(session_id)}")

    def update_design(self, session_id: str, design: dict[str, Any], version: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"design": design}
        if version is not None:
            body["version"] = version
        return self.request("PUT", f"{ART}/sessions/{_seg(session_id)}/design", body)

    def run_feasibility(self, session_id: str) -> dict[str, Any]:
        return self.request("POST", f"{ART}/sessions/{_seg(session_id)}/feasibility")

    def transition(self, session_id: str, to_state: str, note: str | None = None, actor: str | None = None,
                   version: int | None = None) -> dict[str, Any]:
        body = {k: v for k, v in {"to_state": to_state, "note": note, "actor": actor, "version": version}.items()
                if v is not None}
        return self.request("POST", f"{ART}/sessions/{_seg(session_id)}/transition", body)

    def export(self, session_id: str) -> dict[str, Any]:
        return self.request("POST", f"{ART}/sessions/{_seg(session_id)}/export")

    def promotion_intent(self, session_id: str) -> dict[str, Any]:
        return self.request("GET", f"{ART}/sessions/{_seg(session_id)}/promotion-intent")

    def promote_to_cam(self, session_id: str, cam_profile_id: str | None = None) -> dict[str, Any]:
        """The CamPromotionRequestV1; a refusal raises Conflict(code="promotion_blocked")."""
        reply = self.request("POST", f"{ART}/sessions/{_seg(session_id)}/promote_to_cam",
                             query={"cam_profile_id": cam_profile_id})
        return reply["request"]

    def promotion_request(self, request_id: str) -> dict[str, Any]:
        return self.request("GET", f"{ART}/cam-promotion/requests/{_seg(request_id)}")


def _seg(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")
