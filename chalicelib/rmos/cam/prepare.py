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
from chalicelib.rmos.cam import posts
from chalicelib.rmos.cam.normalize import NormalizedIntent, normalize
from chalicelib.rmos.cam.profiles import ProfileError, ResolvedSetup, resolve
from chalicelib.rmos.cam.saw import blade_from_tool, check_design


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


# -- preview work estimate ------------------------------------------------------

def _num(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _geometry_size(geom: dict[str, Any]) -> tuple[int, float]:
    """(path segments per ring, how far rings step inwards) of a geometry, in mm."""
    kind = geom.get("type")
    if kind == "circle":
        return 1, _num(geom.get("radius_mm"))
    if kind == "annulus":
        return 1, _num(geom.get("outer_radius_mm")) - _num(geom.get("inner_radius_mm"))
    points = [p for p in geom.get("points") or [] if isinstance(p, (list, tuple)) and len(p) >= 2]
    islands = [i for i in geom.get("islands") or [] if isinstance(i, (list, tuple))]
    segments = len(points) + sum(len(i) for i in islands)
    if not points:
        return segments, 0.0
    xs = [_num(p[0]) for p in points]
    ys = [_num(p[1]) for p in points]
    return segments, min(max(xs) - min(xs), max(ys) - min(ys)) / 2


def _op_moves(op: dict[str, Any], stepover: float, stepdown: float) -> int:
    depth = _num(op.get("depth_mm"))
    if op.get("operation") == "drill":
        peck = _num(op.get("peck_mm")) or depth or 1.0
        return len(op.get("holes") or []) * max(1, math.ceil(depth / peck)) * 3
    segments, extent = _geometry_size(op.get("geometry") or {})
    rings = 2 if op.get("operation") == "profile" else max(1, math.ceil(extent / stepover))
    return max(segments, 1) * rings * max(1, math.ceil(depth / stepdown))


def estimate_moves(prepared: PreparedIntent) -> int:
    """A cheap upper-bound-ish count of the moves planning would emit.

    Vertex count times offset rings times depth passes is what blows up on big
    polylines; catching it before planning keeps a synchronous request inside
    API Gateway's time limit. Works on the normalised (mm) design and the
    resolved cut, so it sees exactly what the planner will.
    """
    if not prepared.ok:
        return 0
    assert prepared.norm is not None and prepared.setup is not None
    design = prepared.norm.design.model_dump(mode="json")
    stepover = max(prepared.setup.cut.stepover_mm, 0.01)
    stepdown = max(prepared.setup.cut.stepdown_mm, 0.01)
    if prepared.norm.mode == "saw":
        depth = max((_num(c.get("depth_mm")) for c in design["cuts"]), default=0.0)
        return len(design["cuts"]) * max(1, math.ceil(depth / stepdown)) * 4
    return sum(_op_moves(op, stepover, stepdown) for op in design.get("operations") or [])
