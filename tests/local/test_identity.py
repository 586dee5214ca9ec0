"""The local stack's users: made at start, printed, kept with the same `sub` across restarts.

Tokens come from the stack's own Cognito (moto in the stack process) and are
checked with the API's verifier against the key set the stack serves.
"""
from __future__ import annotations

import json
import stat
import urllib.request
from pathlib import Path

import pytest

from chalicelib.auth import verify
from luthier import sdk
from luthier.cli import main
from luthier.local.identity import IDENTITY_FILE, IdentityFileError, read
from tests.cam.truth import run_rs274
from tests.local import signin
from tests.stackproc import Stack, start_stack, stop_stack

POCKET = {"intent_id": "identity-pocket", "mode": "router_3axis",
          "design": {"operation": "pocket", "depth_mm": 2.0,
                     "geometry": {"type": "circle", "center": [0, 0], "radius_mm": 15}}}


def verified(stack: Stack, token: str, monkeypatch: pytest.MonkeyPatch) -> verify.Principal:
    """The principal the API's verifier makes of `token`, with the settings the stack gives its API."""
    identity = json.loads((Path(stack.env["LOCAL_DATA_DIR"]) / IDENTITY_FILE).read_text())
    monkeypatch.setenv("USER_POOL_ID", identity["pool_id"])
    monkeypatch.setenv("USER_POOL_CLIENT_ID", identity["client_id"])
    monkeypatch.setenv("COGNITO_JWKS_URL", f"{stack.aws}/{identity['pool_id']}/.well-known/jwks.json")
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    verify.reset()
    try:
        return verify.principal_from_headers({"authorization": f"Bearer {token}"})
    finally:
        verify.reset()


def test_users_are_printed_signed_in_and_keep_their_sub_across_a_restart(tmp_path: Path, monkeypatch, capsys):
    data = tmp_path / "data"
    first = start_stack("luthier.local", data)
    try:
        path = data / IDENTITY_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        users = signin.credentials(first)
        assert {name: u["groups"] for name, u in users.items()} == {
            "designer": ["designer"], "reviewer": ["reviewer"], "operator": ["operator"],
            "integrator": ["integrator"]}
        banner = "".join(first.output)
        for name, user in users.items():
            assert f"{name:<12} {user['password']}" in banner
        assert len({u["password"] for u in users.values()}) == 4

        config = json.loads(urllib.request.urlopen(first.site + "/config.json", timeout=10).read())
        assert config["cognito"]["endpoint"] == first.aws
        # The page calls Cognito from its own origin: the emulator must answer the preflight itself.
        preflight = urllib.request.Request(first.aws + "/", method="OPTIONS", headers={
            "Origin": first.site, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target"})
        with urllib.request.urlopen(preflight, timeout=10) as reply:
            assert reply.headers["Access-Control-Allow-Origin"] == first.site
            allowed = {h.strip().lower() for h in reply.headers["Access-Control-Allow-Headers"].split(",")}
            assert {"content-type", "x-amz-target"} <= allowed

        designer = signin.auth(first, "designer")
        principal = verified(first, designer.id_token(), monkeypatch)
        assert (principal.username, principal.groups) == ("designer", frozenset({"designer"}))
        assert principal.sub == users["designer"]["sub"]
        old_refresh = designer.tokens["RefreshToken"]
        designer.refresh()
        assert designer.refreshes == 1 and designer.sign_ins == 1
        old_token = designer.id_token()
        assert verified(first, old_token, monkeypatch).sub == principal.sub

        # An integrator script through the CLI: password sign-in, a job, its G-code.
        monkeypatch.setenv("LUTHIER_CAM_USER", "integrator")
        monkeypatch.setenv("LUTHIER_CAM_PASSWORD", users["integrator"]["password"])
        intent = tmp_path / "pocket.json"
        intent.write_text(json.dumps(POCKET))
        common = ["--api", first.api, "--site-config", first.site + "/config.json"]
        capsys.readouterr()
        assert main(["submit", str(intent), "--wait", "--timeout", "120", *common]) == 0
        job = json.loads(capsys.readouterr().out)
        assert job["status"] == "completed", job
        assert main(["download", job["job_id"], "-o", str(tmp_path / "out"), *common]) == 0
        run_rs274((tmp_path / "out" / "program.nc").read_text(encoding="ascii"), tmp_path)

        assert main(["status", job["job_id"], *common, "--password", "wrong-Password-1"]) == 1
        assert "NotAuthorizedException" in capsys.readouterr().err
    finally:
        stop_stack(first)

    # A user added by hand to identity.json is made at the next start, password and sub filled in.
    kept = json.loads(path.read_text())
    kept["users"].append({"username": "ada", "groups": ["admin"]})
    path.write_text(json.dumps(kept))

    second = start_stack("luthier.local", data)
    try:
        again = signin.credentials(second)
        assert {n: (u["sub"], u["password"]) for n, u in again.items() if n != "ada"} == {
            n: (u["sub"], u["password"]) for n, u in users.items()}
        assert again["ada"]["password"] and again["ada"]["sub"]
        assert "ada " in "".join(second.output)

        renewed = signin.auth(second, "designer")
        assert verified(second, renewed.id_token(), monkeypatch).sub == users["designer"]["sub"]
        # The token from before the restart is still good: same pool, same client, same key.
        assert verified(second, old_token, monkeypatch).sub == principal.sub
        # The emulator forgot its refresh tokens; the SDK signs in again with the password.
        stale = signin.auth(second, "designer")
        stale.tokens.update({"IdToken": old_token, "RefreshToken": old_refresh})
        stale.expire()
        assert verified(second, stale.id_token(), monkeypatch).sub == principal.sub
        assert (stale.refreshes, stale.sign_ins) == (0, 1)
        ada = signin.auth(second, "ada")
        assert verified(second, ada.id_token(), monkeypatch).groups == frozenset({"admin"})
    finally:
        stop_stack(second)


def test_an_identity_file_naming_an_unknown_group_stops_the_start(tmp_path: Path):
    (tmp_path / IDENTITY_FILE).write_text(json.dumps({"region": "us-east-1", "users": [
        {"username": "x", "groups": ["superuser"]}]}))
    with pytest.raises(IdentityFileError, match="superuser"):
        read(tmp_path, "us-east-1")
    (tmp_path / IDENTITY_FILE).write_text("{not json")
    with pytest.raises(IdentityFileError, match="not a usable identity file"):
        read(tmp_path, "us-east-1")


def test_a_new_data_folder_gets_the_four_default_users(tmp_path: Path):
    identity = read(tmp_path, "eu-west-1")
    assert [(u.username, u.groups) for u in identity.users] == [
        ("designer", ["designer"]), ("reviewer", ["reviewer"]), ("operator", ["operator"]),
        ("integrator", ["integrator"])]
    assert identity.region == "eu-west-1" and not identity.pool_id


def test_a_site_config_without_cognito_settings_is_a_clear_error():
    with pytest.raises(sdk.SignInFailed, match="no cognito settings"):
        sdk.CognitoAuth.from_site_config({"apiBase": "http://127.0.0.1:1/api"}, "u", "p")
