"""The verifier against real moto Cognito tokens, and against forged ones.

Every accepted token here comes from `initiate_auth` on moto's Cognito. Tokens
the verifier must refuse are either real tokens from the wrong pool or client,
or tokens signed with moto's own key (so only the claim under test is wrong),
or with a key Cognito never had.
"""
from __future__ import annotations

import time

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from chalicelib.auth import AuthNotConfigured, KeysUnavailable, Unauthenticated, principal_from_headers, verify_token
from chalicelib.auth import settings as auth_settings
from chalicelib.auth import verify
from tests.auth.cognito import create_pool_and_users

MOTO_KEY = jwt.PyJWK.from_dict(load_resource("cognitoidp/resources/jwks-private.json")).key


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def forge(claims: dict, key=MOTO_KEY, kid: str = "dummy", alg: str = "RS256") -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def reason_of(token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        verify_token(token)
    assert token not in str(caught.value)
    return caught.value.reason


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- tokens Cognito issued -------------------------------------------------------------

def test_id_token_names_the_user_and_groups(pool):
    tokens = pool.sign_in("dana")
    principal = principal_from_headers(bearer(tokens["IdToken"]))
    assert principal.sub == pool.users["dana"]["sub"]
    assert principal.username == "dana"
    assert principal.groups == {"designer"}
    assert principal.token_use == "id"
    assert principal.client_id == pool.client_id
    assert principal.actor() == {"sub": pool.users["dana"]["sub"], "username": "dana"}


def test_groups_of_a_multi_role_user_and_of_a_user_with_none(pool):
    assert verify_token(pool.sign_in("solo")["IdToken"]).groups == {"designer", "reviewer", "operator"}
    assert verify_token(pool.sign_in("nobody")["IdToken"]).groups == frozenset()


def test_machine_user_refreshes_and_the_new_token_verifies(pool):
    first = pool.sign_in("ivan-bot")
    again = pool.refresh(first["RefreshToken"])
    assert again["IdToken"] != first["IdToken"]
    principal = verify_token(again["IdToken"])
    assert (principal.username, principal.groups) == ("ivan-bot", {"integrator"})


def test_access_token_is_refused_unless_the_stage_accepts_it(pool, monkeypatch):
    tokens = pool.sign_in("otto")
    assert reason_of(tokens["AccessToken"]) == "wrong_token_use"
    monkeypatch.setenv("AUTH_TOKEN_USE", "id,access")
    principal = verify_token(tokens["AccessToken"])
    assert (principal.username, principal.token_use, principal.groups) == ("otto", "access", {"operator"})
    monkeypatch.setenv("AUTH_TOKEN_USE", "access")
    assert reason_of(tokens["IdToken"]) == "wrong_token_use"


def test_bare_token_and_any_header_case_are_read(pool):
    token = pool.sign_in("rita")["IdToken"]
    assert principal_from_headers({"authorization": token}).username == "rita"
    assert principal_from_headers({"AUTHORIZATION": f"bearer {token}"}).username == "rita"


def test_key_set_is_fetched_once_per_container(pool):
    for username in ("dana", "rita", "otto", "ada"):
        verify_token(pool.sign_in(username)["IdToken"])
    assert verify.keyset_for(auth_settings.load().jwks_url).fetches == 1


# --- what a caller gets wrong ----------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}, {"Authorization": "   "}])
def test_missing_token(pool, headers):
    with pytest.raises(Unauthenticated) as caught:
        principal_from_headers(headers)
    assert caught.value.reason == "missing"


@pytest.mark.parametrize("value", ["Basic ZGFuYTpwdw==", "Bearer", "Bearer a b", "Bearer not-a-jwt",
                                   "Bearer a.b.c", "Bearer " + "a" * 20000 + ".b.c"])
def test_malformed_token(pool, value):
    with pytest.raises(Unauthenticated) as caught:
        principal_from_headers({"Authorization": value})
    assert caught.value.reason == "malformed"


def test_expired_token_is_refused_and_small_skew_is_tolerated(pool):
    claims = claims_of(pool.sign_in("dana")["IdToken"])
    now = int(time.time())
    assert reason_of(forge({**claims, "iat": now - 7200, "exp": now - 3600})) == "expired"
    assert reason_of(forge({**claims, "iat": now - 7200, "exp": now - 120})) == "expired"
    # Within the leeway a clock a little ahead of Cognito's still accepts the token.
    assert verify_token(forge({**claims, "iat": now - 3600, "exp": now - 5})).username == "dana"


def test_token_from_the_future_is_refused(pool):
    claims = claims_of(pool.sign_in("dana")["IdToken"])
    now = int(time.time())
    assert reason_of(forge({**claims, "iat": now + 3600, "exp": now + 7200})) == "not_yet_valid"


def test_token_for_another_app_client_is_refused(pool, monkeypatch):
    other_client = pool.client.create_user_pool_client(
        UserPoolId=pool.pool_id, ClientName="someone-else", GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    tokens = pool.client.initiate_auth(
        ClientId=other_client, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "dana", "PASSWORD": pool.users["dana"]["password"]},
    )["AuthenticationResult"]
    assert reason_of(tokens["IdToken"]) == "wrong_audience"
    monkeypatch.setenv("AUTH_TOKEN_USE", "id,access")
    assert reason_of(tokens["AccessToken"]) == "wrong_audience"


def test_token_from_another_user_pool_is_refused(pool):
    # moto signs every pool with one key, so only the issuer tells them apart.
    other = create_pool_and_users(pool.client, {"dana": ["designer", "admin"]}, pool_name="elsewhere")
    token = other.sign_in("dana")["IdToken"]
    claims = claims_of(token)
    assert reason_of(token) == "wrong_issuer"
    assert reason_of(forge({**claims, "aud": pool.client_id})) == "wrong_issuer"


def test_token_signed_with_another_key_is_refused(pool):
    claims = claims_of(pool.sign_in("dana")["IdToken"])
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert reason_of(forge(claims, key=stranger)) == "bad_signature"


def test_token_with_an_edited_payload_is_refused(pool):
    token = pool.sign_in("dana")["IdToken"]
    header, _, signature = token.split(".")
    promoted = jwt.utils.base64url_encode(
        jwt.api_jws.json.dumps({**claims_of(token), "cognito:groups": ["admin"]}).encode()).decode()
    assert reason_of(f"{header}.{promoted}.{signature}") == "bad_signature"


def test_tokens_not_signed_with_rs256_are_refused(pool):
    claims = claims_of(pool.sign_in("dana")["IdToken"])
    public_numbers = MOTO_KEY.public_key().public_numbers()
    assert reason_of(jwt.encode(claims, None, algorithm="none")) == "bad_signature"
    # The key-confusion attack: HMAC keyed with the public key's bytes.
    assert reason_of(forge(claims, key=str(public_numbers.n).encode() * 2, alg="HS256")) == "bad_signature"


def test_unknown_key_id_refetches_once_then_waits_out_the_cooldown(pool):
    claims = claims_of(pool.sign_in("dana")["IdToken"])
    verify_token(pool.sign_in("dana")["IdToken"])
    keys = verify.keyset_for(auth_settings.load().jwks_url)
    assert keys.fetches == 1
    assert reason_of(forge(claims, kid="rotated-1")) == "bad_signature"
    assert keys.fetches == 2
    assert reason_of(forge(claims, kid="rotated-2")) == "bad_signature"
    assert keys.fetches == 2


def test_rotated_key_is_picked_up_by_the_one_refetch():
    served = [{"keys": []}]
    old = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    new = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(key, kid):
        return {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig"}

    served[0] = {"keys": [jwk(old, "old")]}
    keys = verify.KeySet("https://example.invalid/jwks.json", fetch=lambda url: served[0])
    cfg = auth_settings.AuthSettings(user_pool_id="eu-west-1_abc", client_id="client1", region="eu-west-1",
                                     jwks_url=keys.url, token_uses=frozenset({"id"}))
    now = int(time.time())
    claims = {"iss": cfg.issuer, "sub": "s-1", "aud": "client1", "token_use": "id", "iat": now,
              "exp": now + 600, "cognito:username": "luthier"}
    assert verify_token(forge(claims, key=old, kid="old"), cfg, keys).username == "luthier"
    served[0] = {"keys": [jwk(old, "old"), jwk(new, "new")]}
    assert verify_token(forge(claims, key=new, kid="new"), cfg, keys).username == "luthier"
    assert keys.fetches == 2


def test_token_missing_a_required_claim_is_refused(pool):
    claims = claims_of(pool.sign_in("dana")["IdToken"])
    del claims["token_use"]
    assert reason_of(forge(claims)) == "malformed"
    claims = claims_of(pool.sign_in("dana")["IdToken"])
    claims["cognito:groups"] = "admin"
    assert reason_of(forge(claims)) == "malformed"


def test_unreachable_key_set_is_a_named_error_and_is_retried(pool, monkeypatch):
    token = pool.sign_in("dana")["IdToken"]
    monkeypatch.setenv("COGNITO_JWKS_URL", "http://127.0.0.1:9/nothing/.well-known/jwks.json")
    with pytest.raises(KeysUnavailable):
        verify_token(token)
    with pytest.raises(KeysUnavailable):
        verify_token(token)
    assert verify.keyset_for("http://127.0.0.1:9/nothing/.well-known/jwks.json").fetches == 2


# --- moto in server mode, as the local stack runs it ----------------------------------

def test_server_mode_tokens_verify_against_the_servers_key_set(moto_server, monkeypatch):
    cognito = boto3.client("cognito-idp", region_name="eu-west-2", endpoint_url=moto_server)
    served = create_pool_and_users(cognito, {"otto": ["operator"]}, pool_name="server-mode")
    for name, value in served.env(f"{moto_server}/{served.pool_id}/.well-known/jwks.json").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    verify.reset()
    token = served.sign_in("otto")["IdToken"]
    assert claims_of(token)["iss"] == f"https://cognito-idp.eu-west-2.amazonaws.com/{served.pool_id}"
    principal = principal_from_headers(bearer(token))
    assert (principal.username, principal.groups) == ("otto", {"operator"})
    verify.reset()


# --- settings ------------------------------------------------------------------------

POOL_ENV = {"USER_POOL_ID": "eu-central-1_Ab12Cd34", "USER_POOL_CLIENT_ID": "4f7q0l3example1client"}


def test_settings_point_at_the_pools_own_issuer_and_key_set():
    cfg = auth_settings.load(POOL_ENV)
    assert cfg.region == "eu-central-1"
    assert cfg.issuer == "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Ab12Cd34"
    assert cfg.jwks_url == cfg.issuer + "/.well-known/jwks.json"
    assert cfg.token_uses == {"id"}


@pytest.mark.parametrize("env", [{}, {"USER_POOL_ID": POOL_ENV["USER_POOL_ID"]},
                                 {"USER_POOL_CLIENT_ID": POOL_ENV["USER_POOL_CLIENT_ID"]}])
@pytest.mark.parametrize("deployed", [False, True])
def test_missing_pool_settings_refuse_every_request(env, deployed):
    if deployed:
        env = {**env, "AWS_LAMBDA_FUNCTION_NAME": "luthier-cam-bridge-prod"}
    with pytest.raises(AuthNotConfigured, match="USER_POOL"):
        auth_settings.load(env)


def test_missing_settings_fail_the_request_before_any_token_is_read(monkeypatch):
    monkeypatch.delenv("USER_POOL_ID", raising=False)
    monkeypatch.delenv("USER_POOL_CLIENT_ID", raising=False)
    with pytest.raises(AuthNotConfigured):
        principal_from_headers({"Authorization": "Bearer a.b.c"})


def test_emulator_key_set_is_refused_in_a_deployed_stage():
    local = {**POOL_ENV, "COGNITO_JWKS_URL": "http://127.0.0.1:5000/p/.well-known/jwks.json"}
    assert auth_settings.load(local).jwks_url == local["COGNITO_JWKS_URL"]
    with pytest.raises(AuthNotConfigured, match="deployed"):
        auth_settings.load({**local, "AWS_LAMBDA_FUNCTION_NAME": "luthier-cam-bridge-prod"})


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://attacker.example/jwks.json", "ftp://x/y"])
def test_key_set_url_must_be_https_or_loopback(url):
    with pytest.raises(AuthNotConfigured, match="COGNITO_JWKS_URL"):
        auth_settings.load({**POOL_ENV, "COGNITO_JWKS_URL": url})


@pytest.mark.parametrize("env", [{"USER_POOL_ID": "not-a-pool"}, {"USER_POOL_CLIENT_ID": "has spaces"},
                                 {"AUTH_TOKEN_USE": "refresh"}, {"AUTH_TOKEN_USE": ","}])
def test_unusable_settings_are_named(env):
    with pytest.raises(AuthNotConfigured):
        auth_settings.load({**POOL_ENV, **env})


@pytest.mark.parametrize("document", [{"keys": []}, {"no": "keys"}, ["not", "an", "object"],
                                      {"keys": [{"kty": "EC", "kid": "k", "crv": "P-256"}]}])
def test_key_set_without_a_usable_rsa_key_is_unavailable(document):
    keys = verify.KeySet("https://example.invalid/jwks.json", fetch=lambda url: document)
    with pytest.raises(KeysUnavailable):
        keys.key("dummy")


def test_key_set_url_answering_an_error_is_unavailable(moto_server):
    with pytest.raises(KeysUnavailable):
        verify.KeySet(f"{moto_server}/no-such-path").key("dummy")
