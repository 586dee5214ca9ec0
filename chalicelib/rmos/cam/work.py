"""How much work a job is, and the wall-clock deadline planning runs under.

One estimate gates every entry point: `prepare.estimate(prepared)` sizes a
job from its normalised design and resolved cut, without planning it, and
`/plan`, `/intents` and the worker all compare that one figure with their own
limits. The estimate is turned into seconds with `SECONDS_PER_MOVE` and the
per-ring costs of polygon pockets, measured on real plans (tests/cam/test_work_estimate.py
keeps them honest).

A `Deadline` is checked by the planner's loops (`checkpoint()`), never by a
signal: Lambda runs handlers in threads where signals cannot be used, and a
job stopped this way fails with a reason instead of being killed mid-write.
"""
from __future__ import annotations

import contextlib
import gc
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

from chalicelib.contracts.errors import Issue, TooLarge

# Measured on the 2-core CI machine (bench `plan_refusal`, tests/cam/test_work_estimate.py):
# linking and posting cost about this much per move, and every offset ring of
# a polygon pocket costs about this much more for its shapely offset and fit.
SECONDS_PER_MOVE = 50e-6
SECONDS_PER_POLYGON_RING = 20e-3
SECONDS_PER_RING_VERTEX = 30e-6

# The worker's Lambda timeout is 300 s; a minute is left for reading the
# request, writing the artifacts and recording the outcome.
JOB_PLANNING_SECONDS = 240.0


@dataclass(frozen=True)
class WorkEstimate:
    """Moves the planner will emit and the seconds it will take, before planning."""

    moves: int
    seconds: float
    path: str = "design"

    def describe(self) -> str:
        return f"about {self.moves:,} moves, about {self.seconds:.1f} s of planning"


class WorkTooLarge(TooLarge):
    """The job is more work than this entry point takes; `issues` say what to change."""

    code = "too_large"


ADVICE = "use a larger stepover or stepdown, a bigger tool, fewer or smaller features, or split the job"


def too_large(estimate: WorkEstimate, limit: str, *, code: str = "too_large", advice: str = ADVICE) -> WorkTooLarge:
    message = f"too large: {estimate.describe()}; {limit}. To fit, {advice}"
    return WorkTooLarge(message, [Issue(code, f"{estimate.describe()}; {limit}", estimate.path)], code=code)


class DeadlinePassed(WorkTooLarge):
    """Planning ran past its deadline; raised from inside the planner's loops."""


@dataclass
class Deadline:
    """A point in monotonic time that planning must finish by."""

    seconds: float
    what: str = "the planning deadline"
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = time.monotonic()
        self.at = self.started + self.seconds

    def check(self) -> None:
        if time.monotonic() > self.at:
            message = (f"too large: planning did not finish within {self.what} ({self.seconds:g} s). To fit, "
                       f"{ADVICE}")
            raise DeadlinePassed(message, [Issue("too_large", f"planning passed {self.what} ({self.seconds:g} s)",
                                                 "design")])


_ACTIVE: ContextVar[Deadline | None] = ContextVar("planning_deadline", default=None)


@contextlib.contextmanager
def running_until(deadline: Deadline | None) -> Iterator[None]:
    """Planning inside this block stops with DeadlinePassed once `deadline` passes."""
    token = _ACTIVE.set(deadline)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector held off for the block (one plan), and restored as it was after.

    A plan makes hundreds of thousands of small objects (pieces, moves,
    tuples of floats) that all live until the plan is done. The collector
    would walk them again every few thousand allocations and find almost
    nothing to free (on the bench's body pocket, about a tenth of the
    plan's time for a few hundred objects). Cycles a plan leaves behind are
    freed by the collector's first run after the block.
    """
    if threading.current_thread() is not threading.main_thread():
        # The collector is the whole process's. Held off from one of several
        # threads (the local stack plans jobs four at a time), it stays off
        # for all of them, and what their requests leave behind is collected
        # in fewer, longer sweeps that stall every thread: 4 concurrent jobs
        # ran 10-30 % slower than one at a time. A Lambda plans on its main
        # thread, one job per process.
        yield
        return
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def checkpoint() -> None:
    """Called by the planner's loops: cheap when no deadline is set or it is still ahead."""
    deadline = _ACTIVE.get()
    if deadline is not None:
        deadline.check()
