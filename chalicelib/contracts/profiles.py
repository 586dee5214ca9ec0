"""The CAM profile catalogue, published to both domains as data.

The CAM side turns a profile into cutting parameters; Art Studio only needs to
know which ids exist, so a promotion naming an unknown profile is refused
before an immutable request is written for it.
"""
from __future__ import annotations

import functools
import json
import pathlib
from typing import Any

CATALOGUE_PATH = pathlib.Path(__file__).with_name("cam_profiles.json")


@functools.cache
def catalogue() -> dict[str, Any]:
    return json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))


def profile_ids() -> list[str]:
    return sorted(catalogue()["profiles"])


def default_profile_id() -> str:
    return str(catalogue()["default"])
