"""The identity resources in infra/template.yaml, and cfn-lint over the whole template."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
import yaml

from chalicelib.auth.policy import ROLES

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "infra" / "template.yaml"
CFN_LINT = pathlib.Path(sys.executable).parent / "cfn-lint"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Sub, !Ref, ...) as plain values."""


_CfnLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: {suffix: loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode)
                                       else loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode)
                                       else loader.construct_mapping(node)})
TEMPLATE = yaml.load(TEMPLATE_PATH.read_text(), Loader=_CfnLoader)
RESOURCES = TEMPLATE["Resources"]


def of_type(kind: str) -> list[dict]:
    return [r["Properties"] for r in RESOURCES.values() if r["Type"] == kind]


def lint(path: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CFN_LINT), str(path)], capture_output=True, text=True, timeout=300)


def test_cfn_lint_passes_on_the_template():
    result = lint(TEMPLATE_PATH)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_catches_a_broken_identity_resource(tmp_path):
    broken = TEMPLATE_PATH.read_text().replace("ALLOW_USER_PASSWORD_AUTH", "ALLOW_ANY_PASSWORD_AUTH")
    assert broken != TEMPLATE_PATH.read_text()
    (tmp_path / "template.yaml").write_text(broken)
    result = lint(tmp_path / "template.yaml")
    assert result.returncode != 0
    assert "ALLOW_ANY_PASSWORD_AUTH" in result.stdout


def test_one_group_per_role():
    groups = of_type("AWS::Cognito::UserPoolGroup")
    assert sorted(g["GroupName"] for g in groups) == sorted(ROLES)
    assert all(g["UserPoolId"] == {"Ref": "UserPool"} for g in groups)


def test_app_client_is_public_with_password_and_refresh_only():
    [client] = of_type("AWS::Cognito::UserPoolClient")
    assert client["GenerateSecret"] is False
    assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_pool_is_closed_to_self_sign_up_and_kept_on_stack_deletion():
    [pool] = [r for r in RESOURCES.values() if r["Type"] == "AWS::Cognito::UserPool"]
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert pool["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("output", ["UserPoolId", "UserPoolArn", "UserPoolClientId", "UserPoolIssuer"])
def test_identity_outputs_for_the_stage_configuration(output):
    assert output in TEMPLATE["Outputs"]


def test_issuer_output_is_the_one_the_verifier_checks():
    issuer = TEMPLATE["Outputs"]["UserPoolIssuer"]["Value"]["Sub"]
    assert issuer == "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
