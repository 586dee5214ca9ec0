"""The local stack's Cognito user pool, its app client and its users, stable across restarts.

moto keeps Cognito in memory and gives every pool, app client and user a random
id. Sessions record their owner's `sub`, so a pool rebuilt with new ids at each
start would orphan every design. The first start therefore writes what it made
(pool id, client id, each user's `sub`, password and groups) to `identity.json`
in the data folder, readable by its owner only; every later start builds the
pool again through the ordinary Cognito API and then gives the embedded
emulator's objects the recorded ids, so tokens carry the same `iss`, `aud` and
`sub` as before.

To add a local user, add an entry to `users` in `identity.json` (a name and its
groups) and restart: a missing password or `sub` is generated and written back.
"""
from __future__ import annotations

import json
import os
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from chalicelib.auth.policy import ROLES

IDENTITY_FILE = "identity.json"
POOL_NAME = "luthier-cam-local"
CLIENT_NAME = "luthier-cam-web"
# One user per role the page and the CAM API serve; admins are added by hand if needed.
DEFAULT_USERS: dict[str, list[str]] = {
    "designer": ["designer"],
    "reviewer": ["reviewer"],
    "operator": ["operator"],
    "integrator": ["integrator"],
}
# The same rules infra/template.yaml gives the deployed pool.
PASSWORD_POLICY = {"MinimumLength": 12, "RequireUppercase": True, "RequireLowercase": True,
                   "RequireNumbers": True, "RequireSymbols": False}


@dataclass
class LocalUser:
    username: str
    groups: list[str]
    password: str = ""
    sub: str = ""


@dataclass
class Identity:
    region: str
    pool_id: str = ""
    client_id: str = ""
    users: list[LocalUser] = field(default_factory=list)

    def user(self, username: str) -> LocalUser:
        return next(u for u in self.users if u.username == username)

    def jwks_url(self, aws_endpoint: str) -> str:
        return f"{aws_endpoint}/{self.pool_id}/.well-known/jwks.json"

    def environment(self, aws_endpoint: str) -> dict[str, str]:
        """What the API's verifier reads to accept this pool's tokens."""
        return {"USER_POOL_ID": self.pool_id, "USER_POOL_CLIENT_ID": self.client_id,
                "COGNITO_JWKS_URL": self.jwks_url(aws_endpoint)}

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "pool_id": self.pool_id, "client_id": self.client_id,
                "users": [{"username": u.username, "groups": u.groups, "password": u.password, "sub": u.sub}
                          for u in self.users]}


class IdentityFileError(SystemExit):
    """identity.json exists but cannot be used; the stack refuses to start rather than replace it."""


def new_password() -> str:
    # Letters and digits only, so it pastes into any shell unquoted; the suffix meets the
    # policy whatever the random part holds.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16)) + "Aa1"


def read(data_dir: Path, region: str) -> Identity:
    path = data_dir / IDENTITY_FILE
    if not path.exists():
        return Identity(region=region, users=[LocalUser(name, list(groups)) for name, groups in DEFAULT_USERS.items()])
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        users = [LocalUser(username=str(u["username"]), groups=[str(g) for g in u.get("groups", [])],
                           password=str(u.get("password") or ""), sub=str(u.get("sub") or ""))
                 for u in raw.get("users", [])]
        identity = Identity(region=str(raw.get("region") or region), pool_id=str(raw.get("pool_id") or ""),
                            client_id=str(raw.get("client_id") or ""), users=users)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IdentityFileError(f"error: {path} is not a usable identity file ({exc}); fix it, or move it "
                                "away to start with new users") from None
    unknown = sorted({g for u in identity.users for g in u.groups} - set(ROLES))
    if unknown:
        raise IdentityFileError(f"error: {path} names groups that do not exist: {', '.join(unknown)} "
                                f"(groups: {', '.join(ROLES)})")
    return identity


def write(data_dir: Path, identity: Identity) -> Path:
    """Replace identity.json atomically, created with owner-only permissions (it holds passwords)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / IDENTITY_FILE
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(identity.to_json(), out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def _pool_backend(region: str) -> Any:
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    return cognitoidp_backends[DEFAULT_ACCOUNT_ID][region]


def _adopt_pool_id(region: str, current: str, wanted: str) -> None:
    backend = _pool_backend(region)
    pool = backend.user_pools.pop(current)
    pool.id = wanted
    pool.arn = pool.arn.rsplit("/", 1)[0] + "/" + wanted
    backend.user_pools[wanted] = pool


def _adopt_client_id(region: str, pool_id: str, current: str, wanted: str) -> None:
    pool = _pool_backend(region).user_pools[pool_id]
    client = pool.clients.pop(current)
    client.id = wanted
    pool.clients[wanted] = client


def _adopt_sub(region: str, pool_id: str, username: str, sub: str) -> None:
    user = _pool_backend(region).user_pools[pool_id].users[username]
    user.id = sub
    user.update_attributes([{"Name": "sub", "Value": sub}])


def provision(make_client: Callable[[str], Any], data_dir: Path, region: str) -> Identity:
    """Build the pool in the embedded emulator with the ids recorded in data_dir (recording new ones).

    `make_client(region)` gives a boto3 cognito-idp client pointed at the
    emulator (the pool stays in the region it was first made in); the ids are
    set on moto's objects directly, which only works because the emulator runs
    in this process.
    """
    identity = read(data_dir, region)
    cognito = make_client(identity.region)
    pool_id = cognito.create_user_pool(
        PoolName=POOL_NAME, Policies={"PasswordPolicy": PASSWORD_POLICY},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]["Id"]
    if identity.pool_id and identity.pool_id != pool_id:
        _adopt_pool_id(identity.region, pool_id, identity.pool_id)
    identity.pool_id = identity.pool_id or pool_id

    client_id = cognito.create_user_pool_client(
        UserPoolId=identity.pool_id, ClientName=CLIENT_NAME, GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        EnableTokenRevocation=True,
    )["UserPoolClient"]["ClientId"]
    if identity.client_id and identity.client_id != client_id:
        _adopt_client_id(identity.region, identity.pool_id, client_id, identity.client_id)
    identity.client_id = identity.client_id or client_id

    for role in ROLES:
        cognito.create_group(UserPoolId=identity.pool_id, GroupName=role)
    for user in identity.users:
        created = cognito.admin_create_user(UserPoolId=identity.pool_id, Username=user.username,
                                            MessageAction="SUPPRESS")["User"]
        user.password = user.password or new_password()
        cognito.admin_set_user_password(UserPoolId=identity.pool_id, Username=user.username,
                                        Password=user.password, Permanent=True)
        for group in user.groups:
            cognito.admin_add_user_to_group(UserPoolId=identity.pool_id, Username=user.username, GroupName=group)
        if user.sub:
            _adopt_sub(identity.region, identity.pool_id, user.username, user.sub)
        else:
            user.sub = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    write(data_dir, identity)
    return identity
