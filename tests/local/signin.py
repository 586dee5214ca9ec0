"""Sign in to a running local stack as one of the users it prints at start-up."""
from __future__ import annotations

import json
from pathlib import Path

from luthier import sdk
from tests.stackproc import Stack


def credentials(stack: Stack) -> dict[str, dict]:
    """username -> {password, sub, groups}, as the stack recorded them in its data folder."""
    identity = json.loads((Path(stack.env["LOCAL_DATA_DIR"]) / "identity.json").read_text())
    return {u["username"]: u for u in identity["users"]}


def auth(stack: Stack, username: str) -> sdk.CognitoAuth:
    return sdk.CognitoAuth.from_site_config(stack.site + "/config.json", username,
                                            credentials(stack)[username]["password"])


def client(stack: Stack, username: str) -> sdk.Client:
    return sdk.Client(stack.api, auth=auth(stack, username))
