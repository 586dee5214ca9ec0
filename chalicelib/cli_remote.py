"""`submit`, `status`, `download`: the CLI over the HTTP API (see chalicelib/sdk.py)."""
from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    pass
