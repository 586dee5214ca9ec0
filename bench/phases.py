"""Where the time of one plan goes: each stage of plan_intent timed on its own.

The stages are wrapped for the duration of the measurement only, so the
other figures are taken on the unwrapped code.
"""
from __future__ import annotations

import contextlib
import statistics
import time
from typing import Callable, Iterator

from bench.cases import Case
from bench.harness import Row

GROUP = "planning phases"


@contextlib.contextmanager
def _stopwatches() -> Iterator[dict[str, float]]:
    from chalicelib.rmos.cam import pipeline, posts
    from chalicelib.rmos.cam.router import pocket, shapes

    targets: list[tuple[object, str, str]] = [
        (pipeline, "_sections", "plan: all router work"),
        (shapes, "insets", "plan: GEOS offsets (wall ring and inner rings)"),
        (shapes, "rough_insets", "plan: GEOS offsets (wall ring and inner rings)"),
        (pocket, "_fitted_node", "plan: thinning and fitting rings with lines and arcs"),
        (pocket.PolygonClearing, "link_ok", "plan: link-at-depth checks"),
        (pocket.PolygonClearing, "add", "plan: recording the cut path for links"),
        (posts, "render", "post: G-code text"),
        (pipeline, "run_checks", "self-check: re-reading the G-code"),
        (pipeline, "build_report", "report"),
        (pipeline, "preview_svg", "preview SVG"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in targets]
    spent = {label: 0.0 for _, _, label in targets}  # printed in this order

    def timed(fn: Callable, label: str) -> Callable:
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start
        return wrapper

    for (owner, name, label), (_, _, fn) in zip(targets, saved):
        setattr(owner, name, timed(fn, label))
    try:
        yield spent
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)


def run(case: Case, runs: int) -> list[Row]:
    """Mean time per stage over `runs` plans of `case`, next to the median total."""
    from chalicelib.rmos.cam.pipeline import plan_intent

    totals = []
    with _stopwatches() as spent:
        for _ in range(runs):
            start = time.perf_counter()
            plan_intent(case.intent)
            totals.append(time.perf_counter() - start)
    total = statistics.median(totals)
    rows = [Row(GROUP, f"({case.key}) whole plan_intent", total, "s",
                note="stages below are means over the same runs; those marked plan: are parts of the first")]
    rows += [Row(GROUP, f"({case.key}) {label}", seconds / runs, "s",
                 spread=f"{100 * seconds / runs / total:.0f} % of the whole")
             for label, seconds in spent.items()]
    return rows
