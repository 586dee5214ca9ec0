"""A Cognito user pool with the product's groups and app client, made in moto.

`create_pool_and_users` builds what infra/template.yaml declares (groups, an
app client without a secret that signs in with a password and refreshes) and
signs users up, so tests sign in for real and get tokens Cognito's way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from chalicelib.auth.policy import ROLES

PASSWORD = "Rosette-Test-9!"


@dataclass
class Pool:
    client: Any
    pool_id: str
    client_id: str
    users: dict[str, dict[str, str]] = field(default_factory=dict)  # username -> {"sub", "password"}

    def sign_in(self, username: str) -> dict[str, str]:
        """IdToken, AccessToken and RefreshToken from a password sign-in."""
        result = self.client.initiate_auth(
            ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": self.users[username]["password"]},
        )["AuthenticationResult"]
        return {k: result[k] for k in ("IdToken", "AccessToken", "RefreshToken")}

    def refresh(self, refresh_token: str) -> dict[str, str]:
        result = self.client.initiate_auth(
            ClientId=self.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )["AuthenticationResult"]
        return {k: result[k] for k in ("IdToken", "AccessToken")}

    def env(self, jwks_url: str | None = None) -> dict[str, str]:
        settings = {"USER_POOL_ID": self.pool_id, "USER_POOL_CLIENT_ID": self.client_id}
        if jwks_url:
            settings["COGNITO_JWKS_URL"] = jwks_url
        return settings


def create_pool_and_users(cognito_client: Any, users: Mapping[str, Sequence[str]],
                          password: str = PASSWORD, pool_name: str = "luthier-cam") -> Pool:
    """A pool, its app client and groups, and `users` (username -> groups), all confirmed."""
    pool_id = cognito_client.create_user_pool(
        PoolName=pool_name,
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": True, "RequireLowercase": True,
                                     "RequireNumbers": True, "RequireSymbols": False}},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]["Id"]
    client_id = cognito_client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="luthier-cam-api", GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for role in ROLES:
        cognito_client.create_group(UserPoolId=pool_id, GroupName=role)
    pool = Pool(client=cognito_client, pool_id=pool_id, client_id=client_id)
    for username, groups in users.items():
        created = cognito_client.admin_create_user(UserPoolId=pool_id, Username=username,
                                                   MessageAction="SUPPRESS")["User"]
        cognito_client.admin_set_user_password(UserPoolId=pool_id, Username=username,
                                               Password=password, Permanent=True)
        for group in groups:
            cognito_client.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
        sub = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
        pool.users[username] = {"sub": sub, "password": password}
    return pool
