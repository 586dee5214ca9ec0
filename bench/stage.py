"""The dev stage in process: moto for AWS, the stage's resources, Chalice's test client."""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
from typing import Any, Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


# One user in every working role, so each group can call any route; a one-person shop approves its own designs.
BENCH_USER = "bench"
BENCH_PASSWORD = "Bench-password-1"
BENCH_GROUPS = ("designer", "reviewer", "operator", "integrator")


def _sign_in() -> tuple[dict[str, str], str]:
    """A moto Cognito pool with the bench user: the settings the app verifies against, and an ID token."""
    import boto3

    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = cognito.create_user_pool(PoolName="bench", AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
                                       )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="bench", GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username=BENCH_USER, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=BENCH_USER, Password=BENCH_PASSWORD, Permanent=True)
    for group in BENCH_GROUPS:
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=BENCH_USER, GroupName=group)
    token = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": BENCH_USER, "PASSWORD": BENCH_PASSWORD},
                                  )["AuthenticationResult"]["IdToken"]
    return {"USER_POOL_ID": pool_id, "USER_POOL_CLIENT_ID": client_id, "ALLOW_SELF_APPROVAL": "true"}, token


def _signed(client: Any, token: str) -> Any:
    """Every request the bench makes through `client` carries the bench user's token."""
    plain = client.http.request

    def request(method: str, path: str, headers: dict[str, str] | None = None, body: Any = b"") -> Any:
        return plain(method, path, headers={"Authorization": f"Bearer {token}", **(headers or {})}, body=body)

    client.http.request = request
    return client


def _stage_env() -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return config["stages"]["dev"]["environment_variables"]


@contextlib.contextmanager
def moto_stage() -> Iterator[Any]:
    """A fresh moto account holding the dev stage's table and buckets; yields a chalice.test.Client.

    The environment (fake credentials, the stage's resource names, no endpoint
    override) is restored on exit, so later groups and subprocesses see the
    caller's own environment.
    """
    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update({**_stage_env(), **FAKE_AWS})
    from chalice.test import Client
    from moto import mock_aws

    from moto.server import ThreadedMotoServer

    from chalicelib import aws
    from chalicelib.auth import verify
    from chalicelib.storage.provision import create_resources

    # moto signs every pool's tokens with one key; its server mode publishes that key set on loopback.
    keys = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    keys.start()
    try:
        with mock_aws():
            aws.reset()
            create_resources()
            identity, token = _sign_in()
            host, port = keys.get_host_and_port()
            os.environ.update({**identity,
                               "COGNITO_JWKS_URL": f"http://{host}:{port}/{identity['USER_POOL_ID']}/.well-known/jwks.json"})
            verify.reset()
            from app import app

            with Client(app, project_dir=str(ROOT)) as client:
                yield _signed(client, token)
    finally:
        keys.stop()
        aws.reset()
        os.environ.clear()
        os.environ.update(saved)
