"""The /plan refusal bench runs its cases and every refusal comes back with its expected status."""
from __future__ import annotations

from bench import refusal, suites


def test_refusal_bench_is_registered_and_answers_each_case():
    assert ("refusal", refusal.run) in suites.SUITES
    rows = refusal.run(quick=True)
    assert len(rows) == len(refusal.CASES)
    assert all(row.unit == "s" and row.value > 0 for row in rows)
    assert all(row.note.startswith(("413 ", "422 ")) for row in rows)
