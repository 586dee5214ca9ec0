"""Response shapes the routes build by hand, as models the OpenAPI document can publish.

The routes return plain dicts for these; the models exist so the document
describes every response, and so the fuzz tests hold the routes to them
(`additionalProperties: false` where the shape is fixed, so a new key has to be
documented before it ships).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.art_studio.store import Session
from chalicelib.contracts.promotion import CamPromotionRequestV1


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionListView(_View):
    items: list[Session]
    next_cursor: str | None


class ExportDownloadsView(_View):
    svg: str
    dxf: str


class ExportView(_View):
    session: Session
    downloads: ExportDownloadsView


class AttemptView(_View):
    """A re-run of a job after its first: by the reconciler or a person's retry."""

    attempt: int
    reason: str | None
    created_at: str | None


class PromotionRequestView(CamPromotionRequestV1):
    """The immutable request, its job's live status overlaid, and the job's attempts once it has been re-run."""

    attempts: list[AttemptView] = []


class SubmittedJobView(_View):
    job: JobView


class IntentValidationView(_View):
    ok: bool
    issues: list[IntentIssueView]
    normalized: dict[str, Any] | None


class PlanPreviewView(_View):
    program: str
    report: dict[str, Any]
    preview_svg: str
    post: str
    units: str


class CamProfileView(BaseModel):
    # Catalogue entries carry tuning numbers that grow with the catalogue; only the frame is fixed.
    id: str
    name: str
    description: str
    post: str
    machine: dict[str, Any]
    tool: dict[str, Any]
    material: dict[str, Any]


class CamProfilesView(_View):
    default: str
    profiles: list[CamProfileView]


class HealthView(_View):
    status: Literal["ok"]


class PromotionResultView(_View):
    """`promote_to_cam` in the seed's shape: 201 new, 200 existing."""

    ok: Literal[True]
    request: PromotionRequestView


class PromotionBlockedView(_View):
    """`promote_to_cam` refused (409): the seed's `ok: false` body, not an error body."""

    ok: Literal[False]
    blocked_reason: str
    request: None


class IntentIssueView(_View):
    code: str
    message: str
    path: str


class JobView(_View):
    job_id: str
    kind: str | None
    status: str | None
    reason: str | None
    issues: list[dict[str, Any]]
    intent_id: str | None
    attempt: int = 0
    created_at: str | None
    updated_at: str | None
    report: dict[str, Any] | None
    # Presigned links, only for callers the policy lets download (job.download).
    downloads: dict[str, str]
    # The verified `sub` of whoever submitted the intent, or of the promoted session's owner.
    owner_sub: str | None = None


class RetriedJobView(_View):
    job: JobView
    attempts: list[AttemptView]
