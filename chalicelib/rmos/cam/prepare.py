"""Raw intent -> PreparedIntent: normalised once, its profile resolved once.

Every entry point (`/intents/validate`, `/plan`, `/intents`, the worker, the
CLI through `pipeline.plan_intent`) starts here and hands the result on, so the
validation a caller saw and the setup the planner uses cannot drift apart.
`prepare` never raises for bad input: the issues come back on the result.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from chalicelib.contracts.cam_intent import CamIntentV1
from chalicelib.contracts.errors import Issue
from chalicelib.rmos.cam import posts, work
from chalicelib.rmos.cam.normalize import NormalizedIntent, normalize
from chalicelib.rmos.cam.profiles import ProfileError, ResolvedSetup, resolve
from chalicelib.rmos.cam.saw import blade_from_tool, check_design
from chalicelib.rmos.cam.work import WorkEstimate


@dataclass(frozen=True)
class PreparedIntent:
    """A validated intent with its cutting setup, or the issues that stopped it.

    `norm` is set once the envelope and its parts validate (it may carry
    issues found later, from the catalogue or the saw checks); `setup` only
    when the intent is ready to plan.
    """

    norm: NormalizedIntent | None
    setup: ResolvedSetup | None
    issues: list[Issue]

    @property
    def ok(self) -> bool:
        return not self.issues and self.norm is not None and self.setup is not None

    @property
    def intent(self) -> CamIntentV1 | None:
        return self.norm.intent if self.norm is not None else None

    def with_post(self, post: str | None) -> "PreparedIntent":
        """The same intent rendered for `post` (the caller's override of the intent's own)."""
        if post is None or self.norm is None:
            return self
        if post not in posts.DIALECTS:
            known = ", ".join(sorted(posts.DIALECTS))
            return PreparedIntent(self.norm, None, [Issue("unknown_post", f"unknown post {post!r}; known: {known}",
                                                          "post")])
        norm = dataclasses.replace(self.norm, options=self.norm.options.model_copy(update={"post": post}))
        setup = dataclasses.replace(self.setup, post=post) if self.setup is not None else None
        return PreparedIntent(norm, setup, self.issues)


def prepare(raw: Any) -> PreparedIntent:
    """Validate `raw` (a dict, a CamIntentV1 or an already PreparedIntent) and resolve its setup."""
    if isinstance(raw, PreparedIntent):
        return raw
    norm, issues = normalize(raw)
    if norm is None:
        return PreparedIntent(None, None, issues)
    try:
        setup = resolve(norm.intent, context=norm.context, options=norm.options,
                        design=norm.design if norm.mode != "saw" else None)
    except ProfileError as exc:
        return PreparedIntent(norm, None, list(exc.issues))
    if norm.mode == "saw":
        issues = check_design(norm.design, blade_from_tool(setup.tool))
    return PreparedIntent(norm, setup, list(issues))


# -- the one work estimate ----------------------------------------------------

def estimate(prepared: PreparedIntent) -> WorkEstimate:
    """The planner's own estimate of this intent's moves and planning time, made without planning.

    Works on the normalised (mm) design and the resolved cut, so it sees
    exactly what the planner will; an intent that is not ready counts as no work.
    """
    if not prepared.ok:
        return WorkEstimate(0, 0.0)
    assert prepared.norm is not None and prepared.setup is not None
    cut = prepared.setup.cut
    design = prepared.norm.design
    if prepared.norm.mode == "saw":
        depth = max((c.depth_mm for c in design.cuts), default=0.0)
        moves = len(design.cuts) * max(1, math.ceil(depth / cut.stepdown_mm)) * 4
        return WorkEstimate(moves, moves * work.SECONDS_PER_MOVE)
    from chalicelib.rmos.cam.router.estimate import estimate_design

    ops = estimate_design(design, cut)
    moves = sum(op.moves for op in ops)
    seconds = moves * work.SECONDS_PER_MOVE + sum(
        op.polygon_rings * (work.SECONDS_PER_POLYGON_RING + op.outline_segments * work.SECONDS_PER_RING_VERTEX)
        for op in ops)
    return WorkEstimate(moves, seconds)


def require_within(prepared: PreparedIntent, seconds: float, what: str) -> WorkEstimate:
    """The estimate, or WorkTooLarge when it is more than `seconds` of planning."""
    found = estimate(prepared)
    if found.seconds > seconds:
        raise work.too_large(found, f"{what} plans for at most {seconds:g} s")
    return found
