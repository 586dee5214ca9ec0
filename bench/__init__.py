"""Benchmarks: `make bench` (python -m bench). Figures, never test assertions."""
