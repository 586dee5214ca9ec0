"""Profiling: cutting along an outline, inside, outside or on it."""
