"""A small Python client for the Luthier CAM Bridge HTTP API.

Standard library only (urllib), so it adds nothing to install and nothing to
the Lambda package. Every failure the API reports arrives as an `ApiError`
subclass carrying the API's `code`, `message` and `details`:

    from luthier.sdk import Client, ValidationFailed
    api = Client("http://127.0.0.1:8001/api")
    job = api.submit_intent({"mode": "router_3axis", "design": {...}})
    job = api.wait_for_job(job["job_id"])
    paths = api.download_artifacts(job["job_id"], "out/")

Every route but health needs a Cognito ID token. `CognitoAuth` signs in with a
username and password (USER_PASSWORD_AUTH), keeps the tokens in memory,
refreshes the ID token shortly before it expires (REFRESH_TOKEN_AUTH) and hands
it to the client, which sends `Authorization: Bearer <id token>` on each call:

    auth = CognitoAuth.from_site_config("http://127.0.0.1:8000/config.json", "integrator", password)
    api = Client("http://127.0.0.1:8001/api", auth=auth)

The base URL ends with the `/api` prefix every route shares: for the local
stack `http://127.0.0.1:8001/api`; deployed, the stage URL plus `/api`
(`https://{id}.execute-api.{region}.amazonaws.com/api/api`, as scripts/deploy.py
writes into the site's config.json).
"""
from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable

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


class Unauthenticated(ApiError):
    """401: no token, or one the API does not accept (`details` names the reason)."""


class Forbidden(ApiError):
    """403: the signed-in user's groups do not allow this."""


class SignInFailed(ApiError):
    """Cognito refused the sign-in or the refresh (wrong password, unknown user, disabled user)."""


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


_BY_STATUS: dict[int, type[ApiError]] = {400: BadRequest, 415: BadRequest, 401: Unauthenticated, 403: Forbidden,
                                         404: NotFound, 409: Conflict,
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


# Refresh this long before the ID token's expiry, so a call never leaves with a token about to lapse.
REFRESH_MARGIN_S = 120.0
CONFIG_ENV = "LUTHIER_CAM_SITE_CONFIG"
DEFAULT_SITE_CONFIG = "http://127.0.0.1:8000/config.json"


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified: for showing who is signed in, never for trusting it."""
    try:
        payload = token.split(".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    except (IndexError, ValueError, TypeError):
        return {}


class CognitoAuth:
    """A user pool sign-in that keeps an ID token fresh; the password is kept only to sign in again."""

    def __init__(self, client_id: str, region: str, username: str, password: str, endpoint_url: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.client_id = client_id
        self.region = region
        self.username = username
        self.endpoint_url = endpoint_url or None
        self._password = password
        self._clock = clock
        self._cognito: Any = None
        self.tokens: dict[str, str] = {}
        self.expires_at = 0.0
        self.sign_ins = 0
        self.refreshes = 0

    @classmethod
    def from_site_config(cls, config: str | dict[str, Any], username: str, password: str,
                         timeout_s: float = 10.0) -> "CognitoAuth":
        """Sign-in settings from a site's config.json (a URL, or the parsed document)."""
        if isinstance(config, str):
            try:
                with urllib.request.urlopen(config, timeout=timeout_s) as reply:  # noqa: S310 - the caller's own site
                    config = json.loads(reply.read().decode("utf-8"))
            except (urllib.error.URLError, OSError, ValueError) as exc:
                raise Unreachable(0, "unreachable", f"cannot read the sign-in settings from {config}: "
                                                    f"{getattr(exc, 'reason', exc)}") from None
        cognito = config.get("cognito") if isinstance(config, dict) else None
        if not isinstance(cognito, dict) or not cognito.get("clientId") or not cognito.get("region"):
            raise SignInFailed(0, "sign_in_not_configured", "the site's config.json has no cognito settings "
                                                            "(clientId, region)")
        return cls(str(cognito["clientId"]), str(cognito["region"]), username, password,
                   endpoint_url=str(cognito.get("endpoint") or "") or None)

    def _client(self) -> Any:
        if self._cognito is None:
            import boto3
            from botocore import UNSIGNED
            from botocore.config import Config

            # InitiateAuth takes no AWS credentials: the password or refresh token is the credential.
            self._cognito = boto3.client("cognito-idp", region_name=self.region, endpoint_url=self.endpoint_url,
                                         config=Config(signature_version=UNSIGNED, retries={"max_attempts": 2}))
        return self._cognito

    def _initiate(self, flow: str, parameters: dict[str, str]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            reply = self._client().initiate_auth(ClientId=self.client_id, AuthFlow=flow, AuthParameters=parameters)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise SignInFailed(401, str(error.get("Code") or "sign_in_failed"),
                               str(error.get("Message") or "Cognito refused the sign-in")) from None
        except BotoCoreError as exc:
            raise Unreachable(0, "unreachable", f"cannot reach Cognito: {exc}") from None
        result = reply.get("AuthenticationResult")
        if not result:
            raise SignInFailed(401, "challenge_required",
                               f"Cognito asks for {reply.get('ChallengeName')}; finish it in the web page first")
        return dict(result)

    def _keep(self, result: dict[str, Any]) -> None:
        self.tokens.update({k: result[k] for k in ("IdToken", "AccessToken", "RefreshToken") if result.get(k)})
        self.expires_at = self._clock() + float(result.get("ExpiresIn") or 3600)

    def sign_in(self) -> None:
        self._keep(self._initiate("USER_PASSWORD_AUTH", {"USERNAME": self.username, "PASSWORD": self._password}))
        self.sign_ins += 1

    def refresh(self) -> None:
        """New ID and access tokens from the refresh token; a full sign-in when that is refused or missing."""
        refresh_token = self.tokens.get("RefreshToken")
        if refresh_token:
            try:
                self._keep(self._initiate("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh_token}))
                self.refreshes += 1
                return
            except SignInFailed:
                self.tokens.pop("RefreshToken", None)
        self.sign_in()

    def id_token(self) -> str:
        if "IdToken" not in self.tokens:
            self.sign_in()
        elif self._clock() >= self.expires_at - REFRESH_MARGIN_S:
            self.refresh()
        return self.tokens["IdToken"]

    def expire(self) -> None:
        """Treat the ID token as lapsed (the API said 401), so the next call refreshes it."""
        self.expires_at = 0.0

    @property
    def claims(self) -> dict[str, Any]:
        return token_claims(self.id_token())


class Client:
    def __init__(self, base_url: str | None = None, timeout_s: float = 30.0, auth: CognitoAuth | None = None) -> None:
        self.base_url = (base_url or default_base_url()).rstrip("/")
        self.timeout_s = timeout_s
        self.auth = auth

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
        status, raw = self._send(self._authorised(url, data, method, headers))
        if status == 401 and self.auth is not None:
            # The token lapsed or the pool signed the user out: one fresh token, one more try.
            self.auth.expire()
            status, raw = self._send(self._authorised(url, data, method, headers))
        if status >= 400:
            raise error_from_response(status, raw)
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise ServerError(status, "bad_response", f"{method} {path} did not return JSON") from None

    def _authorised(self, url: str, data: bytes | None, method: str,
                    headers: dict[str, str]) -> urllib.request.Request:
        if self.auth is not None:
            headers = {**headers, "Authorization": f"Bearer {self.auth.id_token()}"}
        return urllib.request.Request(url, data=data, method=method, headers=headers)

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

    def wait_for_job(self, job_id: str, timeout_s: float = 120.0, interval_s: float = 0.5,
                     max_interval_s: float = 5.0) -> dict[str, Any]:
        """Poll until the job is completed (returned) or failed (JobFailed); JobTimeout after timeout_s.

        The first wait is `interval_s`; each later one is half as long again, up
        to `max_interval_s`, so a quick job is seen soon and a job of minutes is
        not asked about twice a second. The last poll is made at the deadline,
        never a full interval past it. `max_interval_s=interval_s` polls at a
        fixed rate.
        """
        deadline = time.monotonic() + timeout_s
        delay = interval_s
        while True:
            job = self.job(job_id)
            if job.get("status") == "completed":
                return job
            if job.get("status") == "failed":
                raise JobFailed(200, "job_failed", str(job.get("reason") or "the CAM job failed"), job)
            left = deadline - time.monotonic()
            if left <= 0:
                raise JobTimeout(0, "job_timeout", f"job {job_id} is still {job.get('status')} after {timeout_s:g}s",
                                 job)
            time.sleep(min(delay, left))
            delay = min(delay * 1.5, max(max_interval_s, interval_s))

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
