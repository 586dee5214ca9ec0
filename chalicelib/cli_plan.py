"""`plan`: CamIntentV1 JSON file -> G-code, report and preview, offline."""
from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    pass
