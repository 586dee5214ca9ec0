"""The deployment files agree with each other and with the code.

A stage's environment names the table and buckets; the IAM policy must grant
exactly those and nothing wider; the CloudFormation table must have the keys
and index the code queries.
"""
from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from chalicelib.storage.table import LIST_INDEX, table_definition

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Sub, !Ref, ...) as plain values."""


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_CfnLoader.add_multi_constructor("!", _any_tag)
TEMPLATE = yaml.load((ROOT / "infra" / "template.yaml").read_text(), Loader=_CfnLoader)


IDENTITY = {"USER_POOL_ID", "USER_POOL_CLIENT_ID", "USER_POOL_ARN"}
# dev takes its pool from the local stack's emulator at run time (docs/local-stack.md),
# prod from the infra stack's outputs (docs/deploy.md).
STAGE_IDENTITY = {"dev": set(), "prod": IDENTITY}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stage_environment_is_complete(stage):
    env = CONFIG["stages"][stage]["environment_variables"]
    assert set(env) == ({"TABLE_NAME", "REQUESTS_BUCKET", "ARTIFACTS_BUCKET", "SITE_ORIGIN",
                         "CAM_WORKER_TIMEOUT_SECONDS", "CAM_WORKER_FAILURES_QUEUE"} | STAGE_IDENTITY[stage])
    assert env["SITE_ORIGIN"] != "*"
    assert all(stage in env[k] for k in ("TABLE_NAME", "REQUESTS_BUCKET", "ARTIFACTS_BUCKET"))


def _policy(stage: str, function: str) -> dict:
    return json.loads((ROOT / ".chalice" / CONFIG["stages"][stage]["lambda_functions"][function]
                       ["iam_policy_file"]).read_text())


def _as_list(value) -> list[str]:
    return value if isinstance(value, list) else [value]


def _grants(policy: dict) -> set[tuple[str, str]]:
    """Every (action, resource) pair a policy allows."""
    return {(action, resource) for st in policy["Statement"] if st["Effect"] == "Allow"
            for action in _as_list(st["Action"]) for resource in _as_list(st["Resource"])}


@pytest.mark.parametrize("stage", ["dev", "prod"])
@pytest.mark.parametrize("function", ["api_handler", "cam_worker", "reconciler"])
def test_policy_grants_only_the_stage_resources(stage, function):
    assert CONFIG["autogen_policy"] is False
    assert "iam_policy_file" not in CONFIG["stages"][stage], "one policy per function, none shared"
    policy = _policy(stage, function)
    env = CONFIG["stages"][stage]["environment_variables"]
    for action, resource in _grants(policy):
        assert "*" not in action and resource != "*", (action, resource)
        if resource.startswith("arn:aws:logs:"):
            assert resource.startswith("arn:aws:logs:*:*:log-group:/aws/lambda/luthier-cam-bridge-"), resource
            continue
        assert any(env[k] in resource for k in ("TABLE_NAME", "REQUESTS_BUCKET", "ARTIFACTS_BUCKET",
                                                "CAM_WORKER_FAILURES_QUEUE")), resource


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_api_and_the_worker_have_separate_least_privilege(stage):
    env = CONFIG["stages"][stage]["environment_variables"]
    table, requests, artifacts = env["TABLE_NAME"], env["REQUESTS_BUCKET"], env["ARTIFACTS_BUCKET"]
    api, worker = _grants(_policy(stage, "api_handler")), _grants(_policy(stage, "cam_worker"))
    assert api == {
        *{(f"logs:{a}", f"arn:aws:logs:*:*:log-group:/aws/lambda/luthier-cam-bridge-{stage}-api_handler*")
          for a in ("CreateLogGroup", "CreateLogStream", "PutLogEvents")},
        *{(f"dynamodb:{a}", r) for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")
          for r in (f"arn:aws:dynamodb:*:*:table/{table}", f"arn:aws:dynamodb:*:*:table/{table}/index/{LIST_INDEX}")},
        *{(a, f"arn:aws:s3:::{requests}/{p}/*") for a in ("s3:GetObject", "s3:PutObject")
          for p in ("requests", "designs")},
        ("s3:GetObject", f"arn:aws:s3:::{artifacts}/*"),
        # The API writes only the exported drawings and archived session history, never a CAM artifact.
        ("s3:PutObject", f"arn:aws:s3:::{artifacts}/exports/*"),
        ("s3:PutObject", f"arn:aws:s3:::{artifacts}/sessions/*"),
        ("s3:ListBucket", f"arn:aws:s3:::{requests}"), ("s3:ListBucket", f"arn:aws:s3:::{artifacts}"),
    }
    assert worker == {
        *{(f"logs:{a}", f"arn:aws:logs:*:*:log-group:/aws/lambda/luthier-cam-bridge-{stage}-cam_worker*")
          for a in ("CreateLogGroup", "CreateLogStream", "PutLogEvents")},
        *{(f"dynamodb:{a}", f"arn:aws:dynamodb:*:*:table/{table}") for a in ("GetItem", "PutItem", "UpdateItem")},
        # Reads its trigger and the design snapshots; a write under requests/ would trigger itself.
        ("s3:GetObject", f"arn:aws:s3:::{requests}/requests/*"), ("s3:GetObject", f"arn:aws:s3:::{requests}/designs/*"),
        ("s3:GetObject", f"arn:aws:s3:::{artifacts}/jobs/*"), ("s3:PutObject", f"arn:aws:s3:::{artifacts}/jobs/*"),
        ("s3:ListBucket", f"arn:aws:s3:::{requests}"), ("s3:ListBucket", f"arn:aws:s3:::{artifacts}"),
        # The on-failure destination sends with the worker's role.
        ("sqs:SendMessage", f"arn:aws:sqs:*:*:{env['CAM_WORKER_FAILURES_QUEUE']}"),
    }
    assert not any(a == "s3:PutObject" and requests in r for a, r in worker)
    assert not any(a == "s3:PutObject" and r.endswith(("/jobs/*", f"{artifacts}/*")) for a, r in api)


def test_the_storage_layout_matches_the_policies():
    from chalicelib.art_studio.sessions import export_keys
    from chalicelib.contracts.jobs import artifact_key, design_key, intent_request_key, promotion_request_key

    job = "0b8f2d56-3c9e-4a57-9f59-2f8f1f0c6a11"
    assert artifact_key(job, "program.nc").startswith("jobs/")
    assert intent_request_key(job).startswith("requests/") and promotion_request_key(job).startswith("requests/")
    assert design_key("f" * 64).startswith("designs/")

    class _S:
        session_id, design_fingerprint = job, "f" * 64
    assert all(k.startswith("exports/") for k in export_keys(_S()).values())  # type: ignore[arg-type]


def test_prod_reserves_concurrency_for_the_api_and_names_its_user_pool():
    prod = CONFIG["stages"]["prod"]
    assert prod["lambda_functions"]["api_handler"]["reserved_concurrency"] > 0
    assert prod["lambda_functions"]["cam_worker"]["reserved_concurrency"] > 0
    env = prod["environment_variables"]
    from chalicelib.auth import settings

    loaded = settings.load(env)  # a malformed pool id or client id is refused here
    assert env["USER_POOL_ARN"].endswith(f":userpool/{loaded.user_pool_id}")
    assert env["USER_POOL_ARN"].startswith(f"arn:aws:cognito-idp:{loaded.region}:")


THROTTLING = json.loads((ROOT / "infra" / "chalice-prod.tf.json").read_text())


def test_prod_throttling_applies_to_every_method_of_the_chalice_stage():
    [settings] = THROTTLING["resource"]["aws_api_gateway_method_settings"].values()
    assert settings["method_path"] == "*/*"
    assert 0 < settings["settings"]["throttling_rate_limit"] <= settings["settings"]["throttling_burst_limit"]


@pytest.fixture(scope="module")
def prod_terraform(tmp_path_factory) -> dict:
    """`chalice package --pkg-format terraform --stage prod`, offline: sources only, no requirements."""
    import os
    import shutil
    import subprocess
    import sys

    project = tmp_path_factory.mktemp("package") / "project"
    project.mkdir()
    shutil.copy(ROOT / "app.py", project)
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / ".chalice", project / ".chalice", ignore=shutil.ignore_patterns("deployed", "deployments"))
    (project / "requirements.txt").write_text("")
    out = project.parent / "out"
    # As scripts/deploy.py does: the stage's environment is the importing process's.
    env = {k: v for k, v in os.environ.items() if k not in IDENTITY}
    env.update(CONFIG["stages"]["prod"]["environment_variables"])
    chalice = pathlib.Path(sys.executable).parent / "chalice"
    subprocess.run([str(chalice), "package", "--pkg-format", "terraform", "--stage", "prod", str(out)],
                   cwd=project, env=env, check=True, capture_output=True, timeout=300)
    return json.loads((out / "chalice.tf.json").read_text())


def test_prod_package_puts_the_user_pool_authorizer_on_every_secured_route(prod_terraform):
    from chalicelib.openapi import OPERATIONS

    swagger = prod_terraform["locals"]["chalice_api_swagger"]
    swagger = json.loads(swagger) if isinstance(swagger, str) else swagger
    [(name, scheme)] = swagger["securityDefinitions"].items()
    assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [
        CONFIG["stages"]["prod"]["environment_variables"]["USER_POOL_ARN"]]
    for op in OPERATIONS:
        security = swagger["paths"][op.path][op.method.lower()].get("security")
        assert security == ([{name: []}] if op.secured else None), (op.method, op.path)


def test_prod_package_gives_each_function_its_own_policy_and_the_api_reserved_concurrency(prod_terraform):
    resources = prod_terraform["resource"]
    functions = resources["aws_lambda_function"]
    assert functions["api_handler"]["reserved_concurrent_executions"] == \
        CONFIG["stages"]["prod"]["lambda_functions"]["api_handler"]["reserved_concurrency"]
    policies = {name: json.loads(p["policy"]) if isinstance(p["policy"], str) else p["policy"]
                for name, p in resources["aws_iam_role_policy"].items()}
    assert _grants(policies["api_handler_role"]) == _grants(_policy("prod", "api_handler"))
    assert _grants(policies["cam_worker_role"]) == _grants(_policy("prod", "cam_worker"))
    assert _grants(policies["reconciler_role"]) == _grants(_policy("prod", "reconciler"))
    # The throttling file is dropped next to chalice.tf.json: what it references must exist there.
    [settings] = THROTTLING["resource"]["aws_api_gateway_method_settings"].values()
    assert "rest_api" in resources["aws_api_gateway_rest_api"] and "rest_api" in resources["aws_api_gateway_deployment"]
    assert settings["rest_api_id"] == "${aws_api_gateway_rest_api.rest_api.id}"


def test_template_table_matches_the_code():
    props = TEMPLATE["Resources"]["Table"]["Properties"]
    expected = table_definition("x")
    assert props["KeySchema"] == expected["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
    [gsi] = props["GlobalSecondaryIndexes"]
    [expected_gsi] = expected["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == expected_gsi["IndexName"]
    assert gsi["KeySchema"] == expected_gsi["KeySchema"]


@pytest.mark.parametrize("bucket", ["RequestsBucket", "ArtifactsBucket", "SiteBucket"])
def test_buckets_are_private_encrypted_and_tls_only(bucket):
    resources = TEMPLATE["Resources"]
    props = resources[bucket]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    policy = resources[bucket + "Policy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false" for s in policy)
    if bucket != "SiteBucket":
        assert props["VersioningConfiguration"]["Status"] == "Enabled"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_worker_failures_go_to_the_queue_the_reconciler_reads(stage):
    resources = TEMPLATE["Resources"]
    queue = resources["CamWorkerFailures"]["Properties"]["QueueName"]
    env = CONFIG["stages"][stage]["environment_variables"]
    assert queue.replace("${Stage}", stage) == env["CAM_WORKER_FAILURES_QUEUE"]
    wiring = resources["CamWorkerInvokeConfig"]["Properties"]
    assert wiring["FunctionName"].replace("${Stage}", stage) == f"{CONFIG['app_name']}-{stage}-cam_worker"
    assert "CamWorkerFailures" in str(wiring["DestinationConfig"]["OnFailure"]["Destination"])
    queue_arn = f"arn:aws:sqs:*:*:{env['CAM_WORKER_FAILURES_QUEUE']}"
    # Lambda sends a failed event to the destination with the worker's own role; the reconciler drains it.
    assert ("sqs:SendMessage", queue_arn) in _grants(_policy(stage, "cam_worker"))
    reconciler = _grants(_policy(stage, "reconciler"))
    assert {("sqs:ReceiveMessage", queue_arn), ("sqs:DeleteMessage", queue_arn)} <= reconciler
    assert ("sqs:SendMessage", queue_arn) not in reconciler
