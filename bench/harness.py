"""Repeated measurement, medians and spreads, and the printed table."""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable


@dataclass
class Sample:
    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: list[float]) -> "Sample":
        ordered = sorted(values)
        return cls(statistics.median(ordered), ordered[0], ordered[-1], len(ordered))


def timed(fn: Callable[[], Any], runs: int, warmup: int = 1) -> tuple[Sample, Any]:
    """Median wall time in seconds over `runs` calls, after `warmup` unmeasured ones."""
    return timed_within(fn, runs, math.inf, warmup)


def timed_within(fn: Callable[[], Any], runs: int, budget_s: float, warmup: int = 0) -> tuple[Sample, Any]:
    """Like `timed`, but no further run starts once the measured runs took `budget_s` (at least one runs).

    For work whose cost is still moving: a slow case gets few runs, a fast one all `runs`.
    """
    result = None
    for _ in range(warmup):
        result = fn()
    values: list[float] = []
    while len(values) < runs and (not values or sum(values) < budget_s):
        start = time.perf_counter()
        result = fn()
        values.append(time.perf_counter() - start)
    return Sample.of(values), result


@dataclass
class Row:
    """One figure, the floor it is compared with in the same run, and its target."""

    group: str
    name: str
    value: float
    unit: str
    spread: str = ""
    floor: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.floor in (None, 0):
            return None
        return self.value / self.floor

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "B":
        return f"{value / 1e6:.2f} MB" if value >= 1e5 else f"{value / 1e3:.1f} kB"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "x":
        return f"{value:.3f}x"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}".strip()
    return f"{value:.3g} {unit}".strip()


def render(rows: list[Row]) -> str:
    headers = ["benchmark", "figure", "spread", "floor", "ratio", "target", "ok"]
    table = []
    for r in rows:
        ok = "" if r.met is None else ("yes" if r.met else "NO")
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        table.append([f"{r.group}: {r.name}", _fmt(r.value, r.unit), r.spread,
                      _fmt(r.floor, r.unit), ratio, r.target, ok])
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table]
    notes = [f"  [{r.group}: {r.name}] {r.note}" for r in rows if r.note]
    if notes:
        lines += ["", "notes:"] + notes
    return "\n".join(lines)


def spread_text(sample: Sample, unit: str) -> str:
    return f"{_fmt(sample.low, unit)} .. {_fmt(sample.high, unit)} (n={sample.runs})"
