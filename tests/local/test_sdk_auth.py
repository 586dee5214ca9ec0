"""The SDK signs in to Cognito (moto in server mode), sends the ID token and renews it."""
from __future__ import annotations

import boto3
import pytest
from moto.server import ThreadedMotoServer

from luthier import sdk
from tests.auth.cognito import create_pool_and_users

JOB = {"job_id": "j1", "status": "pending"}


@pytest.fixture(scope="module")
def cognito():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
    pool = create_pool_and_users(client, {"bot": ["integrator"]})
    yield endpoint, pool
    server.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def make_auth(cognito, clock=None, password=None) -> sdk.CognitoAuth:
    endpoint, pool = cognito
    return sdk.CognitoAuth(pool.client_id, "us-east-1", "bot", password or pool.users["bot"]["password"],
                           endpoint_url=endpoint, clock=clock or Clock())


def test_every_call_carries_the_id_token(stub_api, cognito):
    stub_api.on("GET", "/api/rmos/cam/jobs/j1", (200, JOB))
    auth = make_auth(cognito)
    api = sdk.Client(stub_api.base, auth=auth)
    api.job("j1")
    api.job("j1")
    sent = [r["headers"]["Authorization"] for r in stub_api.requests]
    assert sent == [f"Bearer {auth.tokens['IdToken']}"] * 2
    claims = sdk.token_claims(auth.tokens["IdToken"])
    assert claims["token_use"] == "id" and claims["cognito:groups"] == ["integrator"]
    assert claims["sub"] == cognito[1].users["bot"]["sub"]
    assert auth.sign_ins == 1


def test_the_token_is_refreshed_before_it_expires(stub_api, cognito):
    stub_api.on("GET", "/api/rmos/cam/jobs/j1", (200, JOB))
    clock = Clock()
    auth = make_auth(cognito, clock)
    api = sdk.Client(stub_api.base, auth=auth)
    api.job("j1")
    first = auth.tokens["IdToken"]
    clock.now += 3600 - sdk.REFRESH_MARGIN_S - 1
    api.job("j1")
    assert auth.refreshes == 0
    clock.now += 2
    api.job("j1")
    assert (auth.sign_ins, auth.refreshes) == (1, 1)
    assert stub_api.requests[-1]["headers"]["Authorization"] == f"Bearer {auth.tokens['IdToken']}"
    assert sdk.token_claims(auth.tokens["IdToken"])["sub"] == sdk.token_claims(first)["sub"]


def test_a_401_renews_the_token_and_tries_once_more(stub_api, cognito):
    answers = iter([(401, {"code": "unauthenticated", "message": "token expired", "details": {"reason": "expired"}}),
                    (200, JOB)])
    stub_api.on("GET", "/api/rmos/cam/jobs/j1", lambda req: next(answers))
    auth = make_auth(cognito)
    assert sdk.Client(stub_api.base, auth=auth).job("j1") == JOB
    assert len(stub_api.requests) == 2 and auth.refreshes == 1


def test_a_second_401_is_reported_not_retried_forever(stub_api, cognito):
    stub_api.on("GET", "/api/rmos/cam/jobs/j1", (401, {"code": "unauthenticated", "message": "no",
                                                       "details": {"reason": "bad_signature"}}))
    with pytest.raises(sdk.Unauthenticated) as caught:
        sdk.Client(stub_api.base, auth=make_auth(cognito)).job("j1")
    assert caught.value.details == {"reason": "bad_signature"}
    assert len(stub_api.requests) == 2


def test_a_403_is_its_own_error(stub_api, cognito):
    stub_api.on("POST", "/api/art/design-first-workflow/sessions", (403, {
        "code": "forbidden", "message": "integrator may not session.create", "details": None}))
    with pytest.raises(sdk.Forbidden):
        sdk.Client(stub_api.base, auth=make_auth(cognito)).create_session({})


def test_a_wrong_password_is_a_sign_in_failure_before_any_call(stub_api, cognito):
    with pytest.raises(sdk.SignInFailed) as caught:
        sdk.Client(stub_api.base, auth=make_auth(cognito, password="Not-The-Password-1")).job("j1")
    assert caught.value.code == "NotAuthorizedException"
    assert stub_api.requests == []


def test_without_auth_no_header_is_sent(stub_api):
    stub_api.on("GET", "/api/rmos/cam/jobs/j1", (200, JOB))
    sdk.Client(stub_api.base).job("j1")
    assert "Authorization" not in stub_api.requests[-1]["headers"]
