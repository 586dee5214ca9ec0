"""Posts: one dialect table each, over the shared renderer in base.py."""
from __future__ import annotations

from chalicelib.rmos.cam.posts import grbl, linuxcnc
from chalicelib.rmos.cam.posts.base import Dialect, PostError, render

DIALECTS: dict[str, Dialect] = {d.name: d for d in (grbl.DIALECT, linuxcnc.DIALECT)}


def dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise PostError(f"unknown post {name!r}; known: {', '.join(sorted(DIALECTS))}") from None


__all__ = ["DIALECTS", "Dialect", "PostError", "dialect", "render"]
